// A JSON value as a collapsible, indented tree: objects and lists fold (native <details>, so
// keyboard and screen readers know them), their children are built only when first opened,
// long strings are cut and long lists show their first items, each with a button for the
// rest. A span's multi-megabyte payload thus costs what is on screen.

import { h, replace } from "./dom.js";

const MAX_STRING = 1000;
const MAX_ITEMS = 50;

/**
 * A value's tree; objects and lists are open down to `openDepth` levels. `strings`, if given,
 * may draw a string value its own way (a trace's attachment): a node, or null for the usual.
 */
export function jsonView(value, { openDepth = 2, strings = () => null } = {}) {
  const root = h("div", { class: "json-view" });
  const options = { openDepth, strings };
  if (typeof value === "string") {
    root.append(strings(value) || longText(value, "json-text"));
    return root;
  }
  root.append(node(value, options, 0));
  return root;
}

function node(value, options, depth) {
  if (typeof value === "string") return options.strings(value) || scalar(value);
  if (value === null || typeof value !== "object") return scalar(value);
  const entries = Array.isArray(value) ? value.map((item, i) => [i, item]) : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (!entries.length) return h("span", { class: "json-punct" }, open + close);
  const count = `${entries.length} ${Array.isArray(value) ? "item" : "key"}${entries.length === 1 ? "" : "s"}`;
  const body = h("div", { class: "json-children" });
  const details = h(
    "details",
    { class: "json-node" },
    h(
      "summary",
      null,
      h("span", { class: "json-punct" }, open),
      h("span", { class: "json-count" }, ` ${count} `),
      close,
    ),
    body,
  );
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    fill(body, entries, options, depth + 1, Array.isArray(value));
  };
  details.addEventListener("toggle", () => {
    if (details.open) build();
  });
  if (depth < options.openDepth) {
    details.open = true;
    build();
  }
  return details;
}

function fill(body, entries, options, depth, isList, from = 0) {
  const shown = entries.slice(from, from + MAX_ITEMS);
  for (const [key, item] of shown) {
    body.append(
      h(
        "div",
        { class: "json-entry" },
        isList ? h("span", { class: "json-index" }, `${key}`) : h("span", { class: "json-key" }, `${key}`),
        h("span", { class: "json-punct" }, ": "),
        node(item, options, depth),
      ),
    );
  }
  const rest = entries.length - from - shown.length;
  if (rest > 0) {
    const more = h(
      "button",
      {
        class: "link json-more",
        onclick: () => {
          more.remove();
          fill(body, entries, options, depth, isList, from + MAX_ITEMS);
        },
      },
      `Show ${Math.min(rest, MAX_ITEMS)} more of ${rest}`,
    );
    body.append(more);
  }
}

function scalar(value) {
  if (typeof value === "string") return longText(JSON.stringify(value), "json-string");
  if (typeof value === "number") return h("span", { class: "json-number" }, String(value));
  return h("span", { class: "json-literal" }, String(value));
}

/** Text cut at MAX_STRING characters, with a button that shows the whole of it. */
export function longText(text, className) {
  const box = h("span", { class: className });
  if (text.length <= MAX_STRING) return replace(box, text);
  const more = h(
    "button",
    { class: "link json-more", onclick: () => replace(box, text) },
    `Show all ${text.length.toLocaleString()} characters`,
  );
  return replace(box, `${text.slice(0, MAX_STRING)}… `, more);
}
