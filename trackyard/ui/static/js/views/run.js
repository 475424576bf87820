// One run: overview (details, description, datasets, params, metrics, tags), metric charts
// and the artifact browser, each a tab whose state is in the URL.

import { experiments, loggedModels, registry, runs } from "../api.js";
import { artifactBrowser, runSource } from "../artifact-browser.js";
import { colorFor, h, replace } from "../dom.js";
import { formatNumber, formatTime, runDuration, toMap } from "../format.js";
import { imageSeriesView } from "../image-panels.js";
import { LOGGED_IMAGES_TAG, parseStep } from "../image-series.js";
import { createTicker, poll } from "../live.js";
import { renderMarkdown } from "../markdown.js";
import { bigChart, chartGrid, readChartSettings, urlChartControls } from "../metric-charts.js";
import { href, refresh, seg, setQuery } from "../router.js";
import { mayOn } from "../session.js";
import {
  attempt,
  confirmDialog,
  dialog,
  filterInput,
  loading,
  pageHeader,
  panel,
  tabs,
  tagEditor,
} from "../widgets.js";

const NOTE_TAG = "mlflow.note.content";
const PARENT_TAG = "mlflow.parentRunId";

export const runHref = (run) => href(`/experiments/${seg(run.info.experiment_id)}/runs/${seg(run.info.run_id)}`);

export async function runView(container, ctx) {
  const runId = ctx.params.runId;
  replace(container, loading("Loading run…"));
  const run = await runs.get(runId);
  if (!ctx.alive()) return;
  const experiment = await experiments.get(run.info.experiment_id).catch(() => null);
  // Controls the user may not use are not offered (auth on: their level on the experiment).
  run.may = await mayOn("experiment", run.info.experiment_id);
  if (!ctx.alive()) return;

  const info = run.info;
  const tags = toMap(run.data.tags);
  const hasImages = tags[LOGGED_IMAGES_TAG] !== undefined;
  const tabIds = ["overview", "charts", "artifacts", ...(hasImages ? ["images"] : [])];
  const tab = tabIds.includes(ctx.query.get("tab")) ? ctx.query.get("tab") : "overview";
  const base = `/experiments/${seg(info.experiment_id)}/runs/${seg(info.run_id)}`;
  const deleted = info.lifecycle_stage === "deleted";
  document.title = `${info.run_name} · trackyard`;

  const body = h("div", { class: "col", style: "gap: 12px" });
  replace(
    container,
    h(
      "div",
      { class: "page" },
      pageHeader({
        crumbs: [
          ["Experiments", "#/experiments"],
          [
            experiment ? experiment.name : `Experiment ${info.experiment_id}`,
            href(`/experiments/${seg(info.experiment_id)}`),
          ],
          tags[PARENT_TAG]
            ? ["parent run", href(`/experiments/${seg(info.experiment_id)}/runs/${seg(tags[PARENT_TAG])}`)]
            : null,
        ],
        title: info.run_name,
        role: "run-name",
        badges: [
          h(
            "span",
            { class: "badge", "data-role": "run-status" },
            h("span", { class: `status-dot status-${info.status}` }),
            info.status,
          ),
          deleted ? h("span", { class: "badge danger" }, "deleted") : null,
        ],
        actions: h(
          "div",
          { class: "row" },
          run.may.edit ? h("button", { onclick: rename }, "Rename") : null,
          !run.may.manage
            ? null
            : deleted
              ? h("button", { onclick: restore, "data-role": "restore-run" }, "Restore")
              : h("button", { class: "danger", onclick: remove, "data-role": "delete-run" }, "Delete"),
        ),
      }),
      tabs(
        [
          { id: "overview", label: "Overview", href: href(base) },
          {
            id: "charts",
            label: `Metric charts (${run.data.metrics ? run.data.metrics.length : 0})`,
            href: href(base, { tab: "charts" }),
          },
          ...(hasImages ? [{ id: "images", label: "Images", href: href(base, { tab: "images" }) }] : []),
          { id: "artifacts", label: "Artifacts", href: href(base, { tab: "artifacts" }) },
          { id: "traces", label: "Traces", href: href(`${base}/traces`) },
        ],
        tab,
      ),
      body,
    ),
  );

  const live = info.status === "RUNNING" ? followRun(container, run, ctx) : null;
  if (tab === "charts") return chartsTab(body, run, ctx, live);
  if (tab === "images") {
    return replace(
      body,
      imageSeriesView({
        runs: [{ id: info.run_id, name: info.run_name, color: colorFor(0) }],
        step: parseStep(ctx.query.get("step")),
        onStep: (step) => setQuery({ step }),
        alive: ctx.alive,
      }),
    );
  }
  if (tab === "artifacts") {
    return replace(
      body,
      artifactBrowser({
        source: runSource(info.run_id),
        selected: ctx.query.get("path") || "",
        onSelect: (path) => setQuery({ path }),
        signal: ctx.signal,
      }),
    );
  }
  overviewTab(body, run, ctx);

  async function rename() {
    const done = await dialog({
      title: "Rename run",
      fields: [{ name: "name", label: "Run name", value: info.run_name }],
      submit: ({ name }) => runs.rename(info.run_id, name.trim()),
    });
    if (done) refresh();
  }
  async function remove() {
    if (
      await confirmDialog("Delete run", `Delete run "${info.run_name}"? It can be restored later.`, "Delete", () =>
        runs.delete(info.run_id),
      )
    )
      refresh();
  }
  async function restore() {
    if (await attempt(() => runs.restore(info.run_id), "Run restored.")) refresh();
  }
}

function overviewTab(body, run, ctx) {
  const info = run.info;
  const tags = toMap(run.data.tags);
  const params = (run.data.params || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  const metrics = (run.data.metrics || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  const base = `/experiments/${seg(info.experiment_id)}/runs/${seg(info.run_id)}`;

  const source = tags["mlflow.source.name"] || "";
  const commit = tags["mlflow.source.git.commit"];
  const parent = tags[PARENT_TAG];
  const details = h(
    "div",
    { class: "info-grid", "data-role": "run-details" },
    item("Run ID", h("span", { class: "mono" }, info.run_id)),
    item("Status", info.status),
    item("Started", formatTime(info.start_time)),
    item("Ended", info.end_time ? formatTime(info.end_time) : "—"),
    item("Duration", h("span", { "data-role": "duration" }, runDuration(info) || "—")),
    item("User", info.user_id || tags["mlflow.user"] || "—"),
    item(
      "Source",
      source
        ? [
            source,
            tags["mlflow.source.type"] ? h("span", { class: "muted" }, ` (${tags["mlflow.source.type"]})`) : null,
          ]
        : "—",
    ),
    commit ? item("Git commit", h("span", { class: "mono" }, commit.slice(0, 12))) : null,
    item("Parent run", parent ? parentLink(info.experiment_id, parent, ctx) : "—"),
    item("Experiment ID", h("a", { href: href(`/experiments/${seg(info.experiment_id)}`) }, info.experiment_id)),
    item("Artifact URI", h("span", { class: "mono small" }, info.artifact_uri || "")),
    info.lifecycle_stage === "deleted" ? item("Lifecycle", "deleted") : null,
  );

  // Description: the mlflow.note.content tag, as MLflow's UI stores it.
  const note = tags[NOTE_TAG] || "";
  const description = panel(
    "Description",
    note ? renderMarkdown(note) : h("div", { class: "muted" }, "No description."),
    run.may.edit ? h("button", { class: "link", onclick: editNote }, note ? "Edit" : "Add") : null,
  );
  async function editNote() {
    const done = await dialog({
      title: "Run description",
      fields: [{ name: "note", label: "Markdown", value: note, multiline: true }],
      submit: ({ note: value }) => runs.setTag(info.run_id, NOTE_TAG, value),
    });
    if (done) refresh();
  }

  // Params and metrics with a client-side filter each.
  const paramRows = h("tbody");
  const drawParams = (needle = "") =>
    replace(
      paramRows,
      params
        .filter(
          (p) => !needle || p.key.toLowerCase().includes(needle) || String(p.value).toLowerCase().includes(needle),
        )
        .map((p) => h("tr", null, h("td", { class: "key" }, p.key), h("td", { class: "value" }, p.value))),
    );
  drawParams();
  const metricRows = h("tbody");
  const drawMetrics = (needle = "") =>
    replace(
      metricRows,
      metrics
        .filter((m) => !needle || m.key.toLowerCase().includes(needle))
        .map((m) =>
          h(
            "tr",
            null,
            h("td", { class: "key" }, h("a", { href: href(base, { tab: "charts", chart: m.key }) }, m.key)),
            h("td", { class: "num", title: String(m.value) }, formatNumber(m.value)),
            h("td", { class: "num muted" }, m.step ?? 0),
            h("td", { class: "muted nowrap" }, formatTime(m.timestamp)),
          ),
        ),
    );
  drawMetrics();

  const datasets = run.inputs?.dataset_inputs || [];
  const models = run.outputs?.model_outputs || [];
  const modelsHost = h("div", { class: "col" });
  const childrenHost = h("div");

  replace(
    body,
    panel("Details", details),
    description,
    h(
      "div",
      { class: "grid-2" },
      panel(
        `Parameters (${params.length})`,
        params.length
          ? h(
              "div",
              { class: "col" },
              filterInput("Filter parameters", drawParams),
              h(
                "div",
                { class: "table-scroll" },
                h(
                  "table",
                  { class: "data", "data-role": "params" },
                  h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Value"))),
                  paramRows,
                ),
              ),
            )
          : h("div", { class: "muted" }, "No parameters."),
      ),
      panel(
        `Metrics (${metrics.length})`,
        metrics.length
          ? h(
              "div",
              { class: "col" },
              filterInput("Filter metrics", drawMetrics),
              h(
                "div",
                { class: "table-scroll" },
                h(
                  "table",
                  { class: "data", "data-role": "metrics" },
                  h(
                    "thead",
                    null,
                    h(
                      "tr",
                      null,
                      h("th", null, "Name"),
                      h("th", null, "Latest value"),
                      h("th", null, "Step"),
                      h("th", null, "Logged at"),
                    ),
                  ),
                  metricRows,
                ),
              ),
            )
          : h("div", { class: "muted" }, "No metrics."),
      ),
    ),
    datasets.length ? panel(`Datasets (${datasets.length})`, datasetTable(datasets)) : null,
    panel("Models", modelsHost),
    panel(
      "Tags",
      tagEditor({
        tags: Object.fromEntries(Object.entries(tags).filter(([k]) => k !== NOTE_TAG)),
        onSet: run.may.edit ? (key, value) => runs.setTag(info.run_id, key, value) : null,
        onDelete: run.may.edit ? (key) => runs.deleteTag(info.run_id, key) : null,
        reload: refresh,
      }),
    ),
    childrenHost,
  );

  loadModels(modelsHost, run, models, ctx);
  loadChildren(childrenHost, run, ctx);
}

/** A link to the parent run, named once its name arrives (its id until then, or if it fails). */
function parentLink(experimentId, parentId, ctx) {
  const link = h(
    "a",
    {
      href: href(`/experiments/${seg(experimentId)}/runs/${seg(parentId)}`),
      title: parentId,
      "data-role": "parent-run",
    },
    parentId,
  );
  runs
    .get(parentId)
    .then((parent) => {
      if (ctx.alive() && parent.info.run_name) link.textContent = parent.info.run_name;
    })
    .catch(() => {});
  return link;
}

function item(label, value) {
  return h("div", null, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
}

function datasetTable(datasets) {
  return h(
    "table",
    { class: "data", "data-role": "datasets" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", null, "Name"),
        h("th", null, "Digest"),
        h("th", null, "Context"),
        h("th", null, "Source"),
        h("th", null, "Schema"),
      ),
    ),
    h(
      "tbody",
      null,
      datasets.map(({ dataset, tags }) => {
        const context = toMap(tags)["mlflow.data.context"] || "";
        let schema = dataset.schema || "";
        try {
          schema = JSON.stringify(JSON.parse(schema), null, 2);
        } catch {
          /* not JSON: show as is */
        }
        return h(
          "tr",
          null,
          h("td", null, dataset.name),
          h("td", { class: "mono small" }, dataset.digest),
          h("td", null, context ? h("span", { class: "badge" }, context) : ""),
          h(
            "td",
            { class: "small" },
            dataset.source_type ? h("span", { class: "muted" }, `${dataset.source_type}: `) : null,
            h("span", { class: "mono" }, (dataset.source || "").slice(0, 300)),
          ),
          h(
            "td",
            null,
            schema
              ? h("details", null, h("summary", { class: "muted small" }, "show"), h("pre", { class: "small" }, schema))
              : "",
          ),
        );
      }),
    ),
  );
}

async function loadModels(host, run, outputs, ctx) {
  const info = run.info;
  const [logged, versions] = await Promise.all([
    Promise.all(
      outputs
        .slice(0, 50)
        .map((o) => loggedModels.get(o.model_id).catch(() => ({ info: { model_id: o.model_id, name: o.model_id } }))),
    ),
    registry.searchVersions({ filter: `run_id = '${info.run_id}'` }).catch(() => []),
  ]);
  if (!ctx.alive()) return;
  const history = (() => {
    try {
      return JSON.parse(toMap(run.data.tags)["mlflow.log-model.history"] || "[]");
    } catch {
      return [];
    }
  })();
  replace(
    host,
    logged.length
      ? h(
          "div",
          null,
          h("h3", null, "Logged models"),
          h(
            "ul",
            null,
            logged.map((m) =>
              h(
                "li",
                null,
                h(
                  "a",
                  {
                    href: href(
                      `/experiments/${seg(m.info.experiment_id || info.experiment_id)}/models/${seg(m.info.model_id)}`,
                    ),
                  },
                  m.info.name || m.info.model_id,
                ),
                h("span", { class: "muted small" }, ` ${m.info.model_id}`),
              ),
            ),
          ),
        )
      : null,
    history.length
      ? h(
          "div",
          null,
          h("h3", null, "Models in artifacts"),
          h(
            "ul",
            null,
            history.map((m) =>
              h(
                "li",
                null,
                h(
                  "a",
                  {
                    href: href(`/experiments/${seg(info.experiment_id)}/runs/${seg(info.run_id)}`, {
                      tab: "artifacts",
                      path: m.artifact_path,
                    }),
                  },
                  m.artifact_path,
                ),
                m.flavors ? h("span", { class: "muted small" }, ` ${Object.keys(m.flavors).join(", ")}`) : null,
              ),
            ),
          ),
        )
      : null,
    versions.length
      ? h(
          "div",
          null,
          h("h3", null, "Registered versions"),
          h(
            "ul",
            null,
            versions.map((v) =>
              h(
                "li",
                null,
                h("a", { href: href(`/models/${seg(v.name)}/versions/${seg(v.version)}`) }, `${v.name} v${v.version}`),
                v.current_stage && v.current_stage !== "None"
                  ? h("span", { class: "muted small" }, ` ${v.current_stage}`)
                  : null,
              ),
            ),
          ),
        )
      : null,
    !logged.length && !history.length && !versions.length
      ? h("div", { class: "muted" }, "No models logged by this run.")
      : null,
  );
}

async function loadChildren(host, run, ctx) {
  const info = run.info;
  let children;
  try {
    children = await runs.searchAll(
      {
        experimentIds: [info.experiment_id],
        filter: `tags.\`${PARENT_TAG}\` = '${info.run_id}'`,
      },
      500,
    );
  } catch {
    return;
  }
  if (!ctx.alive() || !children.length) return;
  replace(
    host,
    panel(
      `Child runs (${children.length})`,
      h(
        "ul",
        null,
        children.map((child) =>
          h(
            "li",
            null,
            h(
              "a",
              { href: href(`/experiments/${seg(info.experiment_id)}/runs/${seg(child.info.run_id)}`) },
              child.info.run_name,
            ),
            h("span", { class: "muted small" }, ` ${child.info.status}`),
          ),
        ),
      ),
    ),
  );
}

/**
 * While the run runs: poll it, keep its status and duration current and tell the charts
 * (the returned ticker) to fetch their points again; stops once it has ended.
 */
function followRun(container, run, ctx) {
  const ticker = createTicker();
  const poller = poll(ctx, async () => {
    const fresh = await runs.get(run.info.run_id);
    if (!ctx.alive()) return false;
    const { status } = fresh.info;
    const badge = container.querySelector("[data-role=run-status]");
    if (badge) replace(badge, h("span", { class: `status-dot status-${status}` }), status);
    const duration = container.querySelector("[data-role=duration]");
    if (duration) duration.textContent = runDuration(fresh.info) || "—";
    ticker.dispatchEvent(new Event("tick"));
    return status === "RUNNING";
  });
  poller.start();
  return ticker;
}

function chartsTab(body, run, ctx, live) {
  const info = run.info;
  const keys = (run.data.metrics || []).map((m) => m.key).sort();
  if (!keys.length) return replace(body, h("div", { class: "empty" }, "This run has no metrics."));
  const settings = readChartSettings(ctx.query);
  const base = `/experiments/${seg(info.experiment_id)}/runs/${seg(info.run_id)}`;
  const series = [{ id: info.run_id, name: info.run_name, color: colorFor(0) }];
  const expanded = ctx.query.get("chart");
  const controls = urlChartControls(settings, keys);
  const filter = filterInput("Filter metrics", (needle) => {
    for (const card of body.querySelectorAll(".chart-card[data-metric]")) {
      card.classList.toggle("hidden", Boolean(needle) && !card.dataset.metric.toLowerCase().includes(needle));
    }
  });
  if (expanded && keys.includes(expanded)) {
    return replace(
      body,
      h(
        "div",
        { class: "row" },
        h(
          "a",
          {
            href: href(base, {
              tab: "charts",
              x: ctx.query.get("x"),
              log: ctx.query.get("log"),
              smooth: ctx.query.get("smooth"),
              panels: ctx.query.get("panels"),
            }),
          },
          "← All charts",
        ),
      ),
      controls,
      bigChart({ key: expanded, runs: series, settings, signal: ctx.signal, onCleanup: ctx.onCleanup, live }),
    );
  }
  replace(
    body,
    h("div", { class: "row" }, controls, h("span", { class: "spacer" }), filter),
    chartGrid({
      keys,
      runs: series,
      settings,
      signal: ctx.signal,
      onCleanup: ctx.onCleanup,
      live,
      expandHref: (key) =>
        href(base, {
          tab: "charts",
          chart: key,
          x: ctx.query.get("x"),
          log: ctx.query.get("log"),
          smooth: ctx.query.get("smooth"),
          panels: ctx.query.get("panels"),
        }),
    }),
  );
  return null;
}
