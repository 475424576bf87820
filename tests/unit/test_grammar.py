"""MLflow's filter and order_by grammar, parsed into typed clauses (no SQL, no server)."""

from __future__ import annotations

import pytest

from trackyard.errors import ApiError
from trackyard.search.grammar import Clause, OrderKey, parse_filter, parse_order_by
from trackyard.search.schemas import MODEL_VERSIONS, RUNS


def refused(text: str) -> str:
    with pytest.raises(ApiError) as caught:
        parse_filter(text, RUNS)
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    return caught.value.message


def test_an_empty_or_missing_filter_has_no_clauses():
    assert parse_filter(None, RUNS) == parse_filter("", RUNS) == []


def test_a_metric_comparison_becomes_a_numeric_clause():
    assert parse_filter("metrics.acc > 0.5", RUNS) == [Clause("metric", "acc", ">", 0.5)]


def test_clauses_joined_by_and_in_any_case_keep_their_order():
    clauses = parse_filter("params.lr = '0.1' and tags.`mlflow.user` LIKE 'a%'", RUNS)
    assert clauses == [
        Clause("param", "lr", "=", "0.1"),
        Clause("tag", "mlflow.user", "LIKE", "a%"),
    ]


def test_quoted_keys_keep_their_spaces_and_numbers_their_exponent():
    assert parse_filter('metrics."my metric" <= -1e3', RUNS) == [
        Clause("metric", "my metric", "<=", -1000.0)
    ]


def test_a_bare_name_is_an_attribute():
    assert parse_filter("run_name ILIKE '%x%'", RUNS) == [
        Clause("attribute", "run_name", "ILIKE", "%x%")
    ]


def test_in_takes_a_tuple_of_quoted_strings():
    assert parse_filter("attributes.run_id IN ('a', 'b')", RUNS) == [
        Clause("attribute", "run_id", "IN", ("a", "b"))
    ]


def test_a_quoted_integer_is_taken_where_mlflow_takes_one():
    assert parse_filter("version_number = '3'", MODEL_VERSIONS) == [
        Clause("attribute", "version_number", "=", 3)
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("metrics.acc >", "unexpected end of filter"),
        ("metrics.acc > 1 OR metrics.b < 2", "OR is not supported"),
        ("params.lr > 1", "comparator '>' is not allowed for param 'lr'"),
        ("foo.bar = 1", "unknown identifier type 'foo'"),
        ("metrics.acc = 'x'", "expected a number for metric 'acc'"),
    ],
)
def test_malformed_filters_are_refused_saying_why(text, reason):
    assert reason in refused(text)


def test_order_by_reads_entity_key_and_direction():
    assert parse_order_by("metrics.acc DESC", RUNS) == OrderKey("metric", "acc", False)
    assert parse_order_by("params.`a b` asc", RUNS) == OrderKey("param", "a b", True)


def test_order_by_defaults_to_ascending_on_an_attribute():
    assert parse_order_by("start_time", RUNS) == OrderKey("attribute", "start_time", True)


def test_order_by_with_an_unknown_direction_is_refused():
    with pytest.raises(ApiError, match="optionally followed by ASC or DESC"):
        parse_order_by("metrics.acc sideways", RUNS)
