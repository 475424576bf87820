"""Searching traces: MLflow's trace filter grammar (trace attributes, tags, request metadata,
the run a trace belongs to, its spans' names, types, statuses, attributes and text, its
assessments) and order_by, paged by keyset tokens (the last trace's sort values), so a deep
page costs what the first does.

The default order, newest first with ties by trace id, is the `traces_by_experiment` index's
own order (migration 0008). Clauses on what SQL cannot read (span content, assessment
values: `trace_match`) are tested in Python on the candidates the rest of the filter lets
through, read in order a chunk at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ..errors import invalid
from ..messages.traces import TraceInfoV3
from ..paging import decode_keyset, encode_keyset
from ..search.grammar import Clause, OrderKey
from .db import Database, Dialect, Row, Tx, chunks, placeholders
from .search_sql import Query, SortTerm, compare, key_value_exists, keyset_condition
from .trace_infos import TRACE_COLUMNS, infos_of_rows
from .trace_match import (
    CONTENT,
    SPAN_COLUMNS,
    SpanView,
    assessment_test,
    needs_content,
    span_key,
    span_test,
)

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
LINKED_PROMPTS = "mlflow.linkedPrompts"  # a JSON list of {"name", "version"}
SESSION = "mlflow.trace.session"
# How a session's key reads in a stored assessment's JSON (its metadata).
_SESSION_LIKE = f'%"{SESSION}":%'
_DEFAULT_ORDER = [OrderKey("attribute", "timestamp_ms", False)]
_TIE = SortTerm("t.trace_id", True, "str", nullable=False)


# Candidate traces read at a time when part of the filter is tested in Python.
SCAN_CHUNK = 500
# A test of candidate trace rows (TRACE_COLUMNS first) in Python: the keys that pass.
Check = Callable[[Tx, Sequence[Row]], set[int]]


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
        query = _scoped(experiment_ids)
        checks = _filters(clauses, self.db.dialect, query, experiment_ids)
        terms = _terms(order_by or _DEFAULT_ORDER)
        after = None
        if page_token:
            _, after = decode_keyset(page_token, [[(term.kind, False) for term in terms]])
        with self.db.read() as tx:
            if checks:
                rows = _scan(tx, query, terms, after, max_results + 1, checks)
            else:
                rows = _page(tx, query, terms, after, max_results + 1)
            infos = infos_of_rows(tx, rows[:max_results])
        token = None
        if len(rows) > max_results:
            token = encode_keyset(0, list(rows[max_results - 1][-len(terms) :]))
        return infos, token

    def keys(self, experiment_ids: Sequence[int], clauses: Sequence[Clause]) -> set[int]:
        """The keys of the experiments' traces that pass every clause (unordered)."""
        if not experiment_ids:
            return set()
        query = _scoped(experiment_ids)
        checks = _filters(clauses, self.db.dialect, query, experiment_ids)
        where, params = query.where_sql(), query.params
        with self.db.read() as tx:
            if not checks:
                return {
                    key for (key,) in tx.all(f"SELECT t.id FROM traces t WHERE {where}", params)
                }
            found: set[int] = set()
            after = -1
            while True:
                rows = tx.all(
                    f"SELECT t.id, t.trace_id FROM traces t WHERE {where} AND t.id > ? "
                    "ORDER BY t.id LIMIT ?",
                    [*params, after, SCAN_CHUNK],
                )
                passing = {row[0] for row in rows}
                for check in checks:
                    passing &= check(tx, [r for r in rows if r[0] in passing]) if passing else set()
                found |= passing
                if len(rows) < SCAN_CHUNK:
                    return found
                after = rows[-1][0]

    def count(self, experiment_ids: Sequence[int], clauses: Sequence[Clause]) -> int:
        """How many of the experiments' traces pass every clause."""
        if not experiment_ids:
            return 0
        query = _scoped(experiment_ids)
        if _filters(clauses, self.db.dialect, query, experiment_ids):
            return len(self.keys(experiment_ids, clauses))
        with self.db.read() as tx:
            return int(
                tx.scalar(f"SELECT COUNT(*) FROM traces t WHERE {query.where_sql()}", query.params)
            )


def _scoped(experiment_ids: Sequence[int]) -> Query:
    query = Query()
    query.add_where(f"t.experiment_id IN ({placeholders(len(experiment_ids))})", *experiment_ids)
    return query


def _page(
    tx: Tx, query: Query, terms: Sequence[SortTerm], after: list[Any] | None, limit: int
) -> list[Row]:
    """Up to `limit` trace rows that pass the query, in the order of `terms`, after the
    sort values `after`: TRACE_COLUMNS, then the sort values."""
    where, params = query.where_sql(), query.params
    if after is not None:
        condition, after_params = keyset_condition(terms, after)
        where, params = f"{where} AND ({condition})", [*params, *after_params]
    order = ", ".join(f"{term.sql} {'ASC' if term.ascending else 'DESC'}" for term in terms)
    values = ", ".join(f"{term.sql} AS o{index}" for index, term in enumerate(terms))
    return tx.all(
        f"SELECT {TRACE_COLUMNS}, {values} FROM traces t WHERE {where} ORDER BY {order} LIMIT ?",
        [*params, limit],
    )


def _scan(
    tx: Tx,
    query: Query,
    terms: Sequence[SortTerm],
    after: list[Any] | None,
    limit: int,
    checks: Sequence[Check],
) -> list[Row]:
    """`_page` for a filter partly tested in Python: candidates are read in chunks, in
    order, until `limit` pass or none are left."""
    found: list[Row] = []
    while len(found) < limit:
        rows = _page(tx, query, terms, after, max(limit, SCAN_CHUNK))
        passing = {row[0] for row in rows}
        for check in checks:
            passing &= check(tx, [row for row in rows if row[0] in passing]) if passing else set()
        found += [row for row in rows if row[0] in passing]
        if len(rows) < max(limit, SCAN_CHUNK):
            break
        after = list(rows[-1][-len(terms) :])
    return found[:limit]


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


def _filters(
    clauses: Sequence[Clause], dialect: Dialect, query: Query, experiment_ids: Sequence[int]
) -> list[Check]:
    """Add the clauses' SQL to the query; the tests left for Python. `experiment_ids` are
    the searched experiments, where a session's assessments are looked for."""
    checks: list[Check] = []
    spans = []
    for clause in clauses:
        if clause.entity == "span":
            spans.append(replace(clause, key=span_key(clause)))
        elif clause.entity == "attribute" and clause.key == "text":
            spans.append(replace(clause, entity="span", key=CONTENT))
        elif clause.entity in ("feedback", "expectation"):
            checks += _assessment_filter(clause, query, experiment_ids)
        elif clause.entity == "issue":
            _issue_filter(clause, query)
        elif clause.entity == "attribute" and clause.key == "prompt":
            checks.append(_prompt_filter(clause, query))
        else:
            _filter(clause, dialect, query)
    if spans:
        checks += _span_filter(spans, dialect, query)
    return checks


def _filter(clause: Clause, dialect: Dialect, query: Query) -> None:
    if clause.entity == "tag":
        key_value_exists("trace_tags", "x.trace_key = t.id", clause, dialect, query)
    elif clause.entity == "request_metadata":
        key_value_exists("trace_metadata", "x.trace_key = t.id", clause, dialect, query)
    elif clause.key == "name":
        tag = replace(clause, entity="tag", key=TRACE_NAME)
        key_value_exists("trace_tags", "x.trace_key = t.id", tag, dialect, query)
    elif clause.key == "run_id":
        _run_filter(clause, dialect, query)
    else:
        column = _FILTER_COLUMNS[clause.key]
        condition, params = compare(dialect, column, clause.comparator, clause.value)
        query.add_where(condition, *params)


def _span_filter(clauses: Sequence[Clause], dialect: Dialect, query: Query) -> list[Check]:
    """A trace with a span that passes every span clause, as MLflow tests them: one span
    must pass them all. Name, type and status are columns, tested in SQL; attributes and
    text are in the span's content, tested in Python on the spans SQL lets through."""
    conditions, params = ["1 = 1"], []
    for clause in clauses:
        if not needs_content(clause):
            condition, more = compare(
                dialect, SPAN_COLUMNS[clause.key], clause.comparator, clause.value
            )
            conditions.append(condition)
            params += more
    columns = " AND ".join(conditions)
    if not any(needs_content(clause) for clause in clauses):
        query.add_where(
            f"EXISTS (SELECT 1 FROM spans s WHERE s.trace_key = t.id AND {columns})", *params
        )
        return []
    test = span_test(clauses)

    def check(tx: Tx, rows: Sequence[Row]) -> set[int]:
        trace_ids = {row[0]: row[1] for row in rows}
        passing = set()
        for batch in chunks(list(trace_ids)):
            for key, name, span_type, status, content in tx.all(
                "SELECT s.trace_key, s.name, s.type, s.status, s.content FROM spans s "
                f"WHERE s.trace_key IN ({placeholders(len(batch))}) AND {columns}",
                [*batch, *params],
            ):
                span = SpanView(name, span_type, status, content, trace_ids[key])
                if key not in passing and test(span):
                    passing.add(key)
        return passing

    return [check]


def _assessment_filter(clause: Clause, query: Query, experiment_ids: Sequence[int]) -> list[Check]:
    """Traces with a valid assessment of the kind and name whose value passes (MLflow's
    `feedback.<name>` / `expectation.<name>`); IS NULL: traces without one. An assessment
    of a session (its metadata names `mlflow.trace.session`) counts for every trace of that
    session in the searched experiments, as on mlflow server."""
    own = (
        "EXISTS (SELECT 1 FROM assessments a WHERE a.trace_key = t.id AND a.kind = ? "
        "AND a.name = ? AND a.valid = 1)"
    )
    marks = placeholders(len(experiment_ids))
    # Sessions with a session assessment of this kind and name (SQL narrows by the metadata
    # key's text; Python reads the metadata).
    session_assessments = (
        "FROM assessments a2 JOIN traces t2 ON t2.id = a2.trace_key "
        "JOIN trace_metadata m2 ON m2.trace_key = a2.trace_key AND m2.key = ? "
        f"WHERE t2.experiment_id IN ({marks}) AND a2.kind = ? AND a2.name = ? "
        "AND a2.valid = 1 AND a2.content LIKE ?"
    )
    session_params = [SESSION, *experiment_ids, clause.entity, clause.key, _SESSION_LIKE]
    in_session = (
        "EXISTS (SELECT 1 FROM trace_metadata m WHERE m.trace_key = t.id AND m.key = ? "
        f"AND m.value IN (SELECT m2.value {session_assessments}))"
    )
    any_params = [clause.entity, clause.key, SESSION, *session_params]
    if clause.comparator == "IS NULL":
        query.add_where(f"NOT {own} AND NOT {in_session}", *any_params)
        return []
    query.add_where(f"({own} OR {in_session})", *any_params)
    if clause.comparator == "IS NOT NULL":
        return []
    test = assessment_test(clause)
    sessions: list[set[str]] = []  # read once per search, on the first chunk

    def passing_sessions(tx: Tx) -> set[str]:
        if not sessions:
            found = set()
            for session, content in tx.all(
                f"SELECT m2.value, a2.content {session_assessments}", session_params
            ):
                if _of_session(content) and test(content):
                    found.add(session)
            sessions.append(found)
        return sessions[0]

    def check(tx: Tx, rows: Sequence[Row]) -> set[int]:
        keys = [row[0] for row in rows]
        passing = set()
        for batch in chunks(keys):
            for key, content in tx.all(
                "SELECT a.trace_key, a.content FROM assessments a "
                f"WHERE a.trace_key IN ({placeholders(len(batch))}) AND a.kind = ? "
                "AND a.name = ? AND a.valid = 1",
                [*batch, clause.entity, clause.key],
            ):
                if test(content):
                    passing.add(key)
        rest = [key for key in keys if key not in passing]
        if rest and passing_sessions(tx):
            matching = passing_sessions(tx)
            for batch in chunks(rest):
                for key, session in tx.all(
                    "SELECT trace_key, value FROM trace_metadata WHERE trace_key IN "
                    f"({placeholders(len(batch))}) AND key = ?",
                    [*batch, SESSION],
                ):
                    if session in matching:
                        passing.add(key)
        return passing

    return [check]


def _of_session(content: str) -> bool:
    """Whether a stored assessment belongs to a session (its metadata names one)."""
    metadata = json.loads(content).get("metadata") or {}
    return isinstance(metadata, dict) and SESSION in metadata


def _issue_filter(clause: Clause, query: Query) -> None:
    """`issue.id = '<id>'`: traces an issue assessment links to that issue (its name is the
    issue's id). MLflow takes `id` and `=` alone."""
    if clause.key != "id":
        raise invalid(f"Invalid issue attribute '{clause.key}'. Supported attributes: id.")
    query.add_where(
        "EXISTS (SELECT 1 FROM assessments a WHERE a.trace_key = t.id AND a.kind = 'issue' "
        "AND a.name = ?)",
        clause.value,
    )


def _prompt_filter(clause: Clause, query: Query) -> Check:
    """Traces linked to a prompt version, `prompt = 'name/version'` (MLflow takes `=`
    alone): the linked prompts tag must exist (SQL) and name it (Python, as it is JSON)."""
    value = str(clause.value)
    if clause.comparator != "=" or value.count("/") != 1:
        raise invalid(
            f"Invalid prompt filter '{clause.comparator} {value}': use prompt = 'name/version'."
        )
    query.add_where(
        "EXISTS (SELECT 1 FROM trace_tags x WHERE x.trace_key = t.id AND x.key = ?)",
        LINKED_PROMPTS,
    )

    def check(tx: Tx, rows: Sequence[Row]) -> set[int]:
        keys = [row[0] for row in rows]
        passing = set()
        for batch in chunks(keys):
            for key, linked in tx.all(
                f"SELECT trace_key, value FROM trace_tags WHERE trace_key IN "
                f"({placeholders(len(batch))}) AND key = ?",
                [*batch, LINKED_PROMPTS],
            ):
                if value in _prompt_versions(linked):
                    passing.add(key)
        return passing

    return check


def _prompt_versions(linked: str | None) -> set[str]:
    try:
        items = json.loads(linked or "[]")
    except ValueError:
        return set()
    if not isinstance(items, list):
        return set()
    return {f"{item.get('name')}/{item.get('version')}" for item in items if isinstance(item, dict)}


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
