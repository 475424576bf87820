// key-rank.js: which metric and param keys come first in tables, charts and plots.

import assert from "node:assert/strict";
import { test } from "node:test";

import { countKeys, rankKeys } from "../../trackyard/ui/static/js/key-rank.js";

test("rankKeys puts the keys most runs have first and system metrics last", () => {
  const counts = new Map([
    ["system/cpu", 60],
    ["rare", 2],
    ["acc", 60],
  ]);
  assert.deepEqual(rankKeys(["system/cpu", "rare", "acc"], counts), ["acc", "rare", "system/cpu"]);
});

test("rankKeys puts losses, then validation, before other keys as common", () => {
  const keys = ["train/accuracy", "best_val_accuracy", "train/loss", "val/accuracy", "val/loss"];
  const counts = new Map(keys.map((k) => [k, 60]));
  assert.deepEqual(rankKeys(keys, counts), [
    "val/loss",
    "train/loss",
    "val/accuracy",
    "best_val_accuracy",
    "train/accuracy",
  ]);
});

test("rankKeys falls back to names without counts", () => {
  assert.deepEqual(rankKeys(new Set(["b", "a"]), new Map()), ["a", "b"]);
});

test("countKeys counts the items that have each key", () => {
  const counts = countKeys([{ metrics: { a: 1, b: 2 } }, { metrics: { a: 3 } }], "metrics");
  assert.deepEqual(
    [...counts],
    [
      ["a", 2],
      ["b", 1],
    ],
  );
});
