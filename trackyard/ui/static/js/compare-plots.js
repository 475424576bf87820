// Canvas plots for the compare view: parallel coordinates and a scatter plot. Both take
// values per run, treat an axis as numeric when every value parses as a number and as
// categories otherwise, and follow the theme's colours.

import { scaleColor, scaleGradient, wantsLogScale } from "./color-scale.js";
import { cssVar, h } from "./dom.js";
import { formatNumber } from "./format.js";

const FONT = "11px system-ui, -apple-system, Segoe UI, sans-serif";
const LABEL_GAP = 20; // px between tick labels' baselines: an 11px line boxed, and the lines between them
const LABEL_BOX = 14; // px high: a tick label's box (drawn behind it in parallel coordinates) and its hover area
const X_LABEL_WIDTH = 96; // px a scatter plot's x tick label may take, centred on its tick
const Y_LABEL_ROOM = 50; // px left of a scatter plot's y axis for a number, and the least for categories
const Y_LABEL_SHARE = 0.25; // of a scatter plot's width, the most its category y labels take

/**
 * An axis over values (strings or numbers; undefined = missing) mapping to [0, 1]. `log`: a
 * numeric axis whose values are all positive is drawn on a log10 scale, ticked at powers of 10.
 * A category axis has a tick per category, its whole text: the plot thins and cuts them to
 * the room it has (thinTicks, fitText).
 */
export function makeAxis(name, values, { log = false } = {}) {
  const present = values.filter((v) => v !== undefined && v !== null && v !== "");
  const numbers = present.map(Number);
  const numeric = present.length > 0 && numbers.every((n) => Number.isFinite(n));
  if (numeric && log && numbers.every((n) => n > 0)) return logAxis(name, numbers);
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
  return {
    name,
    numeric: false,
    categories,
    pos: (v) => (v === undefined || v === null || v === "" ? null : (index.get(String(v)) ?? null)),
    ticks: categories.map((c) => ({ at: index.get(c), label: c })),
  };
}

/**
 * The ticks to label on an axis `length` px long so that labels `gap` px apart never touch:
 * every k-th from the lowest, and the highest always (the one kept before it gives way when
 * the two would touch), so both ends of the axis stay named.
 */
export function thinTicks(ticks, length, gap) {
  const sorted = [...ticks].sort((a, b) => a.at - b.at);
  if (sorted.length < 2) return sorted;
  const step = Math.min(...sorted.slice(1).map((t, i) => t.at - sorted[i].at)) * length;
  const every = step > 0 ? Math.max(1, Math.ceil(gap / step - 1e-9)) : sorted.length; // 9.999.. px is 10
  const kept = sorted.filter((_, i) => i % every === 0);
  const last = sorted[sorted.length - 1];
  const apart = (a, b) => (b.at - a.at) * length >= gap - 1e-6;
  if (kept[kept.length - 1] === last) return kept;
  if (kept.length > 1 && !apart(kept[kept.length - 1], last)) kept.pop();
  if (apart(kept[kept.length - 1], last)) kept.push(last);
  return kept;
}

/** A short number for labels beside a scale: 3 significant digits, in formatNumber's forms. */
export function shortNumber(value) {
  const n = Number(value);
  return formatNumber(Number.isFinite(n) && n !== 0 ? Number(n.toPrecision(3)) : value);
}

function logAxis(name, numbers) {
  let low = Math.log10(Math.min(...numbers));
  let high = Math.log10(Math.max(...numbers));
  if (low === high) {
    low -= 0.5;
    high += 0.5;
  }
  const at = (v) => (Math.log10(v) - low) / (high - low);
  const ticks = [];
  for (let e = Math.ceil(low); e <= Math.floor(high); e++)
    ticks.push({ at: at(10 ** e), label: formatNumber(10 ** e) });
  return {
    name,
    numeric: true,
    log: true,
    pos: (v) => {
      const n = Number(v);
      return v === undefined || v === null || v === "" || !(n > 0) ? null : at(n);
    },
    ticks,
  };
}

/** A label cut with an ellipsis to fit `width` pixels in the context's font. */
function fitText(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let cut = text;
  while (cut.length > 1 && ctx.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * The box of a label `width` px wide drawn at x in the given canvas textAlign, its middle at y:
 * where the pointer is over it (and where parallel coordinates paints its background).
 */
export function labelBox(align, x, y, width) {
  const left = align === "right" ? x - width : align === "center" ? x - width / 2 : x;
  return { x: left, y: y - LABEL_BOX / 2, width, height: LABEL_BOX };
}

/** The label among `labels` ({x, y, width, height, text}) whose box holds the point, if any. */
export function labelAt(labels, x, y) {
  return labels.find((l) => x >= l.x && x <= l.x + l.width && y >= l.y && y <= l.y + l.height);
}

/** The tooltip over a point off every run: the whole text of a cut label there, or none. */
function cutLabelTip(cut, x, y) {
  const label = labelAt(cut, x, y);
  return label ? [label.text] : null;
}

/**
 * The room left of a scatter plot `width` px wide for its category y labels, given the widths
 * of those shown: the widest's, so long names alike in their first words (model names) are not
 * all cut to the same few letters, but at most a quarter of the plot, which keeps the points
 * most of the width (a label longer is cut, whole on hover), and at least a number's 50 px.
 */
export function categoryLabelRoom(widths, width) {
  return Math.max(Y_LABEL_ROOM, Math.min(Math.ceil(Math.max(0, ...widths)), Math.floor(width * Y_LABEL_SHARE)));
}

/**
 * Draws a tick label cut to `room` px, at x in the context's textAlign, its middle at y, on a
 * box of `background` when given. A cut label's box and whole text go to `cut`: a canvas has
 * no title to hover, so the plot shows the whole text when the pointer is over that box.
 */
function tickLabel(ctx, text, x, y, room, { color, background = null, cut }) {
  const label = fitText(ctx, text, room);
  const box = labelBox(ctx.textAlign, x, y, ctx.measureText(label).width);
  if (background) {
    ctx.fillStyle = background;
    ctx.fillRect(box.x - 2, box.y, box.width + 4, box.height);
  }
  ctx.fillStyle = color;
  ctx.fillText(label, x, y + 4);
  if (label !== text) cut.push({ ...box, text });
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

/**
 * A canvas that redraws at the width it is shown at (and the device pixel ratio) on resize.
 * Its own width, not the host's: the host's padding counted in would squeeze the drawing
 * into the narrower box shown, and the pointer would miss what it is over by up to the padding.
 */
function responsiveCanvas(host, height, draw) {
  const canvas = h("canvas", { class: "plot-canvas", "data-role": "plot" });
  const tooltip = h("div", { class: "plot-tooltip hidden" });
  host.style.position = "relative";
  host.replaceChildren(canvas, tooltip);
  const shown = () => Math.max(320, canvas.clientWidth);
  let width = 0;
  const paint = () => {
    width = shown();
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
    if (Math.abs(shown() - width) > 2) paint();
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
 * Hovering highlights the nearest run's line, or shows a cut tick label's whole text.
 * Dragging along an axis brushes a range: runs outside every brushed range fade (a click on
 * the axis clears its brush). Tick labels sit right of their axis on a box of the panel's
 * colour, thinned so none touch (both ends kept) and cut to the room. Axis names fit
 * the space between axes, on two staggered rows when axes are close, and stay inside the
 * canvas at both ends. `colorBy` ({name, values}, one value per run): lines take their colour
 * from a continuous scale of that value instead of the run's colour (runs without it grey,
 * drawn first; the others in value order), with a colour bar under the plot.
 */
export function parallelCoordinates(host, { axes, runs, colorBy = null, height = 420 }) {
  const scaled = axes.map((a) => makeAxis(a.name, a.values));
  const scale = colorBy ? makeAxis(colorBy.name, colorBy.values, { log: wantsLogScale(colorBy.values) }) : null;
  const tones = scale ? colorBy.values.map((v) => scale.pos(v)) : null;
  // Coloured by a value, lines are drawn in its order (grey runs without it first): at 60 runs
  // the colours then layer from low to high, not in the arbitrary order of the runs.
  const order = runs.map((_, r) => r);
  if (tones) order.sort((a, b) => (tones[a] ?? -1) - (tones[b] ?? -1));
  const pad = { left: 70, right: 70, top: 52, bottom: 24 };
  const brushes = new Map(); // axis index -> [low, high] in axis positions (0..1)
  let hover = -1;
  let colors = []; // each run's line colour, as last drawn
  let lines = [];
  let xs = [];
  let innerH = 0;
  let cut = []; // tick labels drawn cut short: their boxes and whole text, shown on hover
  const yOf = (at) => pad.top + (1 - at) * innerH;
  const atOf = (y) => Math.min(1, Math.max(0, 1 - (y - pad.top) / innerH));
  const inBrushes = (r) =>
    [...brushes].every(([i, [low, high]]) => {
      const at = scaled[i].pos(axes[i].values[r]);
      return at !== null && at >= low && at <= high;
    });
  const draw = (ctx, width, plotHeight) => {
    const text = cssVar("--text");
    const muted = cssVar("--muted");
    const border = cssVar("--border");
    const panel = cssVar("--panel");
    const accent = cssVar("--accent");
    innerH = plotHeight - pad.top - pad.bottom;
    cut = [];
    xs = scaled.map(
      (_, i) =>
        pad.left +
        (scaled.length > 1
          ? (i * (width - pad.left - pad.right)) / (scaled.length - 1)
          : (width - pad.left - pad.right) / 2),
    );
    lines = runs.map((_run, r) =>
      scaled.map((axis, i) => {
        const at = axis.pos(axes[i].values[r]);
        return at === null ? null : [xs[i], yOf(at)];
      }),
    );
    const dark = document.documentElement.dataset.theme === "dark";
    colors = runs.map((run, r) => (!tones ? run.color : tones[r] === null ? muted : scaleColor(tones[r], dark)));
    const stroke = (r, width2, alpha) => {
      ctx.globalAlpha = tones && tones[r] === null ? alpha * 0.5 : alpha;
      ctx.strokeStyle = colors[r];
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
    for (const r of order) {
      const chosen = inBrushes(r);
      stroke(r, 1.6, !chosen ? 0.06 : hover >= 0 ? 0.18 : 0.85);
    }
    if (hover >= 0) stroke(hover, 3, 1);
    const spacing = scaled.length > 1 ? xs[1] - xs[0] : width;
    const stagger = spacing < 150;
    scaled.forEach((axis, i) => {
      ctx.strokeStyle = border;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(xs[i], pad.top);
      ctx.lineTo(xs[i], pad.top + innerH);
      ctx.stroke();
      const brush = brushes.get(i);
      if (brush) {
        ctx.fillStyle = accent;
        ctx.globalAlpha = 0.25;
        ctx.fillRect(xs[i] - 6, yOf(brush[1]), 12, yOf(brush[0]) - yOf(brush[1]));
        ctx.globalAlpha = 1;
      }
      ctx.fillStyle = text;
      ctx.textAlign = "center";
      ctx.font = `600 ${FONT}`;
      const label = fitText(ctx, axis.name, (stagger ? 2 * spacing : spacing) - 10);
      const half = ctx.measureText(label).width / 2;
      const x = Math.min(width - half - 4, Math.max(half + 4, xs[i]));
      ctx.fillText(label, x, pad.top - (stagger && i % 2 ? 16 : 32));
      ctx.font = FONT;
      // Tick labels sit right of their axis (the last axis' in the right margin), cut to the
      // room before the next axis, each on a panel-coloured box: many lines meet at a tick's
      // value, and text over them, or over the axis, is hard to read.
      const room = (i === scaled.length - 1 ? pad.right : spacing) - 14;
      ctx.textAlign = "left";
      for (const tick of thinTicks(axis.ticks, innerH, LABEL_GAP)) {
        const y = yOf(tick.at);
        ctx.strokeStyle = border;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(xs[i] - 3, y);
        ctx.lineTo(xs[i] + 3, y);
        ctx.stroke();
        tickLabel(ctx, tick.label, xs[i] + 7, y, room, { color: muted, background: panel, cut });
      }
    });
    host.dataset.brushed = String(runs.filter((_, r) => inBrushes(r)).length);
  };
  const plot = responsiveCanvas(host, height, draw);
  const local = (event) => {
    const box = plot.canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  };
  let brushing = null; // {axis, from}
  plot.canvas.addEventListener("mousedown", (event) => {
    const [x, y] = local(event);
    const axis = xs.findIndex((ax) => Math.abs(ax - x) < 12);
    if (axis < 0 || y < pad.top - 4 || y > pad.top + innerH + 4) return;
    event.preventDefault();
    brushing = { axis, from: atOf(y) };
  });
  const onUp = (event) => {
    if (!brushing) return;
    const to = atOf(local(event)[1]);
    const { axis, from } = brushing;
    brushing = null;
    if (Math.abs(to - from) < 0.01) brushes.delete(axis);
    else brushes.set(axis, [Math.min(from, to), Math.max(from, to)]);
    plot.paint();
  };
  window.addEventListener("mouseup", onUp); // a drag may end outside the canvas
  plot.canvas.addEventListener("mousemove", (event) => {
    const [x, y] = local(event);
    if (brushing) {
      const to = atOf(y);
      brushes.set(brushing.axis, [Math.min(brushing.from, to), Math.max(brushing.from, to)]);
      plot.paint();
      return;
    }
    let best = -1;
    let bestDistance = 8;
    lines.forEach((points, r) => {
      if (!inBrushes(r)) return;
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
    if (best < 0) {
      plot.showTip(x, y, cutLabelTip(cut, x, y));
      return;
    }
    const value = colorBy ? colorBy.values[best] : undefined;
    const shown =
      value === undefined || value === "" ? "—" : Number.isFinite(Number(value)) ? formatNumber(value) : value;
    const name = [h("span", { class: "swatch", style: `background:${colors[best]}` }), " ", runs[best]?.name];
    plot.showTip(x, y, colorBy ? [name, `${colorBy.name}: ${shown}`] : [name]);
  });
  plot.canvas.addEventListener("mouseleave", () => {
    hover = -1;
    plot.paint();
    plot.showTip(0, 0, null);
  });
  if (scale) host.append(colorBar(scale, colorBy, document.documentElement.dataset.theme === "dark"));
  return {
    ...plot,
    destroy() {
      window.removeEventListener("mouseup", onUp);
      plot.destroy();
    },
  };
}

/**
 * The legend of parallel coordinates' colours: the value's name, then a gradient bar from its
 * lowest to its highest value (ticked as its axis would be), or a swatch per category.
 */
function colorBar(scale, colorBy, dark) {
  const missing = colorBy.values.filter((v) => scale.pos(v) === null).length;
  const numbers = colorBy.values.filter((v) => scale.pos(v) !== null).map(Number);
  const range = scale.numeric ? [Math.min(...numbers), Math.max(...numbers)] : null;
  return h(
    "div",
    { class: "color-scale", "data-role": "color-scale", role: "group", "aria-label": `Line colours: ${colorBy.name}` },
    h("span", { class: "color-scale-name" }, colorBy.name, scale.log ? h("span", { class: "muted" }, " (log)") : null),
    scale.numeric
      ? [
          h("span", { class: "mono", "data-role": "color-scale-min" }, shortNumber(range[0])),
          h(
            "span",
            { class: "color-scale-bar", style: `background:${scaleGradient(dark)}` },
            scale.ticks.map((tick) =>
              h("span", { class: "color-scale-tick", style: `left:${(tick.at * 100).toFixed(2)}%` }, tick.label),
            ),
          ),
          h("span", { class: "mono", "data-role": "color-scale-max" }, shortNumber(range[1])),
        ]
      : [
          scale.categories
            .slice(0, 12)
            .map((c) =>
              h(
                "span",
                { class: "color-scale-category", title: c.length > 24 ? c : null },
                h("span", { class: "swatch", style: `background:${scaleColor(scale.pos(c), dark)}` }),
                c.length > 24 ? `${c.slice(0, 23)}…` : c,
              ),
            ),
          scale.categories.length > 12 ? h("span", { class: "muted" }, `+${scale.categories.length - 12} more`) : null,
        ],
    missing ? h("span", { class: "muted" }, `${missing} without it (grey)`) : null,
  );
}

function segmentDistance(x, y, [x1, y1], [x2, y2]) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy));
}

/**
 * Scatter of one value against another, a point per run; hover shows the run, or a cut
 * category label's whole text. The frame starts right of the y labels: a number's 50 px, or
 * the room category labels need (categoryLabelRoom).
 */
export function scatterPlot(host, { xName, yName, xValues, yValues, runs, height = 420, logX = false, logY = false }) {
  const xAxis = makeAxis(xName, xValues, { log: logX });
  const yAxis = makeAxis(yName, yValues, { log: logY });
  const pad = { right: 24, top: 16, bottom: 48 }; // the left one fits the y labels
  let points = [];
  let cut = []; // tick labels drawn cut short: their boxes and whole text, shown on hover
  const draw = (ctx, width, plotHeight) => {
    const muted = cssVar("--muted");
    const border = cssVar("--border");
    const text = cssVar("--text");
    const innerH = plotHeight - pad.top - pad.bottom;
    const yTicks = thinTicks(yAxis.ticks, innerH * 0.92, LABEL_GAP);
    const widths = yTicks.map((tick) => ctx.measureText(tick.label).width);
    const room = yAxis.numeric ? Y_LABEL_ROOM : categoryLabelRoom(widths, width);
    const left = room + 30; // the labels end 6 px off the axis; the axis name takes 24 px
    const innerW = width - left - pad.right;
    // Inset the data so points at the extremes are not cut by the frame.
    const px = (at) => left + (0.04 + at * 0.92) * innerW;
    const py = (at) => pad.top + (1 - (0.04 + at * 0.92)) * innerH;
    cut = [];
    ctx.strokeStyle = border;
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    // Category ticks, one per category, are thinned to labels that do not touch and cut to fit.
    for (const tick of thinTicks(xAxis.ticks, innerW * 0.92, X_LABEL_WIDTH)) {
      const x = px(tick.at);
      ctx.beginPath();
      ctx.moveTo(x, pad.top);
      ctx.lineTo(x, pad.top + innerH);
      ctx.stroke();
      tickLabel(ctx, tick.label, x, pad.top + innerH + 12, X_LABEL_WIDTH - 8, { color: muted, cut });
    }
    ctx.textAlign = "right";
    for (const tick of yTicks) {
      const y = py(tick.at);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + innerW, y);
      ctx.stroke();
      tickLabel(ctx, tick.label, left - 6, y, room, { color: muted, cut });
    }
    ctx.fillStyle = text;
    ctx.textAlign = "center";
    ctx.font = `600 ${FONT}`;
    ctx.fillText(xName, left + innerW / 2, plotHeight - 8);
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
    if (!best) {
      plot.showTip(x, y, cutLabelTip(cut, x, y));
      return;
    }
    plot.showTip(x, y, [runs[best.r].name, `${xName}: ${xValues[best.r]}`, `${yName}: ${yValues[best.r]}`]);
  });
  plot.canvas.addEventListener("mouseleave", () => plot.showTip(0, 0, null));
  return { points: () => points.length, destroy: plot.destroy };
}
