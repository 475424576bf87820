"""MLflow's trace analytics, which its UI's GenAI overview charts read: QueryTraceMetrics
(counts, latencies, token usage, span costs and assessment values of traces, spans or
assessments, grouped by dimensions and time buckets) and CalculateTraceFilterCorrelation
(the NPMI of two trace filters).

SQL narrows the rows (experiments, time range, filters, rows without the value or a
dimension left out) and reads only the columns a query needs; the groups and their
aggregations are computed in Python, the same on both backends: percentiles interpolate
linearly between the closest ranks, as PostgreSQL's percentile_cont and mlflow server do.
Token usage (trace metadata `mlflow.trace.tokenUsage`), span costs and models (span
attributes `mlflow.llm.cost`, `mlflow.llm.model`, `mlflow.llm.provider`) and assessment values
are JSON, read in Python from the rows SQL lets through.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import msgspec

from ..errors import invalid
from ..paging import decode_token, encode_token
from ..search.grammar import tokenize, unquote
from .db import Database, Dialect, Row, placeholders
from .span_codec import proto_json_value, unpack
from .trace_match import assessment_value

VIEW_TYPES = ("TRACES", "SPANS", "ASSESSMENTS")  # proto numbers 1, 2, 3
AGGREGATION_TYPES = ("COUNT", "SUM", "AVG", "PERCENTILE", "MIN", "MAX")  # 1 to 6
DEFAULT_MAX_RESULTS = 1000  # MLflow's MAX_RESULTS_QUERY_TRACE_METRICS
TIME_BUCKET = "time_bucket"
TRACE_NAME = "mlflow.traceName"
SESSION = "mlflow.trace.session"
TOKEN_USAGE = "mlflow.trace.tokenUsage"
SOURCE_RUN = "mlflow.sourceRun"
MODEL_LENGTH = 500  # MLflow keeps a span's model name and provider cut to this
_INT64 = (-(2**63), 2**63 - 1)  # the proto's int64 fields
_INT32 = (-(2**31), 2**31 - 1)
_NS_PER_MS = 1_000_000

_SPREAD = frozenset({"AVG", "MIN", "MAX", "PERCENTILE"})
_AMOUNT = _SPREAD | {"SUM"}
_COUNT = frozenset({"COUNT"})
_TOKENS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)
_COSTS = ("input_cost", "output_cost", "total_cost")
_MODEL_DIMENSIONS = ("span_model_name", "span_model_provider")


@dataclass(frozen=True)
class MetricSpec:
    aggregations: frozenset[str]
    dimensions: frozenset[str]


def _spec(aggregations: frozenset[str], *dimensions: str) -> MetricSpec:
    return MetricSpec(aggregations, frozenset(dimensions))


# What each view's metrics take, as MLflow 3.17 defines them.
METRICS: dict[str, dict[str, MetricSpec]] = {
    "TRACES": {
        "trace_count": _spec(_COUNT, "trace_name", "trace_status"),
        "session_count": _spec(_COUNT),
        "latency": _spec(_SPREAD, "trace_name"),
        **{name: _spec(_AMOUNT, "trace_name") for name in _TOKENS},
    },
    "SPANS": {
        "span_count": _spec(_COUNT, "span_name", "span_type", "span_status", *_MODEL_DIMENSIONS),
        "latency": _spec(_SPREAD, "span_name", "span_status"),
        **{name: _spec(_AMOUNT, *_MODEL_DIMENSIONS) for name in _COSTS},
    },
    "ASSESSMENTS": {
        "assessment_count": _spec(_COUNT, "assessment_name", "assessment_value"),
        "assessment_value": _spec(_SPREAD, "assessment_name"),
    },
}

# Filter clauses: `<view>.<entity>[.<key>] = '<value>'`; whether the entity takes a key.
FILTER_ENTITIES: dict[str, dict[str, bool]] = {
    "trace": {"status": False, "tag": True, "metadata": True},
    "span": {"name": False, "status": False, "type": False},
    "assessment": {"name": False, "type": False},
}


@dataclass(frozen=True)
class Aggregation:
    kind: str
    percentile: float | None = None

    @property
    def label(self) -> str:
        """The aggregation's key in a data point's values, as MLflow names it."""
        return f"P{self.percentile}" if self.kind == "PERCENTILE" else self.kind


@dataclass(frozen=True)
class MetricFilter:
    view: str  # trace, span, assessment
    entity: str
    key: str | None
    value: str


@dataclass(frozen=True)
class MetricQuery:
    experiment_ids: list[int]
    view: str
    metric: str
    aggregations: list[Aggregation]
    dimensions: list[str]
    filters: list[MetricFilter]
    interval_ms: int | None
    start_ms: int | None
    end_ms: int | None
    max_results: int
    offset: int


def _enum(value: str | int | None, names: Sequence[str], field: str) -> str:
    """A proto enum sent by name or number (numbers from 1)."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(names):
        return names[value - 1]
    if isinstance(value, str) and value in names:
        return value
    if value is None or value == "" or value == 0:
        raise invalid(f"Missing value for required parameter '{field}'.")
    raise invalid(f"Invalid value '{value}' for parameter '{field}': use one of {list(names)}.")


def aggregation(kind_value: str | int | None, percentile: float | None) -> Aggregation:
    kind = _enum(kind_value, AGGREGATION_TYPES, "aggregations.aggregation_type")
    if kind == "PERCENTILE":
        if percentile is None:
            raise invalid("Percentile value is required for PERCENTILE aggregation.")
        if not 0 <= percentile <= 100:
            raise invalid(f"Percentile value must be between 0 and 100, got {percentile}.")
        return Aggregation(kind, float(percentile))
    if percentile is not None:
        raise invalid(
            f"Percentile value is only allowed for PERCENTILE aggregation type, got {kind}."
        )
    return Aggregation(kind)


def metric_query(
    *,
    experiment_ids: Sequence[str],
    view_type: str | int | None,
    metric_name: str | None,
    aggregations: Sequence[Aggregation],
    dimensions: Sequence[str],
    filters: Sequence[str],
    time_interval_seconds: int | None,
    start_time_ms: int | None,
    end_time_ms: int | None,
    max_results: int | None,
    page_token: str | None,
) -> MetricQuery:
    """A QueryTraceMetrics request checked as MLflow checks it (400 for what it refuses)."""
    if not experiment_ids:
        raise invalid("Missing value for required parameter 'experiment_ids'.")
    view = _enum(view_type, VIEW_TYPES, "view_type")
    if not metric_name:
        raise invalid("Missing value for required parameter 'metric_name'.")
    metrics = METRICS[view]
    if metric_name not in metrics:
        raise invalid(f"metric_name must be one of {list(metrics)}, got '{metric_name}'")
    spec = metrics[metric_name]
    if not aggregations:
        raise invalid("Missing value for required parameter 'aggregations'.")
    if wrong := {a.kind for a in aggregations} - spec.aggregations:
        raise invalid(
            f"Found invalid aggregation_type(s): {sorted(wrong)}. "
            f"Supported aggregation types: {sorted(spec.aggregations)}"
        )
    if wrong := set(dimensions) - spec.dimensions:
        raise invalid(
            f"Found invalid dimension(s): {sorted(wrong)}. "
            f"Supported dimensions: {sorted(spec.dimensions)}"
        )
    parsed = [parse_filter(text) for text in filters]
    for item in parsed:
        if item.view == "span" and view != "SPANS":
            raise invalid(f"Filtering by span is only supported for SPANS view type, got {view}")
        if item.view == "assessment" and view != "ASSESSMENTS":
            raise invalid(
                f"Filtering by assessment is only supported for ASSESSMENTS view type, got {view}"
            )
    for name, number, bounds in (
        ("time_interval_seconds", time_interval_seconds, _INT64),
        ("start_time_ms", start_time_ms, _INT64),
        ("end_time_ms", end_time_ms, _INT64),
        ("max_results", max_results, _INT32),
    ):
        if number is not None and not bounds[0] <= number <= bounds[1]:
            raise invalid(f"Invalid value {number} for parameter '{name}': out of range.")
    if time_interval_seconds is not None and time_interval_seconds < 0:
        raise invalid(
            f"time_interval_seconds must be a positive number of seconds, got "
            f"{time_interval_seconds}."
        )
    if time_interval_seconds and (start_time_ms is None or end_time_ms is None):
        raise invalid("start_time_ms and end_time_ms are required if time_interval_seconds is set")
    if max_results is not None and max_results < 0:
        raise invalid(f"max_results must be a positive integer, got {max_results}.")
    ids = []
    for experiment_id in experiment_ids:
        text = str(experiment_id)
        if not (text.isascii() and text.isdigit() and int(text) <= _INT64[1]):
            raise invalid(f"Invalid experiment ID format: '{experiment_id}'.")
        ids.append(int(text))
    return MetricQuery(
        experiment_ids=sorted(set(ids)),
        view=view,
        metric=metric_name,
        aggregations=list(aggregations),
        dimensions=list(dict.fromkeys(dimensions)),
        filters=parsed,
        interval_ms=time_interval_seconds * 1000 if time_interval_seconds else None,
        start_ms=start_time_ms,
        end_ms=end_time_ms,
        max_results=max_results or DEFAULT_MAX_RESULTS,
        offset=decode_token(page_token),
    )


def parse_filter(text: str) -> MetricFilter:
    """One clause of MLflow's metrics filter grammar: `trace.status = 'OK'`,
    `trace.tag.<key> = '...'`, `trace.metadata.<key> = '...'`, `span.name|status|type = '...'`,
    `assessment.name|type = '...'`; `=` only, the value a quoted string."""
    tokens = tokenize(text or "")
    if len(tokens) != 3:
        raise invalid(f"Invalid filter: '{text}'. Expected one filter clause.")
    identifier, operator, value = tokens
    if operator.kind != "op" or operator.text not in ("=", "=="):
        raise invalid(f"Invalid comparator: '{operator.text}', only '=' operator is supported")
    if identifier.kind != "ident":
        raise invalid(f"Invalid filter: '{text}'. Expected an identifier before '='.")
    parts = identifier.text.split(".", 2)
    if len(parts) < 2:
        raise invalid(
            f"Invalid identifier '{identifier.text}'. Columns should be specified as "
            "'trace.<key>', 'span.<key>', 'assessment.<key>'."
        )
    view, entity = unquote(parts[0]), parts[1]
    if view not in FILTER_ENTITIES:
        raise invalid(f"Invalid view type '{view}'. Valid values are {list(FILTER_ENTITIES)}")
    entities = FILTER_ENTITIES[view]
    if entity not in entities:
        raise invalid(
            f"Invalid entity '{entity}' specified for view type '{view}'. "
            f"Valid entities are {list(entities)}"
        )
    key = unquote(parts[2]) if len(parts) == 3 else None
    if entities[entity] and not key:
        raise invalid(
            f"Filtering by {entity} requires a key, e.g. '{view}.{entity}.<key> = <value>'"
        )
    if not entities[entity] and key is not None:
        raise invalid(
            f"Filtering by {entity} does not require a key, use '{view}.{entity}' instead"
        )
    if value.kind != "string":
        raise invalid(
            f"Expected a quoted string value for {entity} value (e.g. 'my-value'). "
            f"Got value {value.text}"
        )
    return MetricFilter(view, entity, key, unquote(value.text))


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataPoint:
    metric_name: str
    dimensions: dict[str, str]
    values: dict[str, float]


class TraceMetrics:
    def __init__(self, db: Database) -> None:
        self.db = db

    def query(self, query: MetricQuery) -> tuple[list[DataPoint], str | None]:
        """A page of data points ordered by time bucket, then dimensions; the next page's
        token when more are left. Counts, latencies and their averages, minima and maxima
        over columns are grouped in SQL; the rest in Python over the rows SQL narrows."""
        grouped = _grouped(query, self.db.dialect)
        if grouped is not None:
            return self._grouped(query, *grouped)
        sql, params, read = _plan(query)
        groups: dict[tuple[Any, ...], Any] = {}
        distinct = query.metric == "session_count"
        if sql is not None:
            with self.db.read() as tx:
                rows = tx.all(sql, params)
            for row in rows:
                found = read(row)
                if found is None:
                    continue
                key, value = found
                if distinct:
                    groups.setdefault(key, set()).add(value)
                else:
                    groups.setdefault(key, []).append(value)
        points = [
            _point(query, key, sorted(values) if not distinct else [1.0] * len(values))
            for key, values in sorted(groups.items(), key=lambda item: item[0])
        ]
        end = query.offset + query.max_results
        token = encode_token(end) if end < len(points) else None
        return points[query.offset : end], token

    def _grouped(
        self, query: MetricQuery, sql: str, params: list[Any]
    ) -> tuple[list[DataPoint], str | None]:
        with self.db.read() as tx:
            rows = tx.all(sql, [*params, query.max_results + 1, query.offset])
        keys = len(rows[0]) - len(query.aggregations) if rows else 0
        points = []
        for row in rows[: query.max_results]:
            values = {
                agg.label: float(value)
                for agg, value in zip(query.aggregations, row[keys:], strict=True)
                if value is not None
            }
            if values:  # an average of no rows is none: no data point (COUNT 0 is one)
                points.append(_data_point(query, tuple(row[:keys]), values))
        end = query.offset + query.max_results
        return points, encode_token(end) if len(rows) > query.max_results else None


def _point(query: MetricQuery, key: tuple[Any, ...], values: list[float]) -> DataPoint:
    return _data_point(
        query, key, {agg.label: _aggregate(agg, values) for agg in query.aggregations}
    )


def _data_point(query: MetricQuery, key: tuple[Any, ...], values: dict[str, float]) -> DataPoint:
    names = ([TIME_BUCKET] if query.interval_ms else []) + query.dimensions
    shown = list(key)
    if query.interval_ms:
        shown[0] = _bucket_time(int(shown[0]))
    return DataPoint(query.metric, dict(zip(names, shown, strict=True)), values)


# What SQL groups: metrics whose value is a column, by dimensions that are columns.
_SQL_VALUES = {
    ("TRACES", "trace_count"): "1",
    ("TRACES", "session_count"): None,  # the session column, counted once each
    ("TRACES", "latency"): "t.execution_ms",
    ("SPANS", "span_count"): "1",
    ("SPANS", "latency"): "",  # whole milliseconds between start and end
    ("ASSESSMENTS", "assessment_count"): "1",
}
_SQL_DIMENSIONS = {
    "trace_name": "tn.value",  # joined in _scope
    "trace_status": "t.state",
    "span_name": "s.name",
    "span_type": "s.type",
    "span_status": "s.status",
    "assessment_name": "a.name",
}
_SQL_AGGREGATIONS = {"COUNT", "AVG", "MIN", "MAX"}
_MAX_SQL_BUCKET = 2**61  # so the bucket arithmetic stays within 64-bit integers


def _floor(value: str, step: int) -> str:
    """`value` down to a multiple of `step` (> 0), the same on both backends for negative
    values too (their integer division truncates). No `%`: PostgreSQL's driver reads it
    as a placeholder."""
    down = f"(({value}) / {step}) * {step}"
    return f"(CASE WHEN ({value}) < 0 AND {down} <> ({value}) THEN {down} - {step} ELSE {down} END)"


def _grouped(query: MetricQuery, dialect: Dialect) -> tuple[str, list[Any]] | None:
    """The query as one grouped SQL statement (its parameters end with LIMIT and OFFSET),
    or None when it needs Python (percentiles, JSON values or dimensions)."""
    view, metric = query.view, query.metric
    if (view, metric) not in _SQL_VALUES:
        return None
    if any(d not in _SQL_DIMENSIONS for d in query.dimensions):
        return None
    if any(a.kind not in _SQL_AGGREGATIONS for a in query.aggregations):
        return None
    step = (query.interval_ms or 0) * (_NS_PER_MS if view == "SPANS" else 1)
    if step > _MAX_SQL_BUCKET:
        return None
    scope = _scope(query)
    if scope is None:
        return None
    where = list(scope.where)
    columns = []
    if query.interval_ms:
        bucket = _floor(scope.time_column, step)
        columns.append(f"{bucket} / {_NS_PER_MS}" if view == "SPANS" else bucket)
    for dimension in query.dimensions:
        columns.append(_SQL_DIMENSIONS[dimension])
        where.append(f"{_SQL_DIMENSIONS[dimension]} IS NOT NULL")
    value = _SQL_VALUES[(view, metric)]
    if value is None:
        value = "tm.value"  # joined in _scope
    elif value == "":
        value = f"{_floor('s.end_ns - s.start_ns', _NS_PER_MS)} / {_NS_PER_MS}"
    where.append(f"{value} IS NOT NULL")
    names = [f"g{index}" for index in range(len(columns))]
    inner = ", ".join(
        [*(f"{c} AS {n}" for c, n in zip(columns, names, strict=True)), f"{value} AS v"]
    )
    counted = "COUNT(DISTINCT v)" if metric == "session_count" else "COUNT(v)"
    aggregates = ", ".join(
        counted if a.kind == "COUNT" else f"{a.kind}(v)" for a in query.aggregations
    )
    collate = ' COLLATE "C"' if dialect.name == "postgresql" else ""
    order = [names[0]] if query.interval_ms else []
    order += [f"{n}{collate}" for n in names[len(order) :]]
    grouping = f" GROUP BY {', '.join(names)} ORDER BY {', '.join(order)}" if names else ""
    sql = (
        f"SELECT {', '.join([*names, aggregates])} FROM (SELECT {inner} FROM {scope.source} "
        f"WHERE {' AND '.join(where)}) q{grouping} LIMIT ? OFFSET ?"
    )
    return sql, scope.params


def _bucket_time(ms: int) -> str:
    """A bucket's start as MLflow writes it: ISO 8601 in UTC."""
    try:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat()
    except (OverflowError, ValueError, OSError):
        raise invalid(
            f"A time bucket starts at {ms} ms, outside the dates ISO 8601 can write."
        ) from None


def _aggregate(agg: Aggregation, values: list[float]) -> float:
    """One aggregation of a group's values (sorted, at least one)."""
    if agg.kind == "COUNT":
        return float(len(values))
    if agg.kind == "SUM":
        return math.fsum(values)
    if agg.kind == "AVG":
        return math.fsum(values) / len(values)
    if agg.kind == "MIN":
        return values[0]
    if agg.kind == "MAX":
        return values[-1]
    position = (agg.percentile or 0.0) / 100 * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


Reader = Callable[[Row], tuple[tuple[Any, ...], Any] | None]


def _clamp(value: int) -> int:
    return max(_INT64[0], min(_INT64[1], value))


@dataclass
class _Scope:
    """The rows a query reads: FROM, WHERE and its parameters, and the bucket's time."""

    source: str
    where: list[str]
    params: list[Any]
    time_column: str  # ms, or ns for spans


def _scope(query: MetricQuery) -> _Scope | None:
    """None: no row can match (a time bound beyond what nanoseconds can hold)."""
    where = [f"t.experiment_id IN ({placeholders(len(query.experiment_ids))})"]
    params: list[Any] = list(query.experiment_ids)
    view, metric = query.view, query.metric
    span_time = view == "SPANS" and metric in _COSTS  # MLflow bounds span costs by span start
    if query.start_ms is not None:
        if span_time:
            start_ns = query.start_ms * _NS_PER_MS
            if start_ns > _INT64[1]:
                return None
            if start_ns > _INT64[0]:
                where.append("s.start_ns >= ?")
                params.append(start_ns)
        else:
            where.append("t.request_time >= ?")
            params.append(_clamp(query.start_ms))
    if query.end_ms is not None:
        if span_time:
            end_ns = (query.end_ms + 1) * _NS_PER_MS
            if end_ns <= _INT64[0]:
                return None
            if end_ns <= _INT64[1]:
                where.append("s.start_ns < ?")
                params.append(end_ns)
        else:
            where.append("t.request_time <= ?")
            params.append(_clamp(query.end_ms))
    for item in query.filters:
        condition, more = _filter_sql(item)
        where.append(condition)
        params += more
    # The trace's name and the metadata a metric reads, joined once (an inner join: rows
    # without them have no such dimension or value).
    joins = ""
    if "trace_name" in query.dimensions:
        joins += f" JOIN trace_tags tn ON tn.trace_key = t.id AND tn.key = {_literal(TRACE_NAME)}"
    if view == "TRACES" and metric in _METADATA_METRICS:
        key = _METADATA_METRICS[metric]
        joins += f" JOIN trace_metadata tm ON tm.trace_key = t.id AND tm.key = {_literal(key)}"
    if view == "TRACES":
        return _Scope("traces t" + joins, where, params, "t.request_time")
    if view == "SPANS":
        source = "spans s JOIN traces t ON t.id = s.trace_key"
        return _Scope(source + joins, where, params, "s.start_ns")
    where.append("a.valid = 1")
    source = "assessments a JOIN traces t ON t.id = a.trace_key"
    return _Scope(source + joins, where, params, "t.request_time")


# Trace metrics read from the trace's metadata, and its key.
_METADATA_METRICS = {"session_count": SESSION, **{name: TOKEN_USAGE for name in _TOKENS}}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _plan(query: MetricQuery) -> tuple[str | None, list[Any], Reader]:
    """The SQL that reads the query's rows, its parameters, and how a row becomes a group
    key and a value (None: the row is left out). None for SQL: no row can match."""
    scope = _scope(query)
    if scope is None:
        return None, [], _nothing
    view, metric = query.view, query.metric
    source, where, params, time_column = scope.source, scope.where, scope.params, scope.time_column
    columns: list[str] = []
    columns.append(time_column if query.interval_ms else "NULL")
    dimension_reads: list[Callable[[Row, SpanContent | None], Any]] = []
    for dimension in query.dimensions:
        column, getter = _dimension(dimension, len(columns))
        if column is not None:
            columns.append(column)
            where.append(f"{column} IS NOT NULL")
        dimension_reads.append(getter)
    value_at = len(columns)
    value_columns, value_read = _value(view, metric, value_at, where)
    columns += value_columns
    needs_content = view == "SPANS" and (
        metric in _COSTS or any(d in _MODEL_DIMENSIONS for d in query.dimensions)
    )
    content_at = len(columns)
    if needs_content:
        columns += ["s.content", "t.trace_id"]
    elif view == "ASSESSMENTS":
        columns.append("a.content")

    interval = query.interval_ms
    span_ns = view == "SPANS"

    def read(row: Row) -> tuple[tuple[Any, ...], Any] | None:
        content = SpanContent(row, content_at) if needs_content else None
        key: list[Any] = []
        if interval:  # the bucket's start (ms); a span's start time is in nanoseconds
            divisor = interval * _NS_PER_MS if span_ns else interval
            key.append((row[0] // divisor) * interval)
        for getter in dimension_reads:
            found = getter(row, content)
            if found is None:
                return None
            key.append(found)
        value = value_read(row, content)
        if value is None:
            return None
        return tuple(key), value

    sql = f"SELECT {', '.join(columns)} FROM {source} WHERE {' AND '.join(where)}"
    return sql, params, read


def _nothing(row: Row) -> None:
    return None


class SpanContent:
    """A span's attributes as the sender set them (the stock client sends plain values: a
    model name as a string, a cost as a key-value list), decoded from the stored content
    when first asked for."""

    def __init__(self, row: Row, at: int) -> None:
        self.row, self.at = row, at
        self._attributes: dict[str, Any] | None = None

    def attribute(self, name: str) -> Any:
        if self._attributes is None:
            raw = self.row[self.at]
            if raw is None:
                self._attributes = {}
            else:
                data = msgspec.json.decode(unpack(raw, self.row[self.at + 1]))
                self._attributes = {
                    item.get("key"): proto_json_value(item.get("value") or {})
                    for item in data.get("attributes") or []
                }
        return self._attributes.get(name)

    def model(self, name: str) -> str | None:
        value = self.attribute(name)
        return value[:MODEL_LENGTH] if isinstance(value, str) else None


def _json_object(value: Any) -> Any:
    """A value sent as JSON text (as older senders write attributes) decoded; others as sent."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _filter_sql(item: MetricFilter) -> tuple[str, list[Any]]:
    if item.view == "span":
        return f"s.{item.entity} = ?", [item.value]
    if item.view == "assessment":
        return ("a.name = ?" if item.entity == "name" else "a.kind = ?"), [item.value]
    if item.entity == "status":
        return "t.state = ?", [item.value]
    table = "trace_tags" if item.entity == "tag" else "trace_metadata"
    exists = (
        f"EXISTS (SELECT 1 FROM {table} x WHERE x.trace_key = t.id AND x.key = ? AND x.value = ?)"
    )
    if item.entity == "metadata" and item.key == SOURCE_RUN:
        # The run that made the trace, or one it was linked to, as trace search has it.
        return (
            f"({exists} OR EXISTS (SELECT 1 FROM trace_runs l WHERE l.trace_key = t.id "
            "AND l.run_id = ?))",
            [item.key, item.value, item.value],
        )
    return exists, [item.key, item.value]


def _dimension(name: str, at: int) -> tuple[str | None, Callable[[Row, SpanContent | None], Any]]:
    """The column a dimension reads (None: read in Python) and how a row gives its value."""
    if name in _SQL_DIMENSIONS:
        return _SQL_DIMENSIONS[name], lambda row, content: row[at]
    if name == "span_model_name":
        return None, lambda row, content: content.model("mlflow.llm.model") if content else None
    if name == "span_model_provider":
        return None, lambda row, content: content.model("mlflow.llm.provider") if content else None
    # assessment_value: the value's JSON, as mlflow server keeps it
    return None, lambda row, content: _assessment_json(row[-1])


def _assessment_json(content: str) -> str:
    stored = json.loads(content)
    kind = (
        "expectation"
        if stored.get("expectation")
        else "issue"
        if stored.get("issue")
        else "feedback"
    )
    if kind == "issue":
        return json.dumps(stored.get("issue"))
    return json.dumps(assessment_value(content, kind))


def _assessment_number(content: str) -> float | None:
    """An assessment's value as a number for aggregation, as MLflow reduces it: numbers,
    booleans as 1 or 0, "yes" / "no" as 1 or 0; anything else has none."""
    stored = json.loads(content)
    if stored.get("issue"):
        return None
    value = assessment_value(content, "expectation" if stored.get("expectation") else "feedback")
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return 1.0 if value.strip().lower() == "yes" else 0.0
    return None


def _value(
    view: str, metric: str, at: int, where: list[str]
) -> tuple[list[str], Callable[[Row, SpanContent | None], Any]]:
    """The columns a metric's value reads (appending the SQL conditions that leave rows
    without one out) and how a row gives the value."""
    if metric in ("trace_count", "span_count", "assessment_count"):
        return [], lambda row, content: 1.0
    if view == "TRACES":
        if metric == "latency":
            where.append("t.execution_ms IS NOT NULL")
            return ["t.execution_ms"], lambda row, content: float(row[at])
        if metric == "session_count":
            where.append("tm.value IS NOT NULL")  # tm: joined in _scope
            return ["tm.value"], lambda row, content: row[at]
        where.append("tm.value IS NOT NULL")
        return ["tm.value"], lambda row, content: _token_count(row[at], metric)
    if view == "SPANS":
        if metric == "latency":
            where.append("s.end_ns IS NOT NULL")
            return ["s.start_ns", "s.end_ns"], lambda row, content: float(
                (row[at + 1] - row[at]) // _NS_PER_MS
            )
        return [], lambda row, content: _span_cost(content, metric)
    return [], lambda row, content: _assessment_number(row[-1])


def _token_count(usage: str, key: str) -> float | None:
    try:
        counts = json.loads(usage)
    except ValueError:
        return None
    value = counts.get(key) if isinstance(counts, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return float(value)


def _span_cost(content: SpanContent | None, key: str) -> float | None:
    cost = _json_object(content.attribute("mlflow.llm.cost")) if content else None
    value = cost.get(key) if isinstance(cost, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


# --- filter correlation ---------------------------------------------------------------------

JEFFREYS_PRIOR = 0.5  # the smoothing mlflow server adds to each cell


@dataclass(frozen=True)
class Correlation:
    npmi: float
    npmi_smoothed: float
    filter1_count: int
    filter2_count: int
    joint_count: int
    total_count: int

    def answer(self) -> dict[str, Any]:
        """CalculateTraceFilterCorrelation.Response: an undefined (NaN) score left out."""
        found: dict[str, Any] = {}
        if not math.isnan(self.npmi):
            found["npmi"] = self.npmi
        if not math.isnan(self.npmi_smoothed):
            found["npmi_smoothed"] = self.npmi_smoothed
        return {
            **found,
            "filter1_count": self.filter1_count,
            "filter2_count": self.filter2_count,
            "joint_count": self.joint_count,
            "total_count": self.total_count,
        }


def correlation(both: int, first: int, second: int, total: int) -> Correlation:
    """The normalized pointwise mutual information of two filters over `total` traces, as
    mlflow server defines it: undefined (NaN) without traces or when a filter matches none;
    -1 when both match some but never together; and a version smoothed by a Jeffreys prior."""
    counts = (first, second, both, total)
    nan = float("nan")
    if total <= 0 or first == 0 or second == 0:
        return Correlation(nan, nan, *counts)
    cells = (both, first - both, second - both, total - first - second + both)
    if min(cells) < 0:
        return Correlation(nan, nan, *counts)
    plain = -1.0 if both == 0 else _npmi(*cells, smoothing=0.0)
    return Correlation(plain, _npmi(*cells, smoothing=JEFFREYS_PRIOR), *counts)


def _npmi(both: float, only_first: float, only_second: float, neither: float, smoothing: float):
    n11, n10, n01, n00 = (cell + smoothing for cell in (both, only_first, only_second, neither))
    total = n11 + n10 + n01 + n00
    first, second = n11 + n10, n11 + n01
    if first <= 0 or second <= 0 or n11 <= 0:
        return float("nan")
    if only_first == 0 and only_second == 0 and neither == 0:
        return 1.0  # always together
    pmi = math.log(n11) + math.log(total) - math.log(first) - math.log(second)
    score = pmi / -(math.log(n11) - math.log(total))
    return max(-1.0, min(1.0, score))
