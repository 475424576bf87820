// The runs page's chart view: beside the table, one chart per metric of the loaded (filtered)
// runs that are not hidden, each run in its own colour, or one mean line and min-max band per
// group when the page groups by a param or tag. The charts are metric-charts.js's (bulk
// sampled history, 100 runs a request per metric; drawn as they scroll into view); this
// module picks the runs and keys and draws them again only when those change.

import { h, replace } from "../../dom.js";
import { plural } from "../../format.js";
import { rankKeys } from "../../key-rank.js";
import { createTicker } from "../../live.js";
import { chartGrid, readChartSettings } from "../../metric-charts.js";
import { chartGroups, chartRuns, MAX_CHART_RUNS } from "./run-groups.js";

/**
 * The pane's element; drawRunsCharts fills it. Its `ticker` talks to the charts: an event
 * "tick" (the page polled its running runs) makes them fetch their points again, and
 * "focus-run" (detail: a run id or null, the table's hovered row) highlights its line.
 * `onLayout(entries)`: the user hid, moved or resized a panel (chart-layout.js's entries).
 */
export function createRunsCharts(signal, onLayout) {
  const element = h("section", {
    class: "runs-charts",
    "data-role": "runs-charts",
    "aria-label": "Charts of the runs",
  });
  return { element, signal, onLayout, ticker: createTicker(), drawn: "", cleanups: [], controller: null };
}

/**
 * Draw the charts for the loaded runs (`runs`: table-model.js's loaded runs) and the view
 * `state` (hidden runs, colours, group-by, the panels' layout), unless the same are drawn
 * already (the panels move themselves when the layout changes).
 */
export function drawRunsCharts(pane, runs, state) {
  const shown = chartRuns(runs.rows, state.hidden, state.colors);
  const keys = rankKeys(runs.keys.metric, runs.counts.metric);
  const groups = state.group ? chartGroups(shown.rows, state.group, runs.rows) : null;
  const signature = JSON.stringify([shown.runs, groups?.map((g) => g.name), keys]);
  if (signature === pane.drawn) return;
  pane.drawn = signature;
  disposeRunsCharts(pane);
  pane.controller = new AbortController();
  const summary = groups
    ? `${plural(groups.length, "group")} of ${plural(shown.runs.length, "run")}`
    : plural(shown.runs.length, "run");
  const capped =
    shown.total > MAX_CHART_RUNS ? ` (the first ${MAX_CHART_RUNS} of ${shown.total.toLocaleString()} shown)` : "";
  const hidden = state.hidden.size ? ` · ${state.hidden.size} hidden` : "";
  const lead = h(
    "div",
    { class: "muted small", "data-role": "charts-summary" },
    `Charts of ${summary}${capped}${hidden}`,
  );
  replace(
    pane.element,
    !shown.runs.length || !keys.length
      ? [lead, h("div", { class: "empty" }, shown.runs.length ? "No metrics logged." : "No runs to chart.")]
      : chartGrid({
          keys,
          lead,
          layout: { entries: state.panels, save: pane.onLayout },
          runs: shown.runs,
          groups,
          settings: readChartSettings(new URLSearchParams()),
          signal: AbortSignal.any([pane.signal, pane.controller.signal]),
          onCleanup: (fn) => pane.cleanups.push(fn),
          live: pane.ticker,
        }),
  );
}

/** Stop the charts' requests and free their plots (the pane redraws or closes). */
export function disposeRunsCharts(pane) {
  pane.controller?.abort();
  for (const fn of pane.cleanups.splice(0)) fn();
}

/** Forget what is drawn, so the next drawRunsCharts draws (the pane was closed). */
export function resetRunsCharts(pane) {
  disposeRunsCharts(pane);
  pane.drawn = "";
  pane.element.replaceChildren();
}
