// metric-x.js: what a metric chart's x-axis shows (step, times, or another metric).

import assert from "node:assert/strict";
import { test } from "node:test";

const { formatX, parseXMode, toSeries, xLabel, xMetricKey } = await import("../../trackyard/ui/static/js/metric-x.js");

const point = (step, value, timestamp = 1000 + step * 500) => ({ step, value, timestamp });

test("parseXMode keeps the known modes and metric:<key>, else step", () => {
  assert.equal(parseXMode("relative"), "relative");
  assert.equal(parseXMode("metric:train/loss"), "metric:train/loss");
  assert.equal(parseXMode("metric:"), "step");
  assert.equal(parseXMode("toString"), "step");
  assert.equal(parseXMode(null), "step");
});

test("xMetricKey and xLabel name the x metric", () => {
  assert.equal(xMetricKey("metric:lr"), "lr");
  assert.equal(xMetricKey("wall"), null);
  assert.equal(xLabel("metric:lr"), "lr");
  assert.equal(xLabel("step"), "Step");
});

test("toSeries by step sorts the steps, the last value at a step wins", () => {
  const points = [point(2, 0.5), point(0, 1), point(2, 0.4)];
  assert.deepEqual(toSeries(points, "step"), [
    [0, 2],
    [1, 0.4],
  ]);
});

test("toSeries by relative time counts seconds from the run's first point", () => {
  const [xs] = toSeries([point(0, 1, 5000), point(1, 2, 7500)], "relative");
  assert.deepEqual(xs, [0, 2.5]);
});

test("toSeries by wall time gives epoch seconds", () => {
  const [xs] = toSeries([point(0, 1, 5000)], "wall");
  assert.deepEqual(xs, [5]);
});

test("toSeries with a metric as x pairs points by step and sorts by the x value", () => {
  const loss = [point(0, 2.0), point(1, 1.0), point(2, 0.5)];
  const accuracy = [point(0, 0.1), point(1, 0.6), point(2, 0.3)];
  assert.deepEqual(toSeries(loss, "metric:accuracy", { xPoints: accuracy }), [
    [0.1, 0.3, 0.6],
    [2.0, 0.5, 1.0],
  ]);
});

test("toSeries with a metric as x leaves out steps the x metric lacks or has non-finite", () => {
  const loss = [point(0, 2), point(1, 1), point(2, 0.5)];
  const x = [point(0, 10), point(2, "NaN")];
  assert.deepEqual(toSeries(loss, "metric:x", { xPoints: x }), [[10], [2]]);
});

test("toSeries with a metric as x uses the x value last logged at a step", () => {
  const loss = [point(0, 2)];
  const x = [point(0, 1), point(0, 3)];
  assert.deepEqual(toSeries(loss, "metric:x", { xPoints: x }), [[3], [2]]);
});

test("toSeries on a log scale turns values <= 0 and non-finite ones into gaps", () => {
  const points = [point(0, 0), point(1, "Infinity"), point(2, 4)];
  assert.deepEqual(toSeries(points, "step", { logScale: true }), [
    [0, 1, 2],
    [null, null, 4],
  ]);
});

test("toSeries of no points is empty", () => {
  assert.deepEqual(toSeries([], "metric:x", { xPoints: [point(0, 1)] }), [[], []]);
});

test("formatX reads a metric x as a number and relative time as a duration", () => {
  assert.equal(formatX("metric:x", 0.25), "0.25");
  assert.equal(formatX("step", 7), "7");
  assert.equal(formatX("relative", null), "");
});
