// views/runs/table-model.js: the runs table without the DOM.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addRows,
  cellValue,
  columnSpec,
  defaultColumns,
  displayRows,
  emptyRuns,
  labelWidth,
  layoutColumns,
  loggedModelNames,
  moveColumn,
  nextSort,
  OVERSCAN,
  orderBy,
  PAGE_SIZE,
  pickerGroups,
  ROW_HEIGHT,
  reorderColumns,
  runningIds,
  selectDisplayed,
  shownColumns,
  sourceName,
  toggleNesting,
  togglePin,
  toRow,
  updateRows,
  visibleRange,
  wantsMoreRows,
} from "../../trackyard/ui/static/js/views/runs/table-model.js";

/** A runs/search run. */
function apiRun(id, { parent, metrics = {}, params = {}, tags = {}, ...info } = {}) {
  const allTags = { ...tags, ...(parent ? { "mlflow.parentRunId": parent } : {}) };
  return {
    info: { run_id: id, run_name: id, experiment_id: "1", status: "FINISHED", lifecycle_stage: "active", ...info },
    data: {
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value })),
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      tags: Object.entries(allTags).map(([key, value]) => ({ key, value })),
    },
  };
}

const keysOf = (runs) => ({ metric: [...runs.keys.metric], param: [...runs.keys.param], tag: [...runs.keys.tag] });
const loaded = (...runs) =>
  addRows(
    emptyRuns(),
    runs.map((run) => toRow(run)),
  );
const shown = (runs, nesting = { expandAll: false, expanded: new Set() }) =>
  displayRows(runs, nesting).map(({ row, depth }) => `${"  ".repeat(depth)}${row.id}`);
const keys = (metric = [], param = [], tag = []) => ({
  metric: new Set(metric),
  param: new Set(param),
  tag: new Set(tag),
});

// Rows

test("toRow flattens a run's info, metrics, params and tags", () => {
  const row = toRow(
    apiRun("r1", {
      user_id: "ana",
      start_time: 5,
      end_time: 9,
      metrics: { loss: 0.5 },
      params: { lr: "0.1" },
      tags: { team: "vision" },
    }),
  );
  assert.equal(row.id, "r1");
  assert.equal(row.name, "r1");
  assert.equal(row.experimentId, "1");
  assert.equal(row.user, "ana");
  assert.equal(row.status, "FINISHED");
  assert.deepEqual([row.start, row.end, row.deleted, row.parent], [5, 9, false, null]);
  assert.deepEqual({ ...row.metrics }, { loss: 0.5 });
  assert.deepEqual({ ...row.params }, { lr: "0.1" });
  assert.deepEqual({ ...row.tags }, { team: "vision" });
});

test("toRow reads MLflow 1's run_uuid, and the name and user from tags when the info lacks them", () => {
  const row = toRow({
    info: { run_uuid: "u1", experiment_id: "1" },
    data: {
      tags: [
        { key: "mlflow.runName", value: "named" },
        { key: "mlflow.user", value: "bo" },
      ],
    },
  });
  assert.equal(row.id, "u1");
  assert.equal(row.name, "named");
  assert.equal(row.user, "bo");
});

test("toRow marks a deleted run and reads its parent from mlflow.parentRunId", () => {
  const row = toRow(apiRun("c", { parent: "p", lifecycle_stage: "deleted" }));
  assert.equal(row.deleted, true);
  assert.equal(row.parent, "p");
});

test("toRow reads a run without data", () => {
  const row = toRow({ info: { run_id: "r", experiment_id: "1" } });
  assert.equal(row.name, "r");
  assert.deepEqual({ ...row.metrics }, {});
});

test("sourceName keeps the file name of a POSIX or Windows path", () => {
  assert.equal(sourceName({ "mlflow.source.name": "/home/me/train.py" }), "train.py");
  assert.equal(sourceName({ "mlflow.source.name": "C:\\work\\train.py" }), "train.py");
  assert.equal(sourceName({}), "");
});

test("loggedModelNames lists the artifact paths of the model history tag", () => {
  const tags = { "mlflow.log-model.history": JSON.stringify([{ artifact_path: "model" }, { artifact_path: "best" }]) };
  assert.equal(loggedModelNames(tags), "model, best");
});

test("loggedModelNames is empty for a missing or broken history tag", () => {
  assert.equal(loggedModelNames({}), "");
  assert.equal(loggedModelNames({ "mlflow.log-model.history": "{not json" }), "");
});

test("addRows records children under their parent and every key seen", () => {
  const runs = loaded(
    apiRun("p", { metrics: { loss: 1 } }),
    apiRun("c", { parent: "p", params: { lr: "1" }, tags: { t: "x" } }),
  );
  assert.deepEqual(
    runs.rows.map((r) => r.id),
    ["p", "c"],
  );
  assert.deepEqual(
    runs.children.get("p").map((r) => r.id),
    ["c"],
  );
  assert.deepEqual(keysOf(runs), { metric: ["loss"], param: ["lr"], tag: ["t", "mlflow.parentRunId"] });
});

test("addRows skips a run already loaded (a page boundary moved under concurrent writes)", () => {
  const runs = loaded(apiRun("a"), apiRun("b"));
  addRows(runs, [toRow(apiRun("b")), toRow(apiRun("c"))]);
  assert.deepEqual(
    runs.rows.map((r) => r.id),
    ["a", "b", "c"],
  );
});

test("displayRows hides the children of a closed parent", () => {
  assert.deepEqual(shown(loaded(apiRun("p"), apiRun("c", { parent: "p" }), apiRun("q"))), ["p", "q"]);
});

test("displayRows draws an open parent's children under it, one level deeper", () => {
  const runs = loaded(apiRun("p"), apiRun("q"), apiRun("c", { parent: "p" }), apiRun("g", { parent: "c" }));
  assert.deepEqual(shown(runs, { expandAll: false, expanded: new Set(["p"]) }), ["p", "  c", "q"]);
  assert.deepEqual(shown(runs, { expandAll: true, expanded: new Set() }), ["p", "  c", "    g", "q"]);
});

test("displayRows keeps a child whose parent is not loaded at the top level", () => {
  assert.deepEqual(shown(loaded(apiRun("c", { parent: "elsewhere" }))), ["c"]);
});

test("displayRows keeps a run that names itself as parent at the top level", () => {
  assert.deepEqual(shown(loaded(apiRun("a", { parent: "a" }))), ["a"]);
});

test("displayRows leaves out runs in a parent cycle", () => {
  const runs = loaded(apiRun("a", { parent: "b" }), apiRun("b", { parent: "a" }), apiRun("top"));
  assert.deepEqual(shown(runs, { expandAll: true, expanded: new Set() }), ["top"]);
});

test("displayRows stops nesting past depth 20", () => {
  const chain = [apiRun("r0")];
  for (let i = 1; i < 30; i++) chain.push(apiRun(`r${i}`, { parent: `r${i - 1}` }));
  const rows = displayRows(loaded(...chain), { expandAll: true, expanded: new Set() });
  assert.equal(rows.length, 22);
  assert.equal(rows.at(-1).depth, 21);
});

test("toggleNesting opens and closes one parent", () => {
  const opened = toggleNesting({ expandAll: false, expanded: new Set() }, "p", ["p", "q"]);
  assert.deepEqual(opened, { expandAll: false, expanded: new Set(["p"]) });
  assert.deepEqual(toggleNesting(opened, "p", ["p", "q"]).expanded, new Set());
});

test("toggleNesting from 'expand all' keeps every parent open except the one clicked", () => {
  const next = toggleNesting({ expandAll: true, expanded: new Set() }, "p", ["p", "q", "r"]);
  assert.deepEqual(next, { expandAll: false, expanded: new Set(["q", "r"]) });
});

test("toggleNesting does not change the nesting it is given", () => {
  const nesting = { expandAll: false, expanded: new Set(["q"]) };
  toggleNesting(nesting, "p", ["p", "q"]);
  assert.deepEqual(nesting.expanded, new Set(["q"]));
});

test("selectDisplayed adds or removes the displayed runs and keeps other selections", () => {
  const display = displayRows(loaded(apiRun("a"), apiRun("b")), { expandAll: false, expanded: new Set() });
  assert.deepEqual(selectDisplayed(new Set(["x"]), display, true), new Set(["x", "a", "b"]));
  assert.deepEqual(selectDisplayed(new Set(["x", "a"]), display, false), new Set(["x"]));
});

// Columns

test("columnSpec describes an attribute column with its server sort key", () => {
  const spec = columnSpec("attr:status");
  assert.deepEqual([spec.kind, spec.key, spec.label, spec.sort], ["attr", "status", "Status", "attributes.status"]);
});

test("columnSpec gives no sort key for a column the server cannot order by", () => {
  assert.equal(columnSpec("attr:duration").sort, null);
});

test("columnSpec quotes metric, param and tag keys for order_by; metrics are numeric", () => {
  assert.equal(columnSpec("metric:val loss").sort, "metrics.`val loss`");
  assert.equal(columnSpec("metric:loss").numeric, true);
  assert.equal(columnSpec("param:lr").sort, "params.`lr`");
  assert.equal(columnSpec("param:lr").numeric, false);
  assert.equal(columnSpec("tag:team").sort, "tags.`team`");
});

test("columnSpec keeps everything after the first colon as the key", () => {
  assert.equal(columnSpec("param:a:b").key, "a:b");
});

test("columnSpec is null for an id that names no column", () => {
  for (const id of ["attr:nope", "metric:", "other:x", "nocolon", ""]) assert.equal(columnSpec(id), null, id);
});

test("defaultColumns are the main attributes, then the first 8 metrics and params by name", () => {
  const metrics = ["m09", "m01", "m02", "m03", "m04", "m05", "m06", "m07", "m08"];
  const cols = defaultColumns(keys(metrics, ["lr"], ["team"]), false);
  assert.deepEqual(cols, [
    "attr:start_time",
    "attr:duration",
    "attr:status",
    "attr:user_id",
    "attr:source",
    "metric:m01",
    "metric:m02",
    "metric:m03",
    "metric:m04",
    "metric:m05",
    "metric:m06",
    "metric:m07",
    "metric:m08",
    "param:lr",
  ]);
});

test("defaultColumns add the experiment column when several experiments show", () => {
  assert.ok(defaultColumns(keys(), true).includes("attr:experiment"));
  assert.ok(!defaultColumns(keys(), false).includes("attr:experiment"));
});

test("shownColumns are the chosen columns, else the defaults, as specs", () => {
  assert.deepEqual(
    shownColumns(["tag:team", "param:lr"], keys(), false).map((c) => c.id),
    ["tag:team", "param:lr"],
  );
  assert.equal(shownColumns(null, keys(["loss"]), false).at(-1).id, "metric:loss");
});

test("reorderColumns keeps the current order and puts new columns last", () => {
  const chosen = new Set(["param:lr", "attr:status", "metric:f1"]);
  assert.deepEqual(reorderColumns(["attr:status", "attr:user_id", "param:lr"], chosen), [
    "attr:status",
    "param:lr",
    "metric:f1",
  ]);
});

test("pickerGroups lists attributes, metrics, params and tags, keys sorted", () => {
  const groups = pickerGroups(keys(["b", "a"], ["lr"], ["team"]), "");
  assert.deepEqual(
    groups.map(([title]) => title),
    ["Attributes", "Metrics", "Parameters", "Tags"],
  );
  assert.deepEqual(groups[1][1], [
    ["metric:a", "a"],
    ["metric:b", "b"],
  ]);
  assert.deepEqual(groups[0][1][0], ["attr:start_time", "Created"]);
});

test("pickerGroups hide system tags until the search asks for them", () => {
  const all = keys([], [], ["team", "mlflow.user"]);
  assert.deepEqual(pickerGroups(all, "").at(-1)[1], [["tag:team", "team"]]);
  assert.deepEqual(pickerGroups(all, "mlflow").at(-1)[1], [["tag:mlflow.user", "mlflow.user"]]);
});

test("pickerGroups match the search in labels and drop empty groups", () => {
  assert.deepEqual(pickerGroups(keys(["loss", "acc"], ["lr"]), "los"), [["Metrics", [["metric:loss", "loss"]]]]);
  assert.deepEqual(pickerGroups(keys(), "creat"), [["Attributes", [["attr:start_time", "Created"]]]]);
});

test("cellValue formats a metric and keeps its full value as the tooltip", () => {
  const row = toRow(apiRun("r", { metrics: { loss: 0.123456789 } }));
  assert.deepEqual(cellValue(columnSpec("metric:loss"), row, new Map()), {
    text: "0.123457",
    title: "0.123456789",
    missing: false,
  });
});

test("cellValue marks a run without the key as missing", () => {
  const row = toRow(apiRun("r"));
  assert.equal(cellValue(columnSpec("param:lr"), row, new Map()).missing, true);
});

test("cellValue shows a param or tag as it is", () => {
  const row = toRow(apiRun("r", { params: { lr: "1e-3" }, tags: { team: "vision" } }));
  assert.equal(cellValue(columnSpec("param:lr"), row, new Map()).text, "1e-3");
  assert.equal(cellValue(columnSpec("tag:team"), row, new Map()).text, "vision");
});

test("cellValue names the experiment, or shows its id until names are loaded", () => {
  const row = toRow(apiRun("r"));
  assert.equal(cellValue(columnSpec("attr:experiment"), row, new Map([["1", "sweep"]])).text, "sweep");
  assert.equal(cellValue(columnSpec("attr:experiment"), row, new Map()).text, "1");
});

test("cellValue's Created tooltip is the exact time", () => {
  const start = new Date(2024, 0, 2, 3, 4, 5).getTime();
  const value = cellValue(columnSpec("attr:start_time"), toRow(apiRun("r", { start_time: start })), new Map());
  assert.equal(value.title, "2024-01-02 03:04:05");
});

// Sorting

test("nextSort cycles a column: descending, ascending, default order", () => {
  let sort = { sort: "", asc: false };
  sort = nextSort(sort, "metric:loss");
  assert.deepEqual(sort, { sort: "metric:loss", asc: false });
  sort = nextSort(sort, "metric:loss");
  assert.deepEqual(sort, { sort: "metric:loss", asc: true });
  assert.deepEqual(nextSort(sort, "metric:loss"), { sort: "", asc: false });
});

test("nextSort on another column starts it descending", () => {
  assert.deepEqual(nextSort({ sort: "metric:loss", asc: true }, "param:lr"), { sort: "param:lr", asc: false });
});

test("orderBy gives runs/search's order_by for the sort", () => {
  assert.deepEqual(orderBy({ sort: "metric:loss", asc: true }), ["metrics.`loss` ASC"]);
  assert.deepEqual(orderBy({ sort: "attr:start_time", asc: false }), ["attributes.start_time DESC"]);
  assert.deepEqual(orderBy({ sort: "attr:run_name", asc: false }), ["attributes.run_name DESC"]);
});

test("orderBy is empty (the server's default) without a sort or for an unsortable column", () => {
  assert.deepEqual(orderBy({ sort: "", asc: false }), []);
  assert.deepEqual(orderBy({ sort: "attr:duration", asc: true }), []);
  assert.deepEqual(orderBy({ sort: "bogus", asc: true }), []);
});

// The viewport

test("visibleRange covers the view plus the overscan on each side", () => {
  const top = 100 * ROW_HEIGHT;
  assert.deepEqual(visibleRange(top, 10 * ROW_HEIGHT, 1000), { first: 100 - OVERSCAN, last: 110 + OVERSCAN });
});

test("visibleRange stays inside the rows there are", () => {
  assert.deepEqual(visibleRange(0, 10 * ROW_HEIGHT, 1000), { first: 0, last: 10 + OVERSCAN });
  assert.deepEqual(visibleRange(0, 10 * ROW_HEIGHT, 3), { first: 0, last: 3 });
  assert.deepEqual(visibleRange(0, 500, 0), { first: 0, last: 0 });
});

test("visibleRange draws a few dozen rows however many are loaded", () => {
  const { first, last } = visibleRange(50_000 * ROW_HEIGHT, 900, 100_000);
  assert.ok(last - first < 60, `${last - first} rows`);
});

test("wantsMoreRows once the view's bottom is within half a page of the last row", () => {
  const height = 20 * ROW_HEIGHT;
  assert.equal(wantsMoreRows(0, height, 20 + PAGE_SIZE / 2), true);
  assert.equal(wantsMoreRows(0, height, 20 + PAGE_SIZE / 2 + 1), false);
  assert.equal(wantsMoreRows(100 * ROW_HEIGHT, height, 20 + PAGE_SIZE / 2 + 1), true);
});

test("defaultColumns rank metrics by how many loaded runs have them, system/* last", () => {
  const runs = emptyRuns();
  addRows(runs, [
    toRow(apiRun("a", { metrics: { "system/cpu": 1, "val/loss": 1, "train/loss": 1 }, params: { lr: "1" } })),
    toRow(apiRun("b", { metrics: { "val/loss": 1, "train/loss": 1 }, params: { lr: "1", seed: "2" } })),
  ]);
  const cols = defaultColumns(runs.keys, false, runs.counts);
  assert.deepEqual(cols.slice(5), [
    "metric:val/loss",
    "metric:train/loss",
    "metric:system/cpu",
    "param:lr",
    "param:seed",
  ]);
});

test("updateRows puts newer copies of loaded runs in place, under the same parent", () => {
  const runs = emptyRuns();
  addRows(runs, [toRow(apiRun("p")), toRow(apiRun("c", { parent: "p", status: "RUNNING" }))]);
  assert.deepEqual(runningIds(runs), ["c"]);
  updateRows(runs, [toRow(apiRun("c", { parent: "p", status: "FINISHED", metrics: { loss: 1 } })), toRow(apiRun("x"))]);
  assert.equal(runs.byId.get("c").status, "FINISHED");
  assert.equal(runs.children.get("p")[0].status, "FINISHED");
  assert.deepEqual(
    runs.rows.map((r) => r.id),
    ["p", "c"],
  );
  assert.ok(runs.keys.metric.has("loss"));
  assert.deepEqual(runningIds(runs), []);
});

test("layoutColumns puts pinned columns after the name, with sticky offsets and set widths", () => {
  const specs = ["attr:status", "metric:loss", "param:lr"].map(columnSpec);
  const layout = layoutColumns(specs, ["attr:run_name", "param:lr"], new Map([["param:lr", 150]]));
  assert.deepEqual(
    layout.columns.map((c) => [c.id, c.pinned, c.left, c.width]),
    [
      ["param:lr", true, 34 + 260, 150],
      ["attr:status", false, null, 100],
      ["metric:loss", false, null, columnSpec("metric:loss").width],
    ],
  );
  assert.deepEqual(layout.name, { width: 260, pinned: true, left: 34 });
  assert.match(layout.template, /^34px 260px 150px 100px minmax\(\d+px, 1fr\)$/);
});

test("layoutColumns pins the name alone by default, and nothing when asked", () => {
  const specs = [columnSpec("attr:status")];
  assert.equal(layoutColumns(specs, null, new Map()).name.pinned, true);
  assert.equal(layoutColumns(specs, [], new Map()).name.pinned, false);
});

test("moveColumn puts the moved column in the target's place", () => {
  assert.deepEqual(moveColumn(["a", "b", "c", "d"], "d", "b"), ["a", "d", "b", "c"]);
  assert.deepEqual(moveColumn(["a", "b", "c", "d"], "a", "c"), ["b", "c", "a", "d"]);
  assert.deepEqual(moveColumn(["a", "b"], "a", "x"), ["a", "b"]);
});

test("togglePin starts from the default (the name) and toggles one id", () => {
  assert.deepEqual(togglePin(null, "metric:loss"), ["attr:run_name", "metric:loss"]);
  assert.deepEqual(togglePin(["attr:run_name"], "attr:run_name"), []);
});

test("labelWidth fits the whole key name, within 100-260 px", () => {
  assert.equal(labelWidth("lr"), 100);
  assert.ok(labelWidth("best_val_accuracy") >= 17 * 7.5);
  assert.equal(labelWidth("x".repeat(100)), 260);
});
