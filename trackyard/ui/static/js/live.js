// Live pages: while runs on screen are RUNNING, poll every few seconds and refresh what shows
// them (rows, durations, charts). Polling stops when nothing runs any more, pauses while the
// tab is hidden, and ends with the view.

/** Milliseconds between polls; tests shorten it through localStorage "trackyard.poll-ms". */
export function pollInterval() {
  let configured = null;
  try {
    configured = Number(localStorage.getItem("trackyard.poll-ms"));
  } catch {
    // No storage: the default.
  }
  return configured > 0 ? configured : 5000;
}

/**
 * Call `tick()` every pollInterval() while the view lives and the tab is visible; `tick`
 * resolves to whether anything still runs (false ends the polling). Returns {running}
 * (is it polling?) and {start()} (poll again after it ended, when running runs appear).
 */
export function poll(ctx, tick) {
  let timer = 0;
  let active = false;
  const schedule = () => {
    clearTimeout(timer);
    timer = 0;
    if (active && ctx.alive() && !document.hidden) timer = setTimeout(run, pollInterval());
  };
  const run = async () => {
    timer = 0;
    let more = true;
    try {
      more = await tick();
    } catch (error) {
      if (error.name === "AbortError") return;
      console.warn("live refresh failed", error); // try again at the next poll
    }
    if (!more) active = false;
    schedule();
  };
  const onVisibility = () => schedule();
  document.addEventListener("visibilitychange", onVisibility);
  ctx.onCleanup(() => {
    active = false;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  });
  return {
    get running() {
      return active;
    },
    start() {
      if (active) return;
      active = true;
      schedule();
    },
  };
}

/** What charts listen to: an event "tick" each time the page polled and runs still ran. */
export function createTicker() {
  return new EventTarget();
}
