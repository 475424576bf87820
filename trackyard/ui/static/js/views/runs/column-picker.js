// The "Columns" popover: every attribute, metric, param and tag key seen so far, with a
// search box. Each change goes straight to the table (`onChange(columnIds)`).

import { h, replace } from "../../dom.js";
import { openPopover } from "../../popover.js";
import { pickerGroups, reorderColumns } from "./table-model.js";

/**
 * Open the picker under `anchor`, or close it if it is open. `shownIds()`: the columns now
 * shown, in order; `keys()`: the keys seen so far ({metric, param, tag} sets); `onChange(ids)` and
 * `onReset()` apply a choice; `onCleanup` registers the popover's removal with the view.
 */
export function toggleColumnPicker(anchor, { shownIds, keys, onChange, onReset, onCleanup }) {
  const existing = document.querySelector(".popover[data-role=columns]");
  if (existing) {
    existing.remove();
    return;
  }
  const chosen = new Set(shownIds());
  const search = h("input", { type: "search", placeholder: "Find a column…", "aria-label": "Find a column" });
  const options = h("div", { class: "options" });
  const drawOptions = () => {
    replace(
      options,
      pickerGroups(keys(), search.value.toLowerCase()).map(([title, items]) => [
        h("div", { class: "group-title" }, title),
        items.map(([id, label]) =>
          h("label", null, h("input", { type: "checkbox", checked: chosen.has(id), dataset: { col: id } }), label),
        ),
      ]),
    );
  };
  options.addEventListener("change", (event) => {
    const id = event.target.dataset.col;
    if (event.target.checked) chosen.add(id);
    else chosen.delete(id);
    onChange(reorderColumns(shownIds(), chosen));
  });
  search.addEventListener("input", drawOptions);
  const popover = h(
    "div",
    { class: "popover", "data-role": "columns", role: "dialog", "aria-label": "Columns" },
    search,
    options,
    h(
      "div",
      { class: "row" },
      h(
        "button",
        {
          class: "link",
          onclick: () => {
            onReset();
            popover.remove();
          },
        },
        "Reset to defaults",
      ),
      h("span", { class: "spacer" }),
      h("button", { onclick: () => popover.remove() }, "Done"),
    ),
  );
  drawOptions();
  openPopover(popover, anchor, onCleanup);
  search.focus();
}
