"""Runs search: one page in MLflow's order, segment by segment (see search_sql.Segment), with
keyset page tokens, walking the first order key's value index where that beats sorting.
A page's rows stay tuples (the hot path), read through runs.RUN_COLUMNS' places."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..messages.tracking import Run
from ..paging import decode_keyset, encode_keyset
from ..search.grammar import Clause, OrderKey
from . import search_sql as q
from .db import Plan, Row, Statement, Tx, placeholders
from .lifecycle import LIFECYCLE_BY_VIEW
from .runs import RUN_COLUMNS, whole_runs
from .tracking_state import TrackingState

# Index entries a search ordered by a metric, param or tag walks before it falls back to
# sorting (at least; 8 per run of the page): enough for pages of runs that a filter matches
# one in a few, bounded so a search in a large database does not walk every run with that key.
# A search of no more runs than that reads each of them instead.
WALK_SPAN = 1000

Drive = Literal["key", "runs"]


class RunSearch:
    def __init__(self, state: TrackingState) -> None:
        self.db = state.db
        self.keys = state.keys
        self.large_scopes = state.large_scopes

    def search(
        self,
        experiment_ids: Sequence[str],
        clauses: Sequence[Clause],
        view_type: str,
        max_results: int,
        order_by: Sequence[OrderKey],
        page_token: str,
    ) -> tuple[list[Run], str | None]:
        """One page in MLflow's order, fetched segment by segment with keyset page tokens:
        each query walks its order and stops after the page, however many runs match or
        precede it."""
        segment, after = 0, None
        if page_token:
            segment, after = decode_keyset(page_token, q.token_kinds(order_by, self.db.dialect))
        scope = _scope(experiment_ids, view_type)
        if scope is None:
            return [], None
        with self.db.read_apart() as tx:
            query, key_ids = self._filtered(tx, scope, clauses, order_by)
            segments = q.run_ordering(order_by, self.db.dialect, key_ids.get, query)
            rows: list[tuple[int, Row]] = []
            for index in range(segment, len(segments)):
                limit = max_results + 1 - len(rows)
                found = self._segment_rows(tx, scope, query, segments[index], after, limit)
                rows += [(index, row) for row in found]
                if len(rows) > max_results:
                    break
                after = None
            runs = whole_runs(tx, self.keys, [row for _, row in rows[:max_results]])
        if len(rows) <= max_results:
            return runs, None
        last_segment, last = rows[max_results - 1]
        return runs, encode_keyset(last_segment, last[len(RUN_COLUMNS) :])

    def count(
        self, experiment_ids: Sequence[str], clauses: Sequence[Clause], view_type: str
    ) -> int:
        """How many runs `search` would page through: one COUNT with the same filters and
        no order, for a total the UI shows beside the pages it loads."""
        scope = _scope(experiment_ids, view_type)
        if scope is None:
            return 0
        with self.db.read() as tx:
            query, _ = self._filtered(tx, scope, clauses, ())
            sql = f"SELECT COUNT(*) FROM runs r {' '.join(query.joins)} WHERE {query.where_sql()}"
            return int(tx.scalar(sql, query.params))

    def _filtered(
        self, tx: Tx, scope: q.Query, clauses: Sequence[Clause], order_by: Sequence[OrderKey]
    ) -> tuple[q.Query, dict[str, int]]:
        """The searched runs with the filters applied, and the ids of the metric keys that
        the filters and the order name (a key never logged has none)."""
        metric_keys = [c.key for c in clauses if c.entity == "metric"]
        metric_keys += [o.key for o in order_by if o.entity == "metric"]
        key_ids = self.keys.ids(tx, metric_keys, create=False)
        query = q.Query(where=[*scope.where], where_params=[*scope.where_params])
        q.run_filters(clauses, self.db.dialect, key_ids.get, query)
        return query, key_ids

    def _segment_rows(
        self,
        tx: Tx,
        scope: q.Query,
        query: q.Query,
        segment: q.Segment,
        after: list | None,
        limit: int,
    ) -> list[Row]:
        """Run rows of one segment, each followed by its sort values (for the page token).

        A segment ordered by a metric, param or tag walks the next `span` entries of that
        key's value index in order (and any tied with the last), stopping once the page is
        full; only if they hold less than a page does the rest come from the planner's own
        plan. A search of at most `span` runs reads each of them instead (probing each for
        the filters and its sort value, then sorting the matches): that costs no more than
        the walk, and a walk of a key that many other runs share (a small experiment in a
        large database) finds few.
        """
        if segment.walk is None:
            return _select(tx, query, segment, after, limit)
        span = max(WALK_SPAN, 8 * limit)
        if self._covers_at_most(tx, scope, span):
            return _select(tx, query, segment, after, limit, drive="runs")
        return _walked_rows(tx, query, segment, after, limit, span)

    def _covers_at_most(self, tx: Tx, scope: q.Query, span: int) -> bool:
        """Whether the search covers at most `span` runs, counted up to one more. Ordered as
        their index is, so that a plan made for any experiment (a prepared query's) reads
        that index and stops there, rather than scanning every run for another experiment's.
        A scope found larger is remembered (see LargeScopes) and not counted again."""
        known = (span, *scope.where_params)
        if known in self.large_scopes:
            return False
        count = (
            f"SELECT COUNT(*) FROM (SELECT 1 FROM runs r WHERE {scope.where_sql()} "
            "ORDER BY r.experiment_id, r.lifecycle_stage, r.start_time LIMIT ?) AS s",
            [*scope.where_params, span + 1],
        )
        if tx.scalar(*count) <= span:
            return True
        self.large_scopes.add(known)
        return False


def _scope(experiment_ids: Sequence[str], view_type: str) -> q.Query | None:
    """The searched runs: experiments and lifecycle stages; None if no id names one."""
    experiment_keys = [int(e) for e in experiment_ids if q.is_id(e)]
    if not experiment_keys:
        return None
    scope = q.Query()
    stages = LIFECYCLE_BY_VIEW[view_type]
    scope.add_where(f"r.experiment_id IN ({placeholders(len(experiment_keys))})", *experiment_keys)
    scope.add_where(f"r.lifecycle_stage IN ({placeholders(len(stages))})", *stages)
    return scope


def _walked_rows(
    tx: Tx, query: q.Query, segment: q.Segment, after: list | None, limit: int, span: int
) -> list[Row]:
    """The segment's rows from a walk of up to `span` index entries of its first key, then,
    if those hold less than a page, the rest beyond the walk's edge by the planner's plan."""
    entries, params = _walk_entries(segment, after)
    walked = tx.dialect.first_with_ties(f"SELECT * {entries}")
    first = segment.terms[0]
    edge_query = (f"SELECT o0.value {entries} LIMIT 1 OFFSET ?", [*params, span - 1])
    if walked is None:  # bounded by the value `span` entries on, then walked to it
        edge = tx.scalar(*edge_query)
        within = "<=" if first.ascending else ">="
        bound = None if edge is None else (within, edge)  # None: walk all that is left
        rows = _select(tx, query, segment, after, limit, drive="key", bound=bound)
    else:  # walked only as far as the page takes; the edge matters only if that is all
        walk = (walked, [*params, span])
        rows = _select(tx, query, segment, after, limit, drive="key", entries=walk)
        edge = tx.scalar(*edge_query) if len(rows) < limit else None
    if edge is not None and len(rows) < limit:
        beyond = ">" if first.ascending else "<"
        rows += _select(tx, query, segment, after, limit - len(rows), bound=(beyond, edge))
    return rows


def _walk_entries(segment: q.Segment, after: list | None) -> tuple[str, list]:
    """The first order key's own rows (o0) from where the page starts, in the order of
    its value index: FROM ... ORDER BY, and its parameters."""
    assert segment.walk is not None
    walk, first = segment.walk, segment.terms[0]
    where, params = [f"o0.{walk.key_column} = ?", str(segment.condition)], [walk.key]
    if after is not None:
        where.append(f"o0.value {'>' if first.ascending else '<'}= ?")
        params.append(after[0])
    order = f"o0.value {q.direction(first.ascending)}"
    return f"FROM {walk.table} o0 WHERE {' AND '.join(where)} ORDER BY {order}", params


def _select(
    tx: Tx,
    query: q.Query,
    segment: q.Segment,
    after: list | None,
    limit: int,
    drive: Drive | None = None,
    bound: tuple[str, object] | None = None,
    entries: Statement | None = None,
) -> list[Row]:
    """One query of a segment. `drive` names where its plan starts, joining the rest by
    nested loops in the written order: "key" walks the first order key's value index
    (its table as o0, or `entries`, a subquery of the entries to walk), "runs" reads the
    searched runs; without it, the planner chooses. `bound` limits that key's value
    (operator, value)."""
    head, source, params = "", f"runs r {' '.join(query.joins)}", query.params
    where: list[str] = []
    if drive is not None and segment.walk is not None:
        head, source, where, params = _driven(tx, query, segment.walk, drive, entries)
    else:
        where.append(query.where_sql())
    if segment.condition is not None:
        where.append(segment.condition)
    if bound is not None:
        where.append(f"o0.value {bound[0]} ?")
        params.append(bound[1])
    if after is not None:
        condition, values = q.keyset_condition(segment.terms, after)
        where.append(condition)
        params += values
    order = ", ".join(f"{t.sql} {q.direction(t.ascending)}" for t in segment.terms)
    sql = (
        f"{head}SELECT {', '.join([*RUN_COLUMNS, *(t.sql for t in segment.terms)])} "
        f"FROM {source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
    )
    plan = Plan.CHOSEN if drive is None else Plan.WRITTEN_ORDER
    return tx.batch([(sql, [*params, limit])], plan)[0]


def _driven(
    tx: Tx, query: q.Query, walk: q.Walk, drive: Drive, entries: Statement | None
) -> tuple[str, str, list[str], list]:
    """WITH (ahead of the SELECT), FROM, WHERE and parameters of a query that starts from
    `drive`. o0's join and its one parameter move into FROM and WHERE: first, to be walked
    in the order of its value index, or last, probed for each run that passed the filters
    (applied first, in a materialized CTE of the searched runs)."""
    others, other_params = " ".join(query.joins[1:]), query.join_params[1:]
    own = f"o0.{walk.key_column} = ? AND o0.run_id = r.id"
    if drive == "runs":
        item, on = tx.dialect.per_row(walk.table, "o0", own)
        return (
            f"WITH r AS MATERIALIZED (SELECT * FROM runs r WHERE {query.where_sql()}) ",
            f"r {others} CROSS JOIN {item}",
            [] if on is None else [on],
            [*query.filter_params(probes=True), *other_params, walk.key],
        )
    # The probes come before the run: a walk bets that the experiment holds most of its
    # key's runs, so the filters reject more of the walked entries than the run does.
    probes = [(f"p{index}", probe) for index, probe in enumerate(query.probes)]
    joined = "".join(f" CROSS JOIN {probe.table} {alias}" for alias, probe in probes)
    tests = [probe.condition(alias, "o0.run_id") for alias, probe in probes]
    where = [*(sql for sql, _ in tests), query.where_sql(probes=False)]
    params = [*(param for _, values in tests for param in values), *query.where_params]
    if entries is None:
        source = f"{walk.table} o0{joined} CROSS JOIN runs r {others}"
        return "", source, [own, *where], [*other_params, walk.key, *params]
    source = f"({entries[0]}) o0{joined} CROSS JOIN runs r {others}"
    return "", source, ["o0.run_id = r.id", *where], [*entries[1], *other_params, *params]
