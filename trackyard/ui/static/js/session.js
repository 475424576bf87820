// Who is signed in (`trackyard server --auth`), the sign-in page, and the header's user
// controls. The session lives in an HttpOnly, SameSite=Strict cookie the page never sees;
// the browser sends an Origin header with every write, which the server requires of a
// session's writes (CSRF). With auth off (session/current says so) the UI shows no sign-in
// chrome at all and every control is offered.

import { request } from "./api.js";
import { h } from "./dom.js";

const SESSION = "ajax-api/2.0/trackyard/session";

/** `enabled`: the server has access control on; `user`: {id, username, is_admin} or null. */
export const session = { enabled: false, user: null };

/** Ask the server who we are (never a 401 or 404: nothing logged for auth off); resolves to `session`. */
export async function loadSession() {
  const answer = await request("GET", `${SESSION}/current`);
  Object.assign(session, { enabled: answer.auth, user: answer.user });
  return session;
}

const LEVELS = ["DENY", "NO_PERMISSIONS", "READ", "USE", "EDIT", "MANAGE"];

/** Whether permission `have` (a level's name) reaches `need`. */
export const atLeast = (have, need) => LEVELS.indexOf(have) >= LEVELS.indexOf(need);

/**
 * The signed-in user's permission on an experiment (its id) or a registered model (its
 * name): "MANAGE" with auth off or for admins, so the views offer every control.
 */
export async function myPermission(resourceType, resourceId) {
  if (!session.enabled || session.user?.is_admin) return "MANAGE";
  const answer = await request("GET", "ajax-api/2.0/trackyard/permissions/mine", {
    query: { resource_type: resourceType, resource_id: resourceId },
  });
  return answer.permission;
}

/**
 * What the signed-in user may do on an experiment or a registered model, for the views to
 * offer only the controls that will work: `{edit, manage}`, both with auth off and for
 * admins; READ's (neither) where the server will not say.
 */
export async function mayOn(resourceType, resourceId) {
  const level = await myPermission(resourceType, resourceId).catch(() => "READ");
  return { edit: atLeast(level, "EDIT"), manage: atLeast(level, "MANAGE") };
}

/** The user's permission on each of `ids` (experiment ids): a Map from id to level name. */
export async function experimentPermissions(ids) {
  if (!session.enabled || session.user?.is_admin || !ids.length) return new Map(ids.map((id) => [id, "MANAGE"]));
  const answer = await request("GET", "ajax-api/2.0/trackyard/permissions/experiments", {
    query: { experiment_ids: ids },
  });
  return new Map(Object.entries(answer.permissions || {}));
}

/** The sign-in page in `container`; a successful sign-in reloads the page (same URL). */
export function showSignIn(container, notice) {
  document.body.classList.add("signed-out");
  const username = h("input", { type: "text", name: "username", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const errorLine = h("div", { class: "field-error", role: "alert" }, notice || "");
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const onSubmit = async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await request("POST", `${SESSION}/sign-in`, { body: { username: username.value, password: password.value } });
      location.reload();
    } catch (error) {
      errorLine.textContent = error.message;
      password.select();
      submit.disabled = false;
    }
  };
  container.replaceChildren(
    h(
      "div",
      { class: "sign-in" },
      h(
        "form",
        { class: "panel sign-in-form", onsubmit: onSubmit, "aria-labelledby": "sign-in-title" },
        h("h1", { id: "sign-in-title" }, "Sign in to trackyard"),
        h("label", null, "Username", username),
        h("label", null, "Password", password),
        errorLine,
        submit,
      ),
    ),
  );
  username.focus();
}

/** The header's user controls: name (to their tokens), Users for admins, Sign out. */
function userControls(user) {
  const signOut = async () => {
    await request("POST", `${SESSION}/sign-out`, { body: {} });
    location.reload();
  };
  return h(
    "span",
    { class: "user-menu" },
    user.is_admin ? h("a", { href: "#/admin/users", "data-nav": "users" }, "Users") : null,
    h(
      "a",
      { href: "#/tokens", "data-role": "current-user", title: "Signed in: your access tokens and password" },
      user.username,
    ),
    h("button", { type: "button", class: "link", "data-role": "sign-out", onclick: signOut }, "Sign out"),
  );
}

/**
 * Find out who we are, then `start` the router (signed in, or auth off) or show the
 * sign-in page. A 401 later (the session ended or was revoked) shows the sign-in page too.
 */
export async function startSession(start) {
  const container = document.getElementById("view");
  try {
    await loadSession();
  } catch {
    start(); // the server answered oddly: the views show its errors as they load
    return;
  }
  if (session.enabled && !session.user) {
    showSignIn(container);
    return;
  }
  if (session.user) {
    document.getElementById("theme-toggle").before(userControls(session.user));
    document.addEventListener("unauthenticated", (event) => showSignIn(container, event.detail));
  }
  start();
}
