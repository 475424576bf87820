// Compare runs: a side-by-side table with differences highlighted, overlaid metric charts,
// parallel coordinates and a scatter of any param or metric against another.

import { experiments, runs as runsApi } from "../api.js";
import { parallelCoordinates, scatterPlot } from "../compare-plots.js";
import { colorFor, h, replace } from "../dom.js";
import { formatNumber, formatTime, runDuration, toMap } from "../format.js";
import { imageSeriesView } from "../image-panels.js";
import { LOGGED_IMAGES_TAG, parseStep } from "../image-series.js";
import { countKeys, rankKeys } from "../key-rank.js";
import { createTicker, poll } from "../live.js";
import { chartGrid, readChartSettings, urlChartControls } from "../metric-charts.js";
import { href, refresh, seg, setQuery } from "../router.js";
import { errorBox, loading, pageHeader, tabs } from "../widgets.js";
import { chartGroups, readGroupBy } from "./runs/run-groups.js";
import { sourceName } from "./runs/table-model.js";

const TABS = {
  table: "Table",
  charts: "Metric charts",
  parallel: "Parallel coordinates",
  scatter: "Scatter",
  images: "Images",
};
const MAX_RUNS = 200;

export async function compareView(container, ctx) {
  const ids = [...new Set((ctx.query.get("runs") || "").split(",").filter(Boolean))];
  if (!ids.length) {
    return replace(
      container,
      h(
        "div",
        { class: "page" },
        h("div", { class: "empty" }, "No runs to compare. Select runs in an experiment's table, then press Compare."),
      ),
    );
  }
  replace(container, loading(`Loading ${ids.length} runs…`));
  const shown = ids.slice(0, MAX_RUNS);
  const fetched = await fetchRuns(shown, (ctx.query.get("experiments") || "").split(",").filter(Boolean));
  if (!ctx.alive()) return null;
  const failed = fetched.filter((r) => r.error);
  const runs = fetched
    .filter((r) => !r.error)
    .map((run, i) => ({
      run,
      id: run.info.run_id,
      name: run.info.run_name,
      color: colorFor(i),
      params: toMap(run.data.params),
      metrics: Object.fromEntries((run.data.metrics || []).map((m) => [m.key, m.value])),
      tags: toMap(run.data.tags),
    }));
  const experimentIds = [...new Set(runs.map((r) => r.run.info.experiment_id))];
  const names = new Map();
  await Promise.all(
    experimentIds.map((id) =>
      experiments
        .get(id)
        .then((e) => names.set(id, e.name))
        .catch(() => {}),
    ),
  );
  if (!ctx.alive()) return null;

  // Images only when a run logged some (MLflow's client tags the run when it does).
  const withImages = runs.filter((r) => r.tags[LOGGED_IMAGES_TAG] !== undefined);
  const tabIds = Object.keys(TABS).filter((id) => id !== "images" || withImages.length);
  const tab = tabIds.includes(ctx.query.get("tab")) ? ctx.query.get("tab") : "table";
  const query = Object.fromEntries(ctx.query.entries());
  const tabHref = (id) => href("/compare", { ...query, tab: id === "table" ? "" : id });
  const body = h("div", { class: "col", style: "gap: 12px" });
  const back = ctx.query.get("experiments") || experimentIds.join(",");
  document.title = `Compare ${runs.length} runs · trackyard`;

  replace(
    container,
    h(
      "div",
      { class: "page" },
      pageHeader({
        crumbs: [
          ["Experiments", "#/experiments"],
          [
            back
              .split(",")
              .map((id) => names.get(id) || `Experiment ${id}`)
              .join(", "),
            href(`/experiments/${back.split(",").map(seg).join(",")}`),
          ],
        ],
        title: `Comparing ${runs.length} run${runs.length === 1 ? "" : "s"}`,
        subtitle: h(
          "div",
          { class: "run-chips", "data-role": "run-chips" },
          runs.map((r) =>
            h(
              "a",
              { class: "badge", href: href(`/experiments/${seg(r.run.info.experiment_id)}/runs/${seg(r.id)}`) },
              h("span", { class: "swatch", style: `background:${r.color}` }),
              r.name,
            ),
          ),
        ),
      }),
      ids.length > MAX_RUNS
        ? h("div", { class: "notice" }, `Showing the first ${MAX_RUNS} of ${ids.length} runs.`)
        : null,
      failed.length ? errorBox(failed[0].error, `${failed.length} run(s) could not be loaded`) : null,
      tabs(
        tabIds.map((id) => ({ id, label: TABS[id], href: tabHref(id) })),
        tab,
      ),
      body,
    ),
  );

  if (!runs.length) return null;
  if (tab === "charts") return chartsTab(body, runs, ctx, followRuns(runs, ctx));
  if (tab === "parallel") return parallelTab(body, runs, ctx);
  if (tab === "scatter") return scatterTab(body, runs, ctx);
  if (tab === "images") {
    return replace(
      body,
      imageSeriesView({
        runs: withImages.map(({ id, name, color }) => ({ id, name, color })),
        step: parseStep(ctx.query.get("step")),
        onStep: (step) => setQuery({ step }),
        alive: ctx.alive,
      }),
    );
  }
  return tableTab(body, runs, ctx, names);
}

/**
 * The runs in the order asked, as one runs/search (run_id IN ...) over the experiments the
 * runs page named; a run it did not find (another experiment, or no experiments named) is
 * fetched on its own, and one that fails comes back as {error, id}.
 */
async function fetchRuns(ids, experimentIds) {
  const found = new Map();
  if (experimentIds.length) {
    const quoted = ids.map((id) => `'${id.replace(/'/g, "")}'`).join(", ");
    try {
      const page = await runsApi.search({
        experimentIds,
        filter: `attributes.run_id IN (${quoted})`,
        viewType: "ALL",
        maxResults: Math.max(ids.length, 1),
      });
      for (const run of page.runs || []) found.set(run.info.run_id, run);
    } catch {
      // Fall back to one request per run below, which reports each failure.
    }
  }
  return Promise.all(ids.map((id) => found.get(id) || runsApi.get(id).catch((error) => ({ error, id }))));
}

const unionKeys = (runs, field) => [...new Set(runs.flatMap((r) => Object.keys(r[field])))].sort();
/** The keys of `field` in order of importance (key-rank.js), as the runs table orders them. */
const rankedKeys = (runs, field) => rankKeys(unionKeys(runs, field), countKeys(runs, field));
const differs = (values) => new Set(values.map((v) => (v === undefined ? "\u0000missing" : String(v)))).size > 1;

function tableTab(body, runs, ctx, names) {
  const onlyDiff = ctx.query.get("diff") === "1";
  const toggle = h("input", { type: "checkbox", checked: onlyDiff, "data-role": "only-diff" });
  toggle.addEventListener("change", () => {
    setQuery({ diff: toggle.checked });
    refresh();
  });
  const section = (title, rows) => {
    const kept = rows.filter((row) => !onlyDiff || row.diff);
    if (!kept.length) return null;
    return [
      h("tr", null, h("th", { colspan: runs.length + 1, class: "section" }, `${title} (${kept.length})`)),
      kept.map((row) =>
        h(
          "tr",
          { class: row.diff ? "diff" : null, dataset: { key: `${title}:${row.key}` } },
          h("td", { class: "key" }, row.key),
          row.cells.map((cell) => h("td", { class: ["value", row.numeric && "num"] }, cell)),
        ),
      ),
    ];
  };
  const attrRow = (key, values) => ({ key, cells: values, diff: differs(values) });
  const valueRows = (field, numeric) =>
    unionKeys(runs, field)
      .filter((key) => field !== "tags" || !key.startsWith("mlflow."))
      .map((key) => {
        const values = runs.map((r) => r[field][key]);
        return {
          key,
          numeric,
          diff: differs(values),
          cells: values.map((v) =>
            v === undefined
              ? h("span", { class: "muted" }, "—")
              : numeric
                ? h("span", { title: String(v) }, formatNumber(v))
                : v,
          ),
        };
      });
  replace(
    body,
    h("label", { class: "inline" }, toggle, "Show only differences"),
    h(
      "div",
      { class: "panel table-scroll", style: "max-height: none" },
      h(
        "table",
        { class: "data compare", "data-role": "compare-table" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", null, ""),
            runs.map((r) =>
              h(
                "th",
                null,
                h("span", { class: "swatch", style: `background:${r.color}; margin-right: 6px` }),
                h("a", { href: href(`/experiments/${seg(r.run.info.experiment_id)}/runs/${seg(r.id)}`) }, r.name),
              ),
            ),
          ),
        ),
        h(
          "tbody",
          null,
          section("Run", [
            attrRow(
              "Run ID",
              runs.map((r) => r.id),
            ),
            attrRow(
              "Experiment",
              runs.map((r) => names.get(r.run.info.experiment_id) || r.run.info.experiment_id),
            ),
            attrRow(
              "Status",
              runs.map((r) => r.run.info.status),
            ),
            attrRow(
              "Started",
              runs.map((r) => formatTime(r.run.info.start_time)),
            ),
            attrRow(
              "Duration",
              runs.map((r) => runDuration(r.run.info)),
            ),
            attrRow(
              "User",
              runs.map((r) => r.run.info.user_id || ""),
            ),
            attrRow(
              "Source",
              runs.map((r) => sourceName(r.tags)),
            ),
          ]),
          section("Parameters", valueRows("params", false)),
          section("Metrics", valueRows("metrics", true)),
          section("Tags", valueRows("tags", false)),
        ),
      ),
    ),
  );
}

/**
 * While any of the runs runs: poll them (one runs/search) and tell the charts (the returned
 * ticker) to fetch their points again; null when none runs.
 */
function followRuns(runs, ctx) {
  const isRunning = (r) => r.run.info.status === "RUNNING";
  if (!runs.some(isRunning)) return null;
  const ticker = createTicker();
  const experimentIds = [...new Set(runs.map((r) => r.run.info.experiment_id))];
  const poller = poll(ctx, async () => {
    const running = runs.filter(isRunning);
    const fresh = await fetchRuns(
      running.map((r) => r.id),
      experimentIds,
    );
    if (!ctx.alive()) return false;
    fresh.forEach((run, i) => {
      if (!run.error) running[i].run = run;
    });
    ticker.dispatchEvent(new Event("tick"));
    return runs.some(isRunning);
  });
  poller.start();
  return ticker;
}

function chartsTab(body, runs, ctx, live) {
  const keys = rankedKeys(runs, "metrics");
  if (!keys.length) return replace(body, h("div", { class: "empty" }, "These runs have no metrics."));
  const settings = readChartSettings(ctx.query);
  // Group by a param or tag (`group`, as on the runs page): one mean line and min-max band
  // per group, in the colours the runs page's chart view gives the same groups.
  const group = readGroupBy(ctx.query.get("group"));
  const controls = urlChartControls(settings, keys);
  controls.prepend(groupBySelect(runs, group));
  return replace(
    body,
    controls,
    chartGrid({
      keys,
      runs: runs.map(({ id, name, color }) => ({ id, name, color })),
      groups: group ? chartGroups(runs, group) : null,
      settings,
      signal: ctx.signal,
      onCleanup: ctx.onCleanup,
      live,
    }),
  );
}

/** "Group by": none, or a param or tag (mlflow.* tags left out) of the runs; kept in `group`. */
function groupBySelect(runs, group) {
  const tags = unionKeys(runs, "tags").filter((key) => !key.startsWith("mlflow."));
  const option = (value, label) => h("option", { value, selected: value === group }, label);
  const options = (label, kind, keys) =>
    keys.length
      ? h(
          "optgroup",
          { label },
          keys.map((key) => option(`${kind}:${key}`, key)),
        )
      : null;
  const offered = [...unionKeys(runs, "params").map((k) => `param:${k}`), ...tags.map((k) => `tag:${k}`)];
  const select = h(
    "select",
    { "aria-label": "Group by", "data-role": "group-by" },
    option("", "No grouping"),
    group && !offered.includes(group) ? option(group, group) : null,
    options("Params", "param", rankedKeys(runs, "params")),
    options("Tags", "tag", tags),
  );
  select.addEventListener("change", () => {
    setQuery({ group: select.value });
    refresh();
  });
  return h("label", { class: "inline" }, "Group by", select);
}

/** Choices for plot axes: every param and metric, with a value getter. */
function dimensions(runs) {
  return [
    ...rankedKeys(runs, "params").map((key) => ({
      id: `param:${key}`,
      label: `param ${key}`,
      name: key,
      get: (r) => r.params[key],
    })),
    ...rankedKeys(runs, "metrics").map((key) => ({
      id: `metric:${key}`,
      label: `metric ${key}`,
      name: key,
      get: (r) => r.metrics[key],
    })),
  ];
}

function parallelTab(body, runs, ctx) {
  const dims = dimensions(runs);
  if (!dims.length) return replace(body, h("div", { class: "empty" }, "These runs have no params or metrics."));
  const fromUrl = (ctx.query.get("axes") || "").split(",").filter((id) => dims.some((d) => d.id === id));
  // Default: params that differ between the runs, then metrics.
  const defaults = [
    ...dims.filter((d) => d.id.startsWith("param:") && differs(runs.map(d.get))).slice(0, 6),
    ...dims.filter((d) => d.id.startsWith("metric:")).slice(0, 3),
  ].map((d) => d.id);
  const chosen = fromUrl.length ? fromUrl : defaults.length >= 2 ? defaults : dims.slice(0, 6).map((d) => d.id);
  const host = h("div", { class: "panel", style: "padding: 12px", "data-role": "parallel" });
  const picker = h(
    "details",
    null,
    h("summary", null, `Axes (${chosen.length} of ${dims.length})`),
    h(
      "div",
      { class: "row", style: "margin-top: 8px" },
      dims.map((d) =>
        h(
          "label",
          { class: "inline badge" },
          h("input", { type: "checkbox", checked: chosen.includes(d.id), dataset: { dim: d.id } }),
          d.label,
        ),
      ),
    ),
  );
  picker.addEventListener("change", () => {
    const next = [...picker.querySelectorAll("input:checked")].map((el) => el.dataset.dim);
    setQuery({ axes: next.join(",") });
    draw(next);
  });
  // Colour by (`pcolor`): a metric or param on a continuous scale, or "run" for run colours;
  // by default the first metric on the axes.
  const firstMetric = chosen.find((id) => id.startsWith("metric:")) || "run";
  const asked = ctx.query.get("pcolor");
  let colorId = asked === "run" || dims.some((d) => d.id === asked) ? asked : firstMetric;
  const colorSelect = h(
    "select",
    { "aria-label": "Colour lines by", "data-role": "color-by" },
    h("option", { value: "run", selected: colorId === "run" }, "Run colours"),
    [
      ["Metrics", "metric:"],
      ["Params", "param:"],
    ].map(([label, prefix]) =>
      h(
        "optgroup",
        { label },
        dims
          .filter((d) => d.id.startsWith(prefix))
          .map((d) => h("option", { value: d.id, selected: d.id === colorId }, d.name)),
      ),
    ),
  );
  colorSelect.addEventListener("change", () => {
    colorId = colorSelect.value;
    setQuery({ pcolor: colorId === firstMetric ? "" : colorId });
    draw(current);
  });
  replace(body, h("div", { class: "row" }, h("label", { class: "inline" }, "Colour by", colorSelect)), picker, host);
  let plot = null;
  let current = chosen;
  const draw = (ids) => {
    current = ids;
    if (plot) plot.destroy();
    const axes = ids
      .map((id) => dims.find((d) => d.id === id))
      .filter(Boolean)
      .map((d) => ({ name: d.label, values: runs.map(d.get) }));
    if (axes.length < 2) {
      plot = null;
      return replace(host, h("div", { class: "empty" }, "Choose at least two axes."));
    }
    const by = dims.find((d) => d.id === colorId);
    plot = parallelCoordinates(host, { axes, runs, colorBy: by ? { name: by.label, values: runs.map(by.get) } : null });
    return plot;
  };
  ctx.onCleanup(() => plot?.destroy());
  draw(chosen);
  return null;
}

function scatterTab(body, runs, ctx) {
  const dims = dimensions(runs);
  if (!dims.length) return replace(body, h("div", { class: "empty" }, "These runs have no params or metrics."));
  const pick = (name, fallback) => (dims.some((d) => d.id === ctx.query.get(name)) ? ctx.query.get(name) : fallback);
  const metricsDims = dims.filter((d) => d.id.startsWith("metric:"));
  let xId = pick("sx", dims[0].id);
  let yId = pick("sy", (metricsDims.find((d) => d.id !== xId) || dims[Math.min(1, dims.length - 1)]).id);
  const select = (value, role) =>
    h(
      "select",
      { "data-role": role },
      dims.map((d) => h("option", { value: d.id, selected: d.id === value }, d.label)),
    );
  const xSelect = select(xId, "scatter-x");
  const ySelect = select(yId, "scatter-y");
  const logBox = (name, label) =>
    h("input", { type: "checkbox", checked: ctx.query.get(name) === "1", "data-role": name, "aria-label": label });
  const logX = logBox("slx", "Log X");
  const logY = logBox("sly", "Log Y");
  const host = h("div", { class: "panel", style: "padding: 12px", "data-role": "scatter" });
  let plot = null;
  const draw = () => {
    if (plot) plot.destroy();
    const x = dims.find((d) => d.id === xId);
    const y = dims.find((d) => d.id === yId);
    plot = scatterPlot(host, {
      xName: x.label,
      yName: y.label,
      xValues: runs.map(x.get),
      yValues: runs.map(y.get),
      runs,
      logX: logX.checked,
      logY: logY.checked,
    });
  };
  const onChange = () => {
    xId = xSelect.value;
    yId = ySelect.value;
    setQuery({ sx: xId, sy: yId, slx: logX.checked, sly: logY.checked });
    draw();
  };
  for (const control of [xSelect, ySelect, logX, logY]) control.addEventListener("change", onChange);
  replace(
    body,
    h(
      "div",
      { class: "row" },
      h("label", { class: "inline" }, "X", xSelect),
      h("label", { class: "inline" }, logX, "log"),
      h("label", { class: "inline" }, "Y", ySelect),
      h("label", { class: "inline" }, logY, "log"),
    ),
    host,
  );
  ctx.onCleanup(() => plot?.destroy());
  draw();
  return null;
}
