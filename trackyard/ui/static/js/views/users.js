// #/admin/users (admins): the server's users: create, set a password, make or unmake admin,
// delete; and roles (named sets of grants): create, delete, add and remove members, with
// their grants listed. The header links here only for admins; others get the server's 403
// as a message.

import { roles, users } from "../access-api.js";
import { h, replace } from "../dom.js";
import { session } from "../session.js";
import { attempt, confirmDialog, dataTable, dialog, errorBox, loading, pageHeader, panel } from "../widgets.js";

const PASSWORD_FIELD = { name: "password", label: "Password (12 characters or more)", type: "password" };

export async function usersView(container, ctx) {
  const listBox = h("div", null, loading());
  const reload = async () => {
    try {
      const items = await users.list();
      if (ctx.alive()) replace(listBox, userTable(items, reload));
    } catch (error) {
      if (ctx.alive()) replace(listBox, errorBox(error, "Users could not be listed"));
    }
  };
  const create = async () => {
    const done = await dialog({
      title: "New user",
      fields: [{ name: "username", label: "Username" }, PASSWORD_FIELD],
      okLabel: "Create",
      submit: ({ username, password }) => users.create(username.trim(), password),
    });
    if (done) reload();
  };
  const rolesBox = h("div", null, loading());
  const reloadRoles = async () => {
    try {
      const items = await roles.list();
      const members = await Promise.all(items.map((role) => roles.members(role.id)));
      if (ctx.alive()) replace(rolesBox, roleTable(items, members, reloadRoles));
    } catch (error) {
      if (ctx.alive()) replace(rolesBox, errorBox(error, "Roles could not be listed"));
    }
  };
  const createRole = async () => {
    const done = await dialog({
      title: "New role",
      fields: [
        { name: "name", label: "Name" },
        { name: "description", label: "Description (optional)" },
      ],
      okLabel: "Create",
      submit: ({ name, description }) => roles.create(name.trim(), description.trim() || undefined),
    });
    if (done) reloadRoles();
  };
  container.replaceChildren(
    h(
      "div",
      { class: "page" },
      pageHeader({
        title: "Users",
        subtitle: "Admins may do anything; others get what they are granted on each experiment and model.",
        actions: h("button", { type: "button", class: "primary", onclick: create }, "New user"),
      }),
      panel(null, listBox),
      panel("Roles", rolesBox, h("button", { type: "button", onclick: createRole }, "New role")),
    ),
  );
  await Promise.all([reload(), reloadRoles()]);
}

/** Roles with their members (removable) and grants (granted with the roles API). */
function roleTable(items, members, reload) {
  if (!items.length) return h("p", { class: "muted" }, "No roles yet.");
  const addMember = async (role) => {
    const done = await dialog({
      title: `Add a member to ${role.name}`,
      fields: [{ name: "username", label: "Username" }],
      okLabel: "Add",
      submit: ({ username }) => roles.assign(role.id, username.trim()),
    });
    if (done) reload();
  };
  const removeMember = async (role, username) => {
    if (await attempt(() => roles.unassign(role.id, username))) reload();
  };
  const remove = async (role) => {
    const done = await confirmDialog(
      "Delete role",
      `Delete role ${role.name}? Its members lose its grants.`,
      "Delete",
      () => roles.delete(role.id),
    );
    if (done) reload();
  };
  return dataTable(
    ["Role", "Members", "Grants", ""],
    items.map((role, i) =>
      h(
        "tr",
        { dataset: { roleName: role.name } },
        h("td", null, role.name, role.description ? h("div", { class: "muted small" }, role.description) : null),
        h(
          "td",
          null,
          members[i].map((member) =>
            h(
              "span",
              { class: "badge", dataset: { member: member.username } },
              member.username,
              h(
                "button",
                {
                  type: "button",
                  title: `Remove ${member.username} from ${role.name}`,
                  "aria-label": `Remove ${member.username}`,
                  onclick: () => removeMember(role, member.username),
                },
                "×",
              ),
            ),
          ),
        ),
        h(
          "td",
          { class: "small" },
          (role.permissions || []).map((p) =>
            h("div", null, `${p.resource_type} ${p.resource_pattern}: ${p.permission}`),
          ),
        ),
        h(
          "td",
          { class: "nowrap" },
          h("button", { type: "button", class: "link", onclick: () => addMember(role) }, "Add member"),
          h("button", { type: "button", class: "link danger", onclick: () => remove(role) }, "Delete"),
        ),
      ),
    ),
  );
}

function userTable(items, reload) {
  const me = session.user?.username;
  const setPassword = async (user) => {
    const done = await dialog({
      title: `Set the password of ${user.username}`,
      fields: [PASSWORD_FIELD],
      submit: ({ password }) => users.setPassword(user.username, password),
    });
    if (done) reload();
  };
  const toggleAdmin = async (user) => {
    if (await attempt(() => users.setAdmin(user.username, !user.is_admin))) reload();
  };
  const remove = async (user) => {
    const done = await confirmDialog(
      "Delete user",
      `Delete ${user.username}? Their tokens and grants go with them.`,
      "Delete",
      () => users.delete(user.username),
    );
    if (done) reload();
  };
  return dataTable(
    ["Username", "Role", ""],
    items.map((user) =>
      h(
        "tr",
        { dataset: { user: user.username } },
        h("td", null, user.username, user.username === me ? h("span", { class: "muted" }, " (you)") : null),
        h("td", null, user.is_admin ? "admin" : "user"),
        h(
          "td",
          { class: "nowrap" },
          h("button", { type: "button", class: "link", onclick: () => setPassword(user) }, "Set password"),
          user.username === me
            ? null
            : [
                h(
                  "button",
                  { type: "button", class: "link", onclick: () => toggleAdmin(user) },
                  user.is_admin ? "Remove admin" : "Make admin",
                ),
                h("button", { type: "button", class: "link danger", onclick: () => remove(user) }, "Delete"),
              ],
        ),
      ),
    ),
  );
}
