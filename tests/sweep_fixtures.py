"""The 63-run sweep's server, shared by every UI module that reads the sweep.

Session-scoped and defined here (not in a test module), so the sweep is seeded once for the
whole run: a fixture imported into another module's namespace is a second fixture there,
seeded again (about 30 s each). The modules that use it only read the sweep's runs; a test
that changes them makes its own runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .servers import ServerProcess, start_server

if TYPE_CHECKING:
    from .ui_sweep_data import Sweep


@pytest.fixture(scope="session")
def sweep_server(tmp_path_factory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("ui-sweep-server")
    process = start_server(data_dir, f"sqlite:///{data_dir / 'trackyard.db'}")
    yield process
    process.stop()


@pytest.fixture(scope="session")
def sweep(sweep_server: ServerProcess) -> Sweep:
    from .ui_sweep_data import seed_sweep  # imports mlflow: only for the UI tests

    return seed_sweep(sweep_server.url)
