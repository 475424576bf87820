// Metric charts with uPlot. Points come from get-history-bulk-interval, which samples long
// histories on the server, so a million-point metric costs the browser ~1000 points per
// run. Zooming in (by step) fetches the visible window again at full detail.

import uPlot from "../vendor/uPlot.esm.js";
import { metrics as metricsApi } from "./api.js";
import { cssVar, debounce, h, replace } from "./dom.js";
import { formatDuration, formatNumber, toNumber } from "./format.js";

export const X_MODES = { step: "Step", wall: "Wall time", relative: "Relative time" };
const MAX_POINTS = 1000;
const RUNS_PER_REQUEST = 100; // the endpoint's limit

/** Chart settings shared by every chart on a page, kept in the URL by the caller. */
export function readChartSettings(query) {
  const x = X_MODES[query.get("x")] ? query.get("x") : "step";
  const smooth = Math.min(0.99, Math.max(0, Number(query.get("smooth")) || 0));
  return { x, log: query.get("log") === "1", smooth };
}

export function chartControls(settings, onChange) {
  const xSelect = h(
    "select",
    { "aria-label": "X axis", "data-role": "x-axis" },
    Object.entries(X_MODES).map(([value, label]) => h("option", { value, selected: value === settings.x }, label)),
  );
  const log = h("input", { type: "checkbox", checked: settings.log, "data-role": "log-scale" });
  const smooth = h("input", {
    type: "range",
    min: "0",
    max: "0.99",
    step: "0.01",
    value: String(settings.smooth),
    "data-role": "smoothing",
  });
  const smoothValue = h("span", { class: "muted small mono" }, settings.smooth.toFixed(2));
  xSelect.addEventListener("change", () => onChange({ ...settings, x: xSelect.value }));
  log.addEventListener("change", () => onChange({ ...settings, log: log.checked }));
  smooth.addEventListener("input", () => {
    smoothValue.textContent = Number(smooth.value).toFixed(2);
  });
  smooth.addEventListener("change", () => onChange({ ...settings, smooth: Number(smooth.value) }));
  return h(
    "div",
    { class: "chart-controls" },
    h("label", { class: "inline" }, "X axis", xSelect),
    h("label", { class: "inline" }, log, "Log scale"),
    h("label", { class: "inline" }, "Smoothing", smooth, smoothValue),
    h("span", { class: "muted small" }, "Drag to zoom, double-click to reset."),
  );
}

/** Exponential moving average with TensorBoard's debiasing; nulls pass through. */
export function smooth(values, weight) {
  if (!weight) return values;
  const out = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count++;
    out[i] = last / (1 - weight ** count);
  }
  return out;
}

async function fetchPoints(runIds, key, { startStep, endStep, signal } = {}) {
  const byRun = new Map(runIds.map((id) => [id, []]));
  const requests = [];
  for (let i = 0; i < runIds.length; i += RUNS_PER_REQUEST) {
    requests.push(
      metricsApi.sampled({
        runIds: runIds.slice(i, i + RUNS_PER_REQUEST),
        key,
        maxResults: MAX_POINTS,
        startStep,
        endStep,
        signal,
      }),
    );
  }
  for (const points of await Promise.all(requests)) {
    for (const p of points) if (byRun.has(p.run_id)) byRun.get(p.run_id).push(p);
  }
  return byRun;
}

/** One run's points as [xs, ys] for an x mode; one value per x (the last logged wins). */
function series(points, xMode, logScale) {
  if (!points.length) return [[], []];
  const t0 = Math.min(...points.map((p) => Number(p.timestamp)));
  const keyed = new Map();
  for (const p of points) {
    const x =
      xMode === "step"
        ? Number(p.step || 0)
        : xMode === "wall"
          ? Number(p.timestamp) / 1000
          : (Number(p.timestamp) - t0) / 1000;
    let y = toNumber(p.value);
    if (!Number.isFinite(y) || (logScale && y <= 0)) y = null;
    keyed.set(x, y);
  }
  const xs = [...keyed.keys()].sort((a, b) => a - b);
  return [xs, xs.map((x) => keyed.get(x))];
}

/**
 * Draw one metric for several runs into `host`. `runs`: [{id, name, color}].
 * Returns {destroy}. Rejections: only AbortError when the page goes away.
 */
export async function metricChart(host, { runs, key, settings, height = 240, signal }) {
  host.classList.add("chart-host");
  const status = h("div", { class: "chart-status" }, "Loading…");
  replace(host, status);
  const runIds = runs.map((r) => r.id);
  let coarse;
  try {
    coarse = await fetchPoints(runIds, key, { signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    status.textContent = error.message;
    return { destroy() {} };
  }
  const total = [...coarse.values()].reduce((n, points) => n + points.length, 0);
  if (!total) {
    status.textContent = "No data";
    return { destroy() {} };
  }
  const sampled = [...coarse.values()].some((points) => points.length >= MAX_POINTS * 0.9);

  const build = (byRun) => {
    const tables = [];
    for (const run of runs) {
      const [xs, ys] = series(byRun.get(run.id) || [], settings.x, settings.log);
      tables.push([xs, settings.smooth ? smooth(ys, settings.smooth) : ys]);
      if (settings.smooth) tables.push([xs, ys]);
    }
    return uPlot.join(tables.map((t) => (t[0].length ? t : [[0], [null]])));
  };

  const text = cssVar("--text");
  const muted = cssVar("--muted");
  const grid = cssVar("--border");
  const seriesOptions = [];
  for (const run of runs) {
    seriesOptions.push({
      label: run.name,
      stroke: run.color,
      width: 1.6,
      spanGaps: true,
      points: { size: 5, fill: run.color },
      value: (_u, v) => (v === null ? "" : formatNumber(v)),
    });
    if (settings.smooth) {
      seriesOptions.push({
        label: `${run.name} (raw)`,
        stroke: withAlpha(run.color, 0.28),
        width: 1,
        spanGaps: true,
        points: { show: false },
        value: (_u, v) => (v === null ? "" : formatNumber(v)),
      });
    }
  }
  const axis = {
    stroke: muted,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    font: "11px system-ui, sans-serif",
  };
  const xAxis = { ...axis };
  // Log axes hand over null for ticks they leave unlabelled.
  const label = (format) => (_u, splits) => splits.map((s) => (s === null || s === undefined ? "" : format(s)));
  if (settings.x === "relative") xAxis.values = label((s) => formatDuration(s * 1000));
  const options = {
    width: Math.max(200, host.clientWidth),
    height,
    scales: {
      x: { time: settings.x === "wall" },
      y: settings.log ? { distr: 3, log: 10 } : {},
    },
    axes: [xAxis, { ...axis, size: 60, values: label(formatNumber) }],
    series: [
      {
        label: X_MODES[settings.x],
        value: (_u, v) =>
          v === null
            ? ""
            : settings.x === "wall"
              ? new Date(v * 1000).toLocaleString()
              : settings.x === "relative"
                ? formatDuration(v * 1000)
                : v,
      },
      ...seriesOptions,
    ],
    legend: { show: runs.length <= 12, live: true },
    cursor: { drag: { x: true, y: false }, points: { size: 6 } },
    hooks: {
      setScale: [
        (u, scaleKey) => {
          if (scaleKey === "x") onZoom(u);
        },
      ],
    },
  };
  const data = build(coarse);
  const fullRange = [data[0][0], data[0][data[0].length - 1]];
  // Zoom: re-fetch the visible step window at full detail, keeping coarse points outside it.
  // The window last drawn: setData may report a scale change, which must not loop.
  let shown = "full";
  const onZoom = debounce(async (u) => {
    if (settings.x !== "step" || !sampled) return;
    const { min, max } = u.scales.x;
    const full = min === undefined || (min <= fullRange[0] && max >= fullRange[1]);
    const range = full ? "full" : `${Math.floor(min)}:${Math.ceil(max)}`;
    if (range === shown) return;
    shown = range;
    if (full) {
      u.setData(build(coarse));
      return;
    }
    try {
      const detail = await fetchPoints(runIds, key, { startStep: Math.floor(min), endStep: Math.ceil(max), signal });
      const merged = new Map(
        runIds.map((id) => [
          id,
          [...coarse.get(id).filter((p) => Number(p.step) < min || Number(p.step) > max), ...detail.get(id)],
        ]),
      );
      if (shown !== range) return;
      // setData keeps the zoom but not the visible index window; setScale recomputes it.
      u.setData(build(merged), false);
      u.setScale("x", { min, max });
    } catch (error) {
      if (error.name !== "AbortError") console.warn("zoom fetch failed", error);
    }
  }, 250);

  host.replaceChildren();
  const plot = new uPlot(options, data, host);
  plot.root.style.color = text;
  host.dataset.drawn = "1";

  const observer = new ResizeObserver(() => {
    const width = Math.max(200, host.clientWidth);
    if (Math.abs(width - plot.width) > 2) plot.setSize({ width, height });
  });
  observer.observe(host);
  return {
    destroy() {
      observer.disconnect();
      onZoom.cancel();
      plot.destroy();
    },
  };
}

function withAlpha(color, alpha) {
  if (color.startsWith("#") && color.length === 7) {
    const n = parseInt(color.slice(1), 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  return color.replace(/\)$/, ` / ${alpha})`);
}

/**
 * A grid of charts, one per metric key, each drawn when it scrolls into view so a run with
 * hundreds of metrics does not fire hundreds of requests at once.
 */
export function chartGrid({ keys, runs, settings, signal, onCleanup, expandHref }) {
  const charts = [];
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        const key = entry.target.dataset.metric;
        metricChart(entry.target.querySelector(".chart-host"), { runs, key, settings, signal })
          .then((chart) => charts.push(chart))
          .catch((error) => {
            if (error.name !== "AbortError") console.warn(error);
          });
      }
    },
    { rootMargin: "200px" },
  );
  onCleanup(() => {
    observer.disconnect();
    for (const chart of charts) chart.destroy();
  });
  const cards = keys.map((key) => {
    const card = h(
      "div",
      { class: "panel chart-card", dataset: { metric: key } },
      h(
        "div",
        { class: "chart-title" },
        h("span", { class: "key", title: key }, key),
        expandHref ? h("a", { href: expandHref(key), class: "small" }, "Expand") : null,
      ),
      h("div", { class: "chart-host" }),
    );
    observer.observe(card);
    return card;
  });
  return h("div", { class: "chart-grid", "data-role": "chart-grid" }, cards);
}

/** One big chart (the "expanded" view of a metric). */
export function bigChart({ key, runs, settings, signal, onCleanup }) {
  const host = h("div", { class: "chart-host big" });
  const card = h(
    "div",
    { class: "panel chart-card", dataset: { metric: key } },
    h("div", { class: "chart-title" }, h("span", { class: "key" }, key)),
    host,
  );
  requestAnimationFrame(() => {
    metricChart(host, { runs, key, settings, height: 440, signal })
      .then((chart) => onCleanup(() => chart.destroy()))
      .catch((error) => {
        if (error.name !== "AbortError") console.warn(error);
      });
  });
  return card;
}
