// What a metric chart's x-axis shows: the step, the wall-clock time, the time since the run's
// first point, or another metric. Pure: points in, [xs, ys] out, so it is unit-tested in Node.

import { formatDuration, formatNumber, toNumber } from "./format.js";

export const X_MODES = { step: "Step", wall: "Wall time", relative: "Relative time" };
const METRIC_PREFIX = "metric:";

/** The x mode a URL value names: one of X_MODES, `metric:<key>`, else "step". */
export function parseXMode(raw) {
  if (typeof raw !== "string") return "step";
  if (Object.hasOwn(X_MODES, raw)) return raw;
  if (raw.startsWith(METRIC_PREFIX) && raw.length > METRIC_PREFIX.length) return raw;
  return "step";
}

/** The metric key an x mode plots against, or null for step and the times. */
export function xMetricKey(mode) {
  return mode.startsWith(METRIC_PREFIX) ? mode.slice(METRIC_PREFIX.length) : null;
}

export const metricXMode = (key) => `${METRIC_PREFIX}${key}`;

/** The axis's name: "Step", "Wall time", ... or the x metric's key. */
export function xLabel(mode) {
  return xMetricKey(mode) ?? X_MODES[mode];
}

/** The x value as the tooltip reads it. */
export function formatX(mode, v) {
  if (v === null || v === undefined) return "";
  if (mode === "wall") return new Date(v * 1000).toLocaleString();
  if (mode === "relative") return formatDuration(v * 1000);
  if (xMetricKey(mode) !== null) return formatNumber(v);
  return String(v);
}

/** A step -> value map of the x metric's points (the last logged at a step wins). */
function valuesByStep(xPoints) {
  const byStep = new Map();
  for (const p of xPoints) {
    const value = toNumber(p.value);
    if (Number.isFinite(value)) byStep.set(Number(p.step || 0), value);
    else byStep.delete(Number(p.step || 0));
  }
  return byStep;
}

/**
 * One run's points as [xs, ys], xs ascending with one y per x (the last logged wins).
 * With a metric as x, each point is paired with the x metric's value at the same step; points
 * at steps the x metric has no finite value for are left out. With `logScale`, values <= 0
 * (and any non-finite value) become gaps (null).
 */
export function toSeries(points, mode, { logScale = false, xPoints = [] } = {}) {
  if (!points.length) return [[], []];
  const byStep = xMetricKey(mode) === null ? null : valuesByStep(xPoints);
  const t0 = Math.min(...points.map((p) => Number(p.timestamp)));
  const keyed = new Map();
  for (const p of points) {
    const step = Number(p.step || 0);
    let x;
    if (byStep) x = byStep.get(step);
    else if (mode === "wall") x = Number(p.timestamp) / 1000;
    else if (mode === "relative") x = (Number(p.timestamp) - t0) / 1000;
    else x = step;
    if (x === undefined) continue;
    let y = toNumber(p.value);
    if (!Number.isFinite(y) || (logScale && y <= 0)) y = null;
    keyed.set(x, y);
  }
  const xs = [...keyed.keys()].sort((a, b) => a - b);
  return [xs, xs.map((x) => keyed.get(x))];
}
