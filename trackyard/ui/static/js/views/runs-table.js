// The runs of one or several experiments, as a table that stays fast at 100k runs:
// pages of runs come from runs/search (server-side filter and order) as the user scrolls,
// and only the rows in view are in the DOM. Nested runs sit under their parent.

import { experiments, orderKey, runs } from "../api.js";
import { h, replace } from "../dom.js";
import { formatNumber, formatRelative, formatTime, plural, runDuration, toMap } from "../format.js";
import { href, navigate, seg, setQuery } from "../router.js";
import { attempt, confirmDialog, errorBox, loading } from "../widgets.js";

const PAGE_SIZE = 200;
const ROW_HEIGHT = 32;
const OVERSCAN = 10;
const CHECK_WIDTH = 34;
const NAME_WIDTH = 260;
const VIEW_TYPES = { active: "ACTIVE_ONLY", deleted: "DELETED_ONLY", all: "ALL" };
const PARENT_TAG = "mlflow.parentRunId";

/** Attribute columns: label, width, server-side sort key (null: not sortable) and value. */
const ATTRIBUTES = {
  start_time: {
    label: "Created", width: 130, sort: "attributes.start_time",
    text: (r) => formatRelative(r.start), title: (r) => formatTime(r.start),
  },
  duration: { label: "Duration", width: 90, sort: null, text: (r) => runDuration({ start_time: r.start, end_time: r.end, status: r.status }) },
  status: { label: "Status", width: 100, sort: "attributes.status", text: (r) => r.status },
  user_id: { label: "User", width: 120, sort: "attributes.user_id", text: (r) => r.user },
  source: { label: "Source", width: 160, sort: "tags.`mlflow.source.name`", text: (r) => sourceName(r.tags) },
  experiment: { label: "Experiment", width: 140, sort: null, text: (r, names) => names.get(r.experimentId) || r.experimentId },
  end_time: { label: "Ended", width: 130, sort: "attributes.end_time", text: (r) => formatTime(r.end) },
  run_id: { label: "Run ID", width: 270, sort: "attributes.run_id", text: (r) => r.id, mono: true },
  model: { label: "Models", width: 140, sort: null, text: (r) => loggedModelNames(r.tags) },
};
const GROUP_LABELS = { attr: "", metric: "metric", param: "param", tag: "tag" };

export function sourceName(tags) {
  const name = tags["mlflow.source.name"] || "";
  return name.split(/[\\/]/).pop();
}

function loggedModelNames(tags) {
  try {
    const models = JSON.parse(tags["mlflow.log-model.history"] || "[]");
    return models.map((m) => m.artifact_path).join(", ");
  } catch {
    return "";
  }
}

/** A runs/search answer's run, flattened for the table (keeps memory low at 100k rows). */
export function toRow(run) {
  const info = run.info;
  const data = run.data || {};
  const tags = toMap(data.tags);
  const metrics = Object.create(null);
  for (const metric of data.metrics || []) metrics[metric.key] = metric.value;
  return {
    id: info.run_id || info.run_uuid,
    name: info.run_name || tags["mlflow.runName"] || info.run_id,
    experimentId: info.experiment_id,
    user: info.user_id || tags["mlflow.user"] || "",
    status: info.status,
    start: info.start_time,
    end: info.end_time,
    deleted: info.lifecycle_stage === "deleted",
    parent: tags[PARENT_TAG] || null,
    metrics,
    params: toMap(data.params),
    tags,
  };
}

function splitColumn(id) {
  const index = id.indexOf(":");
  return { kind: id.slice(0, index), key: id.slice(index + 1) };
}

function columnSpec(id) {
  const { kind, key } = splitColumn(id);
  if (kind === "attr") {
    const attr = ATTRIBUTES[key];
    return attr ? { id, kind, key, label: attr.label, width: attr.width, sort: attr.sort, attr } : null;
  }
  if (!["metric", "param", "tag"].includes(kind) || !key) return null;
  return { id, kind, key, label: key, width: kind === "tag" ? 140 : 120, sort: orderKey(kind, key), numeric: kind === "metric" };
}

export async function runsView(container, ctx) {
  const experimentIds = ctx.params.ids.split(",").filter(Boolean);
  const multi = experimentIds.length > 1;
  const q = ctx.query;
  const state = {
    filter: q.get("filter") || "",
    view: VIEW_TYPES[q.get("view")] ? q.get("view") : "active",
    sort: q.get("sort") || "",
    asc: q.get("dir") === "asc",
    cols: q.get("cols") ? q.get("cols").split(",").filter((id) => columnSpec(id)) : null,
    selected: new Set((q.get("sel") || "").split(",").filter(Boolean)),
    expandAll: q.get("expand") === "1",
    expanded: new Set(),
  };
  let generation = 0;
  let data = emptyData();
  let display = [];
  let rendered = { first: -1, last: -1 };
  let fetchController = null;
  const experimentNames = new Map();

  // Layout
  const title = h("h1", null, multi ? `${experimentIds.length} experiments` : "Experiment");
  const subtitle = h("div", { class: "muted small" });
  const filterInput = h("input", {
    type: "text", class: "filter", value: state.filter, spellcheck: "false", "aria-label": "Filter runs",
    placeholder: "metrics.rmse < 1 and params.model = 'tree' and tags.team LIKE 'vision%'",
  });
  const filterError = h("div", { class: "field-error hidden", "data-role": "filter-error" });
  const viewSelect = h("select", { "aria-label": "Lifecycle" },
    Object.keys(VIEW_TYPES).map((v) => h("option", { value: v, selected: v === state.view }, v[0].toUpperCase() + v.slice(1))));
  const columnsButton = h("button", { onclick: (e) => openColumnPicker(e.currentTarget) }, "Columns");
  const expandButton = h("button", { onclick: toggleExpandAll }, state.expandAll ? "Collapse nested" : "Expand nested");
  const compareButton = h("button", { class: "primary", onclick: compare, "data-role": "compare" }, "Compare");
  const lifecycleButton = h("button", { onclick: deleteOrRestore });
  const headRow = h("div", { class: "vt-head", role: "row" });
  const rowsHost = h("div", { class: "vt-body", role: "rowgroup" });
  const scroller = h("div", { class: "vt", role: "table", "aria-label": "Runs", "data-role": "runs-table" }, headRow, rowsHost);
  const footer = h("div", { class: "vt-footer", "data-role": "runs-footer" });
  const tableError = h("div", { class: "hidden" });

  replace(container, h("div", { class: "page fill" },
    h("div", { class: "page-header" },
      h("div", { class: "titles" },
        h("div", { class: "breadcrumbs" }, h("a", { href: "#/experiments" }, "Experiments")),
        title, subtitle)),
    h("div", { class: "row" },
      filterInput,
      h("button", { onclick: applyFilter }, "Search"),
      h("button", { onclick: () => { filterInput.value = ""; applyFilter(); } }, "Clear"),
      viewSelect, columnsButton, expandButton, lifecycleButton, compareButton),
    filterError,
    tableError,
    h("div", { class: "vt-wrap" }, scroller, footer)));

  filterInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") applyFilter();
  });
  viewSelect.addEventListener("change", () => {
    state.view = viewSelect.value;
    setQuery({ view: state.view === "active" ? "" : state.view });
    state.selected.clear();
    reset();
  });
  let frame = 0;
  scroller.addEventListener("scroll", () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderRows();
      maybeFetchMore();
    });
  }, { passive: true });
  const resizeObserver = new ResizeObserver(() => { renderRows(true); maybeFetchMore(); });
  resizeObserver.observe(scroller);
  ctx.onCleanup(() => {
    resizeObserver.disconnect();
    if (fetchController) fetchController.abort();
  });
  rowsHost.addEventListener("click", onRowClick);
  rowsHost.addEventListener("change", onRowChange);
  headRow.addEventListener("click", onHeadClick);
  headRow.addEventListener("change", onHeadChange);

  loadExperiments();
  updateToolbar();
  reset();

  async function loadExperiments() {
    try {
      const found = await Promise.all(experimentIds.map((id) => experiments.get(id)));
      if (!ctx.alive()) return;
      for (const exp of found) experimentNames.set(exp.experiment_id, exp.name);
      title.textContent = multi ? found.map((e) => e.name).join(", ") : found[0].name;
      document.title = `${title.textContent} · trackyard`;
      replace(subtitle,
        multi ? `Experiments ${experimentIds.join(", ")}` : `Experiment ID ${found[0].experiment_id}`,
        !multi && found[0].artifact_location ? ` · Artifacts ${found[0].artifact_location}` : "",
        found.some((e) => e.lifecycle_stage === "deleted") ? h("span", { class: "badge danger", style: "margin-left: 8px" }, "deleted") : null);
      if (multi) renderRows(true);
    } catch (error) {
      if (!ctx.alive()) return;
      replace(tableError, errorBox(error, "Could not load the experiment"));
      tableError.classList.remove("hidden");
    }
  }

  function emptyData() {
    return {
      rows: [], byId: new Map(), children: new Map(), token: null, done: false, loading: false,
      generation: ++generation,
      keys: { metric: new Set(), param: new Set(), tag: new Set() },
      first: true,
    };
  }

  function orderBy() {
    if (state.sort === "attr:run_name") return [`attributes.run_name ${state.asc ? "ASC" : "DESC"}`];
    const spec = state.sort && columnSpec(state.sort);
    if (!spec || !spec.sort) return [];
    return [`${spec.sort} ${state.asc ? "ASC" : "DESC"}`];
  }

  function reset() {
    if (fetchController) fetchController.abort();
    data = emptyData();
    display = [];
    scroller.scrollTop = 0;
    renderHead();
    renderRows(true);
    fetchPage();
  }

  async function fetchPage() {
    if (data.loading || data.done) return;
    data.loading = true;
    const generation = data.generation;
    fetchController = new AbortController();
    updateFooter();
    try {
      const page = await runs.search({
        experimentIds, filter: state.filter, viewType: VIEW_TYPES[state.view], orderBy: orderBy(),
        maxResults: PAGE_SIZE, pageToken: data.token || undefined, signal: fetchController.signal,
      });
      if (generation !== data.generation || !ctx.alive()) return;
      addRows((page.runs || []).map(toRow));
      data.token = page.next_page_token || null;
      data.done = !data.token;
      showFilterError(null);
    } catch (error) {
      if (error.name === "AbortError" || generation !== data.generation || !ctx.alive()) return;
      data.done = true;
      if (error.status === 400) showFilterError(error);
      else {
        replace(tableError, errorBox(error, "Could not load runs"));
        tableError.classList.remove("hidden");
      }
    } finally {
      if (generation === data.generation) data.loading = false;
    }
    const firstRows = data.first && data.rows.length > 0;
    if (firstRows) {
      data.first = false;
      if (!state.cols) renderHead(); // default columns come from the first page's keys
    }
    rebuildDisplay();
    renderRows(true);
    // For bench/ui_first_rows.py: navigation start to the first rows in the DOM.
    if (firstRows) performance.mark("trackyard:first-rows");
    updateFooter();
    maybeFetchMore();
  }

  function addRows(rows) {
    for (const row of rows) {
      if (data.byId.has(row.id)) continue; // a page boundary moved under concurrent writes
      data.rows.push(row);
      data.byId.set(row.id, row);
      if (row.parent && row.parent !== row.id) {
        if (!data.children.has(row.parent)) data.children.set(row.parent, []);
        data.children.get(row.parent).push(row);
      }
      for (const key in row.metrics) data.keys.metric.add(key);
      for (const key in row.params) data.keys.param.add(key);
      for (const key in row.tags) data.keys.tag.add(key);
    }
  }

  /** Rows in display order: each top-level run followed by its (expanded) descendants. */
  function rebuildDisplay() {
    const out = [];
    const visit = (row, depth, seen) => {
      out.push({ row, depth });
      const kids = data.children.get(row.id);
      if (!kids || !(state.expandAll || state.expanded.has(row.id)) || depth > 20) return;
      for (const kid of kids) {
        if (seen.has(kid.id)) continue;
        seen.add(kid.id);
        visit(kid, depth + 1, seen);
      }
    };
    for (const row of data.rows) {
      // A child whose parent is loaded is drawn under it; an orphan stays at the top level.
      if (row.parent && row.parent !== row.id && data.byId.has(row.parent)) continue;
      visit(row, 0, new Set([row.id]));
    }
    display = out;
  }

  function maybeFetchMore() {
    if (data.done || data.loading) return;
    const visibleEnd = (scroller.scrollTop + scroller.clientHeight) / ROW_HEIGHT;
    if (visibleEnd + PAGE_SIZE / 2 >= display.length) fetchPage();
  }

  // Columns

  function defaultColumns() {
    const cols = ["attr:start_time", "attr:duration", "attr:status", "attr:user_id", "attr:source"];
    if (multi) cols.push("attr:experiment");
    const firstKeys = (kind, limit) => [...data.keys[kind]].sort().slice(0, limit).map((k) => `${kind}:${k}`);
    return [...cols, ...firstKeys("metric", 8), ...firstKeys("param", 8)];
  }

  function columns() {
    return (state.cols || defaultColumns()).map(columnSpec).filter(Boolean);
  }

  function renderHead() {
    const cols = columns();
    const widths = [CHECK_WIDTH, NAME_WIDTH, ...cols.map((c) => c.width)];
    const total = widths.reduce((a, b) => a + b, 0);
    // The last column stretches so the table fills the screen on wide displays.
    const template = widths.map((w, i) => (i === widths.length - 1 ? `minmax(${w}px, 1fr)` : `${w}px`)).join(" ");
    scroller.style.setProperty("--vt-template", template);
    headRow.style.gridTemplateColumns = template;
    headRow.style.minWidth = `${total}px`;
    rowsHost.style.minWidth = `${total}px`;
    const allChecked = display.length > 0 && display.every((d) => state.selected.has(d.row.id));
    const sortMark = (id) => (state.sort === id ? (state.asc ? " ▲" : " ▼") : "");
    replace(headRow,
      h("div", { class: "vt-check" }, h("input", { type: "checkbox", checked: allChecked, "aria-label": "Select all loaded runs", "data-role": "select-all" })),
      h("div", { class: ["sortable", state.sort === "attr:run_name" && "sorted"], dataset: { col: "attr:run_name" } }, "Run name", sortMark("attr:run_name")),
      cols.map((c) => h("div", {
        class: [c.sort && "sortable", state.sort === c.id && "sorted", c.numeric && "num"],
        dataset: { col: c.id }, title: c.sort ? `${c.label} (click to sort)` : c.label,
      }, GROUP_LABELS[c.kind] ? h("span", { class: "group" }, GROUP_LABELS[c.kind]) : null, c.label, sortMark(c.id))));
    state.columnSpecs = cols;
    rendered = { first: -1, last: -1 };
  }

  function renderRows(force = false) {
    if (!state.columnSpecs) renderHead();
    const height = Math.max(0, scroller.clientHeight - headRow.offsetHeight);
    const top = scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(display.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    rowsHost.style.height = `${display.length * ROW_HEIGHT}px`;
    if (!force && first === rendered.first && last === rendered.last) return;
    rendered = { first, last };
    const template = scroller.style.getPropertyValue("--vt-template");
    const cells = [];
    for (let i = first; i < last; i++) cells.push(rowElement(display[i], i, template));
    rowsHost.replaceChildren(...cells);
    if (!display.length && data.done && !data.loading) {
      rowsHost.style.height = "80px";
      const invalid = !filterError.classList.contains("hidden");
      rowsHost.replaceChildren(h("div", { class: "empty", "data-role": "no-runs" },
        invalid ? "Fix the filter above to see runs." : state.filter ? "No runs match the filter." : "No runs in this view."));
    }
  }

  function rowElement({ row, depth }, index, template) {
    const kids = data.children.get(row.id);
    const open = state.expandAll || state.expanded.has(row.id);
    const selected = state.selected.has(row.id);
    const link = href(`/experiments/${seg(row.experimentId)}/runs/${seg(row.id)}`);
    return h("div", {
      class: ["vt-row", selected && "selected", row.deleted && "deleted"], role: "row",
      style: `top:${index * ROW_HEIGHT}px;height:${ROW_HEIGHT}px;grid-template-columns:${template}`,
      dataset: { runId: row.id },
    },
    h("div", { class: "vt-check" }, h("input", { type: "checkbox", checked: selected, "aria-label": `Select ${row.name}`, dataset: { select: row.id } })),
    h("div", { class: "vt-name", style: depth ? `padding-left:${8 + depth * 18}px` : null },
      kids ? h("button", { class: "vt-toggle", dataset: { toggle: row.id }, title: open ? "Hide nested runs" : "Show nested runs" }, open ? "▾" : "▸") : h("span", { style: "width:18px;flex:none" }),
      h("span", { class: `status-dot status-${row.status}`, title: row.status }),
      h("a", { href: link, title: row.name }, row.name),
      kids && !open ? h("span", { class: "muted small" }, `(${kids.length})`) : null),
    state.columnSpecs.map((c) => cell(c, row)));
  }

  function cell(spec, row) {
    if (spec.kind === "attr") {
      const text = spec.attr.text(row, experimentNames) || "";
      return h("div", { class: spec.attr.mono ? "mono" : null, title: spec.attr.title ? spec.attr.title(row) : text }, text);
    }
    const source = spec.kind === "metric" ? row.metrics : spec.kind === "param" ? row.params : row.tags;
    const value = source[spec.key];
    if (value === undefined) return h("div", { class: spec.numeric ? "num muted" : "muted" }, "");
    const text = spec.numeric ? formatNumber(value) : value;
    return h("div", { class: spec.numeric ? "num" : null, title: String(value) }, text);
  }

  function updateFooter() {
    const loaded = data.rows.length;
    const status = data.loading ? "loading…" : data.done ? "" : "scroll for more";
    replace(footer,
      h("span", null, data.done ? plural(loaded, "run") : `${loaded.toLocaleString()} runs loaded`, status ? ` · ${status}` : ""),
      state.selected.size ? h("span", null, `${state.selected.size} selected`) : null);
    if (!loaded && data.loading) rowsHost.replaceChildren(loading("Loading runs…"));
  }

  function updateToolbar() {
    const n = state.selected.size;
    compareButton.disabled = n < 1;
    compareButton.textContent = n ? `Compare ${n}` : "Compare";
    lifecycleButton.disabled = n < 1;
    lifecycleButton.textContent = state.view === "deleted" ? `Restore${n ? ` ${n}` : ""}` : `Delete${n ? ` ${n}` : ""}`;
    lifecycleButton.className = state.view === "deleted" ? "" : "danger";
    expandButton.textContent = state.expandAll ? "Collapse nested" : "Expand nested";
    setQuery({ sel: [...state.selected].join(",") });
  }

  // Events

  function onRowClick(event) {
    const toggle = event.target.closest("[data-toggle]");
    if (!toggle) return;
    const id = toggle.dataset.toggle;
    if (state.expandAll) {
      // Leaving "expand all": keep every parent open except the one clicked.
      state.expandAll = false;
      for (const parent of data.children.keys()) state.expanded.add(parent);
      setQuery({ expand: "" });
    }
    if (state.expanded.has(id)) state.expanded.delete(id);
    else state.expanded.add(id);
    rebuildDisplay();
    renderRows(true);
    updateToolbar();
    maybeFetchMore();
  }

  function onRowChange(event) {
    const id = event.target.dataset.select;
    if (!id) return;
    if (event.target.checked) state.selected.add(id);
    else state.selected.delete(id);
    event.target.closest(".vt-row").classList.toggle("selected", event.target.checked);
    updateToolbar();
    updateFooter();
  }

  function onHeadChange(event) {
    if (event.target.dataset.role !== "select-all") return;
    for (const { row } of display) {
      if (event.target.checked) state.selected.add(row.id);
      else state.selected.delete(row.id);
    }
    renderRows(true);
    updateToolbar();
    updateFooter();
  }

  function onHeadClick(event) {
    const target = event.target.closest("[data-col]");
    if (!target || !target.classList.contains("sortable")) return;
    const id = target.dataset.col;
    // Cycle: descending, ascending, back to the default order.
    if (state.sort !== id) {
      state.sort = id;
      state.asc = false;
    } else if (!state.asc) state.asc = true;
    else {
      state.sort = "";
      state.asc = false;
    }
    setQuery({ sort: state.sort, dir: state.sort && state.asc ? "asc" : "" });
    reset();
  }

  function applyFilter() {
    state.filter = filterInput.value.trim();
    setQuery({ filter: state.filter });
    reset();
  }

  function showFilterError(error) {
    tableError.classList.add("hidden");
    filterError.classList.toggle("hidden", !error);
    filterInput.classList.toggle("invalid", Boolean(error));
    filterError.textContent = error ? error.message : "";
  }

  function toggleExpandAll() {
    state.expandAll = !state.expandAll;
    state.expanded.clear();
    setQuery({ expand: state.expandAll ? "1" : "" });
    rebuildDisplay();
    renderRows(true);
    updateToolbar();
    maybeFetchMore();
  }

  function compare() {
    const ids = [...state.selected];
    navigate("/compare", { runs: ids.join(","), experiments: experimentIds.join(",") });
  }

  async function deleteOrRestore() {
    const ids = [...state.selected];
    if (!ids.length) return;
    if (state.view === "deleted") {
      if (await attempt(() => Promise.all(ids.map((id) => runs.restore(id))), `Restored ${plural(ids.length, "run")}.`)) {
        state.selected.clear();
        updateToolbar();
        reset();
      }
      return;
    }
    const done = await confirmDialog("Delete runs", `Delete ${plural(ids.length, "run")}? Deleted runs can be restored.`,
      "Delete", () => Promise.all(ids.map((id) => runs.delete(id))));
    if (done) {
      state.selected.clear();
      updateToolbar();
      reset();
    }
  }

  function openColumnPicker(anchor) {
    const existing = document.querySelector(".popover[data-role=columns]");
    if (existing) {
      existing.remove();
      return;
    }
    const chosen = new Set(columns().map((c) => c.id));
    const search = h("input", { type: "search", placeholder: "Find a column…", "aria-label": "Find a column" });
    const options = h("div", { class: "options" });
    const drawOptions = () => {
      const needle = search.value.toLowerCase();
      const groups = [
        ["Attributes", Object.keys(ATTRIBUTES).map((k) => [`attr:${k}`, ATTRIBUTES[k].label])],
        ["Metrics", [...data.keys.metric].sort().map((k) => [`metric:${k}`, k])],
        ["Parameters", [...data.keys.param].sort().map((k) => [`param:${k}`, k])],
        ["Tags", [...data.keys.tag].sort().filter((k) => needle || !k.startsWith("mlflow.")).map((k) => [`tag:${k}`, k])],
      ];
      replace(options, groups.map(([label, items]) => {
        const shown = items.filter(([, text]) => text.toLowerCase().includes(needle));
        if (!shown.length) return null;
        return [h("div", { class: "group-title" }, label), shown.map(([id, text]) => h("label", null,
          h("input", { type: "checkbox", checked: chosen.has(id), dataset: { col: id } }), text))];
      }));
    };
    options.addEventListener("change", (event) => {
      const id = event.target.dataset.col;
      if (event.target.checked) chosen.add(id);
      else chosen.delete(id);
      // Keep the user's order; new columns go to the end.
      const current = columns().map((c) => c.id).filter((c) => chosen.has(c));
      state.cols = [...current, ...[...chosen].filter((c) => !current.includes(c))];
      setQuery({ cols: state.cols.join(",") });
      renderHead();
      renderRows(true);
    });
    search.addEventListener("input", drawOptions);
    const popover = h("div", { class: "popover", "data-role": "columns" },
      search, options,
      h("div", { class: "row" },
        h("button", { class: "link", onclick: () => {
          state.cols = null;
          setQuery({ cols: "" });
          renderHead();
          renderRows(true);
          popover.remove();
        } }, "Reset to defaults"),
        h("span", { class: "spacer" }),
        h("button", { onclick: () => popover.remove() }, "Done")));
    drawOptions();
    const box = anchor.getBoundingClientRect();
    popover.style.top = `${box.bottom + window.scrollY + 4}px`;
    popover.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - 360))}px`;
    document.body.appendChild(popover);
    search.focus();
    const outside = (event) => {
      if (!popover.isConnected) return document.removeEventListener("mousedown", outside);
      if (!popover.contains(event.target) && event.target !== anchor) {
        popover.remove();
        document.removeEventListener("mousedown", outside);
      }
    };
    document.addEventListener("mousedown", outside);
    ctx.onCleanup(() => popover.remove());
  }
}
