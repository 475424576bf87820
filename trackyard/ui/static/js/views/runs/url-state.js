// The runs view's state in the URL: `#/experiments/1?filter=…&sort=metric:loss&dir=asc&
// cols=…&view=deleted&expand=1&sel=…&charts=1&group=param:lr&colors=id@rrggbb&hide=id,…&
// panels=…` (the chart panels' layout, chart-layout.js).
// readViewState turns query parameters into the state; viewQuery turns parts of the state back into parameters for router.setQuery.

import { layoutParam, readLayout } from "../../chart-layout.js";
import { colorsParam, readColors, readGroupBy } from "./run-groups.js";
import { columnSpec, NAME_COLUMN } from "./table-model.js";

/** The lifecycle choice in the URL (`view`) and runs/search's run_view_type for it. */
export const VIEW_TYPES = { active: "ACTIVE_ONLY", deleted: "DELETED_ONLY", all: "ALL" };

/** The view state a URL's query parameters (URLSearchParams) describe. */
export function readViewState(query) {
  const cols = query.get("cols");
  return {
    filter: query.get("filter") || "",
    view: VIEW_TYPES[query.get("view")] ? query.get("view") : "active",
    sort: query.get("sort") || "",
    asc: query.get("dir") === "asc",
    cols: cols ? cols.split(",").filter((id) => columnSpec(id)) : null,
    selected: new Set((query.get("sel") || "").split(",").filter(Boolean)),
    expandAll: query.get("expand") === "1",
    expanded: new Set(),
    widths: readWidths(query.get("widths")),
    pinned: query.has("pin")
      ? query
          .get("pin")
          .split(",")
          .filter((id) => id === NAME_COLUMN || columnSpec(id))
      : null,
    charts: query.get("charts") === "1", // the chart view beside the table
    group: readGroupBy(query.get("group")), // "param:<key>", "tag:<key>" or ""
    colors: readColors(query.get("colors")), // run id -> the colour the user chose
    hidden: new Set((query.get("hide") || "").split(",").filter(Boolean)), // runs left out of the charts
    panels: readLayout(query.get("panels")), // the chart panels hidden, moved or resized
  };
}

/** Column widths in the URL: `id@px` pairs joined by commas (ids hold colons, not "@"). */
function readWidths(text) {
  const widths = new Map();
  for (const pair of (text || "").split(",")) {
    const at = pair.lastIndexOf("@");
    const px = Number(pair.slice(at + 1));
    if (at > 0 && Number.isFinite(px)) widths.set(pair.slice(0, at), Math.min(1200, Math.max(40, Math.round(px))));
  }
  return widths;
}

// Each part of the state as query parameters; an empty value removes the parameter.
const PARTS = {
  filter: (state) => ({ filter: state.filter }),
  // Always written: a URL the view has shown names a setting, so going back to it is not
  // mistaken for a bare link to be filled from the saved view (saved-view.js).
  view: (state) => ({ view: state.view }),
  sort: (state) => ({ sort: state.sort, dir: state.sort && state.asc ? "asc" : "" }),
  cols: (state) => ({ cols: state.cols ? state.cols.join(",") : "" }),
  expand: (state) => ({ expand: state.expandAll ? "1" : "" }),
  selection: (state) => ({ sel: [...state.selected].join(",") }),
  widths: (state) => ({ widths: [...state.widths].map(([id, px]) => `${id}@${px}`).join(",") }),
  pin: (state) => ({ pin: state.pinned ? state.pinned.join(",") || "-" : "" }),
  charts: (state) => ({ charts: state.charts ? "1" : "" }),
  group: (state) => ({ group: state.group }),
  colors: (state) => ({ colors: colorsParam(state.colors) }),
  hide: (state) => ({ hide: [...state.hidden].join(",") }),
  panels: (state) => ({ panels: layoutParam(state.panels) }),
};

/** Query parameters for the named parts of the state ("filter", "sort", ...), or all of them. */
export function viewQuery(state, ...parts) {
  const names = parts.length ? parts : Object.keys(PARTS);
  return Object.assign({}, ...names.map((name) => PARTS[name](state)));
}
