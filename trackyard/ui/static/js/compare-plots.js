// Canvas plots for the compare view: parallel coordinates and a scatter plot. Both take
// values per run, treat an axis as numeric when every value parses as a number and as
// categories otherwise, and follow the theme's colours.

import { cssVar, h } from "./dom.js";
import { formatNumber } from "./format.js";

const FONT = "11px system-ui, -apple-system, Segoe UI, sans-serif";

/** An axis over values (strings or numbers; undefined = missing) mapping to [0, 1]. */
export function makeAxis(name, values) {
  const present = values.filter((v) => v !== undefined && v !== null && v !== "");
  const numbers = present.map(Number);
  const numeric = present.length > 0 && numbers.every((n) => Number.isFinite(n));
  if (numeric) {
    let min = Math.min(...numbers);
    let max = Math.max(...numbers);
    if (min === max) {
      min -= Math.abs(min) * 0.1 || 1;
      max += Math.abs(max) * 0.1 || 1;
    }
    const ticks = niceTicks(min, max, 5);
    return {
      name,
      numeric: true,
      min,
      max,
      pos: (v) =>
        v === undefined || v === null || v === "" || !Number.isFinite(Number(v))
          ? null
          : (Number(v) - min) / (max - min),
      ticks: ticks.map((t) => ({ at: (t - min) / (max - min), label: formatNumber(t) })),
    };
  }
  const categories = [...new Set(present.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const step = categories.length > 1 ? 1 / (categories.length - 1) : 0;
  const index = new Map(categories.map((c, i) => [c, categories.length > 1 ? i * step : 0.5]));
  const every = Math.max(1, Math.ceil(categories.length / 12));
  return {
    name,
    numeric: false,
    categories,
    pos: (v) => (v === undefined || v === null || v === "" ? null : (index.get(String(v)) ?? null)),
    ticks: categories
      .filter((_, i) => i % every === 0)
      .map((c) => ({ at: index.get(c), label: c.length > 18 ? `${c.slice(0, 17)}…` : c })),
  };
}

export function niceTicks(min, max, count) {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => span / s <= count) || 10 * magnitude;
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** A canvas that redraws at the host's width (and device pixel ratio) on resize. */
function responsiveCanvas(host, height, draw) {
  const canvas = h("canvas", { class: "plot-canvas", "data-role": "plot" });
  const tooltip = h("div", { class: "plot-tooltip hidden" });
  host.style.position = "relative";
  host.replaceChildren(canvas, tooltip);
  let width = 0;
  const paint = () => {
    width = Math.max(320, host.clientWidth);
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = FONT;
    draw(ctx, width, height);
    host.dataset.drawn = "1";
  };
  const observer = new ResizeObserver(() => {
    if (Math.abs(host.clientWidth - width) > 2) paint();
  });
  observer.observe(host);
  paint();
  const showTip = (x, y, lines) => {
    if (!lines) {
      tooltip.classList.add("hidden");
      return;
    }
    tooltip.replaceChildren(...lines.map((line) => h("div", null, line)));
    tooltip.classList.remove("hidden");
    tooltip.style.left = `${Math.min(x + 12, width - tooltip.offsetWidth - 4)}px`;
    tooltip.style.top = `${y + 12}px`;
  };
  return { canvas, paint, showTip, destroy: () => observer.disconnect() };
}

/**
 * Parallel coordinates. `axes`: [{name, values}] (one value per run), `runs`: [{name, color}].
 * Hovering highlights the nearest run's line.
 */
export function parallelCoordinates(host, { axes, runs, height = 420 }) {
  const scaled = axes.map((a) => makeAxis(a.name, a.values));
  const pad = { left: 70, right: 70, top: 40, bottom: 24 };
  let hover = -1;
  let lines = [];
  const draw = (ctx, width, plotHeight) => {
    const text = cssVar("--text");
    const muted = cssVar("--muted");
    const border = cssVar("--border");
    const panel = cssVar("--panel");
    const innerH = plotHeight - pad.top - pad.bottom;
    const xs = scaled.map(
      (_, i) =>
        pad.left +
        (scaled.length > 1
          ? (i * (width - pad.left - pad.right)) / (scaled.length - 1)
          : (width - pad.left - pad.right) / 2),
    );
    const yOf = (at) => pad.top + (1 - at) * innerH;
    lines = runs.map((_run, r) =>
      scaled.map((axis, i) => {
        const at = axis.pos(axes[i].values[r]);
        return at === null ? null : [xs[i], yOf(at)];
      }),
    );
    const stroke = (r, width2, alpha) => {
      ctx.globalAlpha = alpha;
      ctx.strokeStyle = runs[r].color;
      ctx.lineWidth = width2;
      ctx.beginPath();
      let drawing = false;
      for (const point of lines[r]) {
        if (!point) {
          drawing = false;
          continue;
        }
        if (drawing) ctx.lineTo(point[0], point[1]);
        else ctx.moveTo(point[0], point[1]);
        drawing = true;
      }
      ctx.stroke();
      ctx.globalAlpha = 1;
    };
    for (let r = 0; r < runs.length; r++) stroke(r, 1.6, hover >= 0 ? 0.18 : 0.85);
    if (hover >= 0) stroke(hover, 3, 1);
    scaled.forEach((axis, i) => {
      ctx.strokeStyle = border;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(xs[i], pad.top);
      ctx.lineTo(xs[i], pad.top + innerH);
      ctx.stroke();
      ctx.fillStyle = text;
      ctx.textAlign = "center";
      ctx.font = `600 ${FONT}`;
      const label = axis.name.length > 24 ? `${axis.name.slice(0, 23)}…` : axis.name;
      ctx.fillText(label, xs[i], pad.top - 22);
      ctx.font = FONT;
      ctx.fillStyle = muted;
      ctx.strokeStyle = panel; // a halo keeps labels readable over the lines
      ctx.lineWidth = 3;
      ctx.lineJoin = "round";
      ctx.textAlign = i === scaled.length - 1 ? "left" : "right";
      for (const tick of axis.ticks) {
        const y = yOf(tick.at);
        const tx = xs[i] + (i === scaled.length - 1 ? 6 : -6);
        ctx.strokeText(tick.label, tx, y + 4);
        ctx.fillText(tick.label, tx, y + 4);
        ctx.strokeStyle = border;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(xs[i] - 3, y);
        ctx.lineTo(xs[i] + 3, y);
        ctx.stroke();
        ctx.strokeStyle = panel;
        ctx.lineWidth = 3;
      }
    });
  };
  const plot = responsiveCanvas(host, height, draw);
  plot.canvas.addEventListener("mousemove", (event) => {
    const box = plot.canvas.getBoundingClientRect();
    const x = event.clientX - box.left;
    const y = event.clientY - box.top;
    let best = -1;
    let bestDistance = 8;
    lines.forEach((points, r) => {
      for (let i = 1; i < points.length; i++) {
        if (!points[i - 1] || !points[i]) continue;
        const d = segmentDistance(x, y, points[i - 1], points[i]);
        if (d < bestDistance) {
          bestDistance = d;
          best = r;
        }
      }
    });
    if (best !== hover) {
      hover = best;
      plot.paint();
    }
    plot.showTip(x, y, best >= 0 ? [runs[best].name] : null);
  });
  plot.canvas.addEventListener("mouseleave", () => {
    hover = -1;
    plot.paint();
    plot.showTip(0, 0, null);
  });
  return plot;
}

function segmentDistance(x, y, [x1, y1], [x2, y2]) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy));
}

/** Scatter of one value against another, a point per run; hover shows the run. */
export function scatterPlot(host, { xName, yName, xValues, yValues, runs, height = 420 }) {
  const xAxis = makeAxis(xName, xValues);
  const yAxis = makeAxis(yName, yValues);
  const pad = { left: 80, right: 24, top: 16, bottom: 48 };
  let points = [];
  const draw = (ctx, width, plotHeight) => {
    const muted = cssVar("--muted");
    const border = cssVar("--border");
    const text = cssVar("--text");
    const innerW = width - pad.left - pad.right;
    const innerH = plotHeight - pad.top - pad.bottom;
    // Inset the data so points at the extremes are not cut by the frame.
    const px = (at) => pad.left + (0.04 + at * 0.92) * innerW;
    const py = (at) => pad.top + (1 - (0.04 + at * 0.92)) * innerH;
    ctx.strokeStyle = border;
    ctx.fillStyle = muted;
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    for (const tick of xAxis.ticks) {
      const x = px(tick.at);
      ctx.beginPath();
      ctx.moveTo(x, pad.top);
      ctx.lineTo(x, pad.top + innerH);
      ctx.stroke();
      ctx.fillText(tick.label, x, pad.top + innerH + 16);
    }
    ctx.textAlign = "right";
    for (const tick of yAxis.ticks) {
      const y = py(tick.at);
      ctx.beginPath();
      ctx.moveTo(pad.left, y);
      ctx.lineTo(pad.left + innerW, y);
      ctx.stroke();
      ctx.fillText(tick.label, pad.left - 6, y + 4);
    }
    ctx.fillStyle = text;
    ctx.textAlign = "center";
    ctx.font = `600 ${FONT}`;
    ctx.fillText(xName, pad.left + innerW / 2, plotHeight - 8);
    ctx.save();
    ctx.translate(14, pad.top + innerH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(yName, 0, 0);
    ctx.restore();
    points = [];
    runs.forEach((run, r) => {
      const ax = xAxis.pos(xValues[r]);
      const ay = yAxis.pos(yValues[r]);
      if (ax === null || ay === null) return;
      const point = { x: px(ax), y: py(ay), r };
      points.push(point);
      ctx.fillStyle = run.color;
      ctx.globalAlpha = 0.85;
      ctx.beginPath();
      ctx.arc(point.x, point.y, 5, 0, Math.PI * 2);
      ctx.fill();
      ctx.globalAlpha = 1;
    });
  };
  const plot = responsiveCanvas(host, height, draw);
  plot.canvas.addEventListener("mousemove", (event) => {
    const box = plot.canvas.getBoundingClientRect();
    const x = event.clientX - box.left;
    const y = event.clientY - box.top;
    let best = null;
    let bestDistance = 10;
    for (const point of points) {
      const d = Math.hypot(point.x - x, point.y - y);
      if (d < bestDistance) {
        bestDistance = d;
        best = point;
      }
    }
    plot.showTip(
      x,
      y,
      best ? [runs[best.r].name, `${xName}: ${xValues[best.r]}`, `${yName}: ${yValues[best.r]}`] : null,
    );
  });
  plot.canvas.addEventListener("mouseleave", () => plot.showTip(0, 0, null));
  return { points: () => points.length, destroy: plot.destroy };
}
