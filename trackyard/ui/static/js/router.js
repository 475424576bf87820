// Hash routing: every view's state lives in the URL (`#/path?key=value`), so any view can be
// shared as a link and the back button works. Views change query parameters in place
// (setQuery, no re-render); a changed path or back/forward re-renders the view.

import { closeModals, errorBox, notFound } from "./widgets.js";

const routes = [];
let cleanup = null;
let renderCount = 0;
let shown = null; // the hash the view on screen stands for (setQuery keeps it current)

/** Register a view for a path pattern like "/experiments/:id/runs/:runId". */
export function route(pattern, view) {
  const names = [];
  const body = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return "([^/]+)";
  });
  const regex = new RegExp(`^${body}/?$`);
  routes.push({ regex, names, view });
}

/** The current location: path, decoded path parameters and query parameters. */
export function current() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = splitOnce(hash, "?");
  return { path: path || "/", query: new URLSearchParams(search) };
}

function splitOnce(text, separator) {
  const index = text.indexOf(separator);
  return index < 0 ? [text] : [text.slice(0, index), text.slice(index + 1)];
}

/** A link target for a path and query (object or URLSearchParams); empty values dropped. */
export function href(path, query) {
  const params = new URLSearchParams();
  const entries = query instanceof URLSearchParams ? query.entries() : Object.entries(query || {});
  for (const [key, value] of entries) {
    if (value === undefined || value === null || value === "" || value === false) continue;
    params.set(key, value === true ? "1" : String(value));
  }
  const text = params.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

/** Encode one path segment (experiment ids, run ids, model names). */
export const seg = (value) => encodeURIComponent(value);

export function navigate(path, query) {
  location.hash = href(path, query);
}

/**
 * Change query parameters of the current view without re-rendering it. `push` makes a
 * history entry (for changes worth going "back" to); by default the entry is replaced.
 */
export function setQuery(changes, { push = false } = {}) {
  const { path, query } = current();
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === null || value === "" || value === false) query.delete(key);
    else query.set(key, value === true ? "1" : String(value));
  }
  const url = href(path, query);
  if (url === location.hash) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
  shown = location.hash;
}

/** Re-render the current view from scratch (after a theme change, or a reload button). */
export function refresh() {
  render();
}

/** Draw the view the URL names; `navigated`: the user went elsewhere (a link, back, forward). */
async function render(navigated = false) {
  shown = location.hash;
  const container = document.getElementById("view");
  if (cleanup) cleanup();
  const controller = new AbortController();
  const disposers = [];
  cleanup = () => {
    controller.abort();
    for (const dispose of disposers.splice(0)) {
      try {
        dispose();
      } catch (error) {
        console.warn("view cleanup failed", error);
      }
    }
  };
  const { path, query } = current();
  const match = matchRoute(path);
  const token = ++renderCount;
  container.replaceChildren();
  container.scrollTop = 0;
  // A dialog belongs to the view it was opened on: it goes with it (its opener went with the
  // old view, so the focus goes to the page's main region).
  if (navigated) closeModals();
  const ctx = {
    params: match ? match.params : {},
    query,
    signal: controller.signal,
    onCleanup: (fn) => disposers.push(fn),
    /** True while this render is still the one on screen (async work checks before drawing). */
    alive: () => token === renderCount && !controller.signal.aborted,
  };
  document.dispatchEvent(new CustomEvent("routechange", { detail: { path } }));
  if (!match) {
    container.replaceChildren(notFound(path));
    return;
  }
  try {
    await match.view(container, ctx);
  } catch (error) {
    if (error && error.name === "AbortError") return;
    if (!ctx.alive()) return;
    container.replaceChildren(errorBox(error, "This page could not be shown"));
    console.warn(error);
  }
}

function matchRoute(path) {
  for (const { regex, names, view } of routes) {
    const found = regex.exec(path);
    if (!found) continue;
    const params = {};
    names.forEach((name, i) => {
      params[name] = decodeURIComponent(found[i + 1]);
    });
    return { view, params };
  }
  return null;
}

export function start() {
  // Going back to an entry setQuery pushed fires popstate but no hashchange; a link fires
  // both. Either re-renders once, unless the view already shows that URL.
  const changed = () => {
    if (location.hash !== shown) render(true);
  };
  window.addEventListener("hashchange", changed);
  window.addEventListener("popstate", changed);
  render();
}
