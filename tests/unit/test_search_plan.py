"""The search planner's pure parts (trackyard/store/search_sql.py): SQL built, nothing run."""

from __future__ import annotations

from trackyard.search.grammar import Clause, OrderKey
from trackyard.store import search_sql as plan
from trackyard.store.db import Dialect

SQLITE = Dialect()


def _key_ids(key: str) -> int | None:
    return {"loss": 7}.get(key)


def _segments(*order_by: OrderKey) -> list[plan.Segment]:
    return plan.run_ordering(order_by, SQLITE, _key_ids, plan.Query())


def test_no_order_is_one_segment_newest_first_then_by_id() -> None:
    (segment,) = _segments()
    assert segment.condition is None
    assert [(t.sql, t.ascending) for t in segment.terms] == [
        ("r.start_time", False),
        ("r.run_uuid", True),
    ]


def test_order_by_start_time_is_not_repeated_in_the_tail() -> None:
    segments = _segments(OrderKey("attribute", "start_time", True))
    assert [t.sql for t in segments[0].terms] == ["r.start_time", "r.run_uuid"]


def test_attribute_order_has_a_segment_for_present_then_missing_values() -> None:
    present, missing = _segments(OrderKey("attribute", "end_time", True))
    assert present.condition == "r.end_time IS NOT NULL"
    assert missing.condition == "r.end_time IS NULL"


def test_value_term_of_the_present_segment_is_never_null() -> None:
    present, _ = _segments(OrderKey("attribute", "end_time", True))
    assert not present.terms[0].nullable


def test_missing_segment_orders_by_the_tail_only() -> None:
    _, missing = _segments(OrderKey("attribute", "end_time", True))
    assert [t.sql for t in missing.terms] == ["r.start_time", "r.run_uuid"]


def test_metric_order_puts_numbers_then_nan_then_runs_without_it() -> None:
    numbers, nan, absent = _segments(OrderKey("metric", "loss", False))
    assert numbers.condition == "o0.run_id IS NOT NULL AND o0.value IS NOT NULL"
    assert nan.condition == "o0.run_id IS NOT NULL AND NOT (o0.value IS NOT NULL)"
    assert absent.condition == "o0.run_id IS NULL"


def test_metric_order_walks_the_latest_metrics_of_its_key_id() -> None:
    numbers, *rest = _segments(OrderKey("metric", "loss", False))
    assert numbers.walk == plan.Walk("latest_metrics", "key_id", 7)
    assert all(segment.walk is None for segment in rest)


def test_metric_order_joins_its_key_id() -> None:
    query = plan.Query()
    plan.run_ordering([OrderKey("metric", "loss", True)], SQLITE, _key_ids, query)
    assert query.joins == ["LEFT JOIN latest_metrics o0 ON o0.run_id = r.id AND o0.key_id = ?"]
    assert query.join_params == [7]


def test_unknown_metric_order_joins_a_key_id_that_matches_nothing() -> None:
    query = plan.Query()
    plan.run_ordering([OrderKey("metric", "nope", True)], SQLITE, _key_ids, query)
    assert query.join_params == [-1]


def test_param_order_walks_the_param_key() -> None:
    present, _ = _segments(OrderKey("param", "lr", True))
    assert present.walk == plan.Walk("run_params", "key", "lr")


def test_a_later_order_key_orders_by_its_missing_flag_first() -> None:
    segments = _segments(OrderKey("attribute", "status", True), OrderKey("param", "lr", False))
    flag, value = segments[0].terms[1:3]
    assert flag.sql == "CASE WHEN o1.value IS NULL THEN 1 ELSE 0 END"
    assert (value.sql, value.ascending) == ("o1.value", False)


def test_token_kinds_list_each_segments_term_kinds() -> None:
    kinds = plan.token_kinds([OrderKey("metric", "loss", True)], SQLITE)
    assert kinds == [
        [("float", False), ("int", False), ("str", False)],
        [("int", False), ("str", False)],
        [("int", False), ("str", False)],
    ]


def test_keyset_after_one_term_is_a_strict_comparison() -> None:
    term = plan.SortTerm("r.name", True, "str")
    assert plan.keyset_condition([term], ["b"]) == ("r.name > ?", ["b"])


def test_keyset_descending_term_compares_below() -> None:
    term = plan.SortTerm("r.start_time", False, "int")
    assert plan.keyset_condition([term], [5]) == ("r.start_time < ?", [5])


def test_keyset_leads_with_a_range_an_index_can_seek() -> None:
    terms = [plan.SortTerm("a", True, "int"), plan.SortTerm("b", True, "str")]
    sql, params = plan.keyset_condition(terms, [1, "x"])
    assert sql == "a >= ? AND (a > ? OR b > ?)"
    assert params == [1, 1, "x"]


def test_keyset_leaves_out_terms_whose_value_is_none() -> None:
    terms = [plan.SortTerm("a", True, "float"), plan.SortTerm("b", True, "str")]
    assert plan.keyset_condition(terms, [None, "x"]) == ("b > ?", ["x"])


def test_keyset_of_only_none_values_matches_nothing() -> None:
    assert plan.keyset_condition([plan.SortTerm("a", True, "float")], [None]) == ("1 = 0", [])


def test_query_without_conditions_matches_everything() -> None:
    assert plan.Query().where_sql() == "1 = 1"


def test_param_filter_becomes_a_probe_tested_as_exists() -> None:
    query = plan.Query()
    plan.run_filters([Clause("param", "lr", "=", "0.1")], SQLITE, _key_ids, query)
    assert query.where_sql() == (
        "EXISTS (SELECT 1 FROM run_params x WHERE x.run_id = r.id AND x.key = ? AND x.value = ?)"
    )
    assert query.params == ["lr", "0.1"]


def test_probes_left_out_of_where_when_asked() -> None:
    query = plan.Query()
    plan.run_filters([Clause("tag", "t", "IS NOT NULL", None)], SQLITE, _key_ids, query)
    assert query.where_sql(probes=False) == "1 = 1"
    assert query.filter_params(probes=False) == []


def test_probe_condition_joins_its_alias_to_the_given_run() -> None:
    probe = plan.Probe("run_tags", "key", "t", lambda column: (f"{column} = ?", ["v"]))
    assert probe.condition("p0", "o0.run_id") == (
        "p0.run_id = o0.run_id AND p0.key = ? AND p0.value = ?",
        ["t", "v"],
    )


def test_filter_on_an_unknown_metric_matches_nothing() -> None:
    query = plan.Query()
    plan.run_filters([Clause("metric", "nope", ">", 1.0)], SQLITE, _key_ids, query)
    assert query.where_sql() == "1 = 0"


def test_attribute_filter_compares_its_column() -> None:
    query = plan.Query()
    plan.run_filters([Clause("attribute", "status", "IN", ("A", "B"))], SQLITE, _key_ids, query)
    assert (query.where_sql(), query.params) == ("r.status IN (?, ?)", ["A", "B"])


def test_is_id_refuses_what_does_not_fit_64_bits() -> None:
    assert plan.is_id("9223372036854775807")
    assert not plan.is_id("9223372036854775808")


def test_is_id_refuses_non_ascii_digits() -> None:
    assert not plan.is_id("١٢")


def test_experiment_order_puts_missing_values_last_then_breaks_ties_by_id() -> None:
    query = plan.Query()
    plan.experiment_ordering([OrderKey("attribute", "name", False)], query)
    assert query.order == [
        "CASE WHEN e.name IS NULL THEN 1 ELSE 0 END, e.name DESC",
        "e.experiment_id ASC",
    ]


def test_experiment_default_order_is_newest_first() -> None:
    query = plan.Query()
    plan.experiment_ordering([], query)
    assert query.order == ["e.creation_time DESC", "e.experiment_id ASC"]


def test_experiment_id_filter_compares_integers() -> None:
    query = plan.Query()
    plan.experiment_filters([Clause("attribute", "experiment_id", "=", "12")], SQLITE, query)
    assert query.params == [12]


def test_nulls_last_orders_by_the_missing_flag_before_the_value() -> None:
    expected = "CASE WHEN l.name IS NULL THEN 1 ELSE 0 END, l.name ASC"
    assert plan.nulls_last("l.name", True) == expected


def test_direction_names_the_sql_keyword() -> None:
    assert (plan.direction(True), plan.direction(False)) == ("ASC", "DESC")
