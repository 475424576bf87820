// metric-charts.js's chartSections: charts grouped by metric prefix.

import assert from "node:assert/strict";
import { test } from "node:test";

// metric-charts.js imports uPlot, which touches no DOM at import time.
const { chartSections } = await import("../../trackyard/ui/static/js/metric-charts.js");

test("chartSections groups keys by prefix in the order given, system last", () => {
  const keys = ["system/cpu", "val/loss", "train/loss", "val/accuracy", "best"];
  assert.deepEqual(chartSections(keys), [
    ["val", ["val/loss", "val/accuracy"]],
    ["train", ["train/loss"]],
    ["other", ["best"]],
    ["system", ["system/cpu"]],
  ]);
});

test("chartSections puts keys without a prefix in 'other'", () => {
  assert.deepEqual(chartSections(["loss", "acc"]), [["other", ["loss", "acc"]]]);
});
