// The experiments list: search, create, rename, delete, restore, and pick several to see
// their runs together.

import { experiments } from "../api.js";
import { debounce, h, replace } from "../dom.js";
import { formatRelative, formatTime } from "../format.js";
import { href, navigate, seg, setQuery } from "../router.js";
import { atLeast, experimentPermissions } from "../session.js";
import { attempt, confirmDialog, dialog, errorBox, loadFilteredPage, loading, pageHeader } from "../widgets.js";

const VIEW_TYPES = { active: "ACTIVE_ONLY", deleted: "DELETED_ONLY", all: "ALL" };

/** Plain words search names; anything that looks like a filter goes to the server as is. */
export function searchFilter(text, field = "name") {
  const trimmed = text.trim();
  if (!trimmed) return "";
  if (/[=<>!]|\s(LIKE|ILIKE|IN|IS)\s/i.test(trimmed)) return trimmed;
  return `${field} ILIKE '%${trimmed.replace(/'/g, "\\'")}%'`;
}

export async function experimentsView(container, ctx) {
  const state = {
    q: ctx.query.get("q") || "",
    view: VIEW_TYPES[ctx.query.get("view")] ? ctx.query.get("view") : "active",
    items: [],
    token: null,
    selected: new Set(),
    may: new Map(), // experiment id -> the user's level: Rename and Delete only where allowed
  };

  const search = h("input", {
    type: "search",
    class: "filter",
    value: state.q,
    placeholder: "Search by name, or a filter like tags.team = 'vision'",
    "aria-label": "Search experiments",
  });
  const viewSelect = h(
    "select",
    { "aria-label": "Lifecycle" },
    Object.keys(VIEW_TYPES).map((v) =>
      h("option", { value: v, selected: v === state.view }, v[0].toUpperCase() + v.slice(1)),
    ),
  );
  const errorLine = h("div", { class: "field-error hidden", "data-role": "filter-error" });
  const compareButton = h("button", { disabled: true, onclick: openSelected }, "Show runs of selected");
  const tableHost = h("div", { class: "panel" }, loading());
  const more = h("div", { class: "row" });

  replace(
    container,
    h(
      "div",
      { class: "page" },
      pageHeader({
        title: "Experiments",
        actions: h("button", { class: "primary", onclick: create }, "New experiment"),
      }),
      h("div", { class: "row" }, search, viewSelect, compareButton),
      errorLine,
      tableHost,
      more,
    ),
  );

  const reload = () => load(false);
  search.addEventListener(
    "input",
    debounce(() => {
      state.q = search.value;
      setQuery({ q: state.q });
      reload();
    }, 300),
  );
  viewSelect.addEventListener("change", () => {
    state.view = viewSelect.value;
    setQuery({ view: state.view === "active" ? "" : state.view });
    reload();
  });

  function load(append) {
    return loadFilteredPage({
      ctx,
      state,
      append,
      search,
      errorLine,
      draw,
      itemsKey: "experiments",
      fetchPage: async (pageToken) => {
        const page = await experiments.search({
          filter: searchFilter(state.q),
          viewType: VIEW_TYPES[state.view],
          pageToken,
        });
        const levels = await experimentPermissions((page.experiments || []).map((e) => e.experiment_id));
        for (const [id, level] of levels) state.may.set(id, level);
        return page;
      },
      onFailure: (error) => replace(tableHost, errorBox(error, "Could not load experiments")),
    });
  }

  function draw() {
    compareButton.disabled = state.selected.size === 0;
    compareButton.textContent =
      state.selected.size > 1 ? `Show runs of ${state.selected.size} experiments` : "Show runs of selected";
    if (!state.items.length) {
      replace(tableHost, h("div", { class: "empty" }, state.q ? "No experiment matches." : "No experiments yet."));
    } else {
      replace(
        tableHost,
        h(
          "table",
          { class: "data", "data-role": "experiments" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", { style: "width: 1%" }, ""),
              h("th", null, "Name"),
              h("th", null, "ID"),
              h("th", null, "Created"),
              h("th", null, "Last modified"),
              h("th", null, "Artifact location"),
              h("th", { style: "width: 1%" }, ""),
            ),
          ),
          h("tbody", null, state.items.map(row)),
        ),
      );
    }
    replace(more, state.token ? h("button", { onclick: () => load(true) }, "Load more") : null);
  }

  function row(exp) {
    const deleted = exp.lifecycle_stage === "deleted";
    const level = state.may.get(exp.experiment_id) || "READ";
    return h(
      "tr",
      { dataset: { experimentId: exp.experiment_id } },
      h(
        "td",
        null,
        h("input", {
          type: "checkbox",
          checked: state.selected.has(exp.experiment_id),
          "aria-label": `Select ${exp.name}`,
          onchange: (e) => {
            if (e.target.checked) state.selected.add(exp.experiment_id);
            else state.selected.delete(exp.experiment_id);
            draw();
          },
        }),
      ),
      h(
        "td",
        null,
        h("a", { href: href(`/experiments/${seg(exp.experiment_id)}`) }, exp.name),
        deleted ? h("span", { class: "badge danger", style: "margin-left: 6px" }, "deleted") : null,
      ),
      h("td", { class: "mono" }, exp.experiment_id),
      h("td", { class: "nowrap", title: formatTime(exp.creation_time) }, formatRelative(exp.creation_time)),
      h("td", { class: "nowrap", title: formatTime(exp.last_update_time) }, formatRelative(exp.last_update_time)),
      h("td", { class: "mono muted small" }, exp.artifact_location || ""),
      h(
        "td",
        { class: "nowrap" },
        atLeast(level, "EDIT") ? h("button", { class: "link", onclick: () => rename(exp) }, "Rename") : null,
        !atLeast(level, "MANAGE")
          ? null
          : deleted
            ? h("button", { class: "link", onclick: () => restore(exp) }, "Restore")
            : h("button", { class: "link danger", onclick: () => remove(exp) }, "Delete"),
      ),
    );
  }

  async function create() {
    const values = await dialog({
      title: "New experiment",
      okLabel: "Create",
      fields: [
        { name: "name", label: "Name" },
        {
          name: "location",
          label: "Artifact location (optional)",
          placeholder: "default: the server's artifact store",
        },
      ],
      submit: async ({ name, location }) => {
        const { experiment_id: id } = await experiments.create(name.trim(), location.trim());
        navigate(`/experiments/${seg(id)}`);
      },
    });
    return values;
  }

  async function rename(exp) {
    const done = await dialog({
      title: "Rename experiment",
      fields: [{ name: "name", label: "New name", value: exp.name }],
      submit: ({ name }) => experiments.rename(exp.experiment_id, name.trim()),
    });
    if (done) reload();
  }

  async function remove(exp) {
    const done = await confirmDialog(
      "Delete experiment",
      `Delete "${exp.name}" and its runs? You can restore it from the deleted experiments.`,
      "Delete",
      () => experiments.delete(exp.experiment_id),
    );
    if (done) reload();
  }

  async function restore(exp) {
    if (await attempt(() => experiments.restore(exp.experiment_id), `Restored "${exp.name}".`)) reload();
  }

  function openSelected() {
    navigate(`/experiments/${[...state.selected].map(seg).join(",")}`);
  }

  await load(false);
}
