// Entry point: theme, navigation highlighting, the route table, and a last-resort error
// reporter so a failure shows as a message instead of a blank page.

import { refresh, route, start } from "./router.js";
import { startSession } from "./session.js";
import { compareView } from "./views/compare.js";
import { experimentsView } from "./views/experiments.js";
import { loggedModelView } from "./views/logged-model.js";
import { modelsView, modelView, versionView } from "./views/registry.js";
import { runView } from "./views/run.js";
import { runsView } from "./views/runs/runs-view.js";
import { tokensView } from "./views/tokens.js";
import { traceView } from "./views/trace.js";
import { experimentTracesView, runTracesView } from "./views/traces.js";
import { usersView } from "./views/users.js";
import { toast } from "./widgets.js";

const THEME_KEY = "trackyard.theme";

function setupTheme() {
  const button = document.getElementById("theme-toggle");
  const draw = () => {
    const dark = document.documentElement.dataset.theme === "dark";
    button.textContent = dark ? "☀" : "☾";
    button.title = dark ? "Switch to the light theme" : "Switch to the dark theme";
  };
  button.addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      /* private mode: the choice lasts for this page only */
    }
    draw();
    refresh(); // canvases (charts, plots) read theme colours when drawn
  });
  // Follow the system setting until the user picks a theme.
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  media.addEventListener("change", (event) => {
    let saved = null;
    try {
      saved = localStorage.getItem(THEME_KEY);
    } catch {
      /* ignore */
    }
    if (saved) return;
    document.documentElement.dataset.theme = event.matches ? "dark" : "light";
    draw();
    refresh();
  });
  draw();
}

function setupNavigation() {
  document.addEventListener("routechange", (event) => {
    const path = event.detail.path;
    const section = path.startsWith("/models") ? "models" : path.startsWith("/admin") ? "users" : "experiments";
    for (const link of document.querySelectorAll("[data-nav]")) {
      link.classList.toggle("active", link.dataset.nav === section);
    }
  });
}

function setupErrorReporting() {
  window.addEventListener("unhandledrejection", (event) => {
    const reason = event.reason;
    if (reason && reason.name === "AbortError") {
      event.preventDefault();
      return;
    }
    toast(reason?.message || String(reason), "error", 8000);
  });
  window.addEventListener("error", (event) => {
    toast(event.message || "Unexpected error", "error", 8000);
  });
}

route("/", experimentsView);
route("/experiments", experimentsView);
route("/experiments/:ids", runsView);
route("/experiments/:experimentId/runs/:runId", runView);
route("/experiments/:experimentId/runs/:runId/traces", runTracesView);
route("/experiments/:experimentId/traces", experimentTracesView);
route("/experiments/:experimentId/traces/:traceId", traceView);
route("/experiments/:experimentId/models/:modelId", loggedModelView);
route("/runs/:runId", runView);
route("/logged-models/:modelId", loggedModelView);
route("/compare", compareView);
route("/models", modelsView);
route("/models/:name", modelView);
route("/models/:name/versions/:version", versionView);
route("/tokens", tokensView);
route("/admin/users", usersView);

setupTheme();
setupNavigation();
setupErrorReporting();
startSession(start); // with auth on and no session: the sign-in page instead
