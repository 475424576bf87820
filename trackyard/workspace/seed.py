"""Seeding the user's notebooks folder with trackyard's example notebooks.

The folder belongs to the user: an example is copied once, never over an existing file, and
an example the user deleted stays deleted. A small marker file remembers what was seeded, so
a later trackyard version can still add new examples.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

MARKER = ".trackyard-seeded"


def example_names() -> list[str]:
    """The example notebooks shipped inside the package, in a stable order."""
    folder = resources.files("trackyard.workspace") / "notebooks"
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".ipynb"))


def example_bytes(name: str) -> bytes:
    return (resources.files("trackyard.workspace") / "notebooks" / name).read_bytes()


def seed_notebooks(folder: Path) -> list[Path]:
    """Copy the examples not seeded before into `folder`; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER
    seeded = set(marker.read_text().split()) if marker.is_file() else set()
    written = []
    for name in example_names():
        target = folder / name
        if name in seeded:
            continue
        seeded.add(name)
        try:
            with open(target, "xb") as file:  # "x": never replace a file of the user's
                file.write(example_bytes(name))
        except FileExistsError:
            continue
        written.append(target)
    marker.write_text("".join(f"{name}\n" for name in sorted(seeded)))
    return written
