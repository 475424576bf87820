// Metric charts with uPlot. Points come from get-history-bulk-interval, which samples long
// histories on the server, so a million-point metric costs the browser ~1000 points per
// run. Zooming in (by step) fetches the visible window again at full detail.

import uPlot from "../vendor/uPlot.esm.js";
import { metrics as metricsApi } from "./api.js";
import { PANEL_HEIGHTS } from "./chart-layout.js";
import { panelGrid, urlLayout } from "./chart-panels.js";
import { cssVar, debounce, h, replace } from "./dom.js";
import { elapsedTicks, formatNumber, toNumber } from "./format.js";
import { formatX, metricXMode, parseXMode, toSeries, X_MODES, xLabel, xMetricKey } from "./metric-x.js";
import { refresh, setQuery } from "./router.js";
import { aggregateSeries } from "./views/runs/run-groups.js";

export { chartSections } from "./chart-layout.js";
export { X_MODES };

const MAX_POINTS = 1000;
const RUNS_PER_REQUEST = 100; // the endpoint's limit

/** Chart settings shared by every chart on a page, kept in the URL by the caller. */
export function readChartSettings(query) {
  const x = parseXMode(query.get("x"));
  const smooth = Math.min(0.99, Math.max(0, Number(query.get("smooth")) || 0));
  return { x, log: query.get("log") === "1", smooth };
}

/** Chart controls whose changes go to the page's URL (x, log, smooth) and redraw the view. */
export function urlChartControls(settings, xMetrics) {
  return chartControls(
    settings,
    (next) => {
      setQuery({
        x: next.x === "step" ? "" : next.x,
        log: next.log,
        smooth: next.smooth ? next.smooth.toFixed(2) : "",
      });
      refresh();
    },
    xMetrics,
  );
}

/** The page's chart controls; `xMetrics`: metric keys offered as the x-axis. */
export function chartControls(settings, onChange, xMetrics = []) {
  const xSelect = h(
    "select",
    { "aria-label": "X axis", "data-role": "x-axis" },
    Object.entries(X_MODES).map(([value, label]) => h("option", { value, selected: value === settings.x }, label)),
    xMetrics.length
      ? h(
          "optgroup",
          { label: "Metric" },
          xMetrics.map((key) =>
            h("option", { value: metricXMode(key), selected: metricXMode(key) === settings.x }, key),
          ),
        )
      : null,
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

/**
 * Draw one metric for several runs into `host`. `runs`: [{id, name, color}]. With `groups`
 * ([{id, name, color, runIds}], the runs page's group-by), one line per group instead: the
 * mean of its runs at each x, in a band from their min to their max.
 * Returns {destroy}. Rejections: only AbortError when the page goes away.
 *
 * Only runs with points for the metric are drawn and listed. uPlot's own legend (one row per
 * series, unreadable past a dozen runs) is replaced by a scrolling legend of runs and a
 * tooltip that follows the line nearest the cursor, naming its run and value and fading the
 * others; with smoothing, the raw line is drawn faintly and is neither listed nor hovered.
 */
export async function metricChart(host, { runs, groups, key, settings, height = 240, signal, live }) {
  host.classList.add("chart-host");
  const status = h("div", { class: "chart-status" }, "Loading…");
  replace(host, status);
  const runIds = groups ? groups.flatMap((group) => group.runIds) : runs.map((r) => r.id);
  const xKey = xMetricKey(settings.x);
  let coarse;
  let xCoarse = null;
  try {
    [coarse, xCoarse] = await Promise.all([
      fetchPoints(runIds, key, { signal }),
      xKey === null ? null : fetchPoints(runIds, xKey, { signal }),
    ]);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    status.textContent = error.message;
    return { destroy() {} };
  }
  // With a metric as x, a run without that metric has nothing to draw either.
  const hasPoints = (id) => coarse.get(id).length > 0 && (!xCoarse || xCoarse.get(id).length > 0);
  const drawn = groups
    ? groups.filter((group) => group.runIds.some(hasPoints))
    : runs.filter((run) => hasPoints(run.id));
  if (!drawn.length) {
    status.textContent = "No data";
    return { destroy() {} };
  }
  const ids = (item) => (item.runIds || [item.id]).filter(hasPoints);
  if (drawn.every((item) => ids(item).every((id) => coarse.get(id).length === 1))) {
    return singleValues(host, drawn, new Map(drawn.map((item) => [item.id, ids(item).map((id) => coarse.get(id)[0])])));
  }
  return linePlot(host, { drawn, coarse, xCoarse, key, settings, height, signal, live });
}

function linePlot(host, { drawn, coarse, xCoarse, key, settings, height, signal, live }) {
  const runIds = drawn.flatMap((item) => item.runIds || [item.id]);
  const sampled = [...coarse.values()].some((points) => points.length >= MAX_POINTS * 0.9);
  const build = (byRun) => {
    const tables = [];
    const runSeries = (id) =>
      toSeries(byRun.get(id) || [], settings.x, { logScale: settings.log, xPoints: xCoarse?.get(id) || [] });
    for (const run of drawn) {
      if (run.runIds) {
        const { xs, mean, min, max } = aggregateSeries(run.runIds.map(runSeries));
        tables.push([xs, settings.smooth ? smooth(mean, settings.smooth) : mean], [xs, min], [xs, max]);
        continue;
      }
      const [xs, ys] = runSeries(run.id);
      tables.push([xs, settings.smooth ? smooth(ys, settings.smooth) : ys]);
      if (settings.smooth) tables.push([xs, ys]);
    }
    return uPlot.join(tables.map((t) => (t[0].length ? t : [[0], [null]])));
  };

  // Series 1.. in uPlot's order: each run's line, then (smoothing) its raw line; for a
  // group, its mean, then its min and max (the band's edges, neither listed nor hovered).
  const seriesRun = [null];
  const isRaw = [false];
  const seriesOptions = [];
  const bands = [];
  for (const run of drawn) {
    if (run.runIds) {
      const mean = seriesRun.length;
      seriesRun.push(run, run, run);
      isRaw.push(false, true, true);
      const edge = { stroke: withAlpha(run.color, 0.35), width: 0.6, spanGaps: true, points: { show: false } };
      seriesOptions.push(
        { label: run.name, stroke: run.color, width: 2, spanGaps: true, points: { show: false } },
        { ...edge, label: `${run.name} min` },
        { ...edge, label: `${run.name} max` },
      );
      bands.push({ series: [mean + 2, mean + 1], fill: withAlpha(run.color, 0.16) });
      continue;
    }
    seriesRun.push(run);
    isRaw.push(false);
    seriesOptions.push({
      label: run.name,
      stroke: run.color,
      width: 1.6,
      spanGaps: true,
      points: { size: 5, fill: run.color },
    });
    if (settings.smooth) {
      seriesRun.push(run);
      isRaw.push(true);
      seriesOptions.push({
        label: `${run.name} raw`,
        stroke: withAlpha(run.color, 0.28),
        width: 1,
        spanGaps: true,
        points: { show: false },
      });
    }
  }
  const axis = {
    stroke: cssVar("--muted"),
    grid: { stroke: cssVar("--border"), width: 1 },
    ticks: { stroke: cssVar("--border"), width: 1 },
    font: "11px system-ui, sans-serif",
  };
  const xAxis = { ...axis };
  // Log axes hand over null for ticks they leave unlabelled.
  const label = (format) => (_u, splits) => splits.map((s) => (s === null || s === undefined ? "" : format(s)));
  if (settings.x === "relative") xAxis.values = (_u, splits) => elapsedTicks(splits);
  // A group's tooltip (name, mean, range, x) is stacked: on one line it runs off a narrow chart.
  const tooltip = h("div", {
    class: ["chart-tooltip hidden", drawn[0].runIds && "stacked"],
    "data-role": "chart-tooltip",
    role: "status",
  });
  const legend = chartLegend(drawn, seriesRun, isRaw, drawn[0].runIds ? "group" : "run");
  let focused = null;
  // The tooltip's parts are made once and only their text changes; it is placed with a
  // transform, without reading its size, so a mouse move forces no layout.
  const tipSwatch = h("span", { class: "swatch" });
  const tipName = h("strong");
  const tipValue = h("span", { class: "mono" });
  const tipX = h("span", { class: "muted" });
  tooltip.append(tipSwatch, tipName, tipValue, tipX);
  let shownTip = "";
  const showTip = (u) => {
    const idx = focused === null ? null : (u.cursor.idxs[focused] ?? u.cursor.idx);
    const value = idx === null || idx === undefined ? null : u.data[focused][idx];
    if (value === null || value === undefined || u.cursor.left < 0) {
      tooltip.classList.add("hidden");
      shownTip = "";
      return;
    }
    const key = `${focused}:${idx}`;
    if (key !== shownTip) {
      shownTip = key;
      const run = seriesRun[focused];
      tipSwatch.style.background = run.color;
      tipName.textContent = run.name;
      tipValue.textContent = run.runIds
        ? `mean ${formatNumber(value)}\nrange ${formatNumber(u.data[focused + 1][idx])} – ${formatNumber(u.data[focused + 2][idx])}`
        : formatNumber(value);
      tipX.textContent = `${xMetricKey(settings.x) ?? X_MODES[settings.x].toLowerCase()} ${formatX(settings.x, u.data[0][idx])}`;
      tooltip.classList.remove("hidden");
    }
    const flip = u.cursor.left > u.bbox.width / uPlot.pxRatio / 2;
    const x = flip ? `calc(${u.cursor.left - 14}px - 100%)` : `${u.cursor.left + 14}px`;
    tooltip.style.transform = `translate(${x}, ${Math.max(0, u.cursor.top - 34)}px)`;
  };
  // The hovered line, highlighted on a canvas over the plot: a veil in the panel's colour
  // fades the other lines and the line is drawn again on top, thicker. Costs one line's
  // points per hover, where fading through uPlot redraws every line (60 x 500 points).
  const halo = h("canvas", { class: "chart-halo" });
  const veil = withAlpha(cssVar("--panel"), 0.7);
  const drawHalo = (u) => {
    const { left, top, width, height } = u.bbox;
    if (halo.width !== width || halo.height !== height) {
      halo.width = width;
      halo.height = height;
      halo.style.width = `${width / uPlot.pxRatio}px`;
      halo.style.height = `${height / uPlot.pxRatio}px`;
    }
    const ctx = halo.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    if (focused === null || !u.series[focused].show) return;
    ctx.fillStyle = veil;
    ctx.fillRect(0, 0, width, height);
    const xs = u.data[0];
    const ys = u.data[focused];
    ctx.strokeStyle = seriesRun[focused].color;
    ctx.lineWidth = 2.6 * uPlot.pxRatio;
    ctx.lineJoin = "round";
    ctx.beginPath();
    let drawing = false;
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (y === null || y === undefined) continue; // lines span gaps, as the plot draws them
      const px = u.valToPos(xs[i], "x", true) - left;
      const py = u.valToPos(y, "y", true) - top;
      if (drawing) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      drawing = true;
    }
    ctx.stroke();
  };
  const options = {
    width: Math.max(200, host.clientWidth),
    height,
    scales: { x: { time: settings.x === "wall" }, y: settings.log ? { distr: 3, log: 10 } : {} },
    axes: [xAxis, { ...axis, size: 60, values: label(formatNumber) }],
    series: [{ label: xLabel(settings.x) }, ...seriesOptions],
    bands,
    legend: { show: false },
    focus: { alpha: 1 }, // no redraw of every line on hover: the halo canvas does it
    cursor: {
      drag: { x: true, y: false },
      points: { show: false }, // 60 dots on the cursor line say less than the tooltip
      focus: { prox: 24, dist: (_u, si, _i, valPos, curPos) => (isRaw[si] ? Infinity : valPos - curPos) },
    },
    hooks: {
      setScale: [(u, scaleKey) => scaleKey === "x" && onZoom(u)],
      setCursor: [showTip],
      setSeries: [
        (u, si, opts) => {
          if (!opts || opts.focus === undefined) return;
          const next = si === null || isRaw[si] ? null : si;
          if (next === focused) return;
          focused = next;
          host.dataset.focused = focused === null ? "" : seriesRun[focused].name;
          legend.mark(focused);
          drawHalo(u);
          showTip(u);
        },
      ],
      draw: [(u) => drawHalo(u)],
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

  // Live: each poll of a page with running runs fetches the points again, unless zoomed in.
  const markEnd = (d) => {
    host.dataset.lastX = String(d[0][d[0].length - 1]);
  };
  const onTick = async () => {
    if (shown !== "full") return;
    try {
      coarse = await fetchPoints(runIds, key, { signal });
      if (xCoarse) xCoarse = await fetchPoints(runIds, xMetricKey(settings.x), { signal });
      const next = build(coarse);
      plot.setData(next);
      markEnd(next);
    } catch (error) {
      if (error.name !== "AbortError") console.warn("live chart refresh failed", error);
    }
  };
  live?.addEventListener("tick", onTick);
  // A run named from outside (`live`'s "focus-run", detail: a run id or null; the runs page's
  // hovered row): its line, or its group's, highlighted as if hovered.
  const onFocusRun = ({ detail: id }) => {
    const si = seriesRun.findIndex((run, i) => run && !isRaw[i] && (run.id === id || run.runIds?.includes(id)));
    plot.setSeries(si > 0 ? si : null, { focus: true });
  };
  live?.addEventListener("focus-run", onFocusRun);

  host.replaceChildren();
  const plot = new uPlot(options, data, host);
  markEnd(data);
  plot.root.style.color = cssVar("--text");
  plot.over.append(halo, tooltip);
  legend.attach(plot);
  host.appendChild(legend.element);
  host.dataset.drawn = "1";

  const observer = new ResizeObserver(() => {
    const width = Math.max(200, host.clientWidth);
    if (Math.abs(width - plot.width) > 2) plot.setSize({ width, height });
  });
  observer.observe(host);
  return {
    /** The panel's size changed: the plot takes its new height (the width follows the host). */
    resize(next) {
      height = next;
      plot.setSize({ width: Math.max(200, host.clientWidth), height });
    },
    destroy() {
      live?.removeEventListener("tick", onTick);
      live?.removeEventListener("focus-run", onFocusRun);
      observer.disconnect();
      onZoom.cancel();
      plot.destroy();
    },
  };
}

/**
 * The legend under a chart: one entry per run drawn (never per raw line), in a box that
 * scrolls past three lines and folds away. Hovering an entry highlights its line, clicking
 * hides or shows it.
 */
function chartLegend(drawn, seriesRun, isRaw, noun) {
  const indexOf = new Map();
  seriesRun.forEach((run, si) => {
    if (run && !isRaw[si]) indexOf.set(run.id, si);
  });
  const items = drawn.map((run) =>
    h(
      "button",
      {
        type: "button",
        class: "legend-item",
        title: `${run.name} (click to hide or show)`,
        dataset: { series: indexOf.get(run.id) },
      },
      h("span", { class: "swatch", style: `background:${run.color}` }),
      h("span", { class: "name" }, run.name),
    ),
  );
  const list = h("div", { class: "legend-items" }, items);
  const element = h(
    "details",
    { class: "chart-legend", open: true, "data-role": "chart-legend" },
    h("summary", null, `${drawn.length} ${noun}${drawn.length === 1 ? "" : "s"}`),
    list,
  );
  return {
    element,
    mark(si) {
      for (const item of items) item.classList.toggle("focused", Number(item.dataset.series) === si);
    },
    attach(plot) {
      const target = (event) => event.target.closest?.(".legend-item");
      list.addEventListener("mouseover", (event) => {
        const item = target(event);
        if (item && plot.series[item.dataset.series].show) plot.setSeries(Number(item.dataset.series), { focus: true });
      });
      list.addEventListener("mouseleave", () => plot.setSeries(null, { focus: true }));
      list.addEventListener("click", (event) => {
        const item = target(event);
        if (!item) return;
        const si = Number(item.dataset.series);
        const show = !plot.series[si].show;
        plot.setSeries(si, { show });
        for (let raw = si + 1; isRaw[raw]; raw++) plot.setSeries(raw, { show }); // its raw line or band
        item.classList.toggle("off", !show);
        item.setAttribute("aria-pressed", String(!show));
      });
    },
  };
}

/**
 * A metric logged once per run (autolog's final scores): horizontal bars, one per run (or
 * per group: its runs' mean), as MLflow draws them, instead of a lone dot per run on an
 * empty step axis. `points`: a run's or group's id -> the points its runs logged.
 */
function singleValues(host, drawn, points) {
  const mean = (list) => list.reduce((sum, p) => sum + toNumber(p.value), 0) / list.length;
  const values = drawn.map((run) => mean(points.get(run.id)));
  const raw = (run, i) => (Number.isFinite(values[i]) ? values[i] : String(points.get(run.id)[0].value));
  const finite = values.filter(Number.isFinite);
  const low = Math.min(0, ...finite);
  const high = Math.max(0, ...finite);
  const span = high - low || 1;
  host.replaceChildren(
    h(
      "div",
      // Focusable: the list scrolls, and the keyboard must be able to scroll it too.
      { class: "bar-chart", "data-role": "bar-chart", tabindex: "0", role: "list", "aria-label": "One value per run" },
      drawn.map((run, i) => {
        const v = values[i];
        const ok = Number.isFinite(v);
        const from = ok ? (Math.min(v, 0) - low) / span : 0;
        const size = ok ? Math.abs(v) / span : 0;
        return h(
          "div",
          { class: "bar-row", role: "listitem", title: `${run.name}: ${raw(run, i)}` },
          h("span", { class: "bar-name" }, run.name),
          h(
            "span",
            { class: "bar-track" },
            h("span", {
              class: "bar",
              style: `left:${(from * 100).toFixed(2)}%;width:${(size * 100).toFixed(2)}%;background:${run.color}`,
            }),
          ),
          h("span", { class: "bar-value mono" }, ok ? formatNumber(v) : raw(run, i)),
        );
      }),
    ),
  );
  host.dataset.drawn = "1";
  return { destroy() {} };
}

function withAlpha(color, alpha) {
  if (color.startsWith("#") && color.length === 7) {
    const n = parseInt(color.slice(1), 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  return color.replace(/\)$/, ` / ${alpha})`);
}

/**
 * The charts of a page, one panel per metric key in sections by prefix, each drawn when it
 * scrolls into view so a run with hundreds of metrics does not fire hundreds of requests at
 * once. The user hides, moves and resizes panels (chart-panels.js); `layout` ({entries,
 * save}) keeps that, by default in the URL's `panels`. `lead`: shown left of the Panels button.
 */
export function chartGrid({ keys, runs, groups, settings, signal, onCleanup, expandHref, live, layout, lead }) {
  const charts = new Map();
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        const card = entry.target;
        const key = card.dataset.metric;
        const height = PANEL_HEIGHTS[card.dataset.size];
        metricChart(card.querySelector(".chart-host"), { runs, groups, key, settings, height, signal, live })
          .then((chart) => {
            charts.set(key, chart);
            const now = PANEL_HEIGHTS[card.dataset.size]; // resized while it loaded
            if (now !== height) chart.resize?.(now);
          })
          .catch((error) => {
            if (error.name !== "AbortError") console.warn(error);
          });
      }
    },
    { rootMargin: "200px" },
  );
  onCleanup(() => {
    observer.disconnect();
    for (const chart of charts.values()) chart.destroy();
  });
  const makeCard = (key) => {
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
  };
  return panelGrid({
    keys,
    layout: layout || urlLayout(),
    makeCard,
    resized: (key, size) => charts.get(key)?.resize?.(PANEL_HEIGHTS[size]),
    lead,
    onCleanup,
  });
}

/** One big chart (the "expanded" view of a metric). */
export function bigChart({ key, runs, settings, signal, onCleanup, live }) {
  const host = h("div", { class: "chart-host big" });
  const card = h(
    "div",
    { class: "panel chart-card", dataset: { metric: key } },
    h("div", { class: "chart-title" }, h("span", { class: "key" }, key)),
    host,
  );
  requestAnimationFrame(() => {
    metricChart(host, { runs, key, settings, height: 440, signal, live })
      .then((chart) => onCleanup(() => chart.destroy()))
      .catch((error) => {
        if (error.name !== "AbortError") console.warn(error);
      });
  });
  return card;
}
