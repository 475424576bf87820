// The runs table's DOM: a grid header and a body that holds only the rows in view (plus a
// few above and below), absolutely placed at index × ROW_HEIGHT inside a body as tall as
// every row together, so scrolling through 100k runs touches ~50 elements. Clicks come
// back to the view as callbacks: sort, toggle nesting, select one, select all.

import { h, icon, replace } from "../../dom.js";
import { plural } from "../../format.js";
import { href, seg } from "../../router.js";
import { loading } from "../../widgets.js";
import { CHECK_WIDTH, cellValue, GROUP_LABELS, isOpen, NAME_COLUMN, ROW_HEIGHT, visibleRange } from "./table-model.js";

/**
 * The table's elements, with its events turned into `on.sort(columnId)`,
 * `on.toggle(runId)`, `on.select(runId, checked)`, `on.selectAll(checked)`,
 * `on.pin(columnId)`, `on.resize(columnId, px)`, `on.move(columnId, -1 | 1)`,
 * `on.reorder(moved, target)`, `on.viewport()` (scrolled or resized, once per frame), and
 * with the chart view `on.eye(runId)` (hide or show in the charts), `on.color(runId, hex)`
 * and `on.hover(runId | null)` (the row under the pointer or holding the focus).
 */
export function createVirtualTable(on) {
  const head = h("div", { class: "vt-head", role: "row" });
  const body = h("div", { class: "vt-body", role: "rowgroup" });
  const scroller = h(
    "div",
    { class: "vt", role: "table", "aria-label": "Runs", "data-role": "runs-table" },
    head,
    body,
  );
  const footer = h("div", { class: "vt-footer", "data-role": "runs-footer" });
  const table = {
    scroller,
    head,
    body,
    footer,
    element: h("div", { class: "vt-wrap" }, scroller, footer),
    template: "",
    drawn: null,
  };

  let frame = 0;
  scroller.addEventListener(
    "scroll",
    () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        on.viewport(false);
      });
    },
    { passive: true },
  );
  table.resizeObserver = new ResizeObserver(() => on.viewport(true));
  table.resizeObserver.observe(scroller);

  head.addEventListener("click", (event) => {
    const pin = event.target.closest("[data-pin]");
    if (pin) return on.pin(pin.dataset.pin);
    if (event.target.closest("[data-resize]")) return null;
    const target = event.target.closest("[data-col]");
    if (target?.classList.contains("sortable")) on.sort(target.dataset.col);
    return null;
  });
  head.addEventListener("keydown", (event) => {
    const target = event.target.closest?.("[data-col]");
    if (!target || event.target !== target) return;
    const id = target.dataset.col;
    if ((event.key === "Enter" || event.key === " ") && target.classList.contains("sortable")) {
      event.preventDefault();
      on.sort(id);
      focusHeader(head, id);
    } else if (event.altKey && (event.key === "ArrowLeft" || event.key === "ArrowRight") && id !== NAME_COLUMN) {
      event.preventDefault();
      on.move(id, event.key === "ArrowLeft" ? -1 : 1);
      focusHeader(head, id);
    }
  });
  handleResizing(table, on);
  handleDragging(head, on);
  head.addEventListener("change", (event) => {
    if (event.target.dataset.role === "select-all") on.selectAll(event.target.checked);
  });
  body.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-toggle]");
    if (toggle) on.toggle(toggle.dataset.toggle);
    const eye = event.target.closest("[data-eye]");
    if (eye) on.eye(eye.dataset.eye);
  });
  let hovered = null;
  const hover = (event) => {
    const id = event.target.closest?.(".vt-row")?.dataset.runId ?? null;
    if (id === hovered) return;
    hovered = id;
    on.hover(id);
  };
  body.addEventListener("mouseover", hover);
  body.addEventListener("focusin", hover);
  body.addEventListener("mouseleave", hover); // its target is the body: no row, nothing highlighted
  body.addEventListener("change", (event) => {
    const { color, select } = event.target.dataset;
    if (color) on.color(color, event.target.value);
    if (!select) return;
    event.target.closest(".vt-row").classList.toggle("selected", event.target.checked);
    on.select(select, event.target.checked);
  });
  return table;
}

function focusHeader(head, id) {
  for (const cell of head.querySelectorAll("[data-col]")) if (cell.dataset.col === id) cell.focus();
}

/** A column's width in pixels, dragged or keyed, stays in this range. */
const MIN_WIDTH = 60;
const MAX_WIDTH = 1200;
const clampWidth = (px) => Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.round(px)));
/** Arrow keys on a focused resize handle: pixels a press, and with Shift. */
const KEY_STEP = 10;
const SHIFT_STEP = 50;

/**
 * Column widths by dragging a header's right edge: the grid follows the pointer (one CSS
 * variable for the header and every row), and `on.resize(id, px)` keeps the result. The
 * handle takes the focus too: ArrowLeft and ArrowRight narrow and widen the column (Shift:
 * bigger steps), kept as a dragged width is, and the focus stays on the handle.
 */
function handleResizing(table, on) {
  table.head.addEventListener("keydown", (event) => {
    const handle = event.target.closest?.("[data-resize]");
    if (!handle || (event.key !== "ArrowLeft" && event.key !== "ArrowRight") || event.altKey) return;
    event.preventDefault();
    event.stopPropagation();
    const index = [...table.head.children].indexOf(handle.parentElement);
    const step = (event.shiftKey ? SHIFT_STEP : KEY_STEP) * (event.key === "ArrowLeft" ? -1 : 1);
    const width = clampWidth(table.widths[index] + step);
    if (width === table.widths[index]) return;
    const id = handle.dataset.resize;
    on.resize(id, width); // draws the header again
    for (const next of table.head.querySelectorAll("[data-resize]")) if (next.dataset.resize === id) next.focus();
  });
  table.head.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest("[data-resize]");
    if (!handle) return;
    event.preventDefault();
    const cell = handle.parentElement;
    const index = [...table.head.children].indexOf(cell);
    const startX = event.clientX;
    const startWidth = table.widths[index];
    let width = startWidth;
    handle.setPointerCapture(event.pointerId);
    const move = (e) => {
      width = clampWidth(startWidth + e.clientX - startX);
      const widths = table.widths.map((w, i) => (i === index ? width : w));
      setTemplate(table, widths.map((w, i) => (i === widths.length - 1 ? `minmax(${w}px, 1fr)` : `${w}px`)).join(" "));
    };
    const up = () => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
      if (width !== startWidth) on.resize(handle.dataset.resize, width);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
  });
}

/** Column order by drag and drop of key column headers: `on.reorder(moved, target)`. */
function handleDragging(head, on) {
  let dragged = null;
  head.addEventListener("dragstart", (event) => {
    const cell = event.target.closest?.("[data-col]");
    if (!cell || cell.dataset.col === NAME_COLUMN) return;
    dragged = cell.dataset.col;
    event.dataTransfer.setData("text/plain", dragged);
    event.dataTransfer.effectAllowed = "move";
  });
  head.addEventListener("dragover", (event) => {
    const cell = event.target.closest?.("[data-col]");
    if (dragged && cell && cell.dataset.col !== NAME_COLUMN) event.preventDefault();
  });
  head.addEventListener("drop", (event) => {
    const cell = event.target.closest?.("[data-col]");
    if (!dragged || !cell) return;
    event.preventDefault();
    on.reorder(dragged, cell.dataset.col);
    dragged = null;
  });
  head.addEventListener("dragend", () => {
    dragged = null;
  });
}

/** Stop watching the table's size (the view is going away). */
export function disposeVirtualTable(table) {
  table.resizeObserver.disconnect();
}

/** Scroll back to the first row. */
export function scrollToTop(table) {
  table.scroller.scrollTop = 0;
}

/** The scroll position and height the rows can use, for visibleRange and wantsMoreRows. */
export function viewport(table) {
  return { scrollTop: table.scroller.scrollTop, height: table.scroller.clientHeight };
}

/**
 * Draw the header for a layout (table-model.js layoutColumns: name, columns, template) and
 * lay out the grid; the last column stretches so the table fills wide screens. `sort`:
 * {sort, asc}; `allChecked`: the select-all box. Sortable headers are buttons to the
 * keyboard (Enter or Space sorts, Alt+Arrow moves the column); each key column has a pin
 * toggle and a resize handle, and can be dragged onto another to move it there.
 */
export function drawHead(table, { layout, sort, allChecked }) {
  table.layout = layout;
  table.widths = [CHECK_WIDTH, layout.name.width, ...layout.columns.map((c) => c.width)];
  setTemplate(table, layout.template);
  table.head.style.minWidth = `${layout.total}px`;
  table.body.style.minWidth = `${layout.total}px`;
  const sortMark = (id) => (sort.sort === id ? (sort.asc ? " ▲" : " ▼") : "");
  const ariaSort = (id) => (sort.sort === id ? (sort.asc ? "ascending" : "descending") : "none");
  const pinButton = (id, label, pinned) =>
    h(
      "button",
      {
        type: "button",
        class: "vt-pin",
        "aria-pressed": String(pinned),
        "aria-label": `${pinned ? "Unpin" : "Pin"} ${label}`,
        title: pinned ? "Unpin: scroll with the others" : "Pin: keep in view when scrolling right",
        dataset: { pin: id },
      },
      icon("pin"),
    );
  // A focusable separator (ARIA's window splitter): its value is the column's width.
  const resizer = (id, label, width) =>
    h("span", {
      class: "vt-resize",
      role: "separator",
      tabindex: "0",
      "aria-orientation": "vertical",
      "aria-label": `Resize ${label}`,
      "aria-valuenow": String(width),
      "aria-valuemin": String(MIN_WIDTH),
      "aria-valuemax": String(MAX_WIDTH),
      title: `Drag, or arrow keys (Shift: bigger steps), to resize ${label}`,
      dataset: { resize: id },
    });
  const { name } = layout;
  replace(
    table.head,
    h(
      "div",
      { class: "vt-check pinned", role: "columnheader", style: "left:0" },
      h("input", {
        type: "checkbox",
        checked: allChecked,
        "aria-label": "Select all loaded runs",
        "data-role": "select-all",
      }),
    ),
    h(
      "div",
      {
        class: ["sortable", sort.sort === NAME_COLUMN && "sorted", name.pinned && "pinned"],
        role: "columnheader",
        tabindex: "0",
        "aria-sort": ariaSort(NAME_COLUMN),
        style: name.pinned ? `left:${name.left}px` : null,
        title: "Run name (Enter to sort)",
        dataset: { col: NAME_COLUMN },
      },
      h("span", { class: "label" }, "Run name", sortMark(NAME_COLUMN)),
      pinButton(NAME_COLUMN, "Run name", name.pinned),
      resizer(NAME_COLUMN, "Run name", name.width),
    ),
    layout.columns.map((c) =>
      h(
        "div",
        {
          class: [c.sort && "sortable", sort.sort === c.id && "sorted", c.numeric && "num", c.pinned && "pinned"],
          role: "columnheader",
          tabindex: "0",
          draggable: "true",
          "aria-sort": c.sort ? ariaSort(c.id) : null,
          style: c.pinned ? `left:${c.left}px` : null,
          dataset: { col: c.id },
          title: `${GROUP_LABELS[c.kind] ? `${GROUP_LABELS[c.kind]} ` : ""}${c.label}${c.sort ? " (Enter or click to sort; Alt+arrows or drag to move)" : " (Alt+arrows or drag to move)"}`,
        },
        h(
          "span",
          { class: "label" },
          GROUP_LABELS[c.kind] ? h("span", { class: "group" }, GROUP_LABELS[c.kind]) : null,
          h("span", { class: "name" }, c.label, sortMark(c.id)),
        ),
        pinButton(c.id, c.label, c.pinned),
        resizer(c.id, GROUP_LABELS[c.kind] ? `${GROUP_LABELS[c.kind]} ${c.label}` : c.label, c.width),
      ),
    ),
  );
  table.drawn = null;
}

function setTemplate(table, template) {
  table.template = template;
  table.scroller.style.setProperty("--vt-template", template);
}

/**
 * Draw the rows in view. `model`: {display ([{row, depth}], or a group's header {group}),
 * columns, children (parent id -> runs), nesting, selected, names (experiment id -> name),
 * charts (with the chart view: {hidden: run ids, colorOf(id)}, else null)}. Unless `force`,
 * nothing happens while the same rows are in view; returns whether it drew.
 */
export function drawRows(table, model, force = false) {
  const height = Math.max(0, table.scroller.clientHeight - table.head.offsetHeight);
  const { first, last } = visibleRange(table.scroller.scrollTop, height, model.display.length);
  table.body.style.height = `${model.display.length * ROW_HEIGHT}px`;
  if (!force && table.drawn && first === table.drawn.first && last === table.drawn.last) return false;
  table.drawn = { first, last };
  const rows = [];
  for (let i = first; i < last; i++) rows.push(rowElement(model, model.display[i], i, table.layout));
  table.body.replaceChildren(...rows);
  return true;
}

/** Instead of rows: a message saying why there are none. */
export function drawEmpty(table, message) {
  table.body.style.height = "80px";
  table.body.replaceChildren(h("div", { class: "empty", "data-role": "no-runs" }, message));
}

/** Instead of rows: a loading line, while the first page is on its way. */
export function drawLoading(table) {
  table.body.replaceChildren(loading("Loading runs…"));
}

/** The footer: runs loaded, whether more are coming, and how many are selected. */
/** `total`: the runs the query matches (null until counted): "200 of 20,000 runs loaded". */
export function drawFooter(table, { loaded, total = null, loading: busy, done, selected }) {
  const status = busy ? "loading…" : done ? "" : "scroll for more";
  replace(
    table.footer,
    h(
      "span",
      null,
      done
        ? plural(loaded, "run")
        : total === null
          ? `${loaded.toLocaleString()} runs loaded`
          : `${loaded.toLocaleString()} of ${plural(total, "run")} loaded`,
      status ? ` · ${status}` : "",
    ),
    selected ? h("span", null, `${selected} selected`) : null,
  );
}

function rowElement(model, entry, index, layout) {
  if (entry.group) return groupRow(entry.group, index);
  const { row, depth } = entry;
  const kids = model.children.get(row.id);
  const open = isOpen(model.nesting, row.id);
  const selected = model.selected.has(row.id);
  const link = href(`/experiments/${seg(row.experimentId)}/runs/${seg(row.id)}`);
  const { name } = layout;
  return h(
    "div",
    {
      class: ["vt-row", selected && "selected", row.deleted && "deleted"],
      role: "row",
      style: `top:${index * ROW_HEIGHT}px;height:${ROW_HEIGHT}px`,
      dataset: { runId: row.id },
    },
    h(
      "div",
      { class: "vt-check pinned", role: "cell", style: "left:0" },
      h("input", {
        type: "checkbox",
        checked: selected,
        "aria-label": `Select ${row.name}`,
        dataset: { select: row.id },
      }),
    ),
    h(
      "div",
      {
        class: ["vt-name", name.pinned && "pinned"],
        role: "rowheader",
        style: [name.pinned ? `left:${name.left}px` : "", depth ? `padding-left:${8 + depth * 18}px` : ""].join(";"),
      },
      kids
        ? h(
            "button",
            {
              class: "vt-toggle",
              dataset: { toggle: row.id },
              "aria-expanded": String(open),
              "aria-label": `${open ? "Hide" : "Show"} the ${kids.length} nested runs of ${row.name}`,
              title: open ? "Hide nested runs" : "Show nested runs",
            },
            open ? "▾" : "▸",
          )
        : h("span", { style: "width:18px;flex:none" }),
      model.charts ? chartControls(model.charts, row, entry.color) : null,
      h("span", { class: `status-dot status-${row.status}`, title: row.status }),
      h("a", { href: link, title: row.name }, row.name),
      kids && !open ? h("span", { class: "muted small" }, `(${kids.length})`) : null,
    ),
    layout.columns.map((spec) => cell(spec, row, model.names)),
  );
}

/** A group's header row (group-by): its colour, key, value and run count, across the row. */
function groupRow(group, index) {
  const key = group.by.slice(group.by.indexOf(":") + 1);
  return h(
    "div",
    {
      class: "vt-row vt-group",
      role: "row",
      style: `top:${index * ROW_HEIGHT}px;height:${ROW_HEIGHT}px`,
      dataset: { group: group.value },
    },
    h(
      "div",
      { class: "vt-group-cell", role: "cell" },
      h("span", { class: "swatch", style: `background:${group.color}` }),
      h("span", { class: "muted" }, `${key} =`),
      h("strong", null, group.value),
      h("span", { class: "muted small" }, plural(group.count, "run")),
    ),
  );
}

/**
 * The chart view's controls in a run's name cell: its colour (a colour input) and an eye.
 * Grouped (`groupColor`: its group's), the charts draw the group, not the run: the swatch
 * shows the group's colour and is not a choice.
 */
function chartControls(charts, row, groupColor) {
  const hidden = charts.hidden.has(row.id);
  return [
    groupColor
      ? h("span", {
          class: "swatch vt-group-swatch",
          style: `background:${groupColor}`,
          title: "Drawn in its group's colour",
        })
      : h("input", {
          type: "color",
          class: "vt-color",
          value: charts.colorOf(row.id),
          "aria-label": `Colour of ${row.name} in the charts`,
          title: "Colour in the charts",
          dataset: { color: row.id },
        }),
    h(
      "button",
      {
        type: "button",
        class: "vt-eye",
        "aria-pressed": String(hidden),
        "aria-label": `${hidden ? "Show" : "Hide"} ${row.name} in the charts`,
        title: hidden ? "Hidden in the charts: click to show" : "Shown in the charts: click to hide",
        dataset: { eye: row.id },
      },
      icon(hidden ? "eyeOff" : "eye"),
    ),
  ];
}

function cell(spec, row, names) {
  const { text, title, missing } = cellValue(spec, row, names);
  const pinned = spec.pinned ? { style: `left:${spec.left}px` } : {};
  const kind = spec.kind === "attr" ? (spec.attr.mono ? "mono" : null) : spec.numeric ? "num" : null;
  const className = [kind, missing && "muted", spec.pinned && "pinned"];
  if (missing) return h("div", { class: className, role: "cell", ...pinned }, "");
  return h("div", { class: className, role: "cell", title, ...pinned }, text);
}
