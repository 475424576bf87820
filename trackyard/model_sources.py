"""Where a new model version's files are, and whether the caller may point there.

A version's `source` is what the client sent (`runs:/<run>/model`, `models:/m-<id>`, an
artifact URI, `models:/<name>/<version>`); its storage location is where its files really
are, which `get-download-uri` answers. As MLflow's server does, we only let a source under a
run's or logged model's artifact root in when the request names that run or model, so a
registered version cannot be made to serve another run's (or the server's own) files.
"""

from __future__ import annotations

import pathlib
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import NamedTuple

from . import validation as check
from .errors import ApiError, invalid
from .services import Services


class ModelUri(NamedTuple):
    """A parsed `models:/` URI: a logged model id, or a name with one selector."""

    model_id: str | None = None
    name: str | None = None
    version: str | None = None
    stage: str | None = None
    alias: str | None = None


@dataclass(frozen=True)
class ResolvedSource:
    source: str
    storage_location: str
    run_id: str | None
    model_id: str | None


def parse_model_uri(uri: str) -> ModelUri:
    parsed = urllib.parse.urlparse(uri, allow_fragments=False)
    parts = parsed.path.lstrip("/").split("/")
    if (
        parsed.scheme != "models"
        or not parsed.path.startswith("/")
        or len(parts) > 2
        or not parts[0].strip()
    ):
        raise invalid(f"Not a proper models:/ URI: {uri}.")
    if len(parts) == 2:
        name, suffix = parts
        if not suffix.strip():
            raise invalid(f"Not a proper models:/ URI: {uri}.")
        if suffix.isdigit():
            return ModelUri(name=name, version=suffix)
        if suffix.lower() == "latest":
            return ModelUri(name=name)
        return ModelUri(name=name, stage=suffix)
    if "@" in parts[0]:
        name, _, alias = parts[0].rpartition("@")
        if not name or not alias.strip():
            raise invalid(f"Not a proper models:/ URI: {uri}.")
        return ModelUri(name=name, alias=alias)
    return ModelUri(model_id=parts[0])


def _bad_source(source: str, owner: str) -> ApiError:
    return invalid(
        f"Invalid model version source: '{source}'. The {owner} request parameter must "
        "identify the resource that contains the source."
    )


def _unquoted(value: str) -> str:
    while (unquoted := urllib.parse.unquote_plus(value)) != value:
        value = unquoted
    return value


def _parts(uri: str) -> tuple[str, str, tuple[str, ...]]:
    parsed = urllib.parse.urlsplit(uri)
    path = tuple(_unquoted(part) for part in parsed.path.split("/") if part)
    return parsed.scheme.lower(), parsed.netloc.lower(), path


def _within(source: str, root: str) -> bool:
    scheme, authority, path = _parts(source)
    root_scheme, root_authority, root_path = _parts(root)
    return (
        (scheme, authority) == (root_scheme, root_authority)
        and bool(root_path)
        and path[: len(root_path)] == root_path
    )


def _is_local(uri: str) -> bool:
    scheme = urllib.parse.urlparse(uri).scheme
    return scheme in ("", "file") or len(scheme) == 1  # a bare path, or a Windows drive


def _local_path(uri: str) -> pathlib.Path:
    """A local URI (a bare path or `file:`) as an absolute path, symlinks resolved, as MLflow
    resolves both a local source and the root it must lie in."""
    path = urllib.parse.urlparse(uri).path if uri.startswith("file:") else uri
    return pathlib.Path(urllib.request.url2pathname(path)).resolve()


def _local_source_error(source: object, owner: str, what: str) -> ApiError:
    return invalid(
        f"Invalid model version source: '{source}'. To use a local path as a model version "
        f"source, the {owner} request parameter has to be specified and the local path has to "
        f"be contained within the artifact directory of the {what} specified by the {owner}."
    )


def _check_local_source(source: str, owner: str, what: str, root: str | None) -> None:
    """MLflow's rule: the resolved path lies in the resolved local root of the run or model
    named. Once a run or model is named, its message shows the resolved path, as MLflow's."""
    if root is None:
        raise _local_source_error(source, owner, what)
    resolved = _local_path(source)
    if root and _is_local(root):
        root_path = _local_path(root)
        if root_path == resolved or root_path in resolved.parents:
            return
    raise _local_source_error(resolved, owner, what)


def _is_proxied(uri: str) -> bool:
    scheme, _, path = _parts(uri)
    route = ("api", "2.0", "mlflow-artifacts", "artifacts")
    return scheme == "mlflow-artifacts" or (
        scheme in ("http", "https")
        and any(path[i : i + len(route)] == route for i in range(len(path)))
    )


def _no_relative_paths(source: str) -> None:
    """No `..` (however encoded) and no NUL: sources never reach outside their root."""
    plain = _unquoted(source)
    path = re.sub(r"/+", "/", urllib.parse.urlparse(plain).path)
    if "\x00" in plain or ".." in plain.split("/") or ".." in path.split("/"):
        raise invalid(
            f"Invalid model version source: '{source}'. An absolute path without relative "
            "path references must be provided."
        )


def _run_root(services: Services, run_id: str | None, source: str) -> str:
    """The artifact root of the run a source claims; "" when no run is named."""
    if not run_id:
        return ""
    run = _existing(lambda: services.store.get_run(run_id), source, "run_id")
    return run.info.artifact_uri or ""


def _check_run_source(services: Services, source: str, run_id: str | None) -> None:
    if _is_local(source):
        root = _run_root(services, run_id, source) if run_id else None
        _check_local_source(source, "run_id", "run", root)
        return
    _no_relative_paths(source)
    parsed = urllib.parse.urlparse(source)
    if parsed.scheme == "runs":
        source_run = parsed.path.lstrip("/").split("/")[0]
        if parsed.netloc or not run_id or source_run != run_id:
            raise _bad_source(source, "run_id")
    if parsed.scheme == "models" and (parsed.netloc or parse_model_uri(source).model_id):
        raise _bad_source(source, "model_id")
    if _is_proxied(source) and not _within(source, _run_root(services, run_id, source)):
        raise _bad_source(source, "run_id")


def _check_model_source(services: Services, source: str, model_id: str) -> None:
    location = _existing(lambda: services.logged_models.get(model_id), source, "model_id")
    root = location.info.artifact_uri or ""
    if _is_local(source):
        _check_local_source(source, "model_id", "run", root)
        return
    _no_relative_paths(source)
    parsed = urllib.parse.urlparse(source)
    if parsed.scheme == "models":
        source_model = None if parsed.netloc else parse_model_uri(source).model_id
        if parsed.netloc or (source_model is not None and source_model != model_id):
            raise _bad_source(source, "model_id")
    if parsed.scheme == "runs":
        raise _bad_source(source, "model_id")
    if _is_proxied(source) and not _within(source, root):
        raise _bad_source(source, "model_id")


def _existing(fetch, source: str, owner: str):
    """A run or model the source names; a missing one makes the source invalid, not a 404."""
    try:
        return fetch()
    except ApiError as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise _bad_source(source, owner) from None
        raise


def registered_version(services: Services, uri: ModelUri) -> tuple[str, int]:
    """(name, version) a `models:/<name>/...` URI selects, as the client resolves it."""
    name = check.model_name(uri.name or "")
    if uri.version is not None:
        return name, int(uri.version)
    if uri.alias is not None:
        return name, int(services.registry.get_model_version_by_alias(name, uri.alias).version)
    stages = [check.stage(uri.stage)] if uri.stage else []
    latest = services.registry.get_latest_versions(name, stages)
    if not latest:
        stage = f" and stage '{uri.stage}'" if uri.stage else ""
        raise invalid(f"No versions of model with name '{name}'{stage} found")
    return name, max(int(version.version) for version in latest)


def _from_registered_version(
    services: Services, source: str, uri: ModelUri, run_id: str | None, model_id: str | None
) -> ResolvedSource:
    """A version made from another version shares its files and (unless given) its lineage."""
    name = uri.name or ""
    model = services.registry.get_registered_model(name)
    if any(t.key == "mlflow.prompt.is_prompt" and t.value == "true" for t in model.tags):
        raise invalid(f"Invalid model version source: '{source}'. Prompts cannot be sources.")
    name, number = registered_version(services, uri)
    version = services.registry.get_model_version(name, number)
    if (run_id is not None and run_id != (version.run_id or "")) or (
        model_id is not None and model_id != (version.model_id or "")
    ):
        raise invalid(
            f"Invalid model version source: '{source}'. The run_id and model_id request "
            "parameters must match the referenced model version."
        )
    return ResolvedSource(
        source=f"models:/{name}/{number}",
        storage_location=services.registry.get_model_version_download_uri(name, number),
        run_id=run_id if run_id is not None else version.run_id,
        model_id=model_id if model_id is not None else version.model_id,
    )


def resolve(
    services: Services, source: str, run_id: str | None, model_id: str | None
) -> ResolvedSource:
    """Check a version's source against the run or model it claims, and find its files.

    `run_id` and `model_id` are None when the request left them out, "" when sent empty.
    """
    parsed = urllib.parse.urlparse(source)
    if parsed.scheme == "models":
        if parsed.netloc:
            raise invalid(
                f"Invalid model version source: '{source}'. Registered model sources must "
                "use this model registry."
            )
        uri = parse_model_uri(source)
        if uri.model_id is None:
            return _from_registered_version(services, source, uri, run_id, model_id)
    if model_id:
        _check_model_source(services, source, model_id)
    else:
        _check_run_source(services, source, run_id)
    storage_location = source
    uri_model = parse_model_uri(source).model_id if parsed.scheme == "models" else None
    if uri_model or model_id:
        logged = services.logged_models.get(uri_model or model_id or "")
        if uri_model:
            storage_location = logged.info.artifact_uri or source
        run_id = run_id or logged.info.source_run_id
    return ResolvedSource(source, storage_location, run_id or None, model_id or None)
