"""`trackyard up`: the server and JupyterLab together, the example notebooks, clean shutdown.

Everything runs for real: `trackyard up` as a process on free loopback ports, the example
notebooks executed headless in a kernel that gets the printed tracking URI, and the results
read back through the API with the stock client.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nbformat
import pytest
from mlflow import MlflowClient

from trackyard.workspace import examples
from trackyard.workspace.seed import MARKER, example_names, seed_notebooks

from .conftest import require_postgres
from .servers import postgres_database, start_server
from .workspaces import (
    Workspace,
    command_line,
    execute_notebook,
    process_children,
    process_environment,
    start_up,
    stop_up,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; POSIX groups")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLASSIFICATION_METRICS = {
    *(f"test_{kind}_class_{label}" for kind in ("precision", "recall", "f1") for label in (0, 1)),
    "test_true_negative_rate",
    "test_false_positive_rate",
    "test_false_negative_rate",
    "test_true_positive_rate",
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Iterator[Workspace]:
    """One `trackyard up` on SQLite and a local folder, shared by this module's tests."""
    work_dir = tmp_path_factory.mktemp("workspace")
    running = start_up(
        work_dir,
        "--backend-store-uri", f"sqlite:///{work_dir / 'data' / 'trackyard.db'}",
        "--artifacts-destination", str(work_dir / "data" / "artifacts"),
    )  # fmt: skip
    yield running
    if running.process.poll() is None:
        stop_up(running, signal.SIGINT)
    running.kill()


# --- seeding and the committed notebooks: no processes ---------------------------------------


def test_committed_notebooks_match_their_generator():
    for name, cells in examples.NOTEBOOKS.items():
        committed = (examples.NOTEBOOKS_DIR / name).read_text()
        assert committed == examples.render(name, cells), f"run python -m {examples.__name__}"
        nbformat.validate(nbformat.reads(committed, as_version=4))
    assert example_names() == sorted(examples.NOTEBOOKS)


def test_seeding_never_overwrites_and_remembers_deletions(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "quick_check.ipynb").write_text("the user's own file")
    written = seed_notebooks(folder)
    assert [path.name for path in written] == ["classification.ipynb"]
    assert (folder / "quick_check.ipynb").read_text() == "the user's own file"

    (folder / "classification.ipynb").unlink()
    assert seed_notebooks(folder) == []
    assert not (folder / "classification.ipynb").exists()
    assert (folder / MARKER).read_text().split() == sorted(examples.NOTEBOOKS)


def test_missing_jupyterlab_is_a_clear_error(tmp_path):
    # A None entry in sys.modules is Python's own "this module cannot be imported".
    code = (
        "import sys; sys.modules['jupyterlab'] = None\n"
        "from trackyard.cli import main\n"
        "main(['up', '--notebooks-dir', 'nb'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "pip install 'trackyard[workspace]'" in result.stderr
    assert "Traceback" not in result.stderr


# --- a running workspace ----------------------------------------------------------------------


def test_up_serves_both_and_prints_urls_and_token(workspace: Workspace):
    assert httpx.get(f"{workspace.tracking_uri}/health").status_code == 200
    status = f"{workspace.jupyter_url}/api/status"
    assert httpx.get(status).status_code == 403
    authorised = httpx.get(status, headers={"Authorization": f"token {workspace.token}"})
    assert authorised.status_code == 200
    assert workspace.banner["JupyterLab"].endswith(f"/lab?token={workspace.token}")
    assert workspace.banner["Notebooks"] == str(workspace.notebooks_dir)
    seeded = sorted(path.name for path in workspace.notebooks_dir.glob("*.ipynb"))
    assert seeded == sorted(examples.NOTEBOOKS)


def test_kernels_started_by_jupyterlab_see_the_tracking_uri(workspace: Workspace):
    headers = {"Authorization": f"token {workspace.token}"}
    kernels = f"{workspace.jupyter_url}/api/kernels"
    kernel = httpx.post(kernels, headers=headers, json={"name": "python3"}, timeout=30).json()
    try:
        (jupyter,) = [pid for pid in workspace.children() if "jupyterlab" in command_line(pid)]
        kernel_pid = wait_for(lambda: process_children(jupyter))[0]
        environment = process_environment(kernel_pid)
        assert environment["MLFLOW_TRACKING_URI"] == workspace.tracking_uri
        assert environment["TRACKYARD_NOTEBOOK_DIR"] == str(workspace.notebooks_dir)
    finally:
        httpx.delete(f"{kernels}/{kernel['id']}", headers=headers, timeout=30)


def test_quick_check_notebook(workspace: Workspace):
    path = workspace.notebooks_dir / "quick_check.ipynb"
    execute_notebook(path, workspace.tracking_uri)

    client = MlflowClient(workspace.tracking_uri)
    experiment = client.get_experiment_by_name("MLflow Example")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params == {"name": "quick check", "category": "example", "type": "notebook"}
    history = client.get_metric_history(run.info.run_id, "i")
    assert sorted((metric.step, metric.value) for metric in history) == [
        (step, float(step)) for step in range(5)
    ]
    assert [entry.path for entry in client.list_artifacts(run.info.run_id)] == [path.name]
    logged = client.download_artifacts(run.info.run_id, path.name, str(path.parent.parent))
    cells = nbformat.read(logged, as_version=4).cells
    assert [cell.id for cell in cells] == [f"quick-check-{i}" for i in range(len(cells))]


def test_classification_notebook(workspace: Workspace):
    check_classification(workspace.notebooks_dir / "classification.ipynb", workspace.tracking_uri)


def check_classification(path: Path, tracking_uri: str) -> None:
    """Run the classification example and check its runs, metrics, plots and registration."""
    execute_notebook(path, tracking_uri)
    client = MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name("Moons classification")
    runs = {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}
    assert sorted(runs) == ["random-forest", "xgboost"]
    for run in runs.values():
        assert run.info.status == "FINISHED"
        assert set(run.data.metrics) >= CLASSIFICATION_METRICS
        assert all(0 <= run.data.metrics[key] <= 1 for key in CLASSIFICATION_METRICS)
        plot = client.download_artifacts(run.info.run_id, "plots/precision_recall.png")
        assert Path(plot).read_bytes().startswith(PNG_SIGNATURE)
    assert runs["random-forest"].data.params["n_estimators"] == "100"  # autolog
    assert runs["xgboost"].data.params["max_depth"] == "3"

    best = max(runs.values(), key=lambda run: run.data.metrics["test_f1_macro"])
    (version,) = client.search_model_versions("name = 'moons-classifier'")
    assert version.status == "READY"
    assert version.run_id == best.info.run_id
    check_registered_model(tracking_uri)


def check_registered_model(tracking_uri: str) -> None:
    """autolog logged the model with its signature and an input example."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    info = mlflow.models.get_model_info("models:/moons-classifier/1")
    assert info.signature is not None
    assert info.saved_input_example_info is not None


# --- the team topology: PostgreSQL and SFTP behind trackyard, JupyterLab on its own ---------


def test_team_topology_postgres_sftp_and_jupyterlab(tmp_path, sshd):
    """docker-compose.yml's topology without Docker: JupyterLab holds no storage credentials.

    trackyard runs on PostgreSQL with a real sshd as artifact store (host key checked against
    known_hosts); `trackyard up --tracking-uri` starts only JupyterLab, as the compose
    `jupyter` service does, and the classification example runs against it.
    """
    require_postgres()
    sftp_root = tmp_path / "sftp-root"
    sftp_root.mkdir()
    with postgres_database() as backend_uri:
        server = start_server(tmp_path / "server", backend_uri, *sshd.server_args(sftp_root))
        try:
            running = start_up(tmp_path / "jupyter", "--tracking-uri", server.url)
            try:
                (jupyter,) = running.children()  # no second server
                assert "jupyterlab" in command_line(jupyter)
                assert running.tracking_uri == server.url
                environment = process_environment(jupyter)
                secrets = ("sftp://", str(sshd.client_key), str(sshd.known_hosts))
                assert not any(secret in str(environment) for secret in secrets)
                check_classification(running.notebooks_dir / "classification.ipynb", server.url)
                assert len(list(sftp_root.rglob("precision_recall.png"))) == 2
                assert list(sftp_root.rglob("MLmodel"))
                assert stop_up(running, signal.SIGINT) == 0
            finally:
                running.kill()
        finally:
            server.stop()


# --- stopping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_both(tmp_path, sig):
    running = start_up(tmp_path)  # the server's own defaults, under tmp_path
    try:
        children = running.children()
        assert len(children) == 2
        started = time.monotonic()
        assert stop_up(running, sig) == 0
        assert time.monotonic() - started < 30
        for pid in children:
            assert not Path(f"/proc/{pid}").exists(), command_line_or_gone(pid)
        assert not answers(running.tracking_uri)
        assert not answers(running.jupyter_url)
        assert (tmp_path / "trackyard-data").is_dir()
    finally:
        running.kill()


# --- helpers ----------------------------------------------------------------------------------


def wait_for(probe, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
        return True
    except httpx.HTTPError:
        return False


def command_line_or_gone(pid: int) -> str:
    try:
        return f"still running: {command_line(pid)}"
    except OSError:
        return "gone"
