// compare-plots.js: the pure parts of the compare view's plots (axes, their ticks and labels).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  categoryLabelRoom,
  labelAt,
  labelBox,
  makeAxis,
  shortNumber,
  thinTicks,
} from "../../trackyard/ui/static/js/compare-plots.js";

const ticks = (count) => Array.from({ length: count }, (_, i) => ({ at: i / (count - 1), label: `c${i}` }));
const labels = (kept) => kept.map((t) => t.label);
const gaps = (kept, length) => kept.slice(1).map((t, i) => Math.round((t.at - kept[i].at) * length * 1e6) / 1e6);

test("ticks with room for every label are all kept", () => {
  assert.deepEqual(labels(thinTicks(ticks(5), 344, 20)), ["c0", "c1", "c2", "c3", "c4"]);
});

test("60 categories on a 344 px axis keep the first and last, and no two labels touch", () => {
  const kept = thinTicks(ticks(60), 344, 20);
  assert.equal(kept[0].label, "c0");
  assert.equal(kept[kept.length - 1].label, "c59");
  assert.ok(kept.length >= 10, `${kept.length} labels`);
  for (const gap of gaps(kept, 344)) assert.ok(gap >= 20, `${gap} px`);
});

test("the label before the last gives way when it would touch the last", () => {
  // 11 ticks 10 px apart, every 2nd kept: c0, c2 ... c10 ends on the last; 12 ticks do not.
  const kept = thinTicks(ticks(12), 110, 20);
  assert.deepEqual(labels(kept), ["c0", "c2", "c4", "c6", "c8", "c11"]);
  for (const gap of gaps(kept, 110)) assert.ok(gap >= 20, `${gap} px`);
});

test("an axis too short for two labels keeps only the first; one or no tick is kept as it is", () => {
  assert.deepEqual(labels(thinTicks(ticks(3), 10, 20)), ["c0"]);
  assert.deepEqual(thinTicks([{ at: 0.5, label: "only" }], 344, 20), [{ at: 0.5, label: "only" }]);
  assert.deepEqual(thinTicks([], 344, 20), []);
});

test("ticks come back in axis order whatever order they came in", () => {
  const shuffled = [ticks(3)[2], ticks(3)[0], ticks(3)[1]];
  assert.deepEqual(labels(thinTicks(shuffled, 344, 20)), ["c0", "c1", "c2"]);
});

test("a category axis ticks every category with its whole text, for the plot to thin and cut", () => {
  const long = "augmentations=RandomResizedCrop(size=96,scale=(0.08,1.0))";
  const axis = makeAxis("p", ["b", long, "a", "b", undefined]);
  assert.deepEqual(labels(axis.ticks), ["a", "augmentations=RandomResizedCrop(size=96,scale=(0.08,1.0))", "b"]);
  assert.deepEqual(
    axis.ticks.map((t) => t.at),
    [0, 0.5, 1],
  );
});

test("labels beside a scale have 3 significant digits, in formatNumber's forms", () => {
  assert.equal(shortNumber(0.149352), "0.149");
  assert.equal(shortNumber(0.668505), "0.669");
  assert.equal(shortNumber(12345.678), "12300");
  assert.equal(shortNumber(-2.7149), "-2.71");
  assert.equal(shortNumber(42), "42");
  assert.equal(shortNumber(0), "0");
  assert.equal(shortNumber("0.5"), "0.5");
  assert.equal(shortNumber(3e12), "3000000000000");
});

test("a label's box lies where its text align puts it, 14 px high around its middle", () => {
  assert.deepEqual(labelBox("left", 100, 50, 40), { x: 100, y: 43, width: 40, height: 14 });
  assert.deepEqual(labelBox("right", 74, 50, 40), { x: 34, y: 43, width: 40, height: 14 });
  assert.deepEqual(labelBox("center", 100, 50, 40), { x: 80, y: 43, width: 40, height: 14 });
});

test("the pointer over a cut label's box finds that label, off every box none", () => {
  const cut = [
    { ...labelBox("right", 74, 50, 48), text: "resnet50-pretrained-imagenet21k" },
    { ...labelBox("center", 300, 384, 86), text: "vit-b16-pretrained-imagenet21k" },
  ];
  assert.equal(labelAt(cut, 30, 50)?.text, "resnet50-pretrained-imagenet21k");
  assert.equal(labelAt(cut, 74, 57)?.text, "resnet50-pretrained-imagenet21k"); // its corner
  assert.equal(labelAt(cut, 257, 390)?.text, "vit-b16-pretrained-imagenet21k");
  assert.equal(labelAt(cut, 20, 50), undefined); // left of the first
  assert.equal(labelAt(cut, 30, 58), undefined); // under it
  assert.equal(labelAt([], 30, 50), undefined);
});

test("category y labels get the widest one's room, up to a quarter of the plot, never under 50 px", () => {
  const models = [176.83, 218.57, 184.63]; // px: vit-b16-pretrained-imagenet21k, efficientnet-b4-..., a markup name
  assert.equal(categoryLabelRoom(models, 1376), 219); // 1440 px: every name whole
  assert.equal(categoryLabelRoom(models, 960), 219); // 1024 px: a quarter is 240, still whole
  assert.equal(categoryLabelRoom(models, 720), 180); // the longer two cut, whole on hover
  assert.equal(categoryLabelRoom([12, 30.2], 1376), 50); // short names keep a number's room
  assert.equal(categoryLabelRoom([], 1376), 50);
});
