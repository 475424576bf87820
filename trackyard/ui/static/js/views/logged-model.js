// An MLflow 3 logged model: its details, params, metrics, tags and files.

import { experiments, loggedModels } from "../api.js";
import { artifactBrowser, proxyRoot, proxySource } from "../artifact-browser.js";
import { h, replace } from "../dom.js";
import { formatNumber, formatTime, toMap } from "../format.js";
import { href, seg, setQuery } from "../router.js";
import { kvTable, loading, pageHeader, panel, tagEditor } from "../widgets.js";

export async function loggedModelView(container, ctx) {
  replace(container, loading());
  const model = await loggedModels.get(ctx.params.modelId);
  const experiment = await experiments.get(model.info.experiment_id).catch(() => null);
  if (!ctx.alive()) return;
  const info = model.info;
  const data = model.data || {};
  const tags = toMap(info.tags);
  document.title = `${info.name} · trackyard`;
  const root = proxyRoot(info.artifact_uri);
  // Listing goes through the logged-model endpoint; files download through the proxy.
  const source = root
    ? { list: (path) => loggedModels.listArtifacts(info.model_id, path), url: proxySource(root).url }
    : null;
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
          info.source_run_id
            ? ["source run", href(`/experiments/${seg(info.experiment_id)}/runs/${seg(info.source_run_id)}`)]
            : null,
        ],
        title: info.name,
        role: "logged-model-name",
        badges: info.status ? h("span", { class: "badge" }, info.status.replace(/^LOGGED_MODEL_/, "")) : null,
      }),
      panel(
        "Details",
        kvTable([
          ["Model ID", h("span", { class: "mono" }, info.model_id)],
          ["Created", formatTime(info.creation_timestamp_ms)],
          ["Last modified", formatTime(info.last_updated_timestamp_ms)],
          [
            "Source run",
            info.source_run_id
              ? h(
                  "a",
                  { href: href(`/experiments/${seg(info.experiment_id)}/runs/${seg(info.source_run_id)}`) },
                  info.source_run_id,
                )
              : "—",
          ],
          info.model_type ? ["Model type", info.model_type] : null,
          ["Artifact location", h("span", { class: "mono small" }, info.artifact_uri || "")],
          (info.registrations || []).length
            ? [
                "Registered as",
                (info.registrations || []).map((r) =>
                  h(
                    "a",
                    { class: "badge", href: href(`/models/${seg(r.name)}/versions/${seg(r.version)}`) },
                    `${r.name} v${r.version}`,
                  ),
                ),
              ]
            : null,
        ]),
      ),
      h(
        "div",
        { class: "grid-2" },
        panel(
          "Parameters",
          (data.params || []).length
            ? kvTable((data.params || []).map((p) => [p.key, p.value]))
            : h("div", { class: "muted" }, "No parameters."),
        ),
        panel(
          "Metrics",
          (data.metrics || []).length
            ? kvTable((data.metrics || []).map((m) => [m.key, formatNumber(m.value)]))
            : h("div", { class: "muted" }, "No metrics."),
        ),
      ),
      panel("Tags", tagEditor({ tags })),
      source
        ? panel(
            "Files",
            artifactBrowser({
              source,
              selected: ctx.query.get("path") || "",
              onSelect: (path) => setQuery({ path }),
              signal: ctx.signal,
            }),
          )
        : panel(
            "Files",
            h("div", { class: "muted" }, `Files are stored at ${info.artifact_uri}, which this server does not serve.`),
          ),
    ),
  );
}
