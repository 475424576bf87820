// views/runs/page-fetcher.js: paging through runs/search with keyset tokens, and dropping
// answers to a query that has since changed.

import assert from "node:assert/strict";
import { test } from "node:test";

import { createPageFetcher } from "../../trackyard/ui/static/js/views/runs/page-fetcher.js";

const QUERY = { experimentIds: ["1"], filter: "", viewType: "ACTIVE_ONLY", orderBy: [] };

/** A fake runs/search: answers from `pages` by token, recording each request. */
function fakeSearch(pages) {
  const calls = [];
  const search = async (request) => {
    calls.push(request);
    return pages[request.pageToken || ""];
  };
  return { search, calls };
}

/** A search that waits until the test resolves or rejects it (or the signal aborts it). */
function heldSearch() {
  const held = [];
  const search = (request) =>
    new Promise((resolve, reject) => {
      held.push({ request, resolve, reject });
      request.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    });
  return { search, held };
}

test("next() sends the query with the page size and no token first", async () => {
  const { search, calls } = fakeSearch({ "": { runs: [{ id: 1 }] } });
  const fetcher = createPageFetcher(search, 200);
  fetcher.reset(QUERY);
  assert.deepEqual(await fetcher.next(), [{ id: 1 }]);
  const { signal, ...request } = calls[0];
  assert.deepEqual(request, { ...QUERY, maxResults: 200, pageToken: undefined });
  assert.ok(signal instanceof AbortSignal);
});

test("next() follows the page token and is done after a page without one", async () => {
  const { search, calls } = fakeSearch({ "": { runs: [1], next_page_token: "t2" }, t2: { runs: [2] } });
  const fetcher = createPageFetcher(search, 2);
  fetcher.reset(QUERY);
  assert.deepEqual(await fetcher.next(), [1]);
  assert.equal(fetcher.done, false);
  assert.deepEqual(await fetcher.next(), [2]);
  assert.equal(calls[1].pageToken, "t2");
  assert.equal(fetcher.done, true);
  assert.equal(await fetcher.next(), null);
  assert.equal(calls.length, 2);
});

test("a page without runs gives an empty list", async () => {
  const fetcher = createPageFetcher(fakeSearch({ "": {} }).search, 200);
  fetcher.reset(QUERY);
  assert.deepEqual(await fetcher.next(), []);
  assert.equal(fetcher.done, true);
});

test("next() while a page is on its way gives null and sends nothing", async () => {
  const { search, held } = heldSearch();
  const fetcher = createPageFetcher(search, 200);
  fetcher.reset(QUERY);
  const first = fetcher.next();
  assert.equal(fetcher.loading, true);
  assert.equal(await fetcher.next(), null);
  assert.equal(held.length, 1);
  held[0].resolve({ runs: [1], next_page_token: "t" });
  assert.deepEqual(await first, [1]);
  assert.equal(fetcher.loading, false);
});

test("reset() aborts the page on its way, drops it and starts over without a token", async () => {
  const { search, held } = heldSearch();
  const fetcher = createPageFetcher(search, 200);
  fetcher.reset(QUERY);
  const stale = fetcher.next();
  fetcher.reset({ ...QUERY, filter: "metrics.loss < 1" });
  assert.equal(held[0].request.signal.aborted, true);
  assert.equal(await stale, null);
  const fresh = fetcher.next();
  assert.equal(held[1].request.filter, "metrics.loss < 1");
  assert.equal(held[1].request.pageToken, undefined);
  held[1].resolve({ runs: [2] });
  assert.deepEqual(await fresh, [2]);
});

test("an answer to an old query is dropped even if it arrives after the reset", async () => {
  const held = [];
  const search = (request) => new Promise((resolve) => held.push({ request, resolve })); // ignores aborts
  const fetcher = createPageFetcher(search, 200);
  fetcher.reset(QUERY);
  const stale = fetcher.next();
  fetcher.reset(QUERY);
  held[0].resolve({ runs: ["old"], next_page_token: "old-token" });
  assert.equal(await stale, null);
  assert.equal(fetcher.loading, false);
  assert.equal(fetcher.done, false);
  fetcher.next();
  assert.equal(held[1].request.pageToken, undefined);
});

test("an error ends the paging and is thrown", async () => {
  const failure = Object.assign(new Error("bad filter"), { status: 400 });
  const fetcher = createPageFetcher(async () => {
    throw failure;
  }, 200);
  fetcher.reset(QUERY);
  await assert.rejects(fetcher.next(), failure);
  assert.equal(fetcher.done, true);
  assert.equal(fetcher.loading, false);
  assert.equal(await fetcher.next(), null);
});

test("cancel() aborts the page on its way, which then gives null", async () => {
  const { search, held } = heldSearch();
  const fetcher = createPageFetcher(search, 200);
  fetcher.reset(QUERY);
  const pending = fetcher.next();
  fetcher.cancel();
  assert.equal(held[0].request.signal.aborted, true);
  assert.equal(await pending, null);
  assert.equal(fetcher.loading, false);
});
