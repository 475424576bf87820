// color-scale.js: parallel coordinates' continuous colour scale.

import assert from "node:assert/strict";
import { test } from "node:test";

import { scaleColor, scaleGradient, scaleStops, wantsLogScale } from "../../trackyard/ui/static/js/color-scale.js";

const luminance = (hex) => {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a, b) => {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high + 0.05) / (low + 0.05);
};

test("the ends of the scale are its first and last stops, in either theme", () => {
  for (const dark of [false, true]) {
    const stops = scaleStops(dark);
    assert.equal(scaleColor(0, dark), stops[0]);
    assert.equal(scaleColor(1, dark), stops[stops.length - 1]);
  }
});

test("values outside 0..1 are clamped, and a missing position is the low end", () => {
  assert.equal(scaleColor(-3), scaleColor(0));
  assert.equal(scaleColor(7), scaleColor(1));
  assert.equal(scaleColor(Number.NaN), scaleColor(0));
});

test("the colour between two stops mixes them", () => {
  const stops = scaleStops(false);
  const half = 0.5 / (stops.length - 1); // halfway between the first two stops
  const mid = scaleColor(half);
  assert.match(mid, /^#[0-9a-f]{6}$/);
  for (const k of [1, 3, 5]) {
    const [a, b, m] = [stops[0], stops[1], mid].map((c) => parseInt(c.slice(k, k + 2), 16));
    assert.ok(Math.abs(m - (a + b) / 2) <= 1, `${stops[0]} ${stops[1]} -> ${mid}`);
  }
});

test("every colour of the scale keeps 3:1 against its theme's panel", () => {
  for (const [dark, panel] of [
    [false, "#ffffff"],
    [true, "#1b1f26"],
  ]) {
    for (let i = 0; i <= 20; i++) {
      const color = scaleColor(i / 20, dark);
      assert.ok(contrast(color, panel) >= 3, `${color} on ${panel}: ${contrast(color, panel).toFixed(2)}`);
    }
  }
});

test("the scale is ordered by lightness, low to high or high to low, never both", () => {
  for (const dark of [false, true]) {
    const values = Array.from({ length: 21 }, (_, i) => luminance(scaleColor(i / 20, dark)));
    const steps = values.slice(1).map((v, i) => Math.sign(v - values[i]));
    assert.ok(steps.every((s) => s >= 0) || steps.every((s) => s <= 0), `${dark ? "dark" : "light"}: ${values}`);
  }
});

test("the colour bar's gradient runs through every stop", () => {
  assert.equal(scaleGradient(true), `linear-gradient(to right, ${scaleStops(true).join(", ")})`);
});

test("values spread over three powers of ten are coloured by log10", () => {
  assert.equal(wantsLogScale(["0.1", "0.01", "0.001", "0.0001"]), true);
  assert.equal(wantsLogScale([0.5, 2.3, 1.1]), false);
  assert.equal(wantsLogScale([0, 10, 1000]), false, "zero has no log");
  assert.equal(wantsLogScale(["adam", "sgd"]), false);
  assert.equal(wantsLogScale([]), false);
});
