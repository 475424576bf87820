// views/runs/saved-view.js: the runs view's settings kept per experiment.

import assert from "node:assert/strict";
import { test } from "node:test";

import { savedQuery, savedViewKey, withSavedView } from "../../trackyard/ui/static/js/views/runs/saved-view.js";
import { readViewState } from "../../trackyard/ui/static/js/views/runs/url-state.js";

const state = (search) => readViewState(new URLSearchParams(search));

test("a saved view fills a URL that names no setting", () => {
  const query = new URLSearchParams("sel=a");
  assert.equal(withSavedView(query, "filter=x&sort=metric%3Aloss&dir=asc"), true);
  assert.equal(query.get("filter"), "x");
  assert.equal(query.get("sort"), "metric:loss");
  assert.equal(query.get("sel"), "a");
});

test("a URL that names a setting wins over the saved view", () => {
  const query = new URLSearchParams("filter=y");
  assert.equal(withSavedView(query, "filter=x&sort=metric%3Aloss"), false);
  assert.equal(query.toString(), "filter=y");
});

test("the saved form keeps settings, not the selection, and drops empty ones", () => {
  const saved = savedQuery(state("filter=a&sort=param:lr&dir=asc&cols=attr:status&sel=r1&widths=attr:status@90"));
  assert.equal(saved, "filter=a&view=active&sort=param%3Alr&dir=asc&cols=attr%3Astatus&widths=attr%3Astatus%4090");
  assert.equal(savedQuery(state("")), "view=active");
});

test("the saved form keeps the chart view, its grouping, colours and hidden runs", () => {
  const saved = savedQuery(state("charts=1&group=tag:optimizer&colors=r1@112233&hide=r2"));
  assert.equal(saved, "view=active&charts=1&group=tag%3Aoptimizer&colors=r1%40112233&hide=r2");
  const query = new URLSearchParams();
  withSavedView(query, saved);
  assert.equal(query.get("group"), "tag:optimizer");
});

test("the saved form keeps the chart panels' layout", () => {
  const saved = savedQuery(state("charts=1&panels=val/loss@xl,!best"));
  assert.equal(saved, "view=active&charts=1&panels=val%2Floss%40xl%2C%21best");
  const query = new URLSearchParams();
  withSavedView(query, saved);
  assert.equal(query.get("panels"), "val/loss@xl,!best");
});

test("saved views are kept per set of experiments", () => {
  assert.notEqual(savedViewKey(["1"]), savedViewKey(["1", "2"]));
});

test("column widths in the URL are read within bounds, bad pairs skipped", () => {
  const widths = state("widths=metric:a:b@180,attr:status@9999,bad,x@y").widths;
  assert.deepEqual(
    [...widths],
    [
      ["metric:a:b", 180],
      ["attr:status", 1200],
    ],
  );
});

test("pin lists pinned columns; '-' pins none, no parameter is the default", () => {
  assert.deepEqual(state("pin=attr:run_name,metric:loss").pinned, ["attr:run_name", "metric:loss"]);
  assert.deepEqual(state("pin=-").pinned, []);
  assert.equal(state("").pinned, null);
});
