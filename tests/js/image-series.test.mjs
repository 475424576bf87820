// image-series.js: images logged per step, from a run's images/ listing.

import assert from "node:assert/strict";
import { test } from "node:test";

const { imageAt, imageSeries, parseImageName, unionSteps } = await import(
  "../../trackyard/ui/static/js/image-series.js"
);

const name = (key, step, ts, id = "0b5d", compressed = false, sep = "+") =>
  `images/${key}${sep}step${sep}${step}${sep}timestamp${sep}${ts}${sep}${id}${compressed ? `${sep}compressed.webp` : ".png"}`;
const file = (path) => ({ path, is_dir: false, file_size: 10 });

test("parseImageName reads key, step, timestamp, id; ~ in the key is /", () => {
  assert.deepEqual(parseImageName(name("samples~pred", 4, 1700000000000, "a-b-c")), {
    key: "samples/pred",
    step: 4,
    timestamp: 1700000000000,
    id: "a-b-c",
    compressed: false,
  });
  assert.equal(parseImageName(name("k", 1, 2, "u", true)).compressed, true);
});

test("parseImageName accepts the older % separator", () => {
  assert.equal(parseImageName(name("k", 3, 9, "u", false, "%")).step, 3);
});

test("parseImageName refuses other files", () => {
  assert.equal(parseImageName("images/plot.png"), null);
  assert.equal(parseImageName("images/k+step+x+timestamp+1+u.png"), null);
  assert.equal(parseImageName("model/MLmodel"), null);
});

test("imageSeries pairs each image with its thumbnail and orders by step", () => {
  const files = [
    file(name("k", 2, 20, "b")),
    file(name("k", 2, 20, "b", true)),
    file(name("k", 0, 10, "a")),
    file("images/readme.txt"),
    { path: "images/sub", is_dir: true },
  ];
  const series = imageSeries(files);
  assert.deepEqual([...series.keys()], ["k"]);
  assert.deepEqual(series.get("k"), [
    { step: 0, timestamp: 10, path: name("k", 0, 10, "a"), thumbnail: name("k", 0, 10, "a") },
    { step: 2, timestamp: 20, path: name("k", 2, 20, "b"), thumbnail: name("k", 2, 20, "b", true) },
  ]);
});

test("imageSeries keeps the latest image of a step logged twice", () => {
  const series = imageSeries([file(name("k", 1, 50, "new")), file(name("k", 1, 10, "old"))]);
  assert.equal(series.get("k").length, 1);
  assert.equal(series.get("k")[0].timestamp, 50);
});

test("imageSeries leaves out a thumbnail without its image and sorts keys", () => {
  const series = imageSeries([file(name("z", 0, 1)), file(name("a", 0, 1, "x", true)), file(name("b", 0, 1))]);
  assert.deepEqual([...series.keys()], ["b", "z"]);
});

test("unionSteps and imageAt: the shared slider and each run's image at or before it", () => {
  const a = [{ step: 0 }, { step: 10 }];
  const b = [{ step: 5 }, { step: 10 }, { step: 15 }];
  assert.deepEqual(unionSteps([a, b]), [0, 5, 10, 15]);
  assert.equal(imageAt(a, 15).step, 10);
  assert.equal(imageAt(a, 5).step, 0);
  assert.equal(imageAt(b, 0), null);
});

test("parseStep reads a whole number and nothing else", async () => {
  const { parseStep } = await import("../../trackyard/ui/static/js/image-series.js");
  assert.equal(parseStep("40"), 40);
  assert.equal(parseStep("-1"), null);
  assert.equal(parseStep("1e3"), null);
  assert.equal(parseStep(null), null);
});
