// format.js: how times, durations, metric numbers and sizes show in the UI.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  elapsedTicks,
  formatBytes,
  formatDuration,
  formatNumber,
  formatRelative,
  formatTime,
  plural,
  runDuration,
  toMap,
  toNumber,
} from "../../trackyard/ui/static/js/format.js";

const MINUTE = 60 * 1000;

test("toNumber reads the API's NaN and Infinity strings", () => {
  assert.equal(toNumber(1.5), 1.5);
  assert.equal(toNumber("Infinity"), Infinity);
  assert.equal(toNumber("-Infinity"), -Infinity);
  assert.ok(Number.isNaN(toNumber("NaN")));
});

test("toNumber gives NaN for a missing value", () => {
  assert.ok(Number.isNaN(toNumber(undefined)));
  assert.ok(Number.isNaN(toNumber(null)));
  assert.ok(Number.isNaN(toNumber("")));
});

test("formatTime shows local date and time to the second", () => {
  const ms = new Date(2024, 0, 2, 3, 4, 5).getTime();
  assert.equal(formatTime(ms), "2024-01-02 03:04:05");
  assert.equal(formatTime(String(ms)), "2024-01-02 03:04:05");
});

test("formatTime is empty for a missing or invalid time", () => {
  assert.equal(formatTime(undefined), "");
  assert.equal(formatTime(""), "");
  assert.equal(formatTime("soon"), "");
});

test("formatRelative counts whole units back from now", () => {
  assert.equal(formatRelative(Date.now() - 10 * 1000), "just now");
  assert.equal(formatRelative(Date.now() - MINUTE - 1000), "1 minute ago");
  assert.equal(formatRelative(Date.now() - 5 * MINUTE - 1000), "5 minutes ago");
  assert.equal(formatRelative(Date.now() - 3 * 24 * 60 * MINUTE), "3 days ago");
});

test("formatRelative shows a future time as a date", () => {
  const future = Date.now() + 60 * MINUTE;
  assert.equal(formatRelative(future), formatTime(future));
});

test("formatDuration picks the unit by size", () => {
  assert.equal(formatDuration(250), "250ms");
  assert.equal(formatDuration(1500), "1.5s");
  assert.equal(formatDuration(125 * 1000), "2m 5s");
  assert.equal(formatDuration((2 * 3600 + 30 * 60) * 1000), "2h 30m");
  assert.equal(formatDuration((3 * 86400 + 4 * 3600) * 1000), "3d 4h");
});

test("formatDuration is empty for a missing or negative duration", () => {
  assert.equal(formatDuration(undefined), "");
  assert.equal(formatDuration(Number.NaN), "");
  assert.equal(formatDuration(-1), "");
});

test("runDuration is end minus start for a finished run", () => {
  assert.equal(runDuration({ start_time: "1000", end_time: "3500", status: "FINISHED" }), "2.5s");
});

test("runDuration of a run still running counts to now", () => {
  assert.equal(runDuration({ start_time: Date.now() - 10 * 1000, status: "RUNNING" }), "10.0s");
});

test("runDuration is empty without a start, or without an end once stopped", () => {
  assert.equal(runDuration({ end_time: 5 }), "");
  assert.equal(runDuration({ start_time: 5, status: "KILLED" }), "");
});

test("formatNumber keeps integers and rounds to 6 significant digits", () => {
  assert.equal(formatNumber(42), "42");
  assert.equal(formatNumber(1.5e12), "1500000000000");
  assert.equal(formatNumber(0.123456789), "0.123457");
  assert.equal(formatNumber("3.5"), "3.5");
});

test("formatNumber writes very small and very large numbers in exponent form", () => {
  assert.equal(formatNumber(0.00001234), "1.2340e-5");
  assert.equal(formatNumber(1234567890.5), "1.2346e+9");
  assert.equal(formatNumber(2e15), "2.0000e+15");
  assert.equal(formatNumber(0), "0");
});

test("formatNumber shows infinities and NaN, and other strings as they are", () => {
  assert.equal(formatNumber("Infinity"), "∞");
  assert.equal(formatNumber(-Infinity), "-∞");
  assert.equal(formatNumber("NaN"), "NaN");
  assert.equal(formatNumber("n/a"), "n/a");
});

test("formatBytes uses binary units", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(20 * 1024 * 1024), "20 MiB");
  assert.equal(formatBytes(""), "");
});

test("toMap turns [{key, value}] into an object", () => {
  assert.deepEqual(
    {
      ...toMap([
        { key: "a", value: "1" },
        { key: "b", value: "2" },
      ]),
    },
    { a: "1", b: "2" },
  );
  assert.deepEqual({ ...toMap(undefined) }, {});
});

test("toMap's object has no prototype, so a key like __proto__ is plain data", () => {
  const key = "__proto__";
  const map = toMap([{ key, value: "x" }]);
  assert.equal(map[key], "x");
  assert.equal(Object.getPrototypeOf(map), null);
});

test("plural adds an s unless the count is one", () => {
  assert.equal(plural(1, "run"), "1 run");
  assert.equal(plural(0, "run"), "0 runs");
  assert.equal(plural(3, "run"), "3 runs");
});

test("elapsedTicks labels every tick in the one unit the span calls for", () => {
  assert.deepEqual(elapsedTicks([0, 20, 40, 60]), ["0s", "20s", "40s", "60s"]);
  assert.deepEqual(elapsedTicks([0, 100, 200, 300]), ["0:00", "1:40", "3:20", "5:00"]);
  assert.deepEqual(elapsedTicks([0, 3600, 7200, null]), ["0:00", "1:00", "2:00", ""]);
  assert.deepEqual(elapsedTicks([0, 86400, 172800]), ["0d", "1d", "2d"]);
});
