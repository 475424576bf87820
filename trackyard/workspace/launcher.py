"""Run the tracking server and JupyterLab side by side, and stop both on Ctrl-C or SIGTERM.

The server runs as `python -m trackyard server` (the same code path as a standalone server),
JupyterLab as `python -m jupyterlab` from the same interpreter, so both come from the
environment `trackyard up` was installed into. JupyterLab's environment carries
MLFLOW_TRACKING_URI, which every kernel it starts inherits: notebooks need no set-up.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click

from .processes import (
    Child,
    StartupError,
    first_exited,
    spawn,
    stop_all,
    wait_answering,
    wait_ready,
)
from .seed import seed_notebooks

START_TIMEOUT = 120.0  # a first JupyterLab start in a small container can take a while
INSTALL_HINT = "JupyterLab is not installed: pip install 'trackyard[workspace]'"


@dataclass(frozen=True)
class Workspace:
    """What `trackyard up` was asked to run."""

    host: str
    port: int
    jupyter_port: int
    notebooks_dir: Path
    token: str
    tracking_uri: str | None = None  # an existing server: start only JupyterLab
    server_args: tuple[str, ...] = field(default_factory=tuple)
    allow_root: bool = False  # JupyterLab refuses to run as root unless told
    # A personal access token for kernels (MLFLOW_TRACKING_TOKEN): a server with --auth.
    tracking_token: str | None = None

    @property
    def server_url(self) -> str:
        if self.tracking_uri:
            return self.tracking_uri.rstrip("/")
        return f"http://{local_host(self.host)}:{self.port}"

    @property
    def jupyter_url(self) -> str:
        return f"http://{local_host(self.host)}:{self.jupyter_port}"


def local_host(host: str) -> str:
    """The address a local client uses to reach a server bound to `host`."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def require_jupyterlab() -> None:
    """Fail with the install command rather than a traceback from a child process."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        raise click.ClickException(INSTALL_HINT) from None


def server_command(workspace: Workspace) -> list[str]:
    command = [sys.executable, "-m", "trackyard", "server"]
    command += ["--host", workspace.host, "--port", str(workspace.port)]
    return command + list(workspace.server_args)


def jupyter_command(workspace: Workspace) -> list[str]:
    return [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        f"--ServerApp.ip={workspace.host}",
        f"--ServerApp.port={workspace.jupyter_port}",
        "--ServerApp.port_retries=0",  # the printed URL must be the real one
        f"--ServerApp.root_dir={workspace.notebooks_dir}",
        "--log-level=WARN",
        *(["--allow-root"] if workspace.allow_root else []),
    ]  # fmt: skip


def jupyter_environment(workspace: Workspace) -> dict[str, str]:
    """Our environment plus what kernels need; the token stays off the command line."""
    return {
        **os.environ,
        "MLFLOW_TRACKING_URI": workspace.server_url,
        "TRACKYARD_NOTEBOOK_DIR": str(workspace.notebooks_dir),
        "JUPYTER_TOKEN": workspace.token,
        **({"MLFLOW_TRACKING_TOKEN": workspace.tracking_token} if workspace.tracking_token else {}),
    }


def start_children(workspace: Workspace, children: list[Child]) -> None:
    """Start JupyterLab and, unless one is given, the server; Jupyter first, so it stops first.

    Each child joins `children` as soon as it exists, so a failure to start the second one
    still stops the first.
    """
    jupyter_ready = f"{workspace.jupyter_url}/api"
    env = jupyter_environment(workspace)
    children.append(spawn("JupyterLab", jupyter_command(workspace), env, jupyter_ready))
    if workspace.tracking_uri is None:
        server_ready = f"{workspace.server_url}/health"
        command = server_command(workspace)
        children.append(spawn("trackyard server", command, dict(os.environ), server_ready))


@contextmanager
def stop_requested() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM while the workspace runs; handlers restored after."""
    event = threading.Event()
    handler = lambda signum, frame: event.set()  # noqa: E731
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield event
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def print_banner(workspace: Workspace, seeded: list[Path]) -> None:
    lines = [
        "trackyard workspace is up",
        f"  Tracking server: {workspace.server_url}",
        f"  JupyterLab:      {workspace.jupyter_url}/lab?token={workspace.token}",
        f"  Jupyter token:   {workspace.token}",
        f"  Notebooks:       {workspace.notebooks_dir}",
        f"  Kernels see MLFLOW_TRACKING_URI={workspace.server_url}",
    ]
    lines += [f"  Example added:   {path.name}" for path in seeded]
    click.echo("\n".join([*lines, "Press Ctrl-C to stop."]))


def supervise(children: list[Child], stop: threading.Event) -> int:
    """Wait for a stop signal or for a child to die; 0 when asked to stop, else 1."""
    while not stop.wait(0.5):
        exited = first_exited(children)
        if exited is not None:
            click.echo(f"{exited.name} exited with code {exited.process.returncode}", err=True)
            return 1
    return 0


def run(workspace: Workspace) -> int:
    """Start everything, print where it is, and run until told to stop; the exit status."""
    require_jupyterlab()
    seeded = seed_notebooks(workspace.notebooks_dir)
    with stop_requested() as stop:
        children: list[Child] = []
        try:
            if workspace.tracking_uri is not None:
                health = f"{workspace.server_url}/health"
                wait_answering("The tracking server", health, START_TIMEOUT, stop)
            start_children(workspace, children)
            wait_ready(children, START_TIMEOUT, stop)
            if stop.is_set():
                return 0
            print_banner(workspace, seeded)
            return supervise(children, stop)
        except StartupError as error:
            click.echo(f"trackyard up: {error}", err=True)
            return 1
        finally:
            if children:
                click.echo(f"Stopping {' and '.join(c.name for c in children)}...", err=True)
                stop_all(children)
