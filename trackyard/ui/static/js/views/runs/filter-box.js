// The runs filter box as an ARIA combobox: key completions (search-help.js) in a listbox
// under it, chosen with the arrow keys and Enter or Tab, or the mouse; Escape closes them.
// Enter with no completion highlighted applies the filter.

import { h, replace } from "../../dom.js";
import { suggest } from "./search-help.js";

/**
 * `value`: the filter shown; `keys()`: {metric, param, tag} lists for completions, most
 * important first; `onApply()`: Enter pressed. Returns {element, input}.
 */
export function filterBox({ value, keys, onApply }) {
  const listId = "filter-suggestions";
  const input = h("input", {
    type: "text",
    class: "filter",
    value,
    spellcheck: "false",
    autocomplete: "off",
    role: "combobox",
    "aria-label": "Filter runs",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    placeholder: "Run name, or metrics.`val/loss` < 0.5 and params.optimizer = 'adam'",
  });
  const list = h("ul", { class: "suggestions hidden", role: "listbox", id: listId, "data-role": "filter-suggestions" });
  let current = null; // {from, items}
  let active = -1;

  const close = () => {
    current = null;
    active = -1;
    list.classList.add("hidden");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  const highlight = (index) => {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === index));
    });
    if (index >= 0) input.setAttribute("aria-activedescendant", `${listId}-${index}`);
    else input.removeAttribute("aria-activedescendant");
  };
  const open = () => {
    current = suggest(input.value, input.selectionStart ?? input.value.length, keys());
    if (!current) return close();
    replace(
      list,
      current.items.map((item, i) =>
        h("li", { role: "option", id: `${listId}-${i}`, "aria-selected": "false", dataset: { index: i } }, item),
      ),
    );
    list.classList.remove("hidden");
    input.setAttribute("aria-expanded", "true");
    highlight(-1);
    return null;
  };
  const accept = (index) => {
    const caret = input.selectionStart ?? input.value.length;
    const item = current.items[index];
    const rest = input.value.slice(caret);
    const joiner = item.endsWith(".") ? "" : " ";
    input.value = input.value.slice(0, current.from) + item + joiner + rest.replace(/^\S*/, "").trimStart();
    const at = current.from + item.length + joiner.length;
    input.setSelectionRange(at, at);
    input.focus();
    if (item.endsWith(".")) open();
    else close();
  };

  input.addEventListener("input", open);
  // A click on an option lands first; focus back in the box by then keeps the list open.
  input.addEventListener("blur", () => setTimeout(() => document.activeElement !== input && close(), 150));
  input.addEventListener("keydown", (event) => {
    const count = current ? current.items.length : 0;
    if (event.key === "ArrowDown" && count) {
      event.preventDefault();
      highlight((active + 1) % count);
    } else if (event.key === "ArrowUp" && count) {
      event.preventDefault();
      highlight((active - 1 + count) % count);
    } else if ((event.key === "Enter" || event.key === "Tab") && count && active >= 0) {
      event.preventDefault();
      accept(active);
    } else if (event.key === "Escape" && count) {
      event.preventDefault();
      close();
    } else if (event.key === "Enter") {
      close();
      onApply();
    }
  });
  list.addEventListener("mousedown", (event) => {
    const option = event.target.closest("[role=option]");
    if (!option) return;
    event.preventDefault(); // keep the focus in the box
    accept(Number(option.dataset.index));
  });
  return { element: h("div", { class: "filter-box" }, input, list), input };
}
