"""`trackyard up --tracking-token-file`: kernels get the token as MLFLOW_TRACKING_TOKEN."""

from pathlib import Path

from trackyard.workspace.launcher import Workspace, jupyter_environment


def _workspace(token: str | None) -> Workspace:
    return Workspace(
        "127.0.0.1", 5000, 8888, Path("/tmp"), "jt", "http://x:5000", tracking_token=token
    )


def test_kernels_get_the_tracking_token() -> None:
    assert jupyter_environment(_workspace("tyt_abc"))["MLFLOW_TRACKING_TOKEN"] == "tyt_abc"


def test_no_token_sets_none(monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    assert "MLFLOW_TRACKING_TOKEN" not in jupyter_environment(_workspace(None))
