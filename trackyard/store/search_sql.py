"""Compiling parsed search clauses and order keys into SQL for the tracking schema."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..search.grammar import Clause, OrderKey
from .db import Dialect, placeholders

RUN_COLUMNS = {
    "run_id": "r.run_uuid",
    "run_name": "r.name",
    "status": "r.status",
    "user_id": "r.user_id",
    "artifact_uri": "r.artifact_uri",
    "start_time": "r.start_time",
    "end_time": "r.end_time",
}
EXPERIMENT_COLUMNS = {
    "name": "e.name",
    "experiment_id": "e.experiment_id",
    "creation_time": "e.creation_time",
    "last_update_time": "e.last_update_time",
}
DATASET_CONTEXT_TAG = "mlflow.data.context"

KeyIds = Callable[[str], "int | None"]


@dataclass(frozen=True)
class Probe:
    """A filter on one of the run's own keyed rows: its latest metric, param or tag of one key,
    of which a run has at most one. Tested as EXISTS for the run, or, where a walk of another
    key's entries drives the plan, joined to each entry ahead of the run itself."""

    table: str
    key_column: str
    key: Any
    test: Callable[[str], tuple[str | None, list[Any]]]  # the value column -> condition

    def condition(self, alias: str, run_id: str) -> tuple[str, list[Any]]:
        """The row `alias` is this run's row of the key and passes the test."""
        test, params = self.test(f"{alias}.value")
        parts = [f"{alias}.run_id = {run_id}", f"{alias}.{self.key_column} = ?"]
        return " AND ".join([*parts, *([test] if test else [])]), [self.key, *params]


# A caller's read condition (trackyard/access/): the SQL key expression of the searched rows'
# experiment or registered model in, a condition and its parameters out.
Visible = Callable[[str], tuple[str, list[Any]]]


def restrict(query: Query, visible: Visible | None, key_sql: str) -> None:
    """Keep the search to rows the caller may read, in SQL, so paging counts only those."""
    if visible is not None:
        condition, params = visible(key_sql)
        query.add_where(condition, *params)


@dataclass
class Query:
    """SQL fragments with their parameters, kept in the order they appear in the statement:
    joins, then the WHERE conditions, then the probes (as EXISTS conditions)."""

    joins: list[str] = field(default_factory=list)
    join_params: list[Any] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    where_params: list[Any] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)

    def add_where(self, sql: str, *params: Any) -> None:
        self.where.append(sql)
        self.where_params.extend(params)

    @property
    def params(self) -> list[Any]:
        return [*self.join_params, *self.filter_params(probes=True)]

    def filter_params(self, probes: bool) -> list[Any]:
        """The parameters of `where_sql(probes)`."""
        tested = [self._exists(probe)[1] for probe in self.probes] if probes else []
        return [*self.where_params, *(param for params in tested for param in params)]

    def where_sql(self, probes: bool = True) -> str:
        tested = [self._exists(probe)[0] for probe in self.probes] if probes else []
        return " AND ".join([*self.where, *tested]) or "1 = 1"

    @staticmethod
    def _exists(probe: Probe) -> tuple[str, list[Any]]:
        condition, params = probe.condition("x", "r.id")
        return f"EXISTS (SELECT 1 FROM {probe.table} x WHERE {condition})", params


def compare(dialect: Dialect, column: str, comparator: str, value: Any) -> tuple[str, list[Any]]:
    """One comparison of a column with a literal, for any comparator the grammar allows."""
    if comparator == "LIKE":
        return dialect.like(column), [value]
    if comparator == "ILIKE":
        return dialect.ilike(column), [value]
    if comparator == "RLIKE":
        return dialect.regex(column), [value]
    if comparator in ("IN", "NOT IN"):
        return f"{column} {comparator} ({placeholders(len(value))})", list(value)
    if comparator == "IS NULL":
        return f"{column} IS NULL", []
    if comparator == "IS NOT NULL":
        return f"{column} IS NOT NULL", []
    return f"{column} {comparator} ?", [value]


def key_value_exists(table: str, owner: str, clause: Clause, dialect: Dialect, query: Query):
    """Key-value rows of an owner: the key must exist (IS NULL asks that it does not)."""
    if clause.comparator == "IS NULL":
        query.add_where(
            f"NOT EXISTS (SELECT 1 FROM {table} x WHERE {owner} AND x.key = ?)", clause.key
        )
        return
    if clause.comparator == "IS NOT NULL":
        query.add_where(f"EXISTS (SELECT 1 FROM {table} x WHERE {owner} AND x.key = ?)", clause.key)
        return
    condition, params = compare(dialect, "x.value", clause.comparator, clause.value)
    query.add_where(
        f"EXISTS (SELECT 1 FROM {table} x WHERE {owner} AND x.key = ? AND {condition})",
        clause.key,
        *params,
    )


def _key_value_filter(table: str, clause: Clause, dialect: Dialect, query: Query) -> None:
    """A run's params and tags: the key must exist (IS NULL asks that it does not)."""
    if clause.comparator == "IS NULL":
        key_value_exists(table, "x.run_id = r.id", clause, dialect, query)
        return

    def test(column: str) -> tuple[str | None, list[Any]]:
        if clause.comparator == "IS NOT NULL":
            return None, []
        return compare(dialect, column, clause.comparator, clause.value)

    query.probes.append(Probe(table, "key", clause.key, test))


def _metric_filter(clause: Clause, dialect: Dialect, key_id: KeyIds, query: Query) -> None:
    metric_key = key_id(clause.key)
    if metric_key is None:
        query.add_where("1 = 0")
        return

    def test(column: str) -> tuple[str | None, list[Any]]:
        return f"{dialect.is_number(column)} AND {column} {clause.comparator} ?", [clause.value]

    query.probes.append(Probe("latest_metrics", "key_id", metric_key, test))


def run_filters(clauses: Sequence[Clause], dialect: Dialect, key_id: KeyIds, query: Query):
    for clause in clauses:
        if clause.entity == "metric":
            _metric_filter(clause, dialect, key_id, query)
        elif clause.entity == "param":
            _key_value_filter("run_params", clause, dialect, query)
        elif clause.entity == "tag":
            _key_value_filter("run_tags", clause, dialect, query)
        elif clause.entity == "dataset":
            _dataset_filter(clause, dialect, query)
        else:
            condition, params = compare(
                dialect, RUN_COLUMNS[clause.key], clause.comparator, clause.value
            )
            query.add_where(condition, *params)


def _dataset_filter(clause: Clause, dialect: Dialect, query: Query) -> None:
    if clause.key == "context":
        condition, params = compare(dialect, "t.value", clause.comparator, clause.value)
        query.add_where(
            "EXISTS (SELECT 1 FROM run_input_tags t WHERE t.run_id = r.id AND t.key = ? "
            f"AND {condition})",
            DATASET_CONTEXT_TAG,
            *params,
        )
        return
    condition, params = compare(dialect, f"d.{clause.key}", clause.comparator, clause.value)
    query.add_where(
        "EXISTS (SELECT 1 FROM run_inputs i JOIN datasets d ON d.id = i.dataset_id "
        f"WHERE i.run_id = r.id AND {condition})",
        *params,
    )


def direction(ascending: bool) -> str:
    return "ASC" if ascending else "DESC"


def missing_flag(missing: str) -> str:
    """An ORDER BY term that puts the rows where `missing` holds after the others."""
    return f"CASE WHEN {missing} THEN 1 ELSE 0 END"


def nulls_last(value: str, ascending: bool) -> str:
    """ORDER BY `value` with missing (NULL) values last in both directions, as MLflow orders:
    NULL's own place differs between SQLite and PostgreSQL."""
    return f"{missing_flag(f'{value} IS NULL')}, {value} {direction(ascending)}"


@dataclass(frozen=True)
class SortTerm:
    """One ORDER BY term of a runs search; `kind` types its value in keyset page tokens."""

    sql: str
    ascending: bool
    kind: str  # "int", "str" or "float"
    nullable: bool = True


@dataclass
class Segment:
    """The runs sharing the first order key's missing (and NaN) flags, ordered by `terms`.

    With the flags moved from ORDER BY into WHERE, each segment orders by plain columns, so
    the planner can walk an index in that order and stop after one page.
    """

    condition: str | None
    terms: list[SortTerm]
    walk: Walk | None = None


@dataclass(frozen=True)
class Walk:
    """The first order key's own rows (`table` o0 where o0.`key_column` = `key`), whose
    (key, value) index lists the segment's runs in order: search can walk it instead of
    sorting every matching run."""

    table: str
    key_column: str
    key: Any


@dataclass
class _KeyOrder:
    """An order key as SQL: conditions for its missing groups (outermost first), each paired
    with its negation, and the value term that orders the rest."""

    missing: list[tuple[str, str]]
    value: SortTerm
    walk: Walk | None = None

    def terms(self) -> list[SortTerm]:
        """As a later key: flags, then the value (constant within a flagged group)."""
        flags = [SortTerm(missing_flag(miss), True, "int", False) for miss, _ in self.missing]
        return [*flags, self.value]

    def segments(self, tail: list[SortTerm]) -> list[Segment]:
        """As the first key: its groups in MLflow's order, each a segment."""
        present = " AND ".join(has for _, has in self.missing)
        value = replace(self.value, nullable=False)  # numbers only: never NULL or NaN
        segments = [Segment(present, [value, *tail], self.walk)]
        for index in reversed(range(len(self.missing))):
            outer = [has for _, has in self.missing[:index]]
            segments.append(Segment(" AND ".join([*outer, self.missing[index][0]]), tail))
        return segments


def _order_key(
    index: int, key: OrderKey, dialect: Dialect, key_id: KeyIds, query: Query
) -> _KeyOrder:
    if key.entity == "attribute":
        column = RUN_COLUMNS[key.key]
        kind = "int" if key.key in ("start_time", "end_time") else "str"
        return _KeyOrder(_null(column), SortTerm(column, key.ascending, kind))
    alias = f"o{index}"
    value = f"{alias}.value"
    if key.entity == "metric":
        query.joins.append(
            f"LEFT JOIN latest_metrics {alias} ON {alias}.run_id = r.id AND {alias}.key_id = ?"
        )
        metric_key = key_id(key.key) or -1
        query.join_params.append(metric_key)
        number = dialect.is_number(value)
        # MLflow's order: numbers, then NaN, then runs without the metric (both directions).
        missing = [*_null(f"{alias}.run_id"), (f"NOT ({number})", number)]
        walk = Walk("latest_metrics", "key_id", metric_key)
        return _KeyOrder(missing, SortTerm(value, key.ascending, "float"), walk)
    table = "run_params" if key.entity == "param" else "run_tags"
    query.joins.append(f"LEFT JOIN {table} {alias} ON {alias}.run_id = r.id AND {alias}.key = ?")
    query.join_params.append(key.key)
    return _KeyOrder(
        _null(value), SortTerm(value, key.ascending, "str"), Walk(table, "key", key.key)
    )


def _null(column: str) -> list[tuple[str, str]]:
    return [(f"{column} IS NULL", f"{column} IS NOT NULL")]


def run_ordering(
    order_by: Sequence[OrderKey], dialect: Dialect, key_id: KeyIds, query: Query
) -> list[Segment]:
    """MLflow's order: the given keys with missing values last, then newest first, then id."""
    keys = [_order_key(i, key, dialect, key_id, query) for i, key in enumerate(order_by)]
    tail = [term for key in keys[1:] for term in key.terms()]
    if not any(k.entity == "attribute" and k.key == "start_time" for k in order_by):
        tail.append(SortTerm("r.start_time", False, "int", False))
    tail.append(SortTerm("r.run_uuid", True, "str", False))
    if not keys:
        return [Segment(None, tail)]
    return keys[0].segments(tail)


def token_kinds(order_by: Sequence[OrderKey], dialect: Dialect) -> list[list[tuple[str, bool]]]:
    """Per segment, each sort term's kind and whether it may be None: what a token holds."""
    segments = run_ordering(order_by, dialect, lambda key: None, Query())
    return [[(term.kind, term.nullable) for term in segment.terms] for segment in segments]


def keyset_condition(terms: Sequence[SortTerm], values: Sequence[Any]) -> tuple[str, list[Any]]:
    """Rows strictly after `values` in the order of `terms`: t1 >= a AND (t1 > a OR ...).

    A None value belongs to a term that is constant within its group (NULL or NaN behind an
    equal flag), so it is left out. The leading range lets the planner seek in an index.
    """
    sql, params = "", []
    for term, value in reversed(list(zip(terms, values, strict=True))):
        if value is None:
            continue
        op = ">" if term.ascending else "<"
        if not sql:
            sql, params = f"{term.sql} {op} ?", [value]
            continue
        sql = f"{term.sql} {op}= ? AND ({term.sql} {op} ? OR {sql})"
        params = [value, value, *params]
    return sql or "1 = 0", params


def experiment_filters(clauses: Sequence[Clause], dialect: Dialect, query: Query) -> None:
    for clause in clauses:
        if clause.entity == "tag":
            key_value_exists(
                "experiment_tags", "x.experiment_id = e.experiment_id", clause, dialect, query
            )
            continue
        column, value = EXPERIMENT_COLUMNS[clause.key], clause.value
        if clause.key == "experiment_id":
            if clause.comparator in ("LIKE", "ILIKE"):
                column = "CAST(e.experiment_id AS VARCHAR(20))"
            else:
                value = _experiment_ids(value)
        condition, params = compare(dialect, column, clause.comparator, value)
        query.add_where(condition, *params)


def is_id(text: object) -> bool:
    """A decimal id that fits the 64-bit integer column (anything else names nothing)."""
    return str(text).isascii() and str(text).isdigit() and int(str(text)) < 2**63


def _experiment_ids(value: Any) -> Any:
    """Experiment ids are strings on the wire and integers in the table."""
    if isinstance(value, tuple):
        return tuple(int(v) if is_id(v) else -1 for v in value)
    return int(value) if isinstance(value, str) and is_id(value) else -1


def experiment_ordering(order_by: Sequence[OrderKey], query: Query) -> None:
    keys = [key.key for key in order_by]
    for key in order_by:
        query.order.append(nulls_last(EXPERIMENT_COLUMNS[key.key], key.ascending))
    if "creation_time" not in keys and not keys:
        query.order.append("e.creation_time DESC")
    if "experiment_id" not in keys:
        query.order.append("e.experiment_id ASC")
