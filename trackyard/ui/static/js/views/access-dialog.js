// "Access" on an experiment or a registered model: who holds which grant, granting a user a
// level and revoking. Offered only to those who may MANAGE the resource (and admins); with
// auth off there is nothing to manage and no button.

import { grants } from "../access-api.js";
import { h, replace } from "../dom.js";
import { myPermission, session } from "../session.js";
import { dataTable, showModal } from "../widgets.js";

// NO_PERMISSIONS is not a grant (the server refuses it): shutting someone out is DENY.
const GRANTABLE = ["READ", "USE", "EDIT", "MANAGE", "DENY"];
const MEANING = {
  READ: "see it",
  USE: "see and use it",
  EDIT: "log, tag and change it",
  MANAGE: "also delete it and grant access",
  DENY: "shut out, whatever else they hold",
};
const KIND_LABEL = { experiment: "experiment", registered_model: "registered model" };

/**
 * An "Access" button, shown once the server says the user may manage this resource. `label`
 * names it in the dialog's title: its name, or a function giving it when the dialog opens (a
 * page that learns the name after drawing its header).
 */
export function accessButton(resourceType, resourceId, label) {
  const button = h(
    "button",
    {
      type: "button",
      class: "hidden",
      "data-role": "access",
      onclick: () => openAccessDialog(resourceType, resourceId, typeof label === "function" ? label() : label),
    },
    "Access",
  );
  if (session.user) {
    myPermission(resourceType, resourceId)
      .then((level) => button.classList.toggle("hidden", level !== "MANAGE"))
      .catch(() => {}); // not offered: the page itself shows why it cannot be read
  }
  return button;
}

/**
 * The modal (see showModal: Tab kept inside, Escape closes, focus goes back to the opener;
 * navigating away closes it). `label` (the resource's name) goes into the title as text.
 */
export function openAccessDialog(resourceType, resourceId, label) {
  const list = h("div", { class: "access-list" }, "Loading…");
  const errorLine = h("div", { class: "field-error", role: "alert" });
  const username = h("input", { type: "text", name: "username", autocomplete: "off", required: true });
  const level = h(
    "select",
    { name: "permission" },
    GRANTABLE.map((name) => h("option", { value: name, selected: name === "READ" }, `${name}: ${MEANING[name]}`)),
  );
  let current = [];
  const fail = (error) => {
    errorLine.textContent = error.message || String(error);
  };
  const reload = () =>
    grants
      .onResource(resourceType, resourceId)
      .then((answer) => {
        current = answer.permissions || [];
        replace(list, grantTable(current, answer.default_permission, revoke));
      })
      .catch(fail);
  async function revoke(name) {
    errorLine.textContent = "";
    try {
      await grants.revoke(name, resourceType, resourceId);
      await reload();
    } catch (error) {
      fail(error);
    }
  }
  async function onGrant(event) {
    event.preventDefault();
    errorLine.textContent = "";
    const name = username.value.trim();
    try {
      // A user holds one grant per resource: changing its level is revoke, then grant.
      if (current.some((g) => g.principal_type === "user" && g.principal_name === name)) {
        await grants.revoke(name, resourceType, resourceId);
      }
      await grants.grant(name, resourceType, resourceId, level.value);
      username.value = "";
      await reload();
    } catch (error) {
      fail(error);
      await reload();
    }
  }
  const titleId = "access-dialog-title";
  const box = h(
    "div",
    { class: "modal access-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
    h("header", { id: titleId }, `Access to ${KIND_LABEL[resourceType]} ${label}`),
    h(
      "div",
      { class: "body" },
      list,
      h(
        "form",
        { class: "grant-form", onsubmit: onGrant },
        h("label", null, "User", username),
        h("label", null, "Permission", level),
        h("button", { type: "submit", class: "primary" }, "Grant"),
      ),
      errorLine,
    ),
    h("footer", null, h("button", { type: "button", onclick: () => close() }, "Close")),
  );
  const close = showModal(box);
  username.focus();
  reload();
}

function grantTable(rows, defaultPermission, revoke) {
  const everyone = h(
    "p",
    { class: "muted small" },
    `Everyone else signed in: ${defaultPermission} (the server's default). Admins may do anything.`,
  );
  if (!rows.length) return [h("p", { class: "muted" }, "No grants yet."), everyone];
  return [
    dataTable(
      ["Who", "Permission", ""],
      rows.map((grant) =>
        h(
          "tr",
          { dataset: { principal: grant.principal_name ?? "" } },
          h(
            "td",
            null,
            grant.principal_name ?? "",
            grant.principal_type === "role" ? h("span", { class: "muted" }, " (role)") : null,
          ),
          h("td", null, grant.permission),
          h(
            "td",
            { class: "nowrap" },
            grant.principal_type === "user"
              ? h(
                  "button",
                  { type: "button", class: "link danger", onclick: () => revoke(grant.principal_name) },
                  "Revoke",
                )
              : h("span", { class: "muted small" }, "a role's grant: change it on the role"),
          ),
        ),
      ),
    ),
    everyone,
  ];
}
