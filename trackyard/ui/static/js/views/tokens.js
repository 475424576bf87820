// #/tokens: the signed-in user's personal access tokens (MLFLOW_TRACKING_TOKEN for the stock
// client): create one (shown once: the server keeps only its digest), list, revoke; and
// changing their own password (MLflow's update-password, with the current one).

import { tokens, users } from "../access-api.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { session } from "../session.js";
import { attempt, confirmDialog, dataTable, errorBox, loading, pageHeader, panel, toast } from "../widgets.js";

export async function tokensView(container, ctx) {
  if (!session.user) {
    container.replaceChildren(notSignedIn());
    return;
  }
  const reveal = h("div");
  const listBox = h("div", null, loading());
  const name = h("input", {
    type: "text",
    name: "name",
    required: true,
    maxlength: 200,
    placeholder: "laptop, CI, notebook…",
  });
  const expiry = h("input", { name: "expiry", type: "date", min: tomorrow() });
  const errorLine = h("div", { class: "field-error", role: "alert" });
  const reload = async () => {
    try {
      const items = await tokens.list();
      if (ctx.alive()) replace(listBox, tokenTable(items, reload));
    } catch (error) {
      if (ctx.alive()) replace(listBox, errorBox(error, "Tokens could not be listed"));
    }
  };
  const onCreate = async (event) => {
    event.preventDefault();
    errorLine.textContent = "";
    // The chosen day's end in local time: the token works through that whole day.
    const expiryTime = expiry.value ? new Date(`${expiry.value}T23:59:59`).getTime() : null;
    try {
      const answer = await tokens.create(name.value.trim(), expiryTime);
      replace(reveal, revealed(answer.token, answer.token_info.name));
      name.value = "";
      expiry.value = "";
      await reload();
    } catch (error) {
      errorLine.textContent = error.message;
    }
  };
  container.replaceChildren(
    h(
      "div",
      { class: "page" },
      pageHeader({ title: "Access tokens", subtitle: `Signed in as ${session.user.username}` }),
      h(
        "p",
        { class: "muted" },
        "A token signs the mlflow client in as you: set MLFLOW_TRACKING_TOKEN to it. It can do whatever you can.",
      ),
      panel(
        "New token",
        h(
          "form",
          { class: "token-form", onsubmit: onCreate },
          h("label", null, "Name", name),
          h("label", null, "Expires (optional)", expiry),
          h("button", { type: "submit", class: "primary" }, "Create token"),
          errorLine,
        ),
      ),
      reveal,
      panel("Your tokens", listBox),
      panel("Password", passwordForm(session.user.username)),
    ),
  );
  await reload();
}

/**
 * Change the signed-in user's password: the current one (the server checks it), the new one
 * twice (a typo would otherwise lock them out). Sessions and tokens keep working.
 */
function passwordForm(username) {
  const field = (name, autocomplete) =>
    h("input", { type: "password", name, autocomplete, required: true, maxlength: 1000 });
  const current = field("current-password", "current-password");
  const fresh = field("new-password", "new-password");
  const again = field("new-password-again", "new-password");
  const errorLine = h("div", { class: "field-error", role: "alert" });
  const onSubmit = async (event) => {
    event.preventDefault();
    errorLine.textContent = "";
    if (fresh.value !== again.value) {
      errorLine.textContent = "The new passwords differ.";
      return;
    }
    try {
      await users.changeOwnPassword(username, current.value, fresh.value);
      for (const input of [current, fresh, again]) input.value = "";
      toast("Password changed.");
    } catch (error) {
      errorLine.textContent = error.message;
    }
  };
  return h(
    "form",
    { class: "password-form", onsubmit: onSubmit, "data-role": "password-form" },
    h("input", { type: "text", name: "username", autocomplete: "username", value: username, hidden: true }),
    h("label", null, "Current password", current),
    h("label", null, "New password (12 characters or more)", fresh),
    h("label", null, "New password again", again),
    h("button", { type: "submit", class: "primary" }, "Change password"),
    errorLine,
  );
}

function tomorrow() {
  const day = new Date(Date.now() + 86_400_000);
  return day.toISOString().slice(0, 10);
}

function notSignedIn() {
  return h("div", { class: "page" }, h("div", { class: "error-box" }, "Tokens need a server started with --auth."));
}

/** The new token, once, with a copy button: it cannot be shown again. */
function revealed(token, name) {
  const value = h("input", {
    type: "text",
    class: "token-value mono",
    readonly: true,
    value: token,
    "aria-label": "New token",
  });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      toast("Token copied.");
    } catch {
      value.select(); // no clipboard access (plain http): selected for Ctrl+C
      toast("Press Ctrl+C to copy the selected token.");
    }
  };
  return h(
    "div",
    { class: "token-reveal", role: "status", "data-role": "new-token" },
    h("strong", null, `Token "${name}" created. Copy it now: it will not be shown again.`),
    h("div", { class: "row" }, value, h("button", { type: "button", onclick: copy }, "Copy")),
    h("div", { class: "muted small" }, "export MLFLOW_TRACKING_TOKEN=<the token>"),
  );
}

function tokenTable(items, reload) {
  if (!items.length) return h("p", { class: "muted" }, "No tokens yet.");
  const now = Date.now();
  const state = (t) =>
    t.revoked_time
      ? `revoked ${formatTime(t.revoked_time)}`
      : t.expiry_time && t.expiry_time < now
        ? "expired"
        : "active";
  const revoke = async (t) => {
    const done = await confirmDialog(
      "Revoke token",
      `Revoke "${t.name}"? Clients using it are refused from now on.`,
      "Revoke",
      () => tokens.revoke(t.id),
    );
    if (done) {
      toast("Token revoked.");
      reload();
    }
  };
  return dataTable(
    ["Name", "Created", "Expires", "State", ""],
    items.map((t) =>
      h(
        "tr",
        { dataset: { token: t.name } },
        h("td", null, t.name),
        h("td", null, formatTime(t.creation_time)),
        h("td", null, t.expiry_time ? formatTime(t.expiry_time) : "never"),
        h("td", null, state(t)),
        h(
          "td",
          { class: "nowrap" },
          state(t) === "active"
            ? h("button", { type: "button", class: "link danger", onclick: () => attempt(() => revoke(t)) }, "Revoke")
            : null,
        ),
      ),
    ),
  );
}
