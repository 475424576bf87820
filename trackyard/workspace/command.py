"""The `trackyard up` command: its flags, turned into a Workspace for the launcher."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click


def passthrough(backend_store_uri: str | None, artifacts_destination: str | None) -> list[str]:
    """Server flags given on our command line; unset ones keep the server's own defaults."""
    args = []
    if backend_store_uri:
        args += ["--backend-store-uri", backend_store_uri]
    if artifacts_destination:
        args += ["--artifacts-destination", artifacts_destination]
    return args


@click.command(context_settings={"show_default": True})
@click.option(
    "--host",
    "-h",
    default="127.0.0.1",
    envvar="TRACKYARD_HOST",
    help="Address the server and JupyterLab bind.",
)
@click.option("--port", "-p", default=5000, envvar="TRACKYARD_PORT", help="Tracking server port.")
@click.option("--jupyter-port", default=8888, help="JupyterLab port.")
@click.option(
    "--backend-store-uri",
    default=None,
    help="Passed to `trackyard server` [default: the server's SQLite file].",
)
@click.option(
    "--artifacts-destination",
    default=None,
    help="Passed to `trackyard server` [default: the server's artifact folder].",
)
@click.option(
    "--notebooks-dir",
    default="notebooks",
    type=click.Path(file_okay=False, path_type=Path),
    help="JupyterLab's folder; the examples are added on first start, never overwriting.",
)
@click.option(
    "--jupyter-token",
    default=None,
    envvar="JUPYTER_TOKEN",
    help="Token JupyterLab asks for [default: a new random one].",
)
@click.option(
    "--tracking-uri",
    default=None,
    help="Use this running tracking server and start only JupyterLab.",
)
@click.option(
    "--tracking-token-file",
    default=None,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="TRACKYARD_TRACKING_TOKEN_FILE",
    help="A file holding a personal access token that kernels get as MLFLOW_TRACKING_TOKEN "
    "(a --tracking-uri server with --auth).",
)
@click.option(
    "--allow-root",
    is_flag=True,
    help="Let JupyterLab run as root (it refuses otherwise), e.g. in a container.",
)
@click.argument("server_args", nargs=-1, type=click.UNPROCESSED)
def up(
    host: str,
    port: int,
    jupyter_port: int,
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    notebooks_dir: Path,
    jupyter_token: str | None,
    tracking_uri: str | None,
    tracking_token_file: Path | None,
    allow_root: bool,
    server_args: tuple[str, ...],
) -> None:
    """Start the tracking server and JupyterLab together; Ctrl-C stops both.

    Arguments after `--` go to `trackyard server` as they are, e.g.
    `trackyard up -- --workers 2`.
    """
    # Here, not at the top: `trackyard server` loads this module with the CLI, and the
    # launcher's imports (urllib.request, subprocess, ...) would only slow its start-up.
    from .launcher import Workspace, run

    workspace = Workspace(
        host=host,
        port=port,
        jupyter_port=jupyter_port,
        notebooks_dir=notebooks_dir.resolve(),
        token=jupyter_token or secrets.token_hex(24),
        tracking_uri=tracking_uri,
        tracking_token=tracking_token_file.read_text().strip() if tracking_token_file else None,
        allow_root=allow_root,
        server_args=(*passthrough(backend_store_uri, artifacts_destination), *server_args),
    )
    sys.exit(run(workspace))
