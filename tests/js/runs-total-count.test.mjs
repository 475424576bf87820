// views/runs/total-count.js: the runs table's total, one count per query.

import assert from "node:assert/strict";
import { test } from "node:test";

const { createTotalCounter } = await import("../../trackyard/ui/static/js/views/runs/total-count.js");

const query = { experimentIds: ["1"], filter: "metrics.loss < 1", viewType: "ALL", orderBy: ["x"] };

test("start asks for the query's scope and filter and resolves to the total", async () => {
  const asked = [];
  const counter = createTotalCounter(async (request) => {
    asked.push(request);
    return 20000;
  });
  assert.equal(await counter.start(query), 20000);
  assert.deepEqual(Object.keys(asked[0]).sort(), ["experimentIds", "filter", "signal", "viewType"]);
  assert.equal(asked[0].filter, "metrics.loss < 1");
});

test("a newer start aborts the count in flight and drops its answer", async () => {
  const signals = [];
  let release;
  const counter = createTotalCounter((request) => {
    signals.push(request.signal);
    if (signals.length === 1) return new Promise((resolve) => (release = resolve));
    return Promise.resolve(7);
  });
  const first = counter.start(query);
  const second = counter.start({ ...query, filter: "" });
  release(99);
  assert.equal(await first, null);
  assert.equal(await second, 7);
  assert.equal(signals[0].aborted, true);
});

test("cancel drops the answer in flight", async () => {
  let release;
  const counter = createTotalCounter(() => new Promise((resolve) => (release = resolve)));
  const pending = counter.start(query);
  counter.cancel();
  release(5);
  assert.equal(await pending, null);
});

test("a failed count resolves to null", async () => {
  const counter = createTotalCounter(async () => {
    throw new Error("server error");
  });
  assert.equal(await counter.start(query), null);
});
