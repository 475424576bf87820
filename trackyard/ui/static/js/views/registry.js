// The model registry: registered models with search, one model's versions and aliases, and
// one version's stage, aliases, tags and links to its source run and logged model.

import { registry } from "../api.js";
import { artifactBrowser, proxyRoot, proxySource } from "../artifact-browser.js";
import { debounce, h, replace, safeUrl } from "../dom.js";
import { formatRelative, formatTime } from "../format.js";
import { renderMarkdown } from "../markdown.js";
import { href, refresh, seg, setQuery } from "../router.js";
import { mayOn } from "../session.js";
import {
  attempt,
  confirmDialog,
  dialog,
  errorBox,
  kvTable,
  loadFilteredPage,
  loading,
  pageHeader,
  panel,
  tagEditor,
} from "../widgets.js";
import { accessButton } from "./access-dialog.js";
import { searchFilter } from "./experiments.js";

const STAGES = ["None", "Staging", "Production", "Archived"];
// Prompts are registered models too; MLflow's UI lists them elsewhere, and so do we.
const NOT_PROMPT = "tags.`mlflow.prompt.is_prompt` != 'true'";

/** A string literal for MLflow's filter grammar. */
export function literal(value) {
  const text = String(value);
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `'${text.replace(/'/g, "\\'")}'`;
}

const modelHref = (name) => href(`/models/${seg(name)}`);
const versionHref = (name, version) => href(`/models/${seg(name)}/versions/${seg(version)}`);
const stageBadge = (stage) =>
  stage && stage !== "None" ? h("span", { class: `badge stage-${stage}` }, stage) : h("span", { class: "muted" }, "—");
const aliasBadges = (aliases) =>
  h(
    "span",
    { class: "alias-list" },
    (aliases || []).map((a) => h("span", { class: "badge accent" }, `@${a}`)),
  );

export async function modelsView(container, ctx) {
  const state = { q: ctx.query.get("q") || "", items: [], token: null };
  const search = h("input", {
    type: "search",
    class: "filter",
    value: state.q,
    placeholder: "Search by name, or a filter like tags.team = 'vision'",
    "aria-label": "Search models",
  });
  const errorLine = h("div", { class: "field-error hidden", "data-role": "filter-error" });
  const tableHost = h("div", { class: "panel" }, loading());
  const more = h("div", { class: "row" });
  replace(
    container,
    h(
      "div",
      { class: "page" },
      pageHeader({
        title: "Registered models",
        subtitle:
          "Register a model from a run with mlflow.register_model(...) or log_model(..., registered_model_name=...).",
      }),
      h("div", { class: "row" }, search),
      errorLine,
      tableHost,
      more,
    ),
  );
  search.addEventListener(
    "input",
    debounce(() => {
      state.q = search.value;
      setQuery({ q: state.q });
      load(false);
    }, 300),
  );

  function load(append) {
    const userFilter = searchFilter(state.q);
    return loadFilteredPage({
      ctx,
      state,
      append,
      search,
      errorLine,
      draw,
      itemsKey: "registered_models",
      fetchPage: (pageToken) =>
        registry.searchModels({ filter: userFilter ? `${userFilter} AND ${NOT_PROMPT}` : NOT_PROMPT, pageToken }),
      onFailure: (error) => replace(tableHost, errorBox(error, "Could not load registered models")),
    });
  }

  function draw() {
    replace(
      tableHost,
      state.items.length
        ? h(
            "table",
            { class: "data", "data-role": "models" },
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                ["Name", "Latest version", "Aliases", "Stages", "Last modified", "Tags", "Description"].map((t) =>
                  h("th", null, t),
                ),
              ),
            ),
            h(
              "tbody",
              null,
              state.items.map((model) => {
                const latest = (model.latest_versions || []).reduce(
                  (best, v) => (!best || Number(v.version) > Number(best.version) ? v : best),
                  null,
                );
                const staged = (model.latest_versions || []).filter(
                  (v) => v.current_stage && v.current_stage !== "None",
                );
                const tags = (model.tags || []).filter((t) => !t.key.startsWith("mlflow."));
                return h(
                  "tr",
                  { dataset: { model: model.name } },
                  h("td", null, h("a", { href: modelHref(model.name) }, model.name)),
                  h(
                    "td",
                    null,
                    latest
                      ? h("a", { href: versionHref(model.name, latest.version) }, `Version ${latest.version}`)
                      : "—",
                  ),
                  h(
                    "td",
                    null,
                    h(
                      "span",
                      { class: "alias-list" },
                      (model.aliases || []).map((a) =>
                        h(
                          "a",
                          { class: "badge accent", href: versionHref(model.name, a.version) },
                          `@${a.alias} → v${a.version}`,
                        ),
                      ),
                    ),
                  ),
                  h(
                    "td",
                    null,
                    staged.map((v) =>
                      h(
                        "span",
                        { class: `badge stage-${v.current_stage}`, style: "margin-right: 4px" },
                        `${v.current_stage}: v${v.version}`,
                      ),
                    ),
                  ),
                  h(
                    "td",
                    { class: "nowrap", title: formatTime(model.last_updated_timestamp) },
                    formatRelative(model.last_updated_timestamp),
                  ),
                  h(
                    "td",
                    null,
                    tags
                      .slice(0, 3)
                      .map((t) => h("span", { class: "badge", style: "margin-right: 4px" }, `${t.key}: ${t.value}`)),
                    tags.length > 3 ? ` +${tags.length - 3}` : null,
                  ),
                  h("td", { class: "muted small" }, (model.description || "").slice(0, 120)),
                );
              }),
            ),
          )
        : h("div", { class: "empty" }, state.q ? "No registered model matches." : "No registered models yet."),
    );
    replace(more, state.token ? h("button", { onclick: () => load(true) }, "Load more") : null);
  }

  await load(false);
}

export async function modelView(container, ctx) {
  const name = ctx.params.name;
  replace(container, loading());
  // Controls the user may not use are not offered (auth on: their level on the model).
  const [model, versions, may] = await Promise.all([
    registry.getModel(name),
    registry.searchVersions({ filter: `name = ${literal(name)}`, orderBy: ["version_number DESC"] }),
    mayOn("registered_model", name),
  ]);
  if (!ctx.alive()) return;
  document.title = `${name} · trackyard`;
  const aliases = model.aliases || [];
  const aliasesByVersion = new Map();
  for (const a of aliases)
    aliasesByVersion.set(String(a.version), [...(aliasesByVersion.get(String(a.version)) || []), a.alias]);

  replace(
    container,
    h(
      "div",
      { class: "page" },
      pageHeader({
        crumbs: [["Registered models", "#/models"]],
        title: name,
        subtitle: `Created ${formatTime(model.creation_timestamp)} · last modified ${formatTime(model.last_updated_timestamp)}`,
        actions: accessButton("registered_model", name, name),
      }),
      descriptionPanel(model.description, may.edit ? (text) => registry.updateModel(name, text) : null),
      panel(
        "Aliases",
        h(
          "div",
          { class: "row", "data-role": "aliases" },
          aliases.length
            ? aliases.map((a) =>
                h(
                  "span",
                  { class: "badge accent" },
                  h("a", { href: versionHref(name, a.version) }, `@${a.alias} → v${a.version}`),
                  may.edit ? removeAliasButton(name, a.alias) : null,
                ),
              )
            : h("span", { class: "muted" }, "No aliases."),
          may.edit
            ? h("button", { onclick: () => addAlias(name, versions.length ? versions[0].version : "") }, "Add alias")
            : null,
        ),
      ),
      panel(
        `Versions (${versions.length})`,
        versions.length
          ? h(
              "table",
              { class: "data", "data-role": "versions" },
              h(
                "thead",
                null,
                h(
                  "tr",
                  null,
                  [
                    "Version",
                    "Registered",
                    "Stage",
                    "Aliases",
                    "Status",
                    "Source run",
                    "Logged model",
                    "Description",
                  ].map((t) => h("th", null, t)),
                ),
              ),
              h(
                "tbody",
                null,
                versions.map((v) =>
                  h(
                    "tr",
                    { dataset: { version: v.version } },
                    h("td", null, h("a", { href: versionHref(name, v.version) }, `Version ${v.version}`)),
                    h(
                      "td",
                      { class: "nowrap", title: formatTime(v.creation_timestamp) },
                      formatRelative(v.creation_timestamp),
                    ),
                    h("td", null, stageBadge(v.current_stage)),
                    h("td", null, aliasBadges(v.aliases?.length ? v.aliases : aliasesByVersion.get(String(v.version)))),
                    h("td", null, v.status || ""),
                    h(
                      "td",
                      { class: "mono small" },
                      v.run_id ? h("a", { href: href(`/runs/${seg(v.run_id)}`) }, v.run_id.slice(0, 12)) : "—",
                    ),
                    h(
                      "td",
                      { class: "mono small" },
                      v.model_id ? h("a", { href: href(`/logged-models/${seg(v.model_id)}`) }, v.model_id) : "—",
                    ),
                    h("td", { class: "muted small" }, (v.description || "").slice(0, 120)),
                  ),
                ),
              ),
            )
          : h("div", { class: "muted" }, "No versions."),
      ),
      panel(
        "Tags",
        tagEditor({
          tags: Object.fromEntries((model.tags || []).map((t) => [t.key, t.value])),
          onSet: may.edit ? (key, value) => registry.setModelTag(name, key, value) : null,
          onDelete: may.edit ? (key) => registry.deleteModelTag(name, key) : null,
          reload: refresh,
        }),
      ),
    ),
  );
}

export async function versionView(container, ctx) {
  const { name, version } = ctx.params;
  replace(container, loading());
  const [v, may] = await Promise.all([registry.getVersion(name, version), mayOn("registered_model", name)]);
  if (!ctx.alive()) return;
  document.title = `${name} v${version} · trackyard`;
  const stage = h(
    "select",
    { "aria-label": "Stage", "data-role": "stage" },
    STAGES.map((s) => h("option", { value: s, selected: s === (v.current_stage || "None") }, s)),
  );
  const archive = h("input", { type: "checkbox" });
  stage.addEventListener("change", async () => {
    if (
      await attempt(
        () => registry.transitionStage(name, version, stage.value, archive.checked),
        `Version ${version} moved to ${stage.value}.`,
      )
    )
      refresh();
  });
  const root = proxyRoot(v.source);
  const runLink = v.run_id ? h("a", { href: href(`/runs/${seg(v.run_id)}`) }, v.run_id) : "—";
  replace(
    container,
    h(
      "div",
      { class: "page" },
      pageHeader({
        crumbs: [
          ["Registered models", "#/models"],
          [name, modelHref(name)],
        ],
        title: `${name} · version ${version}`,
        badges: [
          v.current_stage && v.current_stage !== "None" ? stageBadge(v.current_stage) : null,
          aliasBadges(v.aliases),
        ],
      }),
      panel(
        "Details",
        kvTable([
          ["Status", [v.status || "", v.status_message ? h("span", { class: "muted" }, ` ${v.status_message}`) : null]],
          [
            "Stage",
            may.edit
              ? h(
                  "span",
                  { class: "row" },
                  stage,
                  h("label", { class: "inline" }, archive, "Archive other versions in this stage"),
                )
              : stageBadge(v.current_stage),
          ],
          ["Registered", formatTime(v.creation_timestamp)],
          ["Last modified", formatTime(v.last_updated_timestamp)],
          ["Source run", runLink],
          ["Logged model", v.model_id ? h("a", { href: href(`/logged-models/${seg(v.model_id)}`) }, v.model_id) : "—"],
          ["Source", sourceLink(v.source)],
          v.user_id ? ["User", v.user_id] : null,
          v.run_link
            ? [
                "Run link",
                safeUrl(v.run_link)
                  ? h("a", { href: v.run_link, target: "_blank", rel: "noopener noreferrer" }, v.run_link)
                  : v.run_link,
              ]
            : null,
        ]),
      ),
      panel(
        "Aliases",
        h(
          "div",
          { class: "row", "data-role": "aliases" },
          (v.aliases || []).length
            ? v.aliases.map((a) =>
                h("span", { class: "badge accent" }, `@${a}`, may.edit ? removeAliasButton(name, a) : null),
              )
            : h("span", { class: "muted" }, "No aliases."),
          may.edit ? h("button", { onclick: () => addAlias(name, version) }, "Add alias") : null,
        ),
      ),
      descriptionPanel(v.description, may.edit ? (text) => registry.updateVersion(name, version, text) : null),
      panel(
        "Tags",
        tagEditor({
          tags: Object.fromEntries((v.tags || []).map((t) => [t.key, t.value])),
          onSet: may.edit ? (key, value) => registry.setVersionTag(name, version, key, value) : null,
          onDelete: may.edit ? (key) => registry.deleteVersionTag(name, version, key) : null,
          reload: refresh,
        }),
      ),
      root && !v.model_id
        ? panel(
            "Model files",
            artifactBrowser({
              source: proxySource(root),
              selected: ctx.query.get("path") || "",
              onSelect: (path) => setQuery({ path }),
              signal: ctx.signal,
            }),
          )
        : null,
    ),
  );
}

/** `runs:/<id>/<path>` sources open the run's artifacts at that path. */
function sourceLink(source) {
  const m = /^runs:\/([0-9a-f]+)\/?(.*)$/i.exec(source || "");
  const text = h("span", { class: "mono small" }, source || "");
  if (!m) return text;
  return h("a", { href: href(`/runs/${seg(m[1])}`, { tab: "artifacts", path: m[2] }) }, text);
}

/** The description, and Edit (or Add) when `save` is given (the user may edit). */
function descriptionPanel(text, save) {
  return panel(
    "Description",
    text ? renderMarkdown(text) : h("div", { class: "muted" }, "No description."),
    save
      ? h(
          "button",
          {
            class: "link",
            onclick: async () => {
              const done = await dialog({
                title: "Description",
                fields: [{ name: "text", label: "Markdown", value: text || "", multiline: true }],
                submit: ({ text: value }) => save(value),
              });
              if (done) refresh();
            },
          },
          text ? "Edit" : "Add",
        )
      : null,
  );
}

const removeAliasButton = (name, alias) =>
  h(
    "button",
    { title: `Remove alias ${alias}`, "aria-label": `Remove alias ${alias}`, onclick: () => removeAlias(name, alias) },
    "×",
  );

async function addAlias(name, version) {
  const done = await dialog({
    title: "Add alias",
    message: "An alias points at one version; setting an existing alias moves it.",
    fields: [
      { name: "alias", label: "Alias", placeholder: "champion" },
      { name: "version", label: "Version", value: String(version) },
    ],
    submit: ({ alias, version: target }) => {
      if (!alias.trim()) throw new Error("An alias needs a name.");
      return registry.setAlias(name, alias.trim(), target.trim());
    },
  });
  if (done) refresh();
}

async function removeAlias(name, alias) {
  if (await confirmDialog("Remove alias", `Remove alias @${alias}?`, "Remove", () => registry.deleteAlias(name, alias)))
    refresh();
}
