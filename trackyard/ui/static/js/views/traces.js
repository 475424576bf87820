// The Traces tab of an experiment (#/experiments/1/traces) and of a run
// (#/experiments/1/runs/<id>/traces): a table of traces from traces/search, filtered with
// MLflow's trace grammar and a status, sorted by time or duration, a page of 100 at a time.
// Filter, status and sort live in the URL.

import { experiments, runs, traces } from "../api.js";
import { describeAttachments } from "../attachments.js";
import { h, replace } from "../dom.js";
import { formatDuration, formatTime } from "../format.js";
import { href, seg, setQuery } from "../router.js";
import { assessmentValue, durationMs, oneLine, shortValue, timeMs, traceFilter, traceOrder } from "../trace-model.js";
import { errorBox, loadFilteredPage, loading, pageHeader, tabs } from "../widgets.js";

const PAGE = 100;
const STATUSES = [
  ["", "Any status"],
  ["OK", "OK"],
  ["ERROR", "Error"],
  ["IN_PROGRESS", "In progress"],
];
const MAX_CHIPS = 3;

/** #/experiments/:experimentId/traces */
export async function experimentTracesView(container, ctx) {
  const experimentId = ctx.params.experimentId;
  replace(container, loading("Loading traces…"));
  const experiment = await experiments.get(experimentId);
  if (!ctx.alive()) return;
  document.title = `Traces · ${experiment.name} · trackyard`;
  const header = pageHeader({
    crumbs: [["Experiments", "#/experiments"]],
    title: experiment.name,
    subtitle: `Experiment ID ${experiment.experiment_id}`,
  });
  traceTable(container, ctx, { experimentId, header: [header, experimentTabs(experimentId, "traces")] });
}

/** An experiment's tabs: its runs and its traces (the runs page shows them too). */
export function experimentTabs(experimentId, active) {
  return tabs(
    [
      { id: "runs", label: "Runs", href: href(`/experiments/${seg(experimentId)}`) },
      { id: "traces", label: "Traces", href: href(`/experiments/${seg(experimentId)}/traces`) },
    ],
    active,
  );
}

/** #/experiments/:experimentId/runs/:runId/traces: the traces a run made or was linked to. */
export async function runTracesView(container, ctx) {
  const { runId } = ctx.params;
  replace(container, loading("Loading traces…"));
  const run = await runs.get(runId);
  if (!ctx.alive()) return;
  const experimentId = run.info.experiment_id;
  const experiment = await experiments.get(experimentId).catch(() => null);
  if (!ctx.alive()) return;
  document.title = `Traces · ${run.info.run_name} · trackyard`;
  const base = `/experiments/${seg(experimentId)}/runs/${seg(runId)}`;
  const header = pageHeader({
    crumbs: [
      ["Experiments", "#/experiments"],
      [experiment ? experiment.name : `Experiment ${experimentId}`, href(`/experiments/${seg(experimentId)}`)],
    ],
    title: run.info.run_name,
    role: "run-name",
  });
  const tabBar = tabs(
    [
      { id: "overview", label: "Overview", href: href(base) },
      { id: "charts", label: "Metric charts", href: href(base, { tab: "charts" }) },
      { id: "artifacts", label: "Artifacts", href: href(base, { tab: "artifacts" }) },
      { id: "traces", label: "Traces", href: href(`${base}/traces`) },
    ],
    "traces",
  );
  traceTable(container, ctx, { experimentId, runId, header: [header, tabBar] });
}

function traceTable(container, ctx, { experimentId, runId, header }) {
  const query = ctx.query;
  const state = {
    items: [],
    token: null,
    sort: query.get("sort") === "duration" ? "duration" : "time",
    dir: query.get("dir") === "asc" ? "asc" : "desc",
  };
  const search = h("input", {
    type: "search",
    class: "filter",
    value: query.get("filter") || "",
    placeholder: "tags.team = 'search' AND trace.execution_time_ms > 100",
    "aria-label": "Filter traces (MLflow trace filter)",
    "data-role": "trace-filter",
    onkeydown: (event) => {
      if (event.key === "Enter") apply();
    },
  });
  const status = h(
    "select",
    { "aria-label": "Status", "data-role": "trace-status", onchange: () => apply() },
    STATUSES.map(([value, label]) => h("option", { value, selected: value === (query.get("status") || "") }, label)),
  );
  const errorLine = h("div", { class: "field-error hidden", role: "alert" });
  const tableBox = h("div", { class: "table-scroll traces-scroll" });
  const footer = h("div", { class: "row muted small", "data-role": "traces-footer" });

  // A new query aborts the one still in flight, so a slow answer never lands over a newer one.
  let inflight = null;
  const fetchPage = (pageToken) => {
    inflight?.abort();
    inflight = new AbortController();
    return traces.search({
      experimentIds: [experimentId],
      filter: traceFilter({ text: search.value, status: status.value, runId }),
      orderBy: traceOrder(state.sort, state.dir),
      maxResults: PAGE,
      pageToken,
      signal: AbortSignal.any([ctx.signal, inflight.signal]),
    });
  };
  const load = (append) =>
    loadFilteredPage({
      ctx,
      state,
      append,
      fetchPage,
      itemsKey: "traces",
      search,
      errorLine,
      draw,
      onFailure: (error) => {
        if (error.name !== "AbortError") replace(tableBox, errorBox(error, "Traces could not be loaded"));
      },
    });
  function apply() {
    setQuery({ filter: search.value.trim(), status: status.value });
    load(false);
  }
  function sortBy(key) {
    state.dir = state.sort === key && state.dir === "desc" ? "asc" : "desc";
    state.sort = key;
    setQuery({ sort: key === "time" ? "" : key, dir: state.dir === "asc" ? "asc" : "" }, { push: true });
    load(false);
  }
  function draw() {
    replace(tableBox, state.items.length ? table(state, experimentId, sortBy) : emptyNote(search.value, status.value));
    replace(
      footer,
      `${state.items.length.toLocaleString()} trace${state.items.length === 1 ? "" : "s"} shown`,
      state.token ? h("button", { onclick: () => load(true), "data-role": "more-traces" }, `Load ${PAGE} more`) : null,
    );
  }

  replace(
    container,
    h(
      "div",
      { class: "page" },
      header,
      h(
        "div",
        { class: "row" },
        search,
        status,
        h("button", { onclick: apply }, "Search"),
        h(
          "button",
          {
            onclick: () => {
              search.value = "";
              status.value = "";
              apply();
            },
          },
          "Clear",
        ),
      ),
      errorLine,
      tableBox,
      footer,
    ),
  );
  return load(false);
}

function emptyNote(filter, status) {
  if (filter || status) return h("div", { class: "empty" }, "No traces match this filter.");
  return h(
    "div",
    { class: "empty" },
    "No traces yet. Traces appear here when code decorated with @mlflow.trace runs with this experiment active, ",
    "or when an OpenTelemetry exporter posts spans to /v1/traces with the header x-mlflow-experiment-id.",
  );
}

function sortHeader(label, key, state, sortBy) {
  const sorted = state.sort === key;
  return h(
    "th",
    { class: "nowrap num", "aria-sort": sorted ? (state.dir === "asc" ? "ascending" : "descending") : "none" },
    h(
      "button",
      { class: "link sort-button", onclick: () => sortBy(key), "data-sort": key },
      label,
      sorted ? (state.dir === "asc" ? " ▲" : " ▼") : "",
    ),
  );
}

function table(state, experimentId, sortBy) {
  return h(
    "table",
    { class: "data traces-table", "data-role": "traces-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", null, "Trace"),
        h("th", null, "Request"),
        h("th", null, "Response"),
        h("th", null, "Status"),
        sortHeader("Time", "time", state, sortBy),
        sortHeader("Duration", "duration", state, sortBy),
        h("th", null, "Tags"),
        h("th", null, "Assessments"),
      ),
    ),
    h(
      "tbody",
      null,
      state.items.map((info) => traceRow(info, experimentId)),
    ),
  );
}

function traceRow(info, experimentId) {
  const tags = info.tags || {};
  const name = tags["mlflow.traceName"] || info.trace_id;
  return h(
    "tr",
    { dataset: { traceId: info.trace_id } },
    h(
      "td",
      { class: "trace-name" },
      h("a", { href: href(`/experiments/${seg(experimentId)}/traces/${seg(info.trace_id)}`) }, name),
      // "tr-" and 12 hex digits: enough to tell traces apart in a list; the title has all.
      h("div", { class: "mono muted small", title: info.trace_id }, oneLine(info.trace_id, 16)),
    ),
    h("td", null, preview(info.request_preview)),
    h("td", null, preview(info.response_preview)),
    h("td", null, stateBadge(info.state)),
    h("td", { class: "num request-time" }, timeCell(formatTime(timeMs(info.request_time)))),
    h("td", { class: "nowrap num" }, formatDuration(durationMs(info.execution_duration))),
    h("td", null, chips(userTags(tags).map(([k, v]) => `${k}: ${shortValue(v, 30)}`))),
    h("td", null, assessmentChips(info.assessments || [])),
  );
}

// Date and time each kept whole: a narrow table breaks the cell between them, not inside.
const timeCell = (text) => text.split(" ").map((part, i) => [i ? " " : "", h("span", { class: "nowrap" }, part)]);

const preview = (text) => {
  const shown = describeAttachments(text ?? "");
  return h("div", { class: "preview", title: oneLine(shown, 1000) }, oneLine(shown));
};

/** Tags a person set: MLflow's own (mlflow.*) are left to the trace page. */
export const userTags = (tags) =>
  Object.entries(tags || {})
    .filter(([key]) => !key.startsWith("mlflow."))
    .sort(([a], [b]) => a.localeCompare(b));

function chips(labels, kinds = []) {
  if (!labels.length) return null;
  const shown = labels.slice(0, MAX_CHIPS);
  return h(
    "div",
    { class: "chips" },
    shown.map((label, i) => h("span", { class: ["badge", kinds[i]], title: label }, label)),
    labels.length > MAX_CHIPS ? h("span", { class: "muted small" }, `+${labels.length - MAX_CHIPS}`) : null,
  );
}

function assessmentChips(assessments) {
  const valid = assessments.filter((a) => a.valid !== false);
  const labels = [];
  const kinds = [];
  for (const assessment of valid) {
    const { kind, value, error } = assessmentValue(assessment);
    const name = kind === "issue" ? "issue" : assessment.assessment_name;
    labels.push(`${name}: ${error ? "error" : kind === "issue" ? oneLine(value, 24) : shortValue(value, 24)}`);
    kinds.push(value === true ? "ok" : value === false || error ? "danger" : null);
  }
  return chips(labels, kinds);
}

const STATE_LABELS = { OK: "OK", ERROR: "Error", IN_PROGRESS: "In progress" };

/** A trace's state as a badge with a coloured dot (the word carries it, not the colour). */
export function stateBadge(state) {
  const name = state || "STATE_UNSPECIFIED";
  return h(
    "span",
    { class: "badge", "data-role": "trace-state" },
    h("span", { class: `status-dot trace-${name}` }),
    STATE_LABELS[name] || name,
  );
}
