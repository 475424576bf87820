"""`trackyard import`: copy an MLflow deployment into a trackyard store (trackyard/importer/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .artifacts import options as destination
from .cli import with_options


def _open_source(uri: str, from_artifacts: str | None) -> Any:
    """A folder is an `mlruns` file store; anything else a database URI."""
    if "://" not in uri or uri.startswith("file://"):
        from .importer.mlflow_files import MlrunsFolder

        return MlrunsFolder(uri.removeprefix("file://"), from_artifacts)
    from .importer.mlflow_db import MlflowDatabase

    return MlflowDatabase(uri, from_artifacts)


@click.command("import")
@click.option(
    "--from",
    "source_uri",
    required=True,
    help="The MLflow deployment: its tracking database URI (sqlite:///..., postgresql://..., "
    "mysql://...) or its mlruns folder.",
)
@click.option(
    "--from-artifacts",
    default=None,
    type=click.Path(exists=True, file_okay=False),
    help="The old server's --artifacts-destination folder, where mlflow-artifacts:/ "
    "locations point.",
)
@click.option(
    "--to",
    "store_uri",
    required=True,
    help="The trackyard store: sqlite:///path/to/file.db or postgresql://...",
)
@click.option(
    "--artifacts-destination",
    default=None,
    help="Where the trackyard server keeps artifacts (a folder, sftp://... or s3://...); "
    "artifacts are copied there.",
)
@click.option(
    "--default-artifact-root",
    default=None,
    help="The trackyard server's --default-artifact-root, if it sets one "
    "[default: mlflow-artifacts:/, served by the server].",
)
@click.option(
    "--keep-artifact-uris",
    is_flag=True,
    default=False,
    help="Copy no artifacts: locations stay as the source has them.",
)
@with_options(destination.OPTIONS)
def import_(**options: Any) -> None:
    """Copy an MLflow deployment (tracking database or mlruns folder) into a trackyard store.

    Safe to interrupt and run again: whatever is already in the store is skipped."""
    from .config import ServerConfig
    from .importer.pipeline import Import
    from .importer.writer import Writer
    from .store import open_database

    keep = options.pop("keep_artifact_uris")
    source_uri, from_artifacts = options.pop("source_uri"), options.pop("from_artifacts")
    store_uri = options.pop("store_uri")
    if not keep and not options["artifacts_destination"]:
        raise click.UsageError("--artifacts-destination is required (or --keep-artifact-uris)")
    if from_artifacts:
        from_artifacts = str(Path(from_artifacts).resolve())
    try:
        source = _open_source(source_uri, from_artifacts)
    except Exception as error:  # any driver's connection error, a folder that is not mlruns
        raise click.ClickException(f"Cannot read {source_uri}: {error}") from None
    try:
        run_options = _run_options(ServerConfig(**options), keep)
        summary = Import(source, Writer(open_database(store_uri)), run_options).run()
    except KeyboardInterrupt:
        # The batch in flight was rolled back; whatever was committed stays.
        click.echo("\nInterrupted: run the same command again to continue.", err=True)
        raise SystemExit(130) from None
    finally:
        source.close()
    click.echo("\n".join(summary.lines()))


def _run_options(config: Any, keep: bool) -> Any:
    from .artifacts import experiment_root, open_repository
    from .importer.pipeline import Options

    if keep:
        return Options(None, "", "")
    return Options(
        open_repository(config),
        config.artifacts_destination,
        experiment_root(config).rstrip("/"),
    )
