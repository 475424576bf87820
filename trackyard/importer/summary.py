"""What an import did, per kind of entity: imported, already there, skipped and why; and a
progress bar per phase (click's, with the count and the rate)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import click


@dataclass
class Tally:
    imported: int = 0
    present: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass
class Summary:
    source: str = ""
    kinds: dict[str, Tally] = field(default_factory=dict)
    points: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def __getitem__(self, kind: str) -> Tally:
        return self.kinds.setdefault(kind, Tally())

    def lines(self) -> list[str]:
        lines = [f"Imported from {self.source} in {self.seconds:.1f} s:"]
        for kind, tally in self.kinds.items():
            line = f"  {kind}: {tally.imported} imported"
            if tally.present:
                line += f", {tally.present} already in the store"
            lines.append(line)
            lines += [
                f"    {count} skipped: {reason}" for reason, count in sorted(tally.skipped.items())
            ]
        lines.append(f"  metric points: {self.points}")
        lines.append(f"  artifact files copied: {self.files} ({self.bytes} bytes)")
        return lines


class Progress:
    """A phase's bar: items done of all, and the rate of items (and of points) per second."""

    def __init__(self, bar: Any, unit: str) -> None:
        self.bar = bar
        self.unit = unit
        self.started = time.monotonic()
        self.done = 0
        self.points = 0

    def advance(self, count: int, points: int = 0) -> None:
        self.done += count
        self.points += points
        self.bar.update(count, self._rate())

    def _rate(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = f"{self.done / elapsed:,.0f} {self.unit}/s"
        if self.points:
            rate += f", {self.points / elapsed:,.0f} points/s"
        return rate


@contextmanager
def progress(label: str, total: int, unit: str) -> Iterator[Progress]:
    """A bar on stderr for a phase with `total` items; none for an empty phase."""
    if total == 0:
        yield Progress(None, unit)  # never advanced
        return
    with click.progressbar(
        length=total,
        label=f"{label:<18}",
        show_pos=True,
        show_eta=False,
        item_show_func=lambda rate: rate,
        file=sys.stderr,
    ) as bar:
        yield Progress(bar, unit)
