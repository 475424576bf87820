// The image series of one or more runs: a panel per image key with the runs side by side,
// and one step slider (a native range input: arrow keys, Home, End) shared by every panel
// and run. Images load through the server's artifact route as lazy <img>s, thumbnails first.

import { artifacts } from "./api.js";
import { h, replace } from "./dom.js";
import { formatTime } from "./format.js";
import { IMAGES_DIR, imageAt, imageSeries, unionSteps } from "./image-series.js";
import { errorBox, loading } from "./widgets.js";

/**
 * `runs`: [{id, name, color}]; `step`: the step to show first (from the URL);
 * `onStep(step)` is told when the slider moves. Returns the element, filled once the runs'
 * images/ folders are listed.
 */
export function imageSeriesView({ runs, step = null, onStep = () => {}, alive = () => true }) {
  const root = h(
    "div",
    { class: ["col image-series", runs.length === 1 && "single"], "data-role": "image-series" },
    loading("Loading images…"),
  );
  load();
  return root;

  async function load() {
    let listed;
    try {
      listed = await Promise.all(runs.map((run) => artifacts.list(run.id, IMAGES_DIR).catch(() => [])));
    } catch (error) {
      if (alive()) replace(root, errorBox(error, "Could not list the images"));
      return;
    }
    if (!alive()) return;
    const byRun = runs.map((run, i) => ({ run, series: imageSeries(listed[i]) }));
    const keys = [...new Set(byRun.flatMap(({ series }) => [...series.keys()]))].sort();
    if (!keys.length) {
      replace(
        root,
        h("div", { class: "empty" }, "No images logged with a step (mlflow.log_image(key=..., step=...))."),
      );
      return;
    }
    const steps = unionSteps(byRun.flatMap(({ series }) => [...series.values()]));
    draw(byRun, keys, steps);
  }

  function draw(byRun, keys, steps) {
    const start =
      step === null
        ? steps.length - 1
        : Math.max(
            0,
            steps.findLastIndex((s) => s <= step),
          );
    const slider = h("input", {
      type: "range",
      min: "0",
      max: String(steps.length - 1),
      step: "1",
      value: String(start),
      "aria-label": "Step",
      "data-role": "image-step",
      disabled: steps.length < 2,
    });
    const readout = h("output", { class: "mono", "data-role": "image-step-value" });
    const panels = keys.map((key) => keyPanel(key, byRun));
    const show = (index) => {
      const at = steps[index];
      readout.textContent = `step ${at}`;
      slider.setAttribute("aria-valuetext", `step ${at} (${index + 1} of ${steps.length})`);
      for (const panel of panels) panel.show(at);
    };
    slider.addEventListener("input", () => show(Number(slider.value)));
    slider.addEventListener("change", () => onStep(steps[Number(slider.value)]));
    replace(
      root,
      h(
        "div",
        { class: "panel image-step-bar" },
        h("label", { class: "inline" }, "Step", slider),
        readout,
        h("span", { class: "muted small" }, `${steps.length} steps · ${steps[0]}–${steps[steps.length - 1]}`),
      ),
      panels.map((panel) => panel.element),
    );
    show(start);
  }
}

/** One key's panel: a figure per run with that key, showing its image at a step. */
function keyPanel(key, byRun) {
  const cells = byRun.filter(({ series }) => series.has(key)).map(({ run, series }) => imageCell(run, series.get(key)));
  const element = h(
    "section",
    { class: "panel image-panel", dataset: { imageKey: key }, "aria-label": `Images ${key}` },
    h("div", { class: "panel-title" }, h("span", { class: "grow mono" }, key)),
    h(
      "div",
      { class: "image-grid" },
      cells.map((cell) => cell.element),
    ),
  );
  return {
    element,
    show(step) {
      for (const cell of cells) cell.show(step);
    },
  };
}

function imageCell(run, series) {
  const img = h("img", { class: "series-image", loading: "lazy", alt: "" });
  const link = h("a", { class: "series-image-link", target: "_blank", rel: "noopener" }, img);
  const caption = h("span", { class: "muted small", "data-role": "image-caption" });
  const empty = h("div", { class: "series-image-empty muted small" }, "No image yet");
  const element = h(
    "figure",
    { class: "series-cell", dataset: { run: run.id } },
    h(
      "figcaption",
      null,
      h("span", { class: "swatch", style: `background:${run.color}` }),
      h("span", { class: "name" }, run.name),
    ),
    link,
    empty,
    caption,
  );
  let shown = null;
  return {
    element,
    show(step) {
      const image = imageAt(series, step);
      link.hidden = !image;
      empty.hidden = Boolean(image);
      caption.textContent = image ? `step ${image.step} · ${formatTime(image.timestamp)}` : "";
      if (!image || image === shown) return;
      shown = image;
      img.src = artifacts.runFileUrl(run.id, image.thumbnail);
      img.alt = `${run.name}: step ${image.step}`;
      link.href = artifacts.runFileUrl(run.id, image.path);
      element.dataset.step = String(image.step);
    },
  };
}
