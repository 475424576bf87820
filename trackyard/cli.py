"""The `trackyard` command."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from . import __version__, limits, observability, prefix, security
from .access import options as access
from .artifacts import options as destination
from .commands_db import BACKEND_STORE_URI
from .config import ServerConfig

if TYPE_CHECKING:
    from .store.db import Database


@click.group()
@click.version_option(__version__, prog_name="trackyard")
def main() -> None:
    """trackyard: a fast, self-hosted experiment tracking workspace speaking MLflow's API."""


def _open_backend(config: ServerConfig) -> Database:
    """Migrate (or refuse) before serving, so that a problem is one clear line."""
    from .store import open_database

    try:
        return open_database(config.backend_store_uri, migrate=not config.no_migrate)
    except Exception as error:  # any driver's connection or schema error ends start-up
        raise click.ClickException(f"Cannot open the backend store: {error}") from None


def with_options(options: Sequence[Callable[..., Any]]) -> Callable[..., Any]:
    """Apply a module's list of click options, kept beside the code they configure."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


@main.command()
@click.option("--host", "-h", default="127.0.0.1", show_default=True, envvar="TRACKYARD_HOST")
@click.option("--port", "-p", default=5000, show_default=True, envvar="TRACKYARD_PORT")
@BACKEND_STORE_URI
@destination.ARTIFACTS_DESTINATION
@click.option(
    "--default-artifact-root",
    default=None,
    envvar="TRACKYARD_DEFAULT_ARTIFACT_ROOT",
    help="Artifact location for new experiments [default: mlflow-artifacts:/ when serving "
    "artifacts, else the destination folder].",
)
@click.option(
    "--serve-artifacts/--no-serve-artifacts",
    default=True,
    show_default=True,
    envvar="TRACKYARD_SERVE_ARTIFACTS",
    help="Proxy artifact uploads and downloads through this server.",
)
@click.option(
    "--no-migrate",
    is_flag=True,
    default=False,
    envvar="TRACKYARD_NO_MIGRATE",
    help="Never migrate the schema at start-up; refuse to start if it is behind "
    "(run `trackyard db upgrade` first). For several servers over one database.",
)
@click.option("--workers", "-w", default=1, show_default=True, envvar="TRACKYARD_WORKERS")
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    envvar="TRACKYARD_ACCESS_LOG",
    help="Log every request (uvicorn's access log).",
)
@with_options(destination.OPTIONS)
@with_options(security.OPTIONS)
@with_options(limits.OPTIONS)
@with_options(prefix.OPTIONS)
@with_options(observability.OPTIONS)
@with_options(access.OPTIONS)
def server(**options: Any) -> None:
    """Run the tracking server (REST API, artifact proxy and web UI) on one port."""
    from . import serving
    from .app import config_to_environment, create_app

    config = ServerConfig(**options)
    database = _open_backend(config)
    access.prepare(config, database)
    if config.workers > 1:
        # Each worker process builds its app from the environment and opens its own stores;
        # this process only migrated, once, before they start.
        database.close()
        config_to_environment(config)
        app: Any = "trackyard.app:app_from_environment"
    else:
        app = create_app(config, database)
    click.echo(
        f"trackyard {__version__} serving on http://{config.host}:{config.port} "
        f"({config.backend_store_uri})"
    )
    serving.run(app, config)


# `trackyard up`, the server plus JupyterLab, lives in its own package (it imports no Jupyter).
from .workspace import up as _up  # noqa: E402

main.add_command(_up)
from .commands_db import db as _db  # noqa: E402

main.add_command(_db)
from .commands_gc import gc as _gc  # noqa: E402

main.add_command(_gc)
from .commands_import import import_ as _import  # noqa: E402

main.add_command(_import)
from .commands_access import tokens as _tokens  # noqa: E402
from .commands_access import users as _users  # noqa: E402

main.add_command(_users)
main.add_command(_tokens)
