// The runs table's total ("1,200 of 20,000 runs loaded"): runs/search gives none, so one
// trackyard/runs/count per query, asked once the first page is on screen so it never
// delays the first rows. A newer query aborts the count in flight and drops its answer.

/**
 * `count(request)` is api.runs.count. `start(query)` resolves to the total for that query,
 * or to null when a newer `start` or `cancel` came first or the count failed (the footer
 * then shows only the runs loaded).
 */
export function createTotalCounter(count) {
  let controller = null;
  let generation = 0;
  const cancel = () => {
    controller?.abort();
    controller = null;
    generation += 1;
  };
  return {
    cancel,
    async start({ experimentIds, filter, viewType }) {
      cancel();
      const mine = generation;
      controller = new AbortController();
      try {
        const total = await count({ experimentIds, filter, viewType, signal: controller.signal });
        return mine === generation && Number.isFinite(total) ? total : null;
      } catch {
        return null;
      }
    },
  };
}
