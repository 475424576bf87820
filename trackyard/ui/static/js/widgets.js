// Shared widgets: error messages, toasts, dialogs, tabs, key/value tables with editing.

import { h, replace } from "./dom.js";

/** A readable error panel for anything thrown (ApiError, network failure, bug). */
export function errorBox(error, title = "Something went wrong") {
  const message = error?.message || String(error);
  const code = error?.code && error.code !== "NETWORK_ERROR" ? error.code : null;
  return h(
    "div",
    { class: "error-box", role: "alert" },
    h("strong", null, title),
    h("div", null, message),
    code ? h("div", { class: "muted small" }, `${code}${error.status ? ` (HTTP ${error.status})` : ""}`) : null,
  );
}

export function notFound(path) {
  return h(
    "div",
    { class: "page" },
    h(
      "div",
      { class: "error-box" },
      h("strong", null, "Page not found"),
      h("div", null, `Nothing lives at ${path}. `, h("a", { href: "#/experiments" }, "Go to experiments")),
    ),
  );
}

export function loading(text = "Loading…") {
  return h("div", { class: "muted pad" }, text);
}

export function toast(message, kind = "info", ms = 4000) {
  const box = h("div", { class: ["toast", kind === "error" && "error"], role: "status" }, message);
  document.getElementById("toasts").appendChild(box);
  setTimeout(() => box.remove(), ms);
}

/** Run an action, reporting failure as a toast; resolves to true on success. */
export async function attempt(action, success) {
  try {
    await action();
    if (success) toast(success);
    return true;
  } catch (error) {
    toast(error.message || String(error), "error", 7000);
    return false;
  }
}

let dialogCount = 0;

/** Keep Tab and Shift+Tab inside `container` (a modal dialog), wrapping at either end. */
export function trapFocus(container, event) {
  const focusable = [...container.querySelectorAll("input, textarea, select, button, a[href], [tabindex='0']")].filter(
    (el) => !el.disabled && el.offsetParent !== null,
  );
  if (!focusable.length) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (event.shiftKey && (document.activeElement === first || !container.contains(document.activeElement))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (document.activeElement === last || !container.contains(document.activeElement))) {
    event.preventDefault();
    first.focus();
  }
}

const openModals = []; // the close function of each modal on screen, the topmost last

/**
 * Show `box` (a role=dialog element) as a modal over a backdrop: a click on the backdrop or
 * Escape closes the topmost one, Tab stays inside it. Closing gives the focus back to the
 * element that had it, or to the page's main region when that is gone (the view under the
 * modal changed). `onClose` runs once, however it closed. Returns the close function.
 */
export function showModal(box, onClose) {
  const opener = document.activeElement;
  const backdrop = h("div", { class: "modal-backdrop", onmousedown: (e) => e.target === backdrop && close() }, box);
  const onKey = (e) => {
    if (openModals.at(-1) !== close) return;
    if (e.key === "Escape") close();
    if (e.key === "Tab") trapFocus(box, e);
  };
  function close() {
    const index = openModals.indexOf(close);
    if (index < 0) return;
    openModals.splice(index, 1);
    document.removeEventListener("keydown", onKey);
    backdrop.remove();
    if (opener?.isConnected && opener !== document.body) opener.focus();
    else focusMain();
    onClose?.();
  }
  openModals.push(close);
  document.addEventListener("keydown", onKey);
  document.body.appendChild(backdrop);
  return close;
}

/** Close every open modal, topmost first: the router does when the view changes (a link, back). */
export function closeModals() {
  for (const close of openModals.slice().reverse()) close();
}

function focusMain() {
  const main = document.getElementById("view");
  if (!main) return;
  main.tabIndex = -1; // focusable by script only, so Tab starts in the page's content
  main.focus({ preventScroll: true });
}

/**
 * A modal dialog with labelled inputs. `fields`: [{name, label, value, multiline, placeholder, type}].
 * `submit(values)` may throw; its message then shows inside the dialog, which stays open.
 * Resolves to the values on success, null on cancel (or when navigating away closed it).
 */
export function dialog({ title, message, fields = [], okLabel = "Save", danger = false, submit }) {
  return new Promise((resolve) => {
    const inputs = {};
    const errorLine = h("div", { class: "field-error hidden" });
    const titleId = `dialog-title-${++dialogCount}`;
    let result = null;
    const form = h(
      "form",
      { class: "modal", onsubmit: onSubmit, role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
      h("header", { id: titleId }, title),
      h(
        "div",
        { class: "body" },
        message ? h("div", null, message) : null,
        fields.map((field) => {
          const input = field.multiline
            ? h("textarea", { name: field.name, placeholder: field.placeholder || "" })
            : h("input", {
                type: field.type || "text",
                name: field.name,
                placeholder: field.placeholder || "",
                autocomplete: field.type === "password" ? "new-password" : "off",
              });
          input.value = field.value || "";
          inputs[field.name] = input;
          return h("label", null, field.label, input);
        }),
        errorLine,
      ),
      h(
        "footer",
        null,
        h("button", { type: "button", onclick: () => close() }, "Cancel"),
        h("button", { type: "submit", class: danger ? "primary danger-fill" : "primary" }, okLabel),
      ),
    );
    const close = showModal(form, () => resolve(result));
    (Object.values(inputs)[0] || form.querySelector("button[type=submit]")).focus();

    async function onSubmit(event) {
      event.preventDefault();
      const values = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value]));
      try {
        if (submit) await submit(values);
        result = values;
        close();
      } catch (error) {
        errorLine.textContent = error.message || String(error);
        errorLine.classList.remove("hidden");
      }
    }
  });
}

export const confirmDialog = (title, message, okLabel = "Delete", submit) =>
  dialog({ title, message, okLabel, danger: true, submit });

/**
 * A page's header. `crumbs`: [label, href] links (falsy entries skipped), a separator
 * between them. `title`: text for the <h1> (`role` becomes its data-role), or an element
 * used as it is. `badges`: when given (even empty), the title sits in a row with them.
 * `subtitle`: text for a muted line under the title, or an element. `actions`: what sits at
 * the header's right.
 */
export function pageHeader({ crumbs = [], title, role, badges, subtitle, actions }) {
  const links = crumbs.filter(Boolean);
  const heading = title instanceof Node ? title : h("h1", { "data-role": role }, title);
  return h(
    "div",
    { class: "page-header" },
    h(
      "div",
      { class: "titles" },
      links.length
        ? h(
            "div",
            { class: "breadcrumbs" },
            links.map(([label, url], i) => [i ? h("span", { class: "sep" }) : null, h("a", { href: url }, label)]),
          )
        : null,
      badges === undefined ? heading : h("div", { class: "row" }, heading, badges),
      typeof subtitle === "string" ? h("div", { class: "muted small" }, subtitle) : subtitle,
    ),
    actions,
  );
}

/** Tabs as links, so the selected tab is part of the URL. */
export function tabs(items, active) {
  return h(
    "nav",
    { class: "tabs" },
    items.map(({ id, label, href }) =>
      h("a", { href, class: id === active ? "active" : null, dataset: { tab: id } }, label),
    ),
  );
}

export function panel(title, body, actions) {
  return h(
    "section",
    { class: "panel" },
    title ? h("div", { class: "panel-title" }, h("span", { class: "grow" }, title), actions || null) : null,
    h("div", { class: "panel-body" }, body),
  );
}

/** A table.data with one header row of `headers` (text) over `rows` (<tr> elements). */
export function dataTable(headers, rows) {
  return h(
    "table",
    { class: "data" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        headers.map((label) => h("th", null, label)),
      ),
    ),
    h("tbody", null, rows),
  );
}

/** A two-column table of labelled values. */
export function kvTable(rows) {
  return h(
    "table",
    { class: "data kv" },
    h(
      "tbody",
      null,
      rows
        .filter(Boolean)
        .map(([label, value]) => h("tr", null, h("td", null, label), h("td", { class: "value" }, value))),
    ),
  );
}

/**
 * An editable tag list: add, edit and delete through the given async callbacks, then
 * `reload()` redraws. Keys matching `hide` (system tags) fold behind a toggle.
 */
export function tagEditor({ tags, onSet, onDelete, reload, hide = /^mlflow\./ }) {
  const box = h("div", { class: "col" });
  let showSystem = false;
  const draw = () => {
    const entries = Object.entries(tags).sort(([a], [b]) => a.localeCompare(b));
    const hidden = entries.filter(([key]) => hide?.test(key));
    const shown = showSystem ? entries : entries.filter(([key]) => !hide?.test(key));
    replace(
      box,
      shown.length
        ? h(
            "table",
            { class: "data" },
            h(
              "thead",
              null,
              h("tr", null, h("th", null, "Key"), h("th", null, "Value"), h("th", { style: "width: 1%" }, "")),
            ),
            h(
              "tbody",
              null,
              shown.map(([key, value]) =>
                h(
                  "tr",
                  { dataset: { tag: key } },
                  h("td", { class: "key" }, key),
                  h("td", { class: "value" }, h("pre", null, value)),
                  h(
                    "td",
                    { class: "nowrap" },
                    onSet ? h("button", { class: "link", onclick: () => edit(key, value) }, "Edit") : null,
                    onDelete ? h("button", { class: "link danger", onclick: () => remove(key) }, "Delete") : null,
                  ),
                ),
              ),
            ),
          )
        : h("div", { class: "muted" }, "No tags."),
      h(
        "div",
        { class: "row" },
        onSet ? h("button", { onclick: () => edit("", "") }, "Add tag") : null,
        hidden.length
          ? h(
              "button",
              {
                class: "link",
                onclick: () => {
                  showSystem = !showSystem;
                  draw();
                },
              },
              showSystem ? "Hide system tags" : `Show ${hidden.length} system tag${hidden.length === 1 ? "" : "s"}`,
            )
          : null,
      ),
    );
  };
  async function edit(key, value) {
    const saved = await dialog({
      title: key ? `Edit tag ${key}` : "Add tag",
      fields: [
        { name: "key", label: "Key", value: key },
        { name: "value", label: "Value", value, multiline: true },
      ],
      submit: async ({ key: newKey, value: newValue }) => {
        if (!newKey.trim()) throw new Error("A tag needs a key.");
        await onSet(newKey.trim(), newValue);
        if (key && newKey.trim() !== key) await onDelete(key);
      },
    });
    if (saved) reload();
  }
  async function remove(key) {
    const done = await confirmDialog("Delete tag", `Delete tag "${key}"?`, "Delete", () => onDelete(key));
    if (done) reload();
  }
  draw();
  return box;
}

/** A small client-side filter box for long key/value lists. */
export function filterInput(placeholder, onInput) {
  return h("input", { type: "search", placeholder, oninput: (e) => onInput(e.target.value.toLowerCase()) });
}

/**
 * Load one page of a server-filtered list into `state` (items, token). A 400 is the user's
 * filter: it shows under the filter box and the table stays; any other error is `onFailure`'s.
 */
export async function loadFilteredPage({
  ctx,
  state,
  append,
  fetchPage,
  itemsKey,
  search,
  errorLine,
  draw,
  onFailure,
}) {
  try {
    const page = await fetchPage(append ? state.token : undefined);
    if (!ctx.alive()) return;
    const items = page[itemsKey] || [];
    state.items = append ? state.items.concat(items) : items;
    state.token = page.next_page_token || null;
    errorLine.classList.add("hidden");
    search.classList.remove("invalid");
    draw();
  } catch (error) {
    if (!ctx.alive()) return;
    if (error.status !== 400) {
      onFailure(error);
      return;
    }
    errorLine.textContent = error.message;
    errorLine.classList.remove("hidden");
    search.classList.add("invalid");
  }
}
