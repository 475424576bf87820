// views/runs/run-groups.js: run colours, group-by and a group's mean and min-max band.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  aggregateSeries,
  chartGroups,
  chartRuns,
  colorsParam,
  groupedDisplay,
  groupRuns,
  MAX_CHART_RUNS,
  NO_VALUE,
  PALETTE,
  readColors,
  readGroupBy,
  runColor,
} from "../../trackyard/ui/static/js/views/runs/run-groups.js";

const run = (id, params = {}, tags = {}) => ({ id, name: `run-${id}`, params, tags });

test("a run keeps its colour whatever order it comes in, and a chosen colour wins", () => {
  const color = runColor("abc123", new Map());
  assert.ok(PALETTE.includes(color));
  assert.equal(runColor("abc123", null), color);
  assert.equal(runColor("abc123", new Map([["abc123", "#112233"]])), "#112233");
});

test("run ids spread over the palette", () => {
  const colors = new Set(Array.from({ length: 60 }, (_, i) => runColor(`run${i}`)));
  assert.ok(colors.size >= 12, `only ${colors.size} colours`);
});

test("chosen colours round-trip through the URL, bad pairs skipped", () => {
  const colors = readColors("a1@FF0000,b2@00ff00,bad,c3@red,@123456");
  assert.deepEqual(
    [...colors],
    [
      ["a1", "#ff0000"],
      ["b2", "#00ff00"],
    ],
  );
  assert.equal(colorsParam(colors), "a1@ff0000,b2@00ff00");
});

test("group-by takes a param or tag key only", () => {
  assert.equal(readGroupBy("param:lr"), "param:lr");
  assert.equal(readGroupBy("tag:team:a"), "tag:team:a");
  assert.equal(readGroupBy("metric:loss"), "");
  assert.equal(readGroupBy("param:"), "");
  assert.equal(readGroupBy(null), "");
});

test("groups come in numeric order of their value, runs without the key last", () => {
  const rows = [
    run("a", { lr: "0.1" }),
    run("b", { lr: "0.001" }),
    run("c"),
    run("d", { lr: "0.01" }),
    run("e", { lr: "0.1" }),
  ];
  const groups = groupRuns(rows, "param:lr");
  assert.deepEqual(
    groups.map((g) => [g.value, g.rows.map((r) => r.id)]),
    [
      ["0.001", ["b"]],
      ["0.01", ["d"]],
      ["0.1", ["a", "e"]],
      [NO_VALUE, ["c"]],
    ],
  );
  assert.equal(new Set(groups.map((g) => g.color)).size, 4);
});

test("text values group in text order, by tag", () => {
  const rows = [run("a", {}, { opt: "sgd" }), run("b", {}, { opt: "adam" }), run("c", {}, { opt: "sgd" })];
  assert.deepEqual(
    groupRuns(rows, "tag:opt").map((g) => g.value),
    ["adam", "sgd"],
  );
});

test("the grouped table has a header per group, then its runs", () => {
  const display = groupedDisplay([run("a", { o: "x" }), run("b", { o: "y" }), run("c", { o: "x" })], "param:o");
  assert.deepEqual(
    display.map((d) => (d.group ? `${d.group.value}:${d.group.count}` : d.row.id)),
    ["x:2", "a", "c", "y:1", "b"],
  );
});

test("a group's line is the mean at each step, its band the min and max", () => {
  const agg = aggregateSeries([
    [
      [0, 1, 2],
      [1, 2, 3],
    ],
    [
      [0, 1, 3],
      [3, null, 5],
    ],
  ]);
  assert.deepEqual(agg.xs, [0, 1, 2, 3]);
  assert.deepEqual(agg.mean, [2, 2, 3, 5]);
  assert.deepEqual(agg.min, [1, 2, 3, 5]);
  assert.deepEqual(agg.max, [3, 2, 3, 5]);
  assert.deepEqual(agg.count, [2, 1, 1, 1]);
});

test("no series makes an empty line", () => {
  assert.deepEqual(aggregateSeries([]), { xs: [], mean: [], min: [], max: [], count: [] });
});

test("the charts leave hidden runs out and stop at the cap", () => {
  const rows = Array.from({ length: MAX_CHART_RUNS + 5 }, (_, i) => run(`r${i}`));
  const shown = chartRuns(rows, new Set(["r0"]), new Map([["r1", "#000000"]]));
  assert.equal(shown.total, MAX_CHART_RUNS + 4);
  assert.equal(shown.runs.length, MAX_CHART_RUNS);
  assert.equal(shown.runs[0].id, "r1");
  assert.equal(shown.runs[0].color, "#000000");
});

test("chart groups name their key, value and run count", () => {
  const groups = chartGroups([run("a", { o: "x" }), run("b", { o: "x" })], "param:o");
  assert.deepEqual(groups, [{ id: "group:x", name: "o=x (2)", color: PALETTE[0], runIds: ["a", "b"] }]);
});

test("a grouped table's runs carry their group's colour, the one the charts draw them in", () => {
  const rows = [run("a", { o: "x" }), run("b", { o: "y" }), run("c", { o: "x" })];
  const display = groupedDisplay(rows, "param:o");
  const charted = new Map(chartGroups(rows, "param:o").map((g) => [g.id, g.color]));
  for (const entry of display) {
    if (entry.group) assert.equal(entry.group.color, charted.get(`group:${entry.group.value}`));
    else assert.equal(entry.color, charted.get(`group:${entry.row.params.o}`));
  }
});

test("hiding every run of a group shifts no other group's colour", () => {
  const rows = [run("a", { o: "x" }), run("b", { o: "y" }), run("c", { o: "z" })];
  const table = groupedDisplay(rows, "param:o").filter((d) => d.group);
  const shown = rows.filter((r) => r.id !== "a"); // group x hidden from the charts
  const groups = chartGroups(shown, "param:o", rows);
  assert.deepEqual(
    groups.map((g) => [g.id, g.color]),
    table.slice(1).map((d) => [`group:${d.group.value}`, d.group.color]),
  );
  assert.notEqual(groups[0].color, PALETTE[0]);
});
