// #/admin/users (admins): the server's users: create, set a password, make or unmake admin,
// delete. The header links here only for admins; others get the server's 403 as a message.

import { users } from "../access-api.js";
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
    ),
  );
  await reload();
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
