"""The benchmark runs each workload on both servers before the next, so that a slow phase of
the shared machine falls on both sides: the order of steps is the specification here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import run  # bench/ is a folder of scripts, not a package
from servers import ServerError
from workloads import Measurement


class FakeServer:
    """Only what the scheduler asks of a server: whether it is still up."""

    def __init__(self) -> None:
        self.alive = True

    def check_alive(self) -> None:
        if not self.alive:
            raise ServerError("the server exited")


def bench(name: str) -> run.Bench:
    return run.Bench(name, FakeServer(), name)  # type: ignore[arg-type]  # target: its name


def measured(label: str) -> list[Measurement]:
    return [Measurement(label, 1.0, "ms", False)]


@pytest.fixture
def steps() -> list[str]:
    return []


@pytest.fixture
def benches() -> list[run.Bench]:
    return [bench("trackyard"), bench("mlflow")]


def test_each_workload_runs_on_every_server_before_the_next(steps, benches) -> None:
    def first(target):
        steps.append(f"first {target}")
        return measured("first")

    def second(target):
        steps.append(f"second {target}")
        return measured("second")

    run.run_side_by_side(benches, [("first", first), ("second", second)])
    assert steps == ["first trackyard", "first mlflow", "second mlflow", "second trackyard"]


def test_a_preparing_workload_is_measured_only_once_every_server_is_prepared(
    steps, benches
) -> None:
    def seeded(target):
        steps.append(f"seed {target}")

        def measure():
            steps.append(f"measure {target}")
            return measured(f"page {target}")

        return measure

    run.run_side_by_side(benches, [("search", seeded)])
    assert steps == ["seed trackyard", "seed mlflow", "measure trackyard", "measure mlflow"]
    assert [m.label for _, m in benches[1].results.measurements] == ["page mlflow"]


def test_a_dead_server_skips_its_later_workloads_and_the_other_goes_on(steps, benches) -> None:
    def kill_mlflow(target):
        if target == "mlflow":
            benches[1].server.alive = False  # type: ignore[attr-defined]
        return measured("kill")

    def later(target):
        steps.append(f"later {target}")
        return measured("later")

    run.run_side_by_side(benches, [("kill", kill_mlflow), ("later", later), ("last", later)])
    assert steps == ["later trackyard", "later trackyard"]
    assert "the server exited" in benches[1].results.failures["later"]
    assert benches[1].results.failures["last"] == "not run: the server had died"


def test_a_failing_workload_is_recorded_and_the_next_still_runs(steps, benches) -> None:
    def broken(target):
        raise run.ApiError(f"HTTP 500 from {target}")

    def fine(target):
        steps.append(f"fine {target}")
        return measured("fine")

    run.run_side_by_side(benches, [("broken", broken), ("fine", fine)])
    assert benches[0].results.failures["broken"] == "HTTP 500 from trackyard"
    assert steps == ["fine mlflow", "fine trackyard"]


def test_trackyard_only_workloads_are_not_measured_on_mlflow(steps, benches) -> None:
    def seeded(target):
        steps.append(target)
        return measured("100k")

    run.run_side_by_side(benches, [("trace-search-100k", seeded)])
    assert steps == ["trackyard"]
    assert benches[1].results.not_measured == {"trace-search-100k"}
