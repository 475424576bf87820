"""`trackyard gc`: permanently delete what is in the deleted state, as `mlflow gc` does.

The deletion itself is the store's (trackyard/store/purge.py); this module reads the flags,
removes artifacts of what each batch deleted, and shows progress.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from .artifacts import options as destination
from .cli import with_options
from .commands_db import BACKEND_STORE_URI
from .config import ServerConfig
from .store.db import chunks, now_ms

# A trace's folder, as MLflow names it: its id (`tr-...`, or a 2.x request id of 32 hex).
_TRACE_FOLDER = re.compile(r"tr-[\w.-]+|[0-9a-f]{32}")


def _age_ms(text: str | None) -> int | None:
    from .store.purge import age_ms

    try:
        return None if text is None else age_ms(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--older-than") from None


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


@click.command()
@BACKEND_STORE_URI
@destination.ARTIFACTS_DESTINATION
@click.option(
    "--default-artifact-root",
    default=None,
    envvar="TRACKYARD_DEFAULT_ARTIFACT_ROOT",
    help="The servers' --default-artifact-root, if a local folder: artifacts there go too.",
)
@click.option(
    "--older-than",
    default=None,
    help="Only what was deleted longer ago than this: 30d, 12h, 1h30m, 2d8h5m20s.",
)
@click.option("--experiment-ids", default=None, help="Comma-separated deleted experiments.")
@click.option("--run-ids", default=None, help="Comma-separated deleted runs.")
@click.option("--logged-model-ids", default=None, help="Comma-separated deleted logged models.")
@click.option("--dry-run", is_flag=True, default=False, help="List what would go; delete nothing.")
@with_options(destination.OPTIONS)
def gc(
    older_than: str | None,
    experiment_ids: str | None,
    run_ids: str | None,
    logged_model_ids: str | None,
    dry_run: bool,
    **options: Any,
) -> None:
    """Permanently delete experiments, runs and logged models in the deleted state, with
    everything that belongs to them (params, metrics, tags, inputs, traces, artifacts).
    Deleted experiments' names become free. Without ids, everything deleted (older than
    --older-than) goes; with ids, only those (an experiment with its runs and models).
    Safe while servers use the same store."""
    from .store import open_database, purge

    age = _age_ms(older_than)
    selection = purge.Selection(
        cutoff_ms=None if age is None else now_ms() - age,
        run_ids=_ids(run_ids),
        experiment_ids=_ids(experiment_ids),
        logged_model_ids=_ids(logged_model_ids),
    )
    config = ServerConfig(**options)
    try:
        database = open_database(config.backend_store_uri, migrate=False)
    except Exception as error:  # any driver's connection or schema error is one clear line
        raise click.ClickException(f"Cannot open the backend store: {error}") from None
    try:
        try:
            plan = purge.plan(database, selection)
        except purge.PurgeRefused as error:
            raise click.ClickException(str(error)) from None
        if dry_run:
            _list(plan)
            return
        _collect(database, config, plan)
    finally:
        database.close()


def _list(plan: Any) -> None:
    for run in plan.runs:
        click.echo(f"run {run.run_id} (experiment {run.experiment_id})")
    for model in plan.logged_models:
        click.echo(f"logged model {model.model_id} (experiment {model.experiment_id})")
    for experiment in plan.experiments:
        click.echo(f"experiment {experiment.experiment_id} {experiment.name!r}")
    click.echo(
        f"Would delete {len(plan.runs)} runs, {len(plan.logged_models)} logged models and "
        f"{len(plan.experiments)} experiments (dry run: nothing was deleted)."
    )


def _collect(database: Any, config: ServerConfig, plan: Any) -> None:
    from .artifacts import open_repository
    from .store import purge

    repository = open_repository(config)
    left: list[str] = []  # artifacts not deleted, and why

    def remove(uri: str | None, owner: str) -> None:
        reason = _delete_artifacts(config, repository, uri, owner)
        if reason:
            left.append(reason)

    try:
        runs = _phase("runs", plan.runs, purge.purge_runs, database)
        for run in runs:
            remove(run.artifact_uri, run.run_id)
        models = _phase("logged models", plan.logged_models, purge.purge_logged_models, database)
        for model in models:
            remove(model.artifact_location, model.model_id)
        experiments = _phase("experiments", plan.experiments, purge.purge_experiments, database)
        purged = [experiment.artifact_location or "" for experiment in experiments]
        traces = 0
        for location in dict.fromkeys([*plan.trace_locations, *purged]):
            count, reason = _delete_trace_files(config, repository, database, location)
            traces += count
            left.append(reason)
        for location in purged:
            left.append(_delete_empty_folder(config, repository, location))
    finally:
        repository.close()
    click.echo(
        f"Deleted {len(runs)} runs, {len(models)} logged models and {len(experiments)} "
        "experiments permanently."
    )
    if traces:
        click.echo(f"Deleted the files of {traces} traces no longer in the store.")
    skipped = (
        len(plan.runs) - len(runs)
        + len(plan.logged_models) - len(models)
        + len(plan.experiments) - len(experiments)
    )  # fmt: skip
    if skipped:
        click.echo(f"Left {skipped} that were restored (or gained runs) while gc ran.")
    for reason in filter(None, left):
        click.echo(f"Artifacts not deleted: {reason}", err=True)


def _phase(
    label: str, items: Sequence[Any], purge_batch: Callable[[Any, Sequence[Any]], list], db: Any
) -> list:
    """Purge `items` batch by batch under a progress bar; the ones purged."""
    from .store.purge import BATCH

    done: list = []
    if not items:
        return done
    with click.progressbar(length=len(items), label=f"Deleting {label}", file=sys.stderr) as bar:
        for batch in chunks(items, BATCH):
            done += purge_batch(db, batch)
            bar.update(len(batch))
    return done


def _locate(config: ServerConfig, repository: Any, uri: str) -> Any:
    """Where `uri` is in the destination (a Located), or why it cannot be deleted there."""
    from .artifacts import locate
    from .errors import ApiError

    try:
        located = locate(config, repository, uri)
    except ApiError as error:  # a path the destination refuses
        return f"{uri} ({error.message})"
    return located or f"{uri} (outside the artifact destination)"


def _delete_artifacts(config: ServerConfig, repository: Any, uri: str | None, owner: str) -> str:
    """Delete the artifacts at `uri` (a run's or logged model's); why not, if they were not.

    `<...>/<owner id>/artifacts` goes with its `<owner id>` folder, which holds nothing else."""
    from .errors import ApiError

    if not uri:
        return ""
    located = _locate(config, repository, uri)
    if isinstance(located, str):
        return located
    path = located.path
    if path.endswith(f"{owner}/artifacts"):
        path = path.removesuffix("/artifacts")
    if not path:
        return f"{uri} (names the whole destination)"
    try:
        located.repository.delete_prefix(path)
    except (ApiError, OSError) as error:
        return f"{uri} ({error})"
    return ""


def _delete_trace_files(
    config: ServerConfig, repository: Any, database: Any, location: str
) -> tuple[int, str]:
    """The folders under `<location>/traces/` of traces the store no longer holds (deleted
    through the API, or with their experiment): their attachments and an old client's
    traces.json. How many went, and why not, if they could not. The folder is listed before
    the store is asked, and a trace's row is stored before its files, so a trace being made
    meanwhile is never taken for a deleted one."""
    from .errors import ApiError
    from .store.purge import stored_trace_ids

    if not location:
        return 0, ""
    located = _locate(config, repository, f"{location.rstrip('/')}/traces")
    if isinstance(located, str):
        return 0, ""  # outside the destination: not ours to clean
    try:
        names = [
            entry.name
            for entry in located.repository.list_folder(located.path)
            if entry.is_dir and _TRACE_FOLDER.fullmatch(entry.name)
        ]
        gone = sorted(set(names) - stored_trace_ids(database, names))
        for name in gone:
            located.repository.delete_prefix(f"{located.path}/{name}")
    except (ApiError, OSError) as error:
        return 0, f"{location}/traces ({error})"
    return len(gone), ""


def _delete_empty_folder(config: ServerConfig, repository: Any, uri: str | None) -> str:
    """A purged experiment's folder, once its runs' and logged models' went: deleted when
    no file is left below it (empty `models/` folders at most); kept, and said why, when one
    is (an artifact location several experiments share). Outside the destination there is
    nothing to do: its runs' artifacts were reported. On S3 a folder is only a prefix, and an
    empty one has nothing to delete."""
    from .errors import ApiError

    if not uri:
        return ""
    located = _locate(config, repository, uri)
    if isinstance(located, str) or not located.path:
        return ""
    try:
        if _holds_files(located.repository, located.path):
            return f"{uri} (the purged experiment's folder holds other files)"
        located.repository.delete_prefix(located.path)
    except (ApiError, OSError) as error:
        return f"{uri} ({error})"
    return ""


def _holds_files(repository: Any, path: str) -> bool:
    return any(
        _holds_files(repository, f"{path}/{entry.name}") if entry.is_dir else True
        for entry in repository.list_folder(path)
    )
