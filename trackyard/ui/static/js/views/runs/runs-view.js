// The runs of one or several experiments, as a table that stays fast at 100k runs:
// pages of runs come from runs/search (server-side filter and order) as the user scrolls,
// and only the rows in view are in the DOM. Nested runs sit under their parent.
//
// This module wires the parts together: url-state.js (the URL <-> the view state),
// page-fetcher.js (paging and cancellation), table-model.js (columns, rows, nesting, sort)
// and virtual-table.js / column-picker.js (the DOM). `view` below is the one record of
// what the page holds; every function here takes it explicitly.

import { experiments, runs as runsApi } from "../../api.js";
import { h, replace } from "../../dom.js";
import { plural } from "../../format.js";
import { rankKeys } from "../../key-rank.js";
import { poll } from "../../live.js";
import { navigate, setQuery } from "../../router.js";
import { atLeast, experimentPermissions } from "../../session.js";
import { attempt, confirmDialog, errorBox, pageHeader } from "../../widgets.js";
import { accessButton } from "../access-dialog.js";
import { experimentTabs } from "../traces.js";
import { toggleColumnPicker } from "./column-picker.js";
import { filterBox } from "./filter-box.js";
import { createPageFetcher } from "./page-fetcher.js";
import { groupedDisplay, runColor } from "./run-groups.js";
import { createRunsCharts, disposeRunsCharts, drawRunsCharts, resetRunsCharts } from "./runs-charts.js";
import { loadSaved, SAVED_PARAMS, savedViewKey, storeSaved, withSavedView } from "./saved-view.js";
import { GRAMMAR_HELP, toFilter } from "./search-help.js";
import {
  addRows,
  defaultColumns,
  displayRows,
  emptyRuns,
  layoutColumns,
  moveColumn,
  nextSort,
  orderBy,
  PAGE_SIZE,
  runningIds,
  selectDisplayed,
  shownColumns,
  toggleNesting,
  togglePin,
  toRow,
  updateRows,
  wantsMoreRows,
} from "./table-model.js";
import { createTotalCounter } from "./total-count.js";
import { readViewState, VIEW_TYPES, viewQuery } from "./url-state.js";
import {
  createVirtualTable,
  disposeVirtualTable,
  drawEmpty,
  drawFooter,
  drawHead,
  drawLoading,
  drawRows,
  scrollToTop,
  viewport,
} from "./virtual-table.js";

export async function runsView(container, ctx) {
  const experimentIds = ctx.params.ids.split(",").filter(Boolean);
  const savedKey = savedViewKey(experimentIds);
  if (withSavedView(ctx.query, loadSaved(savedKey))) {
    setQuery(Object.fromEntries(SAVED_PARAMS.map((name) => [name, ctx.query.get(name)])));
  }
  const view = {
    savedKey,
    ctx,
    experimentIds,
    multi: experimentIds.length > 1,
    state: readViewState(ctx.query), // what the URL holds: filter, sort, columns, selection...
    runs: emptyRuns(), // the runs loaded so far
    display: [], // the rows in display order, nested runs under their parents
    columns: [], // the column specs the header shows
    names: new Map(), // experiment id -> name
    fetcher: createPageFetcher(runsApi.search, PAGE_SIZE),
    counter: createTotalCounter(runsApi.count), // the total beside the pages (total-count.js)
    total: null,
    firstRowsPending: true,
    filterInvalid: false,
    defaultColumns: null, // picked from the first runs loaded, then kept (drawHeader)
    // The chart view's pane (state.charts shows it); the layout of its panels is kept as a
    // chart-view setting, and the panels move themselves.
    charts: createRunsCharts(ctx.signal, (panels) =>
      changeChartView(view, "panels", () => (view.state.panels = panels)),
    ),
  };
  view.live = poll(ctx, () => refreshRunning(view));
  view.table = createVirtualTable({
    viewport: (force) => {
      drawVisibleRows(view, force);
      fetchMoreIfNeeded(view);
    },
    sort: (id) => sortBy(view, id),
    toggle: (id) => toggleNested(view, id),
    select: (id, checked) => selectRun(view, id, checked),
    eye: (id) => toggleHidden(view, id),
    hover: (id) => view.state.charts && view.charts.ticker.dispatchEvent(new CustomEvent("focus-run", { detail: id })),
    color: (id, hex) => changeChartView(view, "colors", () => view.state.colors.set(id, hex)),
    selectAll: (checked) => selectAll(view, checked),
    pin: (id) => changeLayout(view, { pinned: togglePin(view.state.pinned, id) }, "pin"),
    resize: (id, px) => changeLayout(view, { widths: new Map(view.state.widths).set(id, px) }, "widths"),
    move: (id, step) => {
      const ids = view.columns.map((c) => c.id);
      const target = ids[ids.indexOf(id) + step];
      if (target) changeLayout(view, { cols: moveColumn(ids, id, target) }, "cols");
    },
    reorder: (moved, target) =>
      changeLayout(
        view,
        {
          cols: moveColumn(
            view.columns.map((c) => c.id),
            moved,
            target,
          ),
        },
        "cols",
      ),
  });
  view.controls = createControls(view);
  fillGroupSelect(view);
  offerLifecycleToManagers(view);
  replace(container, layout(view));
  ctx.onCleanup(() => {
    disposeVirtualTable(view.table);
    disposeRunsCharts(view.charts);
    view.fetcher.cancel();
    view.counter.cancel();
  });

  storeSaved(savedKey, view.state);
  setQuery(viewQuery(view.state, "view"));
  loadExperimentNames(view);
  updateToolbar(view);
  reload(view);
}

// Layout

function createControls(view) {
  const { state } = view;
  const box = filterBox({
    value: state.filter,
    keys: () => ({
      metric: rankKeys(view.runs.keys.metric, view.runs.counts.metric),
      param: rankKeys(view.runs.keys.param, view.runs.counts.param),
      tag: [...view.runs.keys.tag].sort(),
    }),
    onApply: () => applyFilter(view),
  });
  const filterInput = box.input;
  const viewSelect = h(
    "select",
    { "aria-label": "Lifecycle" },
    Object.keys(VIEW_TYPES).map((v) =>
      h("option", { value: v, selected: v === state.view }, v[0].toUpperCase() + v.slice(1)),
    ),
  );
  viewSelect.addEventListener("change", () => changeLifecycle(view, viewSelect.value));
  return {
    filterBox: box.element,
    title: h("h1", null, view.multi ? `${view.experimentIds.length} experiments` : "Experiment"),
    subtitle: h("div", { class: "muted small" }),
    filterInput,
    filterError: h("div", { class: "field-error hidden", "data-role": "filter-error", role: "alert" }),
    viewSelect,
    columnsButton: h(
      "button",
      { onclick: (e) => openColumnPicker(view, e.currentTarget), "aria-haspopup": "dialog", "aria-expanded": "false" },
      "Columns",
    ),
    expandButton: h(
      "button",
      { onclick: () => toggleExpandAll(view) },
      state.expandAll ? "Collapse nested" : "Expand nested",
    ),
    compareButton: h("button", { class: "primary", onclick: () => compare(view), "data-role": "compare" }, "Compare"),
    lifecycleButton: h("button", { onclick: () => deleteOrRestore(view) }),
    chartsButton: h(
      "button",
      { onclick: () => toggleCharts(view), "aria-pressed": String(state.charts), "data-role": "charts-toggle" },
      "Charts",
    ),
    groupSelect: groupSelect(view),
    tableError: h("div", { class: "hidden" }),
  };
}

function layout(view) {
  const c = view.controls;
  const clear = () => {
    c.filterInput.value = "";
    applyFilter(view);
  };
  return h(
    "div",
    { class: "page fill" },
    pageHeader({
      crumbs: [["Experiments", "#/experiments"]],
      title: c.title,
      subtitle: c.subtitle,
      actions: view.multi ? null : accessButton("experiment", view.experimentIds[0], () => experimentName(view)),
    }),
    view.multi ? null : experimentTabs(view.experimentIds[0], "runs"),
    h(
      "div",
      { class: "row" },
      c.filterBox,
      h("button", { onclick: () => applyFilter(view) }, "Search"),
      h("button", { onclick: clear }, "Clear"),
      c.viewSelect,
      c.columnsButton,
      c.expandButton,
      c.groupSelect,
      c.chartsButton,
      c.lifecycleButton,
      c.compareButton,
    ),
    c.filterError,
    c.tableError,
    h("div", { class: ["runs-body", view.state.charts && "with-charts"] }, view.table.element, view.charts.element),
  );
}

/** The one experiment's name once loaded, its id until then. */
const experimentName = (view) => view.names.get(view.experimentIds[0]) ?? view.experimentIds[0];

async function loadExperimentNames(view) {
  const { ctx, experimentIds, multi, controls } = view;
  try {
    const found = await Promise.all(experimentIds.map((id) => experiments.get(id)));
    if (!ctx.alive()) return;
    for (const exp of found) view.names.set(exp.experiment_id, exp.name);
    controls.title.textContent = multi ? found.map((e) => e.name).join(", ") : found[0].name;
    document.title = `${controls.title.textContent} · trackyard`;
    replace(
      controls.subtitle,
      multi ? `Experiments ${experimentIds.join(", ")}` : `Experiment ID ${found[0].experiment_id}`,
      !multi && found[0].artifact_location ? ` · Artifacts ${found[0].artifact_location}` : "",
      found.some((e) => e.lifecycle_stage === "deleted")
        ? h("span", { class: "badge danger", style: "margin-left: 8px" }, "deleted")
        : null,
    );
    if (multi) drawVisibleRows(view, true); // the experiment column shows names now
  } catch (error) {
    if (!ctx.alive()) return;
    showTableError(view, errorBox(error, "Could not load the experiment"));
  }
}

// Loading pages

/** Start over from the first page: the filter, order or lifecycle changed. */
function reload(view) {
  const { state } = view;
  view.counter.cancel();
  view.total = null;
  view.fetcher.reset({
    experimentIds: view.experimentIds,
    filter: toFilter(state.filter),
    viewType: VIEW_TYPES[state.view],
    orderBy: orderBy(state),
  });
  if (view.runs.rows.length) view.shownBefore = view.runs; // kept on screen if the filter is refused
  view.runs = emptyRuns();
  view.display = [];
  view.firstRowsPending = true;
  scrollToTop(view.table);
  drawHeader(view);
  drawVisibleRows(view, true);
  loadNextPage(view);
}

async function loadNextPage(view) {
  const { fetcher, ctx } = view;
  if (fetcher.loading || fetcher.done) return;
  const pending = fetcher.next();
  showProgress(view);
  try {
    const page = await pending;
    if (page === null || !ctx.alive()) return; // superseded by a newer query, or the view left
    addRows(view.runs, page.map(toRow));
    showFilterError(view, null);
  } catch (error) {
    if (!ctx.alive()) return;
    if (error.status === 400) {
      showFilterError(view, error);
      if (!view.runs.rows.length && view.shownBefore) view.runs = view.shownBefore;
    } else showTableError(view, errorBox(error, "Could not load runs"));
  }
  showNewRows(view);
}

function showNewRows(view) {
  const firstRows = view.firstRowsPending && view.runs.rows.length > 0;
  if (firstRows) {
    view.firstRowsPending = false;
    if (!view.state.cols && !view.defaultColumns) drawHeader(view); // defaults from the first runs
  }
  rebuildDisplay(view);
  drawVisibleRows(view, true);
  fillGroupSelect(view);
  drawCharts(view);
  if (runningIds(view.runs, 1).length) view.live.start();
  // For bench/ui_first_rows.py: navigation start to the first rows in the DOM.
  if (firstRows) performance.mark("trackyard:first-rows");
  if (firstRows && !view.fetcher.done) countRuns(view);
  showProgress(view);
  fetchMoreIfNeeded(view);
}

/** A live poll: the loaded runs that were RUNNING, fetched again in one runs/search. */
async function refreshRunning(view) {
  const ids = runningIds(view.runs);
  if (!ids.length) return false;
  const page = await runsApi.search({
    experimentIds: view.experimentIds,
    filter: `attributes.run_id IN (${ids.map((id) => `'${id}'`).join(", ")})`,
    viewType: "ALL",
    maxResults: ids.length,
    signal: view.ctx.signal,
  });
  if (!view.ctx.alive()) return false;
  updateRows(view.runs, (page.runs || []).map(toRow));
  rebuildDisplay(view);
  drawVisibleRows(view, true);
  if (view.state.charts) view.charts.ticker.dispatchEvent(new Event("tick")); // their points again
  return runningIds(view.runs, 1).length > 0;
}

function fetchMoreIfNeeded(view) {
  if (view.fetcher.done || view.fetcher.loading) return;
  const { scrollTop, height } = viewport(view.table);
  if (wantsMoreRows(scrollTop, height, view.display.length)) loadNextPage(view);
}

// Drawing

/** The rows in display order: nested under their parents, or flat under group headers. */
function rebuildDisplay(view) {
  const { runs, state } = view;
  view.display = state.group ? groupedDisplay(runs.rows, state.group) : displayRows(runs, state);
}

/** The display's runs, without group headers. */
const runEntries = (display) => display.filter((entry) => entry.row);

/**
 * The header for the chosen columns, else the defaults. The defaults are picked once, from
 * the first runs that arrive, and kept while the filter, sort or lifecycle changes (or a
 * filter is refused), so the columns do not jump with every query.
 */
function drawHeader(view) {
  const { state, display, runs } = view;
  if (!state.cols && !view.defaultColumns && runs.rows.length) {
    view.defaultColumns = defaultColumns(runs.keys, view.multi, runs.counts);
  }
  const layout = layoutColumns(
    shownColumns(state.cols || view.defaultColumns, runs.keys, view.multi),
    state.pinned,
    state.widths,
  );
  view.columns = layout.columns;
  const allChecked = display.length > 0 && runEntries(display).every((d) => state.selected.has(d.row.id));
  drawHead(view.table, { layout, sort: state, allChecked });
}

function drawVisibleRows(view, force = false) {
  const { state, runs, fetcher } = view;
  const model = {
    display: view.display,
    columns: view.columns,
    children: state.group ? new Map() : runs.children, // grouped rows are flat
    nesting: state,
    selected: state.selected,
    names: view.names,
    charts: state.charts ? { hidden: state.hidden, colorOf: (id) => runColor(id, state.colors) } : null,
  };
  const redrawn = drawRows(view.table, model, force);
  if (redrawn && !view.display.length && fetcher.done && !fetcher.loading) drawEmpty(view.table, emptyMessage(view));
}

function emptyMessage(view) {
  if (view.filterInvalid) return "Fix the filter above to see runs.";
  return view.state.filter ? "No runs match the filter." : "No runs in this view.";
}

/** The total of the runs the query matches, for the footer; asked after the first rows. */
async function countRuns(view) {
  const total = await view.counter.start(view.fetcher.query);
  if (total === null || !view.ctx.alive()) return;
  view.total = total;
  showProgress(view);
}

function showProgress(view) {
  const { table, fetcher } = view;
  const loaded = view.runs.rows.length;
  drawFooter(table, {
    loaded,
    total: view.total,
    loading: fetcher.loading,
    done: fetcher.done,
    selected: view.state.selected.size,
  });
  if (!loaded && fetcher.loading) drawLoading(table);
}

/** Delete and Restore need MANAGE on every experiment shown (auth on): else not offered. */
function offerLifecycleToManagers(view) {
  const button = view.controls.lifecycleButton;
  button.style.display = "none"; // until the server says the user may
  experimentPermissions(view.experimentIds)
    .then((levels) => {
      if (view.experimentIds.every((id) => atLeast(levels.get(id) || "READ", "MANAGE"))) button.style.display = "";
    })
    .catch(() => {});
}

function updateToolbar(view) {
  const { state, controls } = view;
  const n = state.selected.size;
  controls.compareButton.disabled = n < 1;
  controls.compareButton.textContent = n ? `Compare ${n}` : "Compare";
  controls.lifecycleButton.disabled = n < 1;
  controls.lifecycleButton.textContent =
    state.view === "deleted" ? `Restore${n ? ` ${n}` : ""}` : `Delete${n ? ` ${n}` : ""}`;
  controls.lifecycleButton.className = state.view === "deleted" ? "" : "danger";
  controls.expandButton.textContent = state.expandAll ? "Collapse nested" : "Expand nested";
  setQuery(viewQuery(state, "selection"));
}

function showFilterError(view, error) {
  const { filterInput, filterError, tableError } = view.controls;
  view.filterInvalid = Boolean(error);
  tableError.classList.add("hidden");
  filterError.classList.toggle("hidden", !error);
  filterInput.classList.toggle("invalid", Boolean(error));
  replace(
    filterError,
    error ? [h("div", null, error.message), h("div", { class: "grammar muted" }, GRAMMAR_HELP)] : null,
  );
}

function showTableError(view, box) {
  replace(view.controls.tableError, box);
  view.controls.tableError.classList.remove("hidden");
}

// What the user does

function applyFilter(view) {
  view.state.filter = view.controls.filterInput.value.trim();
  setQuery(viewQuery(view.state, "filter"));
  storeSaved(view.savedKey, view.state);
  reload(view);
}

function changeLifecycle(view, lifecycle) {
  view.state.view = lifecycle;
  setQuery(viewQuery(view.state, "view"));
  storeSaved(view.savedKey, view.state);
  view.state.selected.clear(); // the selected runs are not in the new list
  updateToolbar(view); // Delete <-> Restore, and no count, in the buttons and the URL
  reload(view);
}

function sortBy(view, columnId) {
  Object.assign(view.state, nextSort(view.state, columnId));
  setQuery(viewQuery(view.state, "sort"), { push: true }); // "back" undoes a sort
  storeSaved(view.savedKey, view.state);
  reload(view);
}

function toggleNested(view, runId) {
  const leavingExpandAll = view.state.expandAll;
  Object.assign(view.state, toggleNesting(view.state, runId, view.runs.children.keys()));
  if (leavingExpandAll) {
    setQuery(viewQuery(view.state, "expand"));
    storeSaved(view.savedKey, view.state);
  }
  showNesting(view);
}

function toggleExpandAll(view) {
  view.state.expandAll = !view.state.expandAll;
  view.state.expanded = new Set();
  setQuery(viewQuery(view.state, "expand"));
  storeSaved(view.savedKey, view.state);
  showNesting(view);
}

function showNesting(view) {
  rebuildDisplay(view);
  drawVisibleRows(view, true);
  updateToolbar(view);
  fetchMoreIfNeeded(view);
}

function selectRun(view, runId, checked) {
  if (checked) view.state.selected.add(runId);
  else view.state.selected.delete(runId);
  updateToolbar(view);
  showProgress(view);
}

function selectAll(view, checked) {
  view.state.selected = selectDisplayed(view.state.selected, runEntries(view.display), checked);
  drawVisibleRows(view, true);
  updateToolbar(view);
  showProgress(view);
}

function setColumns(view, columnIds) {
  view.state.cols = columnIds;
  setQuery(viewQuery(view.state, "cols"));
  storeSaved(view.savedKey, view.state);
  drawHeader(view);
  drawVisibleRows(view, true);
}

/** Pins, widths or order changed: keep them (URL and saved view) and draw the table again. */
function changeLayout(view, changes, part) {
  Object.assign(view.state, changes);
  setQuery(viewQuery(view.state, part));
  storeSaved(view.savedKey, view.state);
  drawHeader(view);
  drawVisibleRows(view, true);
}

function openColumnPicker(view, anchor) {
  toggleColumnPicker(anchor, {
    shownIds: () => view.columns.map((c) => c.id),
    keys: () => view.runs.keys,
    onChange: (ids) => setColumns(view, ids),
    onReset: () => {
      view.defaultColumns = null; // picked again from the runs loaded now
      setColumns(view, null);
    },
    onCleanup: view.ctx.onCleanup,
  });
}

// The chart view and grouping

function drawCharts(view) {
  if (view.state.charts) drawRunsCharts(view.charts, view.runs, view.state);
}

/** Keep a chart-view setting (URL and saved view) after `change`, and draw rows and charts. */
function changeChartView(view, part, change) {
  change();
  setQuery(viewQuery(view.state, part));
  storeSaved(view.savedKey, view.state);
  drawVisibleRows(view, true);
  drawCharts(view);
}

function toggleHidden(view, runId) {
  const { hidden } = view.state;
  changeChartView(view, "hide", () => (hidden.has(runId) ? hidden.delete(runId) : hidden.add(runId)));
  view.table.body.querySelector(`[data-eye="${CSS.escape(runId)}"]`)?.focus(); // the row was drawn again
}

function toggleCharts(view) {
  const { state, controls, charts } = view;
  changeChartView(view, "charts", () => {
    state.charts = !state.charts;
  });
  controls.chartsButton.setAttribute("aria-pressed", String(state.charts));
  charts.element.parentElement.classList.toggle("with-charts", state.charts);
  if (!state.charts) resetRunsCharts(charts);
}

function changeGroup(view, group) {
  changeChartView(view, "group", () => {
    view.state.group = group;
  });
  rebuildDisplay(view);
  drawHeader(view);
  drawVisibleRows(view, true);
  fetchMoreIfNeeded(view);
}

/** "Group by": none, a param or a tag (mlflow.* tags left out) of the loaded runs. */
function groupSelect(view) {
  const select = h("select", { "aria-label": "Group by", "data-role": "group-by" });
  select.addEventListener("change", () => changeGroup(view, select.value));
  return select;
}

function fillGroupSelect(view) {
  const { runs, state, controls } = view;
  const params = rankKeys(runs.keys.param, runs.counts.param);
  const tags = [...runs.keys.tag].filter((k) => !k.startsWith("mlflow.")).sort();
  const keys = JSON.stringify([params, tags, state.group]);
  if (keys === view.groupKeys) return;
  view.groupKeys = keys;
  const option = (value, label) => h("option", { value, selected: value === state.group }, label);
  const options = (label, kind, list) =>
    list.length
      ? h(
          "optgroup",
          { label },
          list.map((k) => option(`${kind}:${k}`, `Group by ${kind === "tag" ? "tag " : ""}${k}`)),
        )
      : null;
  const offered = [...params.map((k) => `param:${k}`), ...tags.map((k) => `tag:${k}`)];
  replace(
    controls.groupSelect,
    option("", "No grouping"),
    // A choice whose runs are not loaded (yet) stays offered.
    state.group && !offered.includes(state.group) ? option(state.group, `Group by ${state.group}`) : null,
    options("Params", "param", params),
    options("Tags", "tag", tags),
  );
}

function compare(view) {
  navigate("/compare", { runs: [...view.state.selected].join(","), experiments: view.experimentIds.join(",") });
}

async function deleteOrRestore(view) {
  const ids = [...view.state.selected];
  if (!ids.length) return;
  const done =
    view.state.view === "deleted"
      ? await attempt(() => Promise.all(ids.map((id) => runsApi.restore(id))), `Restored ${plural(ids.length, "run")}.`)
      : await confirmDialog(
          "Delete runs",
          `Delete ${plural(ids.length, "run")}? Deleted runs can be restored.`,
          "Delete",
          () => Promise.all(ids.map((id) => runsApi.delete(id))),
        );
  if (!done) return;
  view.state.selected.clear();
  updateToolbar(view);
  reload(view);
}
