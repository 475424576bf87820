// Pages of runs from runs/search, one at a time, following the keyset page token. A new
// query (filter, order, lifecycle) starts over: the request in flight is aborted and its
// answer, should it still arrive, is dropped.

/**
 * `search(request)` is api.runs.search. `reset(query)` sets the query for the pages that
 * follow; `next()` resolves to the next page's runs, or to null when a page is already on
 * its way, the last one came, or the query changed meanwhile. An error other than an abort
 * ends the paging (`done`) and is thrown.
 */
export function createPageFetcher(search, pageSize) {
  let query = null;
  let token = null;
  let generation = 0;
  let controller = null;
  let loading = false;
  let done = false;

  return {
    get loading() {
      return loading;
    },
    get done() {
      return done;
    },
    /** The query the pages follow (experimentIds, filter, viewType, orderBy). */
    get query() {
      return query;
    },
    reset(nextQuery) {
      if (controller) controller.abort();
      query = nextQuery;
      token = null;
      generation += 1;
      loading = false;
      done = false;
    },
    cancel() {
      if (controller) controller.abort();
    },
    async next() {
      if (loading || done) return null;
      loading = true;
      const started = generation;
      controller = new AbortController();
      try {
        const page = await search({
          ...query,
          maxResults: pageSize,
          pageToken: token || undefined,
          signal: controller.signal,
        });
        if (started !== generation) return null;
        token = page.next_page_token || null;
        done = !token;
        return page.runs || [];
      } catch (error) {
        if (error.name === "AbortError" || started !== generation) return null;
        done = true;
        throw error;
      } finally {
        if (started === generation) loading = false;
      }
    },
  };
}
