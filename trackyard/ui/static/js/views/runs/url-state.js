// The runs view's state in the URL: `#/experiments/1?filter=…&sort=metric:loss&dir=asc&
// cols=…&view=deleted&expand=1&sel=…`. readViewState turns query parameters into the
// state; viewQuery turns parts of the state back into parameters for router.setQuery.

import { columnSpec } from "./table-model.js";

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
  };
}

// Each part of the state as query parameters; an empty value removes the parameter.
const PARTS = {
  filter: (state) => ({ filter: state.filter }),
  view: (state) => ({ view: state.view === "active" ? "" : state.view }),
  sort: (state) => ({ sort: state.sort, dir: state.sort && state.asc ? "asc" : "" }),
  cols: (state) => ({ cols: state.cols ? state.cols.join(",") : "" }),
  expand: (state) => ({ expand: state.expandAll ? "1" : "" }),
  selection: (state) => ({ sel: [...state.selected].join(",") }),
};

/** Query parameters for the named parts of the state ("filter", "sort", ...), or all of them. */
export function viewQuery(state, ...parts) {
  const names = parts.length ? parts : Object.keys(PARTS);
  return Object.assign({}, ...names.map((name) => PARTS[name](state)));
}
