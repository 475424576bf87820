// chart-layout.js: the chart panels' layout (hidden, moved and resized panels).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  arrangePanels,
  dropPanel,
  hidePanel,
  layoutParam,
  movePanel,
  nextSize,
  readLayout,
  resizePanel,
} from "../../trackyard/ui/static/js/chart-layout.js";

const KEYS = ["val/loss", "val/acc", "train/loss", "train/acc", "best", "system/cpu"];
const order = (keys, entries) => arrangePanels(keys, entries).flatMap(([, panels]) => panels.map((p) => p.key));
const shown = (keys, entries) =>
  arrangePanels(keys, entries).flatMap(([, panels]) => panels.filter((p) => !p.hidden).map((p) => p.key));

test("the default layout keeps the ranked order, in sections, all medium and shown", () => {
  assert.deepEqual(arrangePanels(KEYS, []), [
    [
      "val",
      [
        { key: "val/loss", size: "m", hidden: false },
        { key: "val/acc", size: "m", hidden: false },
      ],
    ],
    [
      "train",
      [
        { key: "train/loss", size: "m", hidden: false },
        { key: "train/acc", size: "m", hidden: false },
      ],
    ],
    ["other", [{ key: "best", size: "m", hidden: false }]],
    ["system", [{ key: "system/cpu", size: "m", hidden: false }]],
  ]);
});

test("hiding a panel leaves it out of the shown ones and moves no other", () => {
  const layout = hidePanel(KEYS, [], "train/loss");
  assert.deepEqual(shown(KEYS, layout), ["val/loss", "val/acc", "train/acc", "best", "system/cpu"]);
  assert.deepEqual(order(KEYS, layout), order(KEYS, []));
  assert.deepEqual(shown(KEYS, hidePanel(KEYS, layout, "train/loss", false)), order(KEYS, []));
});

test("moving a panel swaps it with its shown neighbour within its section", () => {
  const later = movePanel(KEYS, [], "val/loss", 1);
  assert.deepEqual(order(KEYS, later).slice(0, 2), ["val/acc", "val/loss"]);
  assert.deepEqual(order(KEYS, movePanel(KEYS, later, "val/loss", -1)), order(KEYS, []));
  // Hidden panels are stepped over.
  const keys = ["val/a", "val/b", "val/c"];
  assert.deepEqual(order(keys, movePanel(keys, hidePanel(keys, [], "val/b"), "val/a", 1)), ["val/b", "val/c", "val/a"]);
});

test("a panel first or last in its section moves no further", () => {
  assert.equal(movePanel(KEYS, [], "val/loss", -1), null);
  assert.equal(movePanel(KEYS, [], "val/acc", 1), null);
  assert.equal(movePanel(KEYS, [], "best", 1), null);
  assert.equal(movePanel(KEYS, hidePanel(KEYS, [], "val/acc"), "val/acc", -1), null);
});

test("sizes cycle small, medium, large, full width", () => {
  assert.deepEqual(["s", "m", "l", "xl"].map(nextSize), ["m", "l", "xl", "s"]);
  const layout = resizePanel(KEYS, [], "val/acc", "xl");
  assert.equal(arrangePanels(KEYS, layout)[0][1][1].size, "xl");
});

test("the layout survives its URL form", () => {
  let layout = hidePanel(KEYS, [], "system/cpu");
  layout = resizePanel(KEYS, layout, "val/acc", "l");
  layout = movePanel(KEYS, layout, "train/acc", -1);
  const text = layoutParam(layout);
  assert.equal(text, "val/loss,val/acc@l,train/acc,train/loss,best,!system/cpu");
  assert.deepEqual(readLayout(text), layout);
  assert.equal(layoutParam([]), "");
  assert.deepEqual(readLayout(""), []);
});

test("keys with the URL form's separators are escaped", () => {
  const keys = ["a,b", "c@d", "!e", "50%"];
  const layout = resizePanel(keys, hidePanel(keys, [], "!e"), "c@d", "s");
  const text = layoutParam(layout);
  assert.equal(text, "a%2Cb,c%40d@s,!%21e,50%25");
  assert.deepEqual(readLayout(text), layout);
});

test("bad entries in the URL are left out", () => {
  assert.deepEqual(readLayout("a@huge,,b@l,b,%E0%A4%A,!"), [{ key: "b", size: "l", hidden: false }]);
});

test("entries of keys not shown now are kept for later, and new keys come last in their section", () => {
  const layout = hidePanel(KEYS, [], "val/acc");
  const fewer = ["val/loss", "train/loss"];
  const kept = resizePanel(fewer, layout, "val/loss", "s");
  assert.equal(readLayout(layoutParam(kept)).find((e) => e.key === "val/acc").hidden, true);
  assert.deepEqual(order([...KEYS, "val/new"], kept).slice(0, 3), ["val/loss", "val/acc", "val/new"]);
});

test("a panel dropped on another of its section takes its place", () => {
  const keys = ["val/a", "val/b", "val/c", "train/a"];
  assert.deepEqual(order(keys, dropPanel(keys, [], "val/a", "val/c")), ["val/b", "val/c", "val/a", "train/a"]);
  assert.deepEqual(order(keys, dropPanel(keys, [], "val/c", "val/a")), ["val/c", "val/a", "val/b", "train/a"]);
  assert.equal(dropPanel(keys, [], "val/a", "train/a"), null);
  assert.equal(dropPanel(keys, [], "val/a", "val/a"), null);
});
