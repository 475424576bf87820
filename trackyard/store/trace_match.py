"""Trace filters that SQL cannot test on the stored rows, tested in Python on the traces the
rest of the filter lets through: a span's attributes and text (span content is stored
compressed, `span_codec`) and assessment values (kept as the JSON the client sent).

Values are compared in the text MLflow's SQL store compares them in, so a filter finds what
it finds on `mlflow server`: a span attribute as its JSON (`"gpt-4o"`, with the quotes; `0.7`),
a span's content as its JSON with attribute values JSON-encoded, an assessment value as
`json.dumps` writes it (numbers as the doubles a protobuf Value holds: `5.0`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from typing import Any

import msgspec

from ..errors import invalid
from ..search.grammar import REGEX_COMPARATOR as REGEX
from ..search.grammar import Clause
from .span_codec import proto_json_value, unpack

ATTRIBUTE_PREFIX = "attributes."
CONTENT = "content"
# Span keys with a column of their own (SQL tests them); any other needs the span's content.
SPAN_COLUMNS = {"name": "s.name", "type": "s.type", "status": "s.status"}
_TEXT_COMPARATORS = ("LIKE", "ILIKE")


class SpanView:
    """What span clauses look at: the span's columns, and its content, read when a clause
    asks for it (the name, type and status tests come first)."""

    def __init__(
        self, name: str | None, type_: str | None, status: str | None, content: Any, trace_id: str
    ) -> None:
        self.name, self.type, self.status = name, type_, status
        self._content, self._trace_id = content, trace_id

    @cached_property
    def content(self) -> dict[str, Any]:
        return msgspec.json.decode(unpack(self._content, self._trace_id))

    @cached_property
    def attributes(self) -> dict[str, str]:
        """Attribute values as MLflow's SQL store keeps them: JSON text, non-ASCII kept."""
        items = self.content.get("attributes", [])
        return {item["key"]: _json_text(proto_json_value(item.get("value", {}))) for item in items}

    def text(self) -> str:
        """The span's JSON with its attribute values JSON-encoded (MLflow's span content)."""
        return _json_text({**self.content, "attributes": self.attributes})


def span_key(clause: Clause) -> str:
    """The clause's span key checked: a column, `content`, or `attributes.<name>`; 400 for
    anything else or a comparator the key does not take."""
    key = clause.key
    if key.startswith(ATTRIBUTE_PREFIX):
        if not attribute_name(key):
            raise invalid("Span attribute name cannot be empty after 'attributes.'.")
        return key
    if key == CONTENT:
        if clause.comparator not in _TEXT_COMPARATORS:
            raise invalid(f"span.content takes only {' or '.join(_TEXT_COMPARATORS)}.")
        return key
    if key not in SPAN_COLUMNS:
        raise invalid(
            f"Invalid span attribute '{key}'. Supported: {', '.join(sorted(SPAN_COLUMNS))}, "
            f"{CONTENT}, attributes.<attribute name>."
        )
    return key


def attribute_name(key: str) -> str:
    name = key[len(ATTRIBUTE_PREFIX) :]
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] == "`" else name


def needs_content(clause: Clause) -> bool:
    return clause.key not in SPAN_COLUMNS


def span_test(clauses: Sequence[Clause]) -> Callable[[SpanView], bool]:
    """True for a span that passes every clause (MLflow tests a trace's span clauses
    together: one span must pass them all); column tests first, content ones after."""
    ordered = sorted(clauses, key=needs_content)
    tests = [_span_clause_test(clause) for clause in ordered]
    return lambda span: all(test(span) for test in tests)


def _span_clause_test(clause: Clause) -> Callable[[SpanView], bool]:
    key = clause.key
    if key in SPAN_COLUMNS:
        test = text_test(clause.comparator, clause.value)
        return lambda span: test(getattr(span, key))
    if key == CONTENT:
        test = text_test(clause.comparator, clause.value)
        return lambda span: test(span.text())
    name = attribute_name(key)
    value = clause.value
    if clause.comparator == REGEX:
        return _attribute_regex_test(name, str(value))
    if clause.comparator in _TEXT_COMPARATORS:
        # mlflow server matches `"<name>"<pattern>%` in the span's JSON: the pattern runs
        # from the value's JSON text (a string keeps its quotes) to any ending.
        value = f"{value}%"
    test = json_test(clause.comparator, value)
    return lambda span: test(span.attributes.get(name))


def _attribute_regex_test(name: str, pattern: str) -> Callable[[SpanView], bool]:
    """RLIKE on a span attribute, as mlflow server matches it: the attribute must hold a
    string, which the pattern is searched in (`^` and `$` anchor at its ends)."""
    regex = re.compile(pattern)

    def test(span: SpanView) -> bool:
        text = span.attributes.get(name)
        if text is None or not text.startswith('"'):
            return False
        value = json.loads(text)
        return isinstance(value, str) and regex.search(value) is not None

    return test


def text_test(comparator: str, value: Any) -> Callable[[str | None], bool]:
    """SQL's comparison of a text column with a literal: NULL passes none."""
    if comparator == REGEX:
        regex = re.compile(str(value))
        return lambda text: text is not None and regex.search(text) is not None
    if comparator in _TEXT_COMPARATORS:
        pattern = like_regex(str(value), comparator == "ILIKE")
        return lambda text: text is not None and pattern.fullmatch(text) is not None
    if comparator == "IN":
        return lambda text: text is not None and text in value
    if comparator == "NOT IN":
        return lambda text: text is not None and text not in value
    if comparator == "!=":
        return lambda text: text is not None and text != value
    return lambda text: text is not None and text == value


def json_test(comparator: str, value: Any) -> Callable[[str | None], bool]:
    """A comparison of a value kept as JSON text: `=` matches the text itself or the value
    as a JSON string (`'yes'` finds `"yes"`, `'true'` finds `true`), LIKE the JSON text."""
    if comparator in ("=", "!="):
        forms = {value, json.dumps(value)}
        if comparator == "=":
            return lambda text: text is not None and text in forms
        return lambda text: text is not None and text not in forms
    if comparator in ("IN", "NOT IN"):
        forms = set(value) | {json.dumps(item) for item in value}
        if comparator == "IN":
            return lambda text: text is not None and text in forms
        return lambda text: text is not None and text not in forms
    return text_test(comparator, value)


@lru_cache(maxsize=256)
def like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """SQL LIKE as a regular expression: `%` any run, `_` any one character, backslash
    escapes the next one (PostgreSQL's default escape)."""
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


# --- assessments ----------------------------------------------------------------------------


def assessment_test(clause: Clause) -> Callable[[str], bool]:
    """True for a stored assessment (its JSON) whose value passes the clause."""
    kind = clause.entity  # feedback or expectation
    if clause.comparator in (">", ">=", "<", "<="):
        bound = float(clause.value)  # type: ignore[arg-type]
        compare = _ORDERS[clause.comparator]

        def numeric(content: str) -> bool:
            value = assessment_value(content, kind)
            return _is_number(value) and compare(float(value), bound)

        return numeric
    test = json_test(clause.comparator, clause.value)
    return lambda content: test(json.dumps(assessment_value(content, kind)))


_ORDERS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def assessment_value(content: str, kind: str) -> Any:
    """An assessment's value as MLflow reads it from the proto: numbers are doubles, an
    expectation's `serialized_value` in JSON format is decoded."""
    part = json.loads(content).get(kind) or {}
    if "serialized_value" in part:
        serialized = part["serialized_value"] or {}
        text = serialized.get("value")
        if serialized.get("serialization_format") == "JSON_FORMAT" and isinstance(text, str):
            try:
                return _as_doubles(json.loads(text))
            except ValueError:
                return text
        return text
    return _as_doubles(part.get("value"))


def _as_doubles(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, list):
        return [_as_doubles(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_doubles(item) for key, item in value.items()}
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
