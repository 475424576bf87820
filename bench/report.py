"""Turn measurements into the comparison table and keep docs/benchmarks.md up to date.

Only the part of docs/benchmarks.md between the two RESULTS markers is regenerated, so
prose written around it survives re-runs.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from workloads import Measurement

BACKEND_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SERVERS = ("trackyard", "mlflow")
HEADERS = {"trackyard": "trackyard", "mlflow": "mlflow server"}


@dataclass
class ServerResults:
    """What one server produced: measurements by workload, and failures with their reason."""

    measurements: list[tuple[str, Measurement]] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    not_measured: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Row:
    workload: str
    label: str
    unit: str
    higher_is_better: bool
    series: str = ""
    size: int = 0


# --- the table ----------------------------------------------------------------------------


def collect_rows(results: dict[str, ServerResults]) -> list[Row]:
    """Union of all measured labels in first-seen order, plus rows for all-failed workloads."""
    rows: dict[str, Row] = {}
    for res in results.values():
        for workload, m in res.measurements:
            row = Row(workload, m.label, m.unit, m.higher_is_better, m.series, m.size)
            rows.setdefault(m.label, row)
    measured = {row.workload for row in rows.values()}
    for res in results.values():
        for workload in res.failures:
            if workload not in measured:
                rows.setdefault(workload, Row(workload, workload, "", True))
    return list(rows.values())


def fmt_value(value: float) -> str:
    """Three significant-ish digits; thousands separators for big numbers."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cell(res: ServerResults | None, row: Row) -> tuple[str, float | None]:
    """Text and value of one server's cell: a number, FAILED, or '-' when not run."""
    if res is None:
        return "-", None
    for _workload, m in res.measurements:
        if m.label == row.label:
            return fmt_value(m.value), m.value
    if row.workload in res.failures:
        return "FAILED", None
    return ("not measured" if row.workload in res.not_measured else "not run"), None


def ratio(row: Row, ours: float | None, theirs: float | None) -> str:
    """trackyard's advantage: > 1 means trackyard is better, whatever the unit."""
    if not ours or not theirs:
        return "-"
    r = ours / theirs if row.higher_is_better else theirs / ours
    return f"{r:.2f}x"


def server_row(results: dict[str, ServerResults], row: Row) -> list[str]:
    """One table line: label (unit), trackyard's cell, mlflow's cell, the ratio."""
    ours, ours_v = cell(results.get("trackyard"), row)
    theirs, theirs_v = cell(results.get("mlflow"), row)
    label = f"{row.label} ({row.unit})" if row.unit else row.label
    return [label, ours, theirs, ratio(row, ours_v, theirs_v)]


def growth_row(results: dict[str, ServerResults], first: Row, last: Row) -> list[str]:
    """How a series grows from its smallest to its largest size, per server (1.0x = flat)."""
    cells = []
    for server in SERVERS:
        _, small = cell(results.get(server), first)
        _, large = cell(results.get(server), last)
        cells.append(f"{large / small:.2f}x" if small and large else "-")
    label = f"{first.series}: at {last.size:,} / at {first.size:,} (growth)"
    return [label, *cells, "-"]


def scaling_body(results: dict[str, ServerResults]) -> list[list[str]]:
    """Each series' rows by size, then its growth from the smallest to the largest size."""
    series: dict[str, list[Row]] = {}
    for row in collect_rows(results):
        if row.series:
            series.setdefault(row.series, []).append(row)
    body = []
    for rows in series.values():
        rows.sort(key=lambda r: r.size)
        body += [server_row(results, row) for row in rows]
        if len(rows) > 1:
            body.append(growth_row(results, rows[0], rows[-1]))
    return body


def table_lines(results: dict[str, ServerResults]) -> list[str]:
    """The main table: every measurement that is not a scaling point."""
    body = [server_row(results, row) for row in collect_rows(results) if not row.series]
    return format_table("workload", body)


def scaling_lines(results: dict[str, ServerResults]) -> list[str]:
    """The scaling table (empty when no scaling workload ran)."""
    body = scaling_body(results)
    return format_table("scaling", body) if body else []


def format_table(first_header: str, body: list[list[str]]) -> list[str]:
    """Markdown pipe table, padded so it also reads well on a terminal."""
    header = [first_header, HEADERS["trackyard"], HEADERS["mlflow"], "ratio"]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(4)]

    def line(cols: list[str]) -> str:
        rest = [c.rjust(w) for c, w in zip(cols[1:], widths[1:], strict=True)]
        return "| " + " | ".join([cols[0].ljust(widths[0]), *rest]) + " |"

    rule = "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]])
    return [line(header), rule + "|", *(line(r) for r in body)]


def failure_lines(results: dict[str, ServerResults]) -> list[str]:
    """Every failure with its full request/response (the useful part of a failed run)."""
    lines = []
    for server, res in results.items():
        for workload, message in res.failures.items():
            lines += [f"**{HEADERS[server]} / {workload}**", "", "```", message.rstrip(), "```", ""]
    return lines


# --- the environment ----------------------------------------------------------------------


def _mem_total_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git_revision(repo: Path) -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return "unknown"
    if rev.returncode != 0:
        return "no commit yet"
    dirty = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--", "trackyard"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    return rev.stdout.strip() + (" + uncommitted changes in trackyard/" if dirty else "")


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _dist_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment(repo: Path, mlflow_server_version: str | None, server_setup: str) -> list[str]:
    """Bullet lines describing machine and software, for reading numbers in context."""
    return [
        f"- machine: {os.cpu_count()} CPUs ({_cpu_model()}), {_mem_total_gib():.1f} GiB RAM, "
        f"Linux {platform.release()}; load average at start {_load_average()}",
        f"- Python {platform.python_version()} ({sys.executable})",
        f"- trackyard: git {_git_revision(repo)}; client side mlflow {_dist_version('mlflow')}",
        f"- reference server: mlflow {mlflow_server_version or '-'} from bench/.venv-mlflow",
        f"- {server_setup}",
    ]


# --- the document -------------------------------------------------------------------------


def start_mark(backend: str) -> str:
    return f"<!-- bench:results:{backend}:start (generated by bench/run.py; edits are lost) -->"


def end_mark(backend: str) -> str:
    return f"<!-- bench:results:{backend}:end -->"


DOC_TEMPLATE = """# Benchmarks

trackyard is measured against the reference MLflow tracking server (`mlflow server`,
3.17.2) with the same HTTP workloads: same requests, same client, same machine, one server
at a time, each on a fresh, empty store. Every response is checked, so a server that
answers errors or wrong results fails the run instead of looking fast.

What each workload does, and all options: [bench/README.md](../bench/README.md).
"""


def backend_section(backend: str) -> str:
    """An empty results section for ``backend``, appended when a document has none."""
    return (
        f"\n## Results on {BACKEND_TITLES[backend]}\n\n{start_mark(backend)}\n{end_mark(backend)}\n"
    )


def results_section(
    command: str, started: dt.datetime, env_lines: list[str], results: dict[str, ServerResults]
) -> str:
    """The generated block: command, date, environment, tables, failures."""
    lines = [
        f"Command: `{command}`",
        "",
        f"Date: {started:%Y-%m-%d %H:%M %Z}",
        "",
        *env_lines,
        f"- load average at end {_load_average()}",
        "",
        *table_lines(results),
        "",
    ]
    scaling = scaling_lines(results)
    if scaling:
        lines += [
            "Scaling: the same operation at several sizes, each in an experiment (or run) of",
            'its own in the same database; "not measured" marks sizes too slow to seed',
            "into mlflow server within the run. The growth lines divide the largest size's",
            "value by the smallest's.",
            "",
            *scaling,
            "",
        ]
    failures = failure_lines(results)
    if failures:
        lines += ["### Failures", "", *failures]
    return "\n".join(lines).rstrip() + "\n"


def write_doc(path: Path, section: str, backend: str) -> None:
    """Replace ``backend``'s generated block of ``path``; other backends' blocks stay.

    A missing file starts from the template; a document without a block for ``backend``
    gets a results section for it appended.
    """
    text = path.read_text() if path.exists() else DOC_TEMPLATE
    start, end = start_mark(backend), end_mark(backend)
    if start not in text or end not in text:
        text = text.rstrip("\n") + "\n" + backend_section(backend)
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}{start}\n{section}{end}{tail}")
