// The runs view's settings kept per experiment (or set of experiments) in localStorage, so
// that leaving for a run and coming back through the breadcrumb (a bare #/experiments/1)
// finds the filter, sort, columns and the rest as they were. The URL stays the one source of
// truth and the shareable form: a saved view is copied into a URL that names no setting,
// and whatever the URL holds is saved again.

import { viewQuery } from "./url-state.js";

/** The query parameters a saved view holds (the selection is not kept). */
export const SAVED_PARAMS = [
  "filter",
  "view",
  "sort",
  "dir",
  "cols",
  "expand",
  "widths",
  "pin",
  "charts",
  "group",
  "colors",
  "hide",
  "panels",
];
// url-state.js's parts for them: "sort" writes `sort` and `dir`, the others their own name.
const SAVED_PARTS = SAVED_PARAMS.filter((name) => name !== "dir");

/** The localStorage key of the view of these experiments. */
export function savedViewKey(experimentIds) {
  return `trackyard.runs-view.${experimentIds.join(",")}`;
}

/**
 * The query to show: `query` itself when it names any setting, else `query` with the saved
 * view's settings (`saved`: a query string, or null) added. Returns whether any were added.
 */
export function withSavedView(query, saved) {
  if (!saved || SAVED_PARAMS.some((name) => query.has(name))) return false;
  let added = false;
  for (const [name, value] of new URLSearchParams(saved)) {
    if (!SAVED_PARAMS.includes(name) || !value) continue;
    query.set(name, value);
    added = true;
  }
  return added;
}

/** The saved form of a view state: its settings as a query string, empty ones left out. */
export function savedQuery(state) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(viewQuery(state, ...SAVED_PARTS))) if (value) params.set(name, value);
  return params.toString();
}

/** Read and write through localStorage, which may be missing or full (private windows). */
export function loadSaved(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function storeSaved(key, state) {
  try {
    localStorage.setItem(key, savedQuery(state));
  } catch {
    // Not kept across visits; the URL still holds the view.
  }
}
