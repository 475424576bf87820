// The "Columns" popover: every attribute, metric, param and tag key seen so far, with a
// search box. Each change goes straight to the table (`onChange(columnIds)`).

import { h, replace } from "../../dom.js";
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
  placeUnder(popover, anchor);
  // Escape closes it and gives the focus back to the button that opened it.
  popover.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    popover.remove();
    anchor.focus();
  });
  anchor.setAttribute("aria-expanded", "true");
  const observer = new MutationObserver(() => {
    if (popover.isConnected) return;
    anchor.setAttribute("aria-expanded", "false");
    observer.disconnect();
  });
  observer.observe(document.body, { childList: true });
  document.body.appendChild(popover);
  search.focus();
  closeOnOutsideClick(popover, anchor);
  onCleanup(() => popover.remove());
}

function placeUnder(popover, anchor) {
  const box = anchor.getBoundingClientRect();
  popover.style.top = `${box.bottom + window.scrollY + 4}px`;
  popover.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - 360))}px`;
}

function closeOnOutsideClick(popover, anchor) {
  const outside = (event) => {
    if (!popover.isConnected) return document.removeEventListener("mousedown", outside);
    if (!popover.contains(event.target) && event.target !== anchor) {
      popover.remove();
      document.removeEventListener("mousedown", outside);
    }
  };
  document.addEventListener("mousedown", outside);
}
