"""How fast the web UI shows a big experiment: time to first rows, scrolling, sorting, filtering.

Starts a trackyard server on SQLite, bulk-inserts N runs straight into its database (the API
would take minutes for 100k), then drives Debian's headless Chromium through Playwright:

    .venv/bin/python bench/ui_first_rows.py [--runs 100000] [--pages 10] [--keep]

Prints one line per measurement. Nothing is asserted; tests/test_ui.py checks behaviour.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.servers import start_server  # noqa: E402
from tests.ui_data import bulk_runs  # noqa: E402


def footer_count(page) -> int:
    """The runs loaded: the footer's first number ("1,200 of 20,000 runs loaded")."""
    text = page.locator("[data-role=runs-footer]").inner_text()
    first = text.split(" ")[0]
    return int("".join(ch for ch in first if ch.isdigit()) or 0)


def first_rows(page, url: str) -> tuple[float, float]:
    """Milliseconds to the first rendered row: as the page measures it (from navigation
    start to the rows in the DOM) and as Playwright sees it (wall clock, polling included)."""
    page.goto("about:blank")
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("[data-role=runs-table] .vt-row")
    wall = (time.perf_counter() - started) * 1000
    in_page = page.evaluate("performance.getEntriesByName('trackyard:first-rows')[0].startTime")
    return in_page, wall


HOVER = """async (key) => {
    const over = document.querySelector(`.chart-card[data-metric='${key}'] .u-over`);
    over.scrollIntoView();
    const box = over.getBoundingClientRect();
    const times = [];
    for (let i = 0; i < 120; i++) {
        const t0 = performance.now();
        over.dispatchEvent(new MouseEvent("mousemove", {
            clientX: box.left + Math.random() * box.width,
            clientY: box.top + Math.random() * box.height,
            bubbles: true,
        }));
        await new Promise((resolve) => setTimeout(resolve, 0)); // the redraw it queued, too
        times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return [times[Math.floor(times.length / 2)], times[Math.floor(times.length * 0.95)]];
}"""


def first_charts_ms(page, url: str) -> float:
    """Median wall-clock ms of three loads of url until its first four charts are drawn (the
    val and train sections' four, in view at 1400 x 900 since charts come in sections)."""
    drawn_ms = []
    for _ in range(3):
        page.goto("about:blank")
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_function(
            "() => document.querySelectorAll('.chart-host[data-drawn]').length >= 4"
        )
        drawn_ms.append((time.perf_counter() - started) * 1000)
    return statistics.median(drawn_ms)


def sweep_charts(page, url: str) -> None:
    """The 63-run sweep of tests/ui_sweep_data.py: compare's charts for its 60 trials (time
    until the charts in view are drawn) and hovering one (time per mouse move, redraw
    included), the runs page's chart view (per run and grouped), and the sweep's runs table."""
    from tests.ui_sweep_data import seed_sweep

    started = time.perf_counter()
    sweep = seed_sweep(url, "bench-sweep")
    print(
        f"seeded the 63-run sweep through the stock client in {time.perf_counter() - started:.1f} s"
    )
    runs = ",".join(sweep.trial_ids(60))
    charts = f"{url}/#/compare?tab=charts&experiments={sweep.experiment_id}&runs={runs}"
    drawn = first_charts_ms(page, charts)
    print(f"compare charts, 60 runs x 500 steps: first 4 drawn, median {drawn:.0f} ms wall clock")
    median, p95 = page.evaluate(HOVER, "val/loss")
    print(f"hover over 60 lines: median {median:.1f} ms, p95 {p95:.1f} ms per mouse move")
    for query, label in (("charts=1&expand=1", "63 runs"), ("charts=1&group=param:lr", "4 groups")):
        view = f"{url}/#/experiments/{sweep.experiment_id}?{query}"
        drawn = first_charts_ms(page, view)
        print(f"runs page chart view, {label}: first 4 charts drawn, median {drawn:.0f} ms wall")
    table = f"{url}/#/experiments/{sweep.experiment_id}?expand=1"
    times = [first_rows(page, table) for _ in range(3)]
    in_page = statistics.median(t[0] for t in times)
    wall = statistics.median(t[1] for t in times)
    print(
        f"sweep runs table (63 runs): first rows {in_page:.0f} ms in the page, {wall:.0f} ms wall"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=10, help="pages to scroll through")
    parser.add_argument("--repeat", type=int, default=3, help="page loads per measurement")
    parser.add_argument("--keep", action="store_true", help="keep the server's data directory")
    parser.add_argument(
        "--no-sweep", dest="sweep", action="store_false", help="skip the 63-run sweep's charts"
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    data_dir = Path(tempfile.mkdtemp(prefix="trackyard-ui-bench-"))
    server = start_server(data_dir, f"sqlite:///{data_dir / 'trackyard.db'}")
    try:
        experiment_id = (
            httpx.post(f"{server.url}/api/2.0/mlflow/experiments/create", json={"name": "ui-bench"})
            .raise_for_status()
            .json()["experiment_id"]
        )
        started = time.perf_counter()
        bulk_runs(data_dir / "trackyard.db", experiment_id, args.runs)
        print(f"seeded {args.runs:,} runs by SQL in {time.perf_counter() - started:.1f} s")

        search = {"experiment_ids": [experiment_id], "max_results": 200}
        api_ms = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            httpx.post(f"{server.url}/api/2.0/mlflow/runs/search", json=search).raise_for_status()
            api_ms.append((time.perf_counter() - started) * 1000)
        print(f"runs/search, first page of 200: median {statistics.median(api_ms):.0f} ms")

        base = f"{server.url}/#/experiments/{experiment_id}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for label, url in [
                ("time to first rows", base),
                ("  sorted by metrics.loss", f"{base}?sort=metric%3Aloss"),
                ("  filtered params.model = 'tree'", f"{base}?filter=params.model%20%3D%20'tree'"),
            ]:
                times = [first_rows(page, url) for _ in range(args.repeat)]
                in_page = statistics.median(t[0] for t in times)
                wall = statistics.median(t[1] for t in times)
                print(
                    f"{label}: median {in_page:.0f} ms in the page, {wall:.0f} ms wall clock "
                    f"(first load {times[0][0]:.0f} / {times[0][1]:.0f} ms)"
                )

            page.goto(base)
            page.wait_for_selector(".vt-row")
            scroller = page.locator("[data-role=runs-table]")
            page_ms = []
            for _ in range(args.pages):
                before = footer_count(page)
                started = time.perf_counter()
                scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
                page.wait_for_function(
                    "before => parseInt(document.querySelector('[data-role=runs-footer]')"
                    ".textContent.replace(/,/g, '')) > before",
                    arg=before,
                )
                page_ms.append((time.perf_counter() - started) * 1000)
            rows_in_dom = page.locator(".vt-row").count()
            print(
                f"scrolling: {args.pages} more pages, median {statistics.median(page_ms):.0f} ms "
                f"per page; {footer_count(page):,} runs loaded, {rows_in_dom} rows in the DOM"
            )
            frame = page.evaluate(
                """async () => {
                    const el = document.querySelector('[data-role=runs-table]');
                    const times = [];
                    for (let i = 0; i < 60; i++) {
                        const t0 = performance.now();
                        el.scrollTop = Math.random() * (el.scrollHeight - el.clientHeight);
                        await new Promise((resolve) => requestAnimationFrame(() => resolve()));
                        times.push(performance.now() - t0);
                    }
                    times.sort((a, b) => a - b);
                    return times[Math.floor(times.length / 2)];
                }"""
            )
            print(f"random jumps within loaded rows: median {frame:.1f} ms per frame")
            if args.sweep:
                sweep_charts(page, server.url)
            browser.close()
    finally:
        server.stop()
        if args.keep:
            print(f"data kept in {data_dir}")
        else:
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
