// The chart panels around metric-charts.js's charts: sections by metric prefix, a "Panels"
// chooser (the metrics by section, a checkbox each, "Show all" and "Reset layout") and, on
// each panel, buttons that move it earlier or later in its section, change its size and hide
// it; a panel's title also drags it onto another panel of its section. Each change goes to
// `layout.save` (chart-layout.js's entries); the cards are moved, never made again, so no
// chart is fetched or drawn again.

import {
  arrangePanels,
  dropPanel,
  hidePanel,
  layoutParam,
  movePanel,
  nextSize,
  readLayout,
  resizePanel,
  SIZE_NAMES,
  sectionOf,
} from "./chart-layout.js";
import { h, icon, replace } from "./dom.js";
import { plural } from "./format.js";
import { openPopover } from "./popover.js";
import { current, setQuery } from "./router.js";

/** The layout kept in the page's URL (`panels`), for pages without a saved view. */
export function urlLayout() {
  return {
    entries: readLayout(current().query.get("panels")),
    save: (entries) => setQuery({ panels: layoutParam(entries) }),
  };
}

/**
 * The panels of `keys` (ranked metric keys) under `layout` ({entries, save(entries)}).
 * `makeCard(key)`: a key's `.chart-card` with a `.chart-title` (the buttons go at its end);
 * `resized(key, size)`: a panel's size changed; `lead`: shown before the Panels button;
 * `onCleanup` registers the chooser's removal with the view.
 */
export function panelGrid({ keys, layout, makeCard, resized, lead, onCleanup }) {
  let entries = layout.entries;
  let dragged = null; // the key of the panel being dragged by its title
  const cards = new Map();
  const body = h("div", { class: "col" });
  const hiddenCount = h("span", { class: "muted small", "data-role": "panels-hidden" });
  const chooser = h(
    "button",
    { type: "button", "aria-haspopup": "dialog", "aria-expanded": "false", "data-role": "panels-chooser" },
    "Panels",
  );
  const element = h(
    "div",
    { class: "chart-panels", "data-role": "chart-grid" },
    h("div", { class: "chart-panels-bar" }, lead, h("span", { class: "spacer" }), hiddenCount, chooser),
    body,
  );

  const change = (next) => {
    if (!next) return; // a move past the end of a section
    entries = next;
    layout.save(entries);
    draw();
  };
  const button = (name, action, label, onclick) =>
    h(
      "button",
      { type: "button", class: "panel-button", title: label, "aria-label": label, dataset: { action }, onclick },
      icon(name),
    );

  const cardOf = (key) => {
    if (cards.has(key)) return cards.get(key);
    const card = makeCard(key);
    const sizeButton = button("resize", "size", "", () => {
      const size = nextSize(card.dataset.size);
      change(resizePanel(keys, entries, key, size));
      resized(key, size);
    });
    card.querySelector(".chart-title").append(
      h(
        "span",
        { class: "panel-buttons" },
        button("left", "earlier", `Move ${key} earlier`, () => change(movePanel(keys, entries, key, -1))),
        button("right", "later", `Move ${key} later`, () => change(movePanel(keys, entries, key, 1))),
        sizeButton,
        button("close", "hide", `Hide ${key}`, () => change(hidePanel(keys, entries, key))),
      ),
    );
    card.sizeButton = sizeButton;
    dragByTitle(card, key);
    cards.set(key, card);
    return card;
  };

  /** Drag a panel by its title and drop it on another of its section to take its place. */
  const dragByTitle = (card, key) => {
    const title = card.querySelector(".chart-title");
    title.draggable = true;
    title.addEventListener("dragstart", (event) => {
      dragged = key;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", key);
    });
    title.addEventListener("dragend", () => {
      dragged = null;
    });
    const accepts = () => dragged !== null && dragged !== key && sectionOf(dragged) === sectionOf(key);
    card.addEventListener("dragover", (event) => {
      if (!accepts()) return;
      event.preventDefault();
      card.classList.add("drop-target");
    });
    card.addEventListener("dragleave", () => card.classList.remove("drop-target"));
    card.addEventListener("drop", (event) => {
      card.classList.remove("drop-target");
      if (!accepts()) return;
      event.preventDefault();
      change(dropPanel(keys, entries, dragged, key));
    });
  };

  /** A shown panel's card, its size and its buttons as its place says. */
  const place = ({ key, size }, index, count) => {
    const card = cardOf(key);
    card.dataset.size = size;
    const label = `Resize ${key} (now ${SIZE_NAMES[size]}, next ${SIZE_NAMES[nextSize(size)]})`;
    card.sizeButton.title = label;
    card.sizeButton.setAttribute("aria-label", label);
    // aria-disabled, not disabled: the button keeps the focus after a move to the end.
    card.querySelector("[data-action=earlier]").setAttribute("aria-disabled", String(index === 0));
    card.querySelector("[data-action=later]").setAttribute("aria-disabled", String(index === count - 1));
    return card;
  };

  function draw() {
    const focused = element.contains(document.activeElement) ? document.activeElement : null;
    const sections = arrangePanels(keys, entries).map(([title, panels]) => {
      const shown = panels.filter((panel) => !panel.hidden);
      return { title, hidden: panels.length - shown.length, shown };
    });
    const grid = (shown) =>
      h(
        "div",
        { class: "chart-grid" },
        shown.map((panel, i) => place(panel, i, shown.length)),
      );
    const anyShown = sections.some((s) => s.shown.length);
    replace(
      body,
      !anyShown
        ? h("div", { class: "empty" }, "Every chart is hidden: choose some under Panels.")
        : sections.length < 2
          ? grid(sections[0].shown)
          : sections
              .filter((s) => s.shown.length)
              .map(({ title, shown }) =>
                h(
                  "section",
                  { class: "chart-section", dataset: { section: title }, "aria-label": `${title} metrics` },
                  h(
                    "h2",
                    { class: "chart-section-title" },
                    title,
                    h("span", { class: "muted small" }, ` ${shown.length}`),
                  ),
                  grid(shown),
                ),
              ),
    );
    const hidden = sections.reduce((sum, s) => sum + s.hidden, 0);
    hiddenCount.textContent = hidden ? `${plural(hidden, "panel")} hidden` : "";
    // Moving a card takes the focus from its button: it goes back, or (a hidden panel's
    // button) to the Panels button.
    if (focused && focused !== document.activeElement) (focused.isConnected ? focused : chooser).focus();
  }

  chooser.addEventListener("click", () =>
    togglePanelChooser(chooser, {
      panels: () => arrangePanels(keys, entries),
      show: (key, shown) => change(hidePanel(keys, entries, key, !shown)),
      showAll: () => change(entries.map((entry) => ({ ...entry, hidden: false }))),
      reset: () => change([]),
      onCleanup,
    }),
  );
  draw();
  return element;
}

/** The "Panels" popover: every metric by section, checked when its panel shows. */
function togglePanelChooser(anchor, { panels, show, showAll, reset, onCleanup }) {
  const existing = document.querySelector(".popover[data-role=panels]");
  if (existing) {
    existing.remove();
    return;
  }
  const search = h("input", { type: "search", placeholder: "Find a metric…", "aria-label": "Find a metric" });
  const options = h("div", { class: "options" });
  const drawOptions = () => {
    const needle = search.value.toLowerCase();
    replace(
      options,
      panels().map(([title, list]) => {
        const found = list.filter((panel) => panel.key.toLowerCase().includes(needle));
        return found.length
          ? h(
              "div",
              { role: "group", "aria-label": `${title} metrics` },
              h("div", { class: "group-title", "aria-hidden": "true" }, title),
              found.map((panel) =>
                h(
                  "label",
                  null,
                  h("input", { type: "checkbox", checked: !panel.hidden, dataset: { panel: panel.key } }),
                  panel.key,
                ),
              ),
            )
          : null;
      }),
    );
  };
  options.addEventListener("change", (event) => show(event.target.dataset.panel, event.target.checked));
  search.addEventListener("input", drawOptions);
  const close = () => {
    popover.remove();
    anchor.focus();
  };
  const then = (action) => () => {
    action();
    drawOptions();
  };
  const popover = h(
    "div",
    { class: "popover", "data-role": "panels", role: "dialog", "aria-label": "Chart panels" },
    search,
    options,
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", class: "link", onclick: then(showAll) }, "Show all"),
      h("button", { type: "button", class: "link", onclick: then(reset), "data-role": "panels-reset" }, "Reset layout"),
      h("span", { class: "spacer" }),
      h("button", { type: "button", onclick: close }, "Done"),
    ),
  );
  drawOptions();
  openPopover(popover, anchor, onCleanup);
  search.focus();
}
