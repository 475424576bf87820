"""Searching traces: MLflow's trace filter grammar (trace attributes, tags, request metadata,
the run a trace belongs to, its spans' names, types and statuses) and order_by, paged by
keyset tokens (the last trace's sort values), so a deep page costs what the first does.

The default order, newest first, walks the `traces_by_experiment` index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..errors import invalid
from ..messages.traces import TraceInfoV3
from ..paging import decode_keyset, encode_keyset
from ..search.grammar import Clause, OrderKey
from .db import Database, Dialect, placeholders
from .search_sql import Query, SortTerm, compare, key_value_exists, keyset_condition
from .trace_infos import TRACE_COLUMNS, infos_of_rows

_COLUMNS = {
    "timestamp_ms": ("t.request_time", "int"),
    "execution_time_ms": ("COALESCE(t.execution_ms, -1)", "int"),
    "end_time_ms": ("t.request_time + COALESCE(t.execution_ms, 0)", "int"),
    "status": ("t.state", "str"),
    "request_id": ("t.trace_id", "str"),
    "client_request_id": ("COALESCE(t.client_request_id, '')", "str"),
    "experiment_id": ("t.experiment_id", "int"),
}
# Filters compare the stored value itself: a trace without a client request id matches
# no comparison, as in SQL.
_FILTER_COLUMNS = {
    **{key: sql for key, (sql, _) in _COLUMNS.items()},
    "execution_time_ms": "t.execution_ms",
    "end_time_ms": "t.request_time + t.execution_ms",
    "client_request_id": "t.client_request_id",
}
TRACE_NAME = "mlflow.traceName"
SOURCE_RUN = "mlflow.sourceRun"
_SPAN_COLUMNS = {"name": "s.name", "type": "s.type", "status": "s.status"}
_DEFAULT_ORDER = [OrderKey("attribute", "timestamp_ms", False)]
_TIE = SortTerm("t.trace_id", True, "str", nullable=False)


class TraceSearch:
    def __init__(self, db: Database) -> None:
        self.db = db

    def search(
        self,
        experiment_ids: Sequence[int],
        clauses: Sequence[Clause],
        order_by: Sequence[OrderKey],
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[TraceInfoV3], str | None]:
        """A page of the experiments' traces that pass every clause, and the next page's
        token if there is one."""
        if not experiment_ids:
            return [], None
        dialect = self.db.dialect
        query = Query()
        query.add_where(
            f"t.experiment_id IN ({placeholders(len(experiment_ids))})", *experiment_ids
        )
        for clause in clauses:
            _filter(clause, dialect, query)
        terms = _terms(order_by or _DEFAULT_ORDER)
        if page_token:
            _, after = decode_keyset(page_token, [[(term.kind, False) for term in terms]])
            condition, params = keyset_condition(terms, after)
            query.add_where(f"({condition})", *params)
        order = ", ".join(f"{term.sql} {'ASC' if term.ascending else 'DESC'}" for term in terms)
        values = ", ".join(f"{term.sql} AS o{index}" for index, term in enumerate(terms))
        with self.db.read() as tx:
            rows = tx.all(
                f"SELECT {TRACE_COLUMNS}, {values} FROM traces t WHERE {query.where_sql()} "
                f"ORDER BY {order} LIMIT ?",
                [*query.params, max_results + 1],
            )
            infos = infos_of_rows(tx, rows[:max_results])
        token = None
        if len(rows) > max_results:
            token = encode_keyset(0, list(rows[max_results - 1][-len(terms) :]))
        return infos, token


def _literal(text: str) -> str:
    """A key as an SQL string literal: sort terms are repeated in keyset conditions, which
    keeps them free of placeholders."""
    return "'" + text.replace("'", "''") + "'"


def _keyed_value(table: str, key: str) -> str:
    return (
        f"COALESCE((SELECT x.value FROM {table} x WHERE x.trace_key = t.id "
        f"AND x.key = {_literal(key)}), '')"
    )


def _terms(order_by: Sequence[OrderKey]) -> list[SortTerm]:
    terms = []
    for key in order_by:
        if key.entity == "tag" or (key.entity, key.key) == ("attribute", "name"):
            name = TRACE_NAME if key.entity == "attribute" else key.key
            terms.append(SortTerm(_keyed_value("trace_tags", name), key.ascending, "str", False))
        elif key.entity == "request_metadata" or key.key == "run_id":
            name = SOURCE_RUN if key.entity == "attribute" else key.key
            sql = _keyed_value("trace_metadata", name)
            terms.append(SortTerm(sql, key.ascending, "str", False))
        else:
            sql, kind = _COLUMNS[key.key]
            terms.append(SortTerm(sql, key.ascending, kind, False))
    if all(term.sql != _TIE.sql for term in terms):
        # Ties go the first key's way, so the default order (newest first) walks the
        # (experiment, time, trace id) index backwards instead of sorting the experiment.
        terms.append(replace(_TIE, ascending=terms[0].ascending))
    return terms


def _filter(clause: Clause, dialect: Dialect, query: Query) -> None:
    if clause.entity == "tag":
        key_value_exists("trace_tags", "x.trace_key = t.id", clause, dialect, query)
    elif clause.entity == "request_metadata":
        key_value_exists("trace_metadata", "x.trace_key = t.id", clause, dialect, query)
    elif clause.entity == "span":
        column = _SPAN_COLUMNS.get(clause.key)
        if column is None:
            raise invalid(
                f"Invalid span attribute '{clause.key}': use one of {sorted(_SPAN_COLUMNS)}."
            )
        condition, params = compare(dialect, column, clause.comparator, clause.value)
        query.add_where(
            f"EXISTS (SELECT 1 FROM spans s WHERE s.trace_key = t.id AND {condition})", *params
        )
    elif clause.key == "name":
        tag = replace(clause, entity="tag", key=TRACE_NAME)
        key_value_exists("trace_tags", "x.trace_key = t.id", tag, dialect, query)
    elif clause.key == "run_id":
        _run_filter(clause, dialect, query)
    else:
        column = _FILTER_COLUMNS[clause.key]
        condition, params = compare(dialect, column, clause.comparator, clause.value)
        query.add_where(condition, *params)


def _run_filter(clause: Clause, dialect: Dialect, query: Query) -> None:
    """A trace belongs to a run that made it (metadata mlflow.sourceRun) or that it was
    linked to (link-to-run, the OTLP run header)."""
    made, made_params = compare(dialect, "x.value", clause.comparator, clause.value)
    linked, linked_params = compare(dialect, "l.run_id", clause.comparator, clause.value)
    query.add_where(
        "(EXISTS (SELECT 1 FROM trace_metadata x WHERE x.trace_key = t.id AND x.key = ? "
        f"AND {made}) OR EXISTS (SELECT 1 FROM trace_runs l WHERE l.trace_key = t.id "
        f"AND {linked}))",
        SOURCE_RUN,
        *made_params,
        *linked_params,
    )
