"""Reading an MLflow tracking database (SQLite, PostgreSQL, MySQL/MariaDB) in MLflow's own
schema, through SQLAlchemy Core so one reader speaks every dialect MLflow supports.

MLflow's schema changed over its versions (columns and tables added since 2.0: deleted_time,
datasets and inputs, aliases, logged models, workspaces). The reader asks the database which
tables and columns it has and reads what is there, rather than mapping alembic revisions.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy
from sqlalchemy import bindparam, text

from ..store.db import chunks
from ..store.traces import ARTIFACT_LOCATION, SPANS_LOCATION, TRACKING_STORE, NewTrace
from .artifacts import readable_folder
from .model import (
    Dataset,
    DatasetInput,
    Experiment,
    LoggedModel,
    ModelMetric,
    ModelVersion,
    RegisteredModel,
    Run,
    RunHead,
)
from .traces import Trace, assessment, traces_json_spans, traces_pb_spans

# The driver each MLflow URI scheme is read with (trackyard ships psycopg 3, not psycopg2).
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
_MYSQL_DRIVER = "mysql+pymysql"
_TRACE_TEXTS = ("client_request_id", "request_preview", "response_preview")
# The spansLocation of a trace whose spans MLflow archived (traces.pb), and where to.
ARCHIVE_REPO = "ARCHIVE_REPO"
ARCHIVE_LOCATION = "mlflow.trace.archiveLocation"


def engine_uri(uri: str) -> str:
    """`uri` with a driver this environment has: psycopg 3 for PostgreSQL, PyMySQL for MySQL
    (MLflow's docs name `mysql://`, which SQLAlchemy reads with the C client)."""
    scheme, sep, rest = uri.partition("://")
    if scheme in _DRIVERS:
        return f"{_DRIVERS[scheme]}{sep}{rest}"
    if scheme in ("mysql", "mariadb"):
        return f"{_MYSQL_DRIVER}{sep}{rest}"
    return uri


def _float(value: Any, is_nan: Any) -> float:
    return math.nan if is_nan or value is None else float(value)


class MlflowDatabase:
    """An MLflow tracking database, read-only."""

    def __init__(self, uri: str, from_artifacts: str | None) -> None:
        self.engine = sqlalchemy.create_engine(engine_uri(uri))
        self.from_artifacts = from_artifacts
        inspector = sqlalchemy.inspect(self.engine)
        self.tables = {
            name: {column["name"] for column in inspector.get_columns(name)}
            for name in inspector.get_table_names()
        }
        if "runs" not in self.tables or "alembic_version" not in self.tables:
            raise ValueError(f"{uri} is not an MLflow tracking database (no runs table)")
        revision = self._rows("SELECT version_num FROM alembic_version")
        self.revision = revision[0].version_num if revision else "unknown"
        self.description = f"MLflow database {self.engine.url!r} (schema {self.revision})"
        self._quote = self.engine.dialect.identifier_preparer.quote

    def _rows(self, sql: str, **params: Any) -> list[Any]:
        statement = text(sql)
        for name, value in params.items():
            if isinstance(value, list):
                statement = statement.bindparams(bindparam(name, value, expanding=True))
        with self.engine.connect() as connection:
            return list(connection.execute(statement, params))

    def _columns(self, table: str, wanted: Sequence[str]) -> str:
        """The select list of `wanted` columns, NULL for those this schema version lacks."""
        have = self.tables.get(table, set())
        return ", ".join(
            self._quote(column) if column in have else f"NULL AS {column}" for column in wanted
        )

    def close(self) -> None:
        self.engine.dispose()

    def artifact_folder(self, uri: str) -> str | None:
        return readable_folder(uri, self.from_artifacts)

    # ------------------------------------------------------------------ experiments
    def experiments(self) -> list[Experiment]:
        fields = ("experiment_id", "name", "artifact_location", "lifecycle_stage")
        times = ("creation_time", "last_update_time")
        tags: dict[int, dict[str, str]] = defaultdict(dict)
        if "experiment_tags" in self.tables:
            for row in self._rows(
                f"SELECT experiment_id, {self._quote('key')} AS k, value FROM experiment_tags"
            ):
                tags[row.experiment_id][row.k] = row.value
        return [
            Experiment(
                experiment_id=int(row.experiment_id),
                name=row.name,
                artifact_location=row.artifact_location,
                lifecycle_stage=row.lifecycle_stage or "active",
                creation_time=row.creation_time,
                last_update_time=row.last_update_time,
                tags=tags.get(row.experiment_id, {}),
            )
            for row in self._rows(
                f"SELECT {self._columns('experiments', fields + times)} FROM experiments "
                "ORDER BY experiment_id"
            )
        ]

    # ------------------------------------------------------------------ runs
    def run_heads(self) -> list[RunHead]:
        return [
            RunHead(row.run_uuid, int(row.experiment_id), row.artifact_uri)
            for row in self._rows(
                "SELECT run_uuid, experiment_id, artifact_uri FROM runs "
                "ORDER BY start_time, run_uuid"
            )
        ]

    def runs(self, heads: Sequence[RunHead]) -> list[Run]:
        ids = [head.run_uuid for head in heads]
        fields = (
            "run_uuid",
            "experiment_id",
            "name",
            "user_id",
            "status",
            "start_time",
            "end_time",
            "lifecycle_stage",
            "artifact_uri",
            "deleted_time",
        )
        runs = {
            row.run_uuid: Run(
                run_uuid=row.run_uuid,
                experiment_id=int(row.experiment_id),
                name=row.name,
                user_id=row.user_id,
                status=row.status or "FINISHED",
                start_time=row.start_time,
                end_time=row.end_time,
                lifecycle_stage=row.lifecycle_stage or "active",
                artifact_uri=row.artifact_uri,
                deleted_time=row.deleted_time,
            )
            for batch in chunks(ids)
            for row in self._rows(
                f"SELECT {self._columns('runs', fields)} FROM runs WHERE run_uuid IN :ids",
                ids=list(batch),
            )
        }
        self._read_key_values(runs, "params", "params")
        self._read_key_values(runs, "tags", "tags")
        self._read_metrics(runs)
        self._read_inputs(runs)
        return [runs[run_id] for run_id in ids if run_id in runs]

    def _read_key_values(self, runs: dict[str, Run], table: str, attribute: str) -> None:
        for batch in chunks(list(runs)):
            for row in self._rows(
                f"SELECT run_uuid, {self._quote('key')} AS k, value FROM {table} "
                "WHERE run_uuid IN :ids",
                ids=list(batch),
            ):
                getattr(runs[row.run_uuid], attribute)[row.k] = row.value

    def _read_metrics(self, runs: dict[str, Run]) -> None:
        for batch in chunks(list(runs)):
            statement = text(
                f"SELECT run_uuid, {self._quote('key')}, value, timestamp, step, is_nan "
                "FROM metrics WHERE run_uuid IN :ids"
            ).bindparams(bindparam("ids", list(batch), expanding=True))
            with self.engine.connect() as connection:
                cursor = connection.execute(statement)
                for run_uuid, key, value, timestamp, step, is_nan in cursor:
                    runs[run_uuid].metrics.setdefault(key, []).append(
                        (int(step or 0), int(timestamp or 0), _float(value, is_nan))
                    )

    def _read_inputs(self, runs: dict[str, Run]) -> None:
        """Datasets a run used (with the input's tags), and MLflow 3's model inputs and
        outputs, from the `inputs` graph table: a dataset edge leads from the dataset to the
        run, a model edge from the run to the model."""
        if "inputs" not in self.tables:
            return
        step = "step" if "step" in self.tables["inputs"] else "0 AS step"
        datasets, models = [], []
        for batch in chunks(list(runs)):
            datasets += self._rows(
                "SELECT input_uuid, source_id, destination_id FROM inputs "
                "WHERE source_type = 'DATASET' AND destination_type = 'RUN' "
                "AND destination_id IN :ids",
                ids=list(batch),
            )
            models += self._rows(
                f"SELECT source_type, source_id, destination_id, {step} FROM inputs "
                "WHERE source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND source_id IN :ids",
                ids=list(batch),
            )
        found = self._datasets([row.source_id for row in datasets])
        tags = self._input_tags([row.input_uuid for row in datasets])
        for row in datasets:
            if row.source_id in found:
                runs[row.destination_id].datasets.append(
                    DatasetInput(found[row.source_id], tags.get(row.input_uuid, {}))
                )
        for row in models:
            run = runs[row.source_id]
            if row.source_type == "RUN_INPUT":
                run.model_inputs.append(row.destination_id)
            else:
                run.model_outputs.append((row.destination_id, int(row.step or 0)))

    def _datasets(self, dataset_uuids: list[str]) -> dict[str, Dataset]:
        found: dict[str, Dataset] = {}
        for batch in chunks(sorted(set(dataset_uuids))):
            for row in self._rows(
                "SELECT dataset_uuid, experiment_id, name, digest, dataset_source_type, "
                "dataset_source, dataset_schema, dataset_profile FROM datasets "
                "WHERE dataset_uuid IN :ids",
                ids=list(batch),
            ):
                found[row.dataset_uuid] = Dataset(
                    experiment_id=int(row.experiment_id),
                    name=row.name,
                    digest=row.digest,
                    source_type=row.dataset_source_type,
                    source=row.dataset_source,
                    schema=row.dataset_schema,
                    profile=row.dataset_profile,
                )
        return found

    def _input_tags(self, input_uuids: list[str]) -> dict[str, dict[str, str]]:
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        if "input_tags" not in self.tables:
            return tags
        for batch in chunks(input_uuids):
            for row in self._rows(
                "SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN :ids",
                ids=list(batch),
            ):
                tags[row.input_uuid][row.name] = row.value
        return tags

    # ------------------------------------------------------------------ logged models
    def logged_models(self) -> list[LoggedModel]:
        if "logged_models" not in self.tables:
            return []
        models = {
            row.model_id: LoggedModel(
                model_id=row.model_id,
                experiment_id=int(row.experiment_id),
                name=row.name,
                artifact_location=row.artifact_location,
                creation_timestamp_ms=row.creation_timestamp_ms,
                last_updated_timestamp_ms=row.last_updated_timestamp_ms,
                status=int(row.status),
                lifecycle_stage=row.lifecycle_stage or "active",
                model_type=row.model_type,
                source_run_id=row.source_run_id,
                status_message=row.status_message,
            )
            for row in self._rows(
                "SELECT model_id, experiment_id, name, artifact_location, creation_timestamp_ms, "
                "last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, "
                "status_message FROM logged_models ORDER BY creation_timestamp_ms, model_id"
            )
        }
        for row in self._rows("SELECT model_id, tag_key, tag_value FROM logged_model_tags"):
            if row.model_id in models:
                models[row.model_id].tags[row.tag_key] = row.tag_value
        for row in self._rows("SELECT model_id, param_key, param_value FROM logged_model_params"):
            if row.model_id in models:
                models[row.model_id].params[row.param_key] = row.param_value
        for row in self._rows(
            "SELECT model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, "
            "run_id, dataset_name, dataset_digest FROM logged_model_metrics"
        ):
            if row.model_id in models:
                metric: ModelMetric = (
                    row.metric_name,
                    int(row.metric_timestamp_ms),
                    int(row.metric_step),
                    row.run_id,
                    _float(row.metric_value, False),
                    row.dataset_name,
                    row.dataset_digest,
                )
                models[row.model_id].metrics.append(metric)
        return list(models.values())

    # ------------------------------------------------------------------ model registry
    def registered_models(self) -> list[RegisteredModel]:
        if "registered_models" not in self.tables:
            return []
        key = self._quote("key")
        models = {
            row.name: RegisteredModel(
                row.name, row.creation_time, row.last_updated_time, row.description
            )
            for row in self._rows(
                "SELECT name, creation_time, last_updated_time, description "
                "FROM registered_models ORDER BY name"
            )
        }
        for row in self._rows(f"SELECT name, {key} AS k, value FROM registered_model_tags"):
            if row.name in models:
                models[row.name].tags[row.k] = row.value
        if "registered_model_aliases" in self.tables:
            for row in self._rows("SELECT name, alias, version FROM registered_model_aliases"):
                if row.name in models:
                    models[row.name].aliases[row.alias] = int(row.version)
        versions = self._versions()
        for (name, _number), version in sorted(versions.items()):
            if name in models:
                models[name].versions.append(version)
        return list(models.values())

    def _versions(self) -> dict[tuple[str, int], ModelVersion]:
        fields = (
            "name",
            "version",
            "creation_time",
            "last_updated_time",
            "description",
            "user_id",
            "current_stage",
            "source",
            "storage_location",
            "run_id",
            "run_link",
            "status",
            "status_message",
        )
        versions = {
            (row.name, int(row.version)): ModelVersion(
                version=int(row.version),
                creation_time=row.creation_time,
                last_updated_time=row.last_updated_time,
                description=row.description,
                user_id=row.user_id,
                current_stage=row.current_stage or "None",
                source=row.source,
                storage_location=row.storage_location or row.source,
                run_id=row.run_id,
                run_link=row.run_link,
                status=row.status or "READY",
                status_message=row.status_message,
            )
            for row in self._rows(
                f"SELECT {self._columns('model_versions', fields)} FROM model_versions"
            )
        }
        for row in self._rows(
            f"SELECT name, version, {self._quote('key')} AS k, value FROM model_version_tags"
        ):
            version = versions.get((row.name, int(row.version)))
            if version is not None:
                version.tags[row.k] = row.value
        return versions

    # ------------------------------------------------------------------ traces
    def traces(self) -> list[Trace]:
        """Every trace with its tags, request metadata, spans (when MLflow kept them in its
        database) and assessments."""
        if "trace_info" not in self.tables:
            return []
        key = self._quote("key")
        traces = {
            row.request_id: Trace(
                NewTrace(
                    trace_id=row.request_id,
                    experiment_id=str(row.experiment_id),
                    request_time=int(row.timestamp_ms),
                    execution_ms=row.execution_time_ms,
                    state=row.status,
                    client_request_id=row.client_request_id,
                    request_preview=row.request_preview,
                    response_preview=row.response_preview,
                )
            )
            for row in self._rows(
                "SELECT request_id, experiment_id, timestamp_ms, execution_time_ms, status, "
                f"{self._columns('trace_info', _TRACE_TEXTS)} FROM trace_info "
                "ORDER BY timestamp_ms, request_id"
            )
        }
        for table, attribute in (("trace_tags", "tags"), ("trace_request_metadata", "metadata")):
            for row in self._rows(f"SELECT request_id, {key} AS k, value FROM {table}"):
                if row.request_id in traces:
                    getattr(traces[row.request_id].info, attribute)[row.k] = row.value
        if "spans" in self.tables:
            for row in self._rows(
                "SELECT trace_id, content FROM spans ORDER BY start_time_unix_nano"
            ):
                if row.trace_id in traces and row.content:  # '' once MLflow archived it
                    traces[row.trace_id].spans.append(json.loads(row.content))
        if "assessments" in self.tables:
            for row in self._rows("SELECT * FROM assessments ORDER BY created_timestamp"):
                if row.trace_id in traces:
                    traces[row.trace_id].info.assessments.append(assessment(row))
        for trace in traces.values():
            if not trace.spans:
                self._spans_elsewhere(trace)
        return list(traces.values())

    def _spans_elsewhere(self, trace: Trace) -> None:
        """The spans of a trace with none in the `spans` table, where MLflow's client looks
        for them: by the trace's `mlflow.trace.spansLocation` tag, traces.json in the trace's
        artifact location when the tag is not there (clients and servers before 3.4) or says
        ARTIFACT_REPO, traces.pb in its archive location when MLflow archived them."""
        tags = trace.info.tags
        where = tags.get(SPANS_LOCATION)
        if where == TRACKING_STORE:  # a trace that has no spans
            return
        if where == ARCHIVE_REPO:
            folder = self.artifact_folder(tags.get(ARCHIVE_LOCATION, ""))
            trace.archived, trace.spans_skipped = traces_pb_spans(folder)
            return
        location = tags.get(ARTIFACT_LOCATION)
        if not location:
            trace.spans_skipped = "neither in the database nor at an artifact location"
            return
        trace.spans, trace.spans_skipped = traces_json_spans(self.artifact_folder(location))

    def unread_traces(self) -> tuple[int, str]:
        """Traces this source holds but cannot hand over, and why: none here."""
        return 0, ""
