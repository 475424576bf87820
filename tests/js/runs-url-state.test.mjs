// views/runs/url-state.js: the runs view's state <-> the URL's query parameters.

import assert from "node:assert/strict";
import { test } from "node:test";

import { readViewState, viewQuery } from "../../trackyard/ui/static/js/views/runs/url-state.js";

const read = (search) => readViewState(new URLSearchParams(search));

test("an empty query is the default view: active runs, server order, default columns", () => {
  assert.deepEqual(read(""), {
    filter: "",
    view: "active",
    sort: "",
    asc: false,
    cols: null,
    selected: new Set(),
    expandAll: false,
    expanded: new Set(),
    widths: new Map(),
    pinned: null,
    charts: false,
    group: "",
    colors: new Map(),
    hidden: new Set(),
    panels: [],
  });
});

test("every parameter is read", () => {
  const state = read(
    "filter=metrics.loss+%3C+1&view=deleted&sort=metric:loss&dir=asc&cols=attr:status,param:lr&sel=a,b&expand=1",
  );
  assert.equal(state.filter, "metrics.loss < 1");
  assert.equal(state.view, "deleted");
  assert.equal(state.sort, "metric:loss");
  assert.equal(state.asc, true);
  assert.deepEqual(state.cols, ["attr:status", "param:lr"]);
  assert.deepEqual(state.selected, new Set(["a", "b"]));
  assert.equal(state.expandAll, true);
});

test("an unknown lifecycle falls back to active runs", () => {
  assert.equal(read("view=archived").view, "active");
});

test("column ids that name no column are dropped", () => {
  assert.deepEqual(read("cols=attr:status,attr:nope,bogus,metric:,tag:team").cols, ["attr:status", "tag:team"]);
});

test("dir means ascending only when it says asc", () => {
  assert.equal(read("sort=attr:status&dir=desc").asc, false);
});

test("the default state writes the lifecycle and empty parameters, which setQuery removes", () => {
  assert.deepEqual(viewQuery(read("")), {
    filter: "",
    view: "active",
    sort: "",
    dir: "",
    cols: "",
    expand: "",
    sel: "",
    widths: "",
    pin: "",
    charts: "",
    group: "",
    colors: "",
    hide: "",
    panels: "",
  });
});

test("the chart view's settings are read and written back", () => {
  const state = read("charts=1&group=param:lr&colors=r1@00ff00&hide=r2,r3");
  assert.equal(state.charts, true);
  assert.equal(state.group, "param:lr");
  assert.deepEqual([...state.colors], [["r1", "#00ff00"]]);
  assert.deepEqual(state.hidden, new Set(["r2", "r3"]));
  assert.deepEqual(viewQuery(state, "charts", "group", "colors", "hide"), {
    charts: "1",
    group: "param:lr",
    colors: "r1@00ff00",
    hide: "r2,r3",
  });
});

test("viewQuery writes only the parts it is asked for", () => {
  const state = read("sort=metric:loss&dir=asc&sel=a");
  assert.deepEqual(viewQuery(state, "sort"), { sort: "metric:loss", dir: "asc" });
  assert.deepEqual(viewQuery(state, "selection", "expand"), { sel: "a", expand: "" });
});

test("a descending sort writes no dir", () => {
  assert.deepEqual(viewQuery({ sort: "metric:loss", asc: false }, "sort"), { sort: "metric:loss", dir: "" });
});

test("no sort writes no dir even if ascending was left set", () => {
  assert.deepEqual(viewQuery({ sort: "", asc: true }, "sort"), { sort: "", dir: "" });
});

test("a state written to the URL reads back the same", () => {
  const state = read("filter=x&view=all&sort=param:lr&dir=asc&cols=metric:f1,tag:team&sel=r1,r2&expand=1");
  const again = read(new URLSearchParams(Object.entries(viewQuery(state)).filter(([, v]) => v !== "")).toString());
  assert.deepEqual(again, state);
});

test("the chart panels' layout is read and written back", () => {
  const state = read("panels=val%2Floss%40l%2C!system%2Fcpu");
  assert.deepEqual(state.panels, [
    { key: "val/loss", size: "l", hidden: false },
    { key: "system/cpu", size: "m", hidden: true },
  ]);
  assert.deepEqual(viewQuery(state, "panels"), { panels: "val/loss@l,!system/cpu" });
});
