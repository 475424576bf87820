// The runs page's chart view without the DOM: each run's colour (stable per run, or the
// user's choice), grouping runs by a param or tag, and a group's mean and min-max band over
// steps. Pure functions over plain data, so tests/js/ can check them in Node.

import { PALETTE } from "../../palette.js";

export { PALETTE };

/** The runs a chart view draws at most (two bulk history requests per metric). */
export const MAX_CHART_RUNS = 200;

/** The group of runs that lack the grouping key. */
export const NO_VALUE = "(none)";

/**
 * A run's colour: the user's choice (`chosen`: run id -> #rrggbb), else one picked from the
 * run id, so a run keeps its colour whatever the filter, sort or page it comes in.
 */
export function runColor(id, chosen) {
  const own = chosen?.get(id);
  if (own) return own;
  let hash = 2166136261; // FNV-1a
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619);
  return PALETTE[(hash >>> 0) % PALETTE.length];
}

/** The colour of the n-th group: groups are few, so they take the palette in order. */
export function groupColor(index) {
  return PALETTE[index % PALETTE.length];
}

/** The chosen colours from the URL: `runid@rrggbb` pairs joined by commas; bad pairs skipped. */
export function readColors(text) {
  const colors = new Map();
  for (const pair of (text || "").split(",")) {
    const [id, hex] = pair.split("@");
    if (id && /^[0-9a-f]{6}$/i.test(hex || "")) colors.set(id, `#${hex.toLowerCase()}`);
  }
  return colors;
}

/** The chosen colours as the URL holds them. */
export function colorsParam(colors) {
  return [...colors].map(([id, hex]) => `${id}@${hex.slice(1)}`).join(",");
}

/** A group-by choice from the URL: `param:<key>` or `tag:<key>`, else "" (no grouping). */
export function readGroupBy(text) {
  const match = /^(param|tag):(.+)$/.exec(text || "");
  return match ? text : "";
}

/** A run's value for a group-by choice, or NO_VALUE. */
export function groupValue(row, by) {
  const colon = by.indexOf(":");
  const source = by.slice(0, colon) === "param" ? row.params : row.tags;
  const value = source[by.slice(colon + 1)];
  return value === undefined || value === "" ? NO_VALUE : value;
}

/** Numbers in numeric order ("0.001" before "0.01" before "0.1"), then text, NO_VALUE last. */
function compareValues(a, b) {
  if (a === NO_VALUE || b === NO_VALUE) return (a === NO_VALUE) - (b === NO_VALUE);
  const x = Number(a);
  const y = Number(b);
  const numeric = a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y);
  if (numeric && x !== y) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Rows grouped by a param or tag, groups in value order, runs in their given order:
 * [{value, rows, color}]. Every row counts once, nested or not: a group is a set of runs.
 */
export function groupRuns(rows, by) {
  const groups = new Map();
  for (const row of rows) {
    const value = groupValue(row, by);
    if (!groups.has(value)) groups.set(value, []);
    groups.get(value).push(row);
  }
  return [...groups.keys()]
    .sort(compareValues)
    .map((value, i) => ({ value, rows: groups.get(value), color: groupColor(i) }));
}

/**
 * The table's rows when grouped: per group a header entry {group: {value, count, color, by}}
 * followed by its runs, flat ({row, depth: 0, color}: the group's colour, the one its runs
 * are drawn in), as displayRows' entries are.
 */
export function groupedDisplay(rows, by) {
  const out = [];
  for (const group of groupRuns(rows, by)) {
    out.push({ group: { value: group.value, count: group.rows.length, color: group.color, by } });
    for (const row of group.rows) out.push({ row, depth: 0, color: group.color });
  }
  return out;
}

/**
 * One line for several runs' series ([xs, ys] each, xs ascending): at every x any run has,
 * the mean, min and max of the values logged there (nulls skipped; an x where no run has a
 * value gives nulls). Returns {xs, mean, min, max, count}.
 */
export function aggregateSeries(series) {
  const at = new Map(); // x -> [sum, min, max, n]
  for (const [xs, ys] of series) {
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (y === null || y === undefined || !Number.isFinite(y)) continue;
      const cell = at.get(xs[i]);
      if (!cell) at.set(xs[i], [y, y, y, 1]);
      else {
        cell[0] += y;
        if (y < cell[1]) cell[1] = y;
        if (y > cell[2]) cell[2] = y;
        cell[3] += 1;
      }
    }
  }
  const xs = [...at.keys()].sort((a, b) => a - b);
  const cells = xs.map((x) => at.get(x));
  return {
    xs,
    mean: cells.map((c) => c[0] / c[3]),
    min: cells.map((c) => c[1]),
    max: cells.map((c) => c[2]),
    count: cells.map((c) => c[3]),
  };
}

/**
 * The runs the chart view draws: the loaded runs minus the hidden ones, at most
 * MAX_CHART_RUNS, each as {id, name, color}. `total` says how many were eligible.
 */
export function chartRuns(rows, hidden, chosen) {
  const shown = rows.filter((row) => !hidden.has(row.id));
  return {
    runs: shown
      .slice(0, MAX_CHART_RUNS)
      .map((row) => ({ id: row.id, name: row.name, color: runColor(row.id, chosen) })),
    total: shown.length,
    rows: shown.slice(0, MAX_CHART_RUNS),
  };
}

/**
 * The groups the chart view draws: {id, name, color, runIds} per group of the shown runs.
 * Colours come from the groups of `colorRows` (the runs page's loaded runs, hidden ones too),
 * as the table's group rows take them, so hiding every run of a group shifts no colour.
 */
export function chartGroups(rows, by, colorRows = rows) {
  const key = by.slice(by.indexOf(":") + 1);
  const colors = new Map(groupRuns(colorRows, by).map((group) => [group.value, group.color]));
  return groupRuns(rows, by).map((group) => ({
    id: `group:${group.value}`,
    name: `${key}=${group.value} (${group.rows.length})`,
    color: colors.get(group.value) ?? group.color,
    runIds: group.rows.map((row) => row.id),
  }));
}
