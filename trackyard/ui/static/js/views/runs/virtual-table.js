// The runs table's DOM: a grid header and a body that holds only the rows in view (plus a
// few above and below), absolutely placed at index × ROW_HEIGHT inside a body as tall as
// every row together, so scrolling through 100k runs touches ~50 elements. Clicks come
// back to the view as callbacks: sort, toggle nesting, select one, select all.

import { h, replace } from "../../dom.js";
import { plural } from "../../format.js";
import { href, seg } from "../../router.js";
import { loading } from "../../widgets.js";
import { cellValue, GROUP_LABELS, isOpen, NAME_COLUMN, ROW_HEIGHT, visibleRange } from "./table-model.js";

const CHECK_WIDTH = 34;
const NAME_WIDTH = 260;

/**
 * The table's elements, with its events turned into `on.sort(columnId)`,
 * `on.toggle(runId)`, `on.select(runId, checked)`, `on.selectAll(checked)` and
 * `on.viewport()` (scrolled or resized, once per frame).
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
    const target = event.target.closest("[data-col]");
    if (target?.classList.contains("sortable")) on.sort(target.dataset.col);
  });
  head.addEventListener("change", (event) => {
    if (event.target.dataset.role === "select-all") on.selectAll(event.target.checked);
  });
  body.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-toggle]");
    if (toggle) on.toggle(toggle.dataset.toggle);
  });
  body.addEventListener("change", (event) => {
    const id = event.target.dataset.select;
    if (!id) return;
    event.target.closest(".vt-row").classList.toggle("selected", event.target.checked);
    on.select(id, event.target.checked);
  });
  return table;
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
 * Draw the header for `columns` (specs) and lay out the grid; the last column stretches so
 * the table fills wide screens. `sort`: {sort, asc}; `allChecked`: the select-all box.
 */
export function drawHead(table, { columns, sort, allChecked }) {
  const widths = [CHECK_WIDTH, NAME_WIDTH, ...columns.map((c) => c.width)];
  const total = widths.reduce((a, b) => a + b, 0);
  table.template = widths.map((w, i) => (i === widths.length - 1 ? `minmax(${w}px, 1fr)` : `${w}px`)).join(" ");
  table.scroller.style.setProperty("--vt-template", table.template);
  table.head.style.gridTemplateColumns = table.template;
  table.head.style.minWidth = `${total}px`;
  table.body.style.minWidth = `${total}px`;
  const sortMark = (id) => (sort.sort === id ? (sort.asc ? " ▲" : " ▼") : "");
  replace(
    table.head,
    h(
      "div",
      { class: "vt-check" },
      h("input", {
        type: "checkbox",
        checked: allChecked,
        "aria-label": "Select all loaded runs",
        "data-role": "select-all",
      }),
    ),
    h(
      "div",
      { class: ["sortable", sort.sort === NAME_COLUMN && "sorted"], dataset: { col: NAME_COLUMN } },
      "Run name",
      sortMark(NAME_COLUMN),
    ),
    columns.map((c) =>
      h(
        "div",
        {
          class: [c.sort && "sortable", sort.sort === c.id && "sorted", c.numeric && "num"],
          dataset: { col: c.id },
          title: c.sort ? `${c.label} (click to sort)` : c.label,
        },
        GROUP_LABELS[c.kind] ? h("span", { class: "group" }, GROUP_LABELS[c.kind]) : null,
        c.label,
        sortMark(c.id),
      ),
    ),
  );
  table.drawn = null;
}

/**
 * Draw the rows in view. `model`: {display ([{row, depth}]), columns, children (parent id
 * -> runs), nesting, selected, names (experiment id -> name)}. Unless `force`, nothing
 * happens while the same rows are in view; returns whether it drew.
 */
export function drawRows(table, model, force = false) {
  const height = Math.max(0, table.scroller.clientHeight - table.head.offsetHeight);
  const { first, last } = visibleRange(table.scroller.scrollTop, height, model.display.length);
  table.body.style.height = `${model.display.length * ROW_HEIGHT}px`;
  if (!force && table.drawn && first === table.drawn.first && last === table.drawn.last) return false;
  table.drawn = { first, last };
  const rows = [];
  for (let i = first; i < last; i++) rows.push(rowElement(model, model.display[i], i, table.template));
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
export function drawFooter(table, { loaded, loading: busy, done, selected }) {
  const status = busy ? "loading…" : done ? "" : "scroll for more";
  replace(
    table.footer,
    h(
      "span",
      null,
      done ? plural(loaded, "run") : `${loaded.toLocaleString()} runs loaded`,
      status ? ` · ${status}` : "",
    ),
    selected ? h("span", null, `${selected} selected`) : null,
  );
}

function rowElement(model, { row, depth }, index, template) {
  const kids = model.children.get(row.id);
  const open = isOpen(model.nesting, row.id);
  const selected = model.selected.has(row.id);
  const link = href(`/experiments/${seg(row.experimentId)}/runs/${seg(row.id)}`);
  return h(
    "div",
    {
      class: ["vt-row", selected && "selected", row.deleted && "deleted"],
      role: "row",
      style: `top:${index * ROW_HEIGHT}px;height:${ROW_HEIGHT}px;grid-template-columns:${template}`,
      dataset: { runId: row.id },
    },
    h(
      "div",
      { class: "vt-check" },
      h("input", {
        type: "checkbox",
        checked: selected,
        "aria-label": `Select ${row.name}`,
        dataset: { select: row.id },
      }),
    ),
    h(
      "div",
      { class: "vt-name", style: depth ? `padding-left:${8 + depth * 18}px` : null },
      kids
        ? h(
            "button",
            { class: "vt-toggle", dataset: { toggle: row.id }, title: open ? "Hide nested runs" : "Show nested runs" },
            open ? "▾" : "▸",
          )
        : h("span", { style: "width:18px;flex:none" }),
      h("span", { class: `status-dot status-${row.status}`, title: row.status }),
      h("a", { href: link, title: row.name }, row.name),
      kids && !open ? h("span", { class: "muted small" }, `(${kids.length})`) : null,
    ),
    model.columns.map((spec) => cell(spec, row, model.names)),
  );
}

function cell(spec, row, names) {
  const { text, title, missing } = cellValue(spec, row, names);
  if (missing) return h("div", { class: spec.numeric ? "num muted" : "muted" }, "");
  const className = spec.kind === "attr" ? (spec.attr.mono ? "mono" : null) : spec.numeric ? "num" : null;
  return h("div", { class: className, title }, text);
}
