// views/runs/search-help.js: plain-text search, key completion and the grammar.

import assert from "node:assert/strict";
import { test } from "node:test";

import { quoteKey, suggest, toFilter } from "../../trackyard/ui/static/js/views/runs/search-help.js";

const KEYS = {
  metric: ["val/loss", "train/loss", "val/accuracy"],
  param: ["lr", "optimizer"],
  tag: ["mlflow.user", "team"],
};

test("plain text searches run names, as MLflow's UI does", () => {
  assert.equal(toFilter("trial"), "attributes.run_name ILIKE '%trial%'");
  assert.equal(toFilter("  trial-0 "), "attributes.run_name ILIKE '%trial-0%'");
  assert.equal(toFilter("bob's run"), `attributes.run_name ILIKE "%bob's run%"`);
});

test("a filter with the grammar's syntax is sent as it is", () => {
  for (const filter of ["metrics.loss < 1", "params.lr = '0.1'", "tags.team LIKE 'v%'", "status IN ('RUNNING')", ""]) {
    assert.equal(toFilter(filter), filter);
  }
});

test("a bare word that starts a prefix completes to the prefixes", () => {
  assert.deepEqual(suggest("m", 1, KEYS), { from: 0, items: ["metrics."] });
  assert.deepEqual(suggest("metrics.loss < 1 and p", 22, KEYS), { from: 21, items: ["params."] });
  assert.equal(suggest("trial", 5, KEYS), null);
});

test("a prefix completes to its keys, in the order given, matching anywhere", () => {
  assert.deepEqual(suggest("metrics.loss", 12, KEYS).items, ["metrics.val/loss", "metrics.train/loss"]);
  assert.deepEqual(suggest("params.", 7, KEYS).items, ["params.lr", "params.optimizer"]);
  assert.deepEqual(suggest("attributes.st", 13, KEYS).items, ["attributes.status", "attributes.start_time"]);
});

test("system tags complete only when typed", () => {
  assert.deepEqual(suggest("tags.", 5, KEYS).items, ["tags.team"]);
  assert.deepEqual(suggest("tags.mlflow", 11, KEYS).items, ["tags.mlflow.user"]);
});

test("keys with spaces or symbols are backquoted", () => {
  assert.equal(quoteKey("val/loss"), "val/loss");
  assert.equal(quoteKey("my metric"), "`my metric`");
});
