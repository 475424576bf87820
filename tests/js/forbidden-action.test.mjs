// api.js's forbiddenAction: the words a 403 is explained with ("You do not have permission
// to ...") from the refused call's method and path.

import assert from "node:assert/strict";
import { test } from "node:test";

import { forbiddenAction } from "../../trackyard/ui/static/js/api.js";

test("a write names the verb and the resource", () => {
  assert.equal(forbiddenAction("POST", "ajax-api/2.0/mlflow/runs/delete"), "delete this run");
  assert.equal(forbiddenAction("POST", "ajax-api/2.0/mlflow/experiments/update"), "change this experiment");
  assert.equal(forbiddenAction("DELETE", "ajax-api/2.0/mlflow/registered-models/delete-tag"), "change this model");
  assert.equal(forbiddenAction("POST", "ajax-api/2.0/mlflow/runs/set-tag"), "change this run");
});

test("a read is seeing the resource", () => {
  assert.equal(forbiddenAction("GET", "ajax-api/2.0/mlflow/runs/get?run_id=x"), "see this run");
  assert.equal(forbiddenAction("GET", "api/2.0/mlflow-artifacts/artifacts"), "see these artifacts");
});

test("administration is named as such, and anything else stays general", () => {
  assert.equal(forbiddenAction("GET", "ajax-api/2.0/mlflow/users/list"), "manage users");
  assert.equal(forbiddenAction("POST", "ajax-api/3.0/mlflow/users/permissions/grant"), "manage access");
  assert.equal(forbiddenAction("POST", "ajax-api/2.0/trackyard/unknown"), "change this");
});
