"""Tokenizer and parser for filter strings like ``metrics.acc > 0.9 AND tags.`team` = 'a'``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import invalid

Value = str | float | int | tuple[str, ...] | None

NUMERIC_COMPARATORS = frozenset({"=", "!=", ">", ">=", "<", "<="})
STRING_COMPARATORS = frozenset({"=", "!=", "LIKE", "ILIKE"})
# A regular expression search (MLflow's trace filters): PostgreSQL's `~`, Python's re on SQLite.
REGEX_COMPARATOR = "RLIKE"
NULL_COMPARATORS = frozenset({"IS NULL", "IS NOT NULL"})
LIST_COMPARATORS = frozenset({"IN", "NOT IN"})
ORDER_COMPARATORS = frozenset({">", ">=", "<", "<="})

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),])
  | (?P<ident>(?:[A-Za-z_][\w]*|`[^`]*`|"[^"]*")
        (?:\.(?:`[^`]*`|"[^"]*"|[\w\-/:.]+(?:`[^`]*`)?))?)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"AND", "LIKE", "ILIKE", "RLIKE", "IN", "NOT", "IS", "NULL", "OR"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def keyword(self) -> str | None:
        upper = self.text.upper()
        return upper if self.kind == "ident" and upper in _KEYWORDS else None


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise invalid(f"Invalid filter '{text}': unexpected character at position {position}")
        position = match.end()
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup or "", match.group()))
    return tokens


def unquote(text: str) -> str:
    """Strip one layer of backquotes or quotes, undoing doubled or escaped quote characters."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`'\"":
        quote = text[0]
        inner = text[1:-1]
        return (
            inner if quote == "`" else inner.replace(quote * 2, quote).replace("\\" + quote, quote)
        )
    return text


@dataclass(frozen=True)
class Schema:
    """What one kind of entity lets a filter or order_by name."""

    name: str
    # prefix spelling -> entity type ("metrics" -> "metric")
    prefixes: dict[str, str]
    # attribute spelling -> (canonical attribute, "string" | "numeric")
    attributes: dict[str, tuple[str, str]]
    # entity type -> allowed comparators (attributes use the key "string"/"numeric")
    comparators: dict[str, frozenset[str]]
    list_attributes: frozenset[str] = frozenset()
    dataset_keys: frozenset[str] = frozenset()
    orderable: frozenset[str] = frozenset({"attribute", "metric", "param", "tag"})
    order_attributes: dict[str, str] = field(default_factory=dict)
    # numeric attributes that also take a quoted integer (`version_number = '3'`, as MLflow)
    quoted_integers: frozenset[str] = frozenset()
    # entities compared with a number by > >= < <= and with a quoted string otherwise
    # (MLflow's trace assessments: `feedback.score > 0.5`, `feedback.label = 'yes'`)
    ordered_by_number: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Clause:
    """One comparison: `entity` is metric, param, tag, attribute or dataset."""

    entity: str
    key: str
    comparator: str
    value: Value


@dataclass(frozen=True)
class OrderKey:
    entity: str
    key: str
    ascending: bool


class _Parser:
    def __init__(self, text: str, schema: Schema) -> None:
        self.text, self.schema = text, schema
        self.tokens = tokenize(text)
        self.position = 0

    def error(self, reason: str):
        return invalid(f"Invalid filter '{self.text}': {reason}")

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of filter")
        self.position += 1
        return token

    def take_keyword(self, *expected: str) -> str:
        token = self.take()
        if token.keyword not in expected:
            raise self.error(f"expected {' or '.join(expected)}, got '{token.text}'")
        return token.keyword

    def clauses(self) -> list[Clause]:
        result = [self.clause()]
        while self.peek() is not None:
            keyword = self.take().keyword
            if keyword == "OR":
                raise self.error("OR is not supported; join clauses with AND")
            if keyword != "AND":
                raise self.error(f"expected AND, got '{self.tokens[self.position - 1].text}'")
            result.append(self.clause())
        return result

    def clause(self) -> Clause:
        token = self.take()
        if token.kind != "ident" or token.keyword:
            raise self.error(f"expected an identifier, got '{token.text}'")
        entity, key, kind = identify(token.text, self.schema, self.error)
        comparator = self.comparator()
        allowed = self.schema.comparators.get(kind, frozenset())
        if comparator not in allowed:
            raise self.error(
                f"comparator '{comparator}' is not allowed for {entity} '{key}'; "
                f"use one of {sorted(allowed)}"
            )
        return Clause(entity, key, comparator, self.value(entity, key, kind, comparator))

    def comparator(self) -> str:
        token = self.take()
        if token.kind == "op":
            return {"==": "=", "<>": "!="}.get(token.text, token.text)
        keyword = token.keyword
        if keyword in ("LIKE", "ILIKE", "RLIKE", "IN"):
            return keyword
        if keyword == "NOT":
            return "NOT " + self.take_keyword("IN")
        if keyword == "IS":
            after = self.take_keyword("NOT", "NULL")
            return "IS NOT NULL" if after == "NOT" and self.take_keyword("NULL") else "IS NULL"
        raise self.error(f"expected a comparator, got '{token.text}'")

    def value(self, entity: str, key: str, kind: str, comparator: str) -> Value:
        if comparator in NULL_COMPARATORS:
            return None
        if comparator in LIST_COMPARATORS:
            return self.string_list()
        token = self.take()
        by_number = kind in self.schema.ordered_by_number and comparator in ORDER_COMPARATORS
        if kind in ("numeric", "metric") or by_number:
            if token.kind == "string" and key in self.schema.quoted_integers:
                text = unquote(token.text).strip()
                if not text.lstrip("+-").isdigit():
                    raise self.error(f"expected an integer for {entity} '{key}', got {token.text}")
                return int(text)
            if token.kind != "number":
                raise self.error(f"expected a number for {entity} '{key}', got {token.text}")
            number = float(token.text)
            integral = number.is_integer() and abs(number) < 2**63  # beyond int64: compare as float
            return int(number) if entity == "attribute" and integral else number
        if token.kind != "string":
            raise self.error(f"expected a quoted string for {entity} '{key}', got {token.text}")
        text = unquote(token.text)
        if comparator == REGEX_COMPARATOR:
            check_regex(text, self.error)
        return text

    def string_list(self) -> tuple[str, ...]:
        if self.take().text != "(":
            raise self.error("expected '(' to open a list of quoted strings")
        values = []
        while True:
            token = self.take()
            if token.kind != "string":
                raise self.error(f"expected a quoted string in the list, got {token.text}")
            values.append(unquote(token.text))
            closing = self.take().text
            if closing == ")":
                return tuple(values)
            if closing != ",":
                raise self.error("expected ',' or ')' in the list")


# Python's named groups, which PostgreSQL's regular expressions do not take: refused on both
# backends, so a filter means the same on each.
_PYTHON_ONLY_REGEX = re.compile(r"\(\?P")


def check_regex(pattern: str, error) -> None:
    """A RLIKE pattern both backends take, or a 400."""
    try:
        re.compile(pattern)
    except re.error as problem:
        raise error(f"invalid regular expression '{pattern}': {problem}") from None
    if _PYTHON_ONLY_REGEX.search(pattern):
        raise error(f"regular expression '{pattern}' uses syntax PostgreSQL does not take")


def identify(text: str, schema: Schema, error) -> tuple[str, str, str]:
    """Split `prefix.key` into (entity, key, comparator kind) as the schema defines them."""
    prefix, dot, rest = text.partition(".")
    if dot and not (prefix.startswith(("`", '"'))):
        entity = schema.prefixes.get(prefix.lower())
        if entity is None:
            raise error(
                f"unknown identifier type '{prefix}'; "
                f"use one of {sorted(set(schema.prefixes.values()))}"
            )
        key = unquote(rest)
    else:
        entity, key = "attribute", unquote(text)
    if entity == "attribute":
        if key not in schema.attributes:
            raise error(
                f"invalid attribute key '{key}'; valid keys are {sorted(schema.attributes)}"
            )
        key, kind = schema.attributes[key]
        return entity, key, kind
    if entity == "dataset" and key not in schema.dataset_keys:
        raise error(f"invalid dataset key '{key}'; valid keys are {sorted(schema.dataset_keys)}")
    return entity, key, entity


def parse_filter(text: str | None, schema: Schema) -> list[Clause]:
    if not text or not text.strip():
        return []
    clauses = _Parser(text, schema).clauses()
    for clause in clauses:
        listed = clause.comparator in LIST_COMPARATORS and clause.entity == "attribute"
        if listed and clause.key not in schema.list_attributes:
            raise invalid(
                f"Invalid filter '{text}': only {sorted(schema.list_attributes)} "
                "take a list of quoted strings"
            )
    return clauses


_ORDER = re.compile(r"^\s*(?P<key>.+?)(?:\s+(?P<direction>ASC|DESC))?\s*$", re.IGNORECASE)


def parse_order_by(text: str, schema: Schema) -> OrderKey:
    def error(reason: str):
        return invalid(f"Invalid order_by clause '{text}': {reason}")

    match = _ORDER.match(text or "")
    if not match:
        raise error("could not be parsed")
    ascending = (match.group("direction") or "ASC").upper() == "ASC"
    key_text = match.group("key").strip()
    tokens = tokenize(key_text)
    if len(tokens) != 1 or tokens[0].kind != "ident":
        raise error("expected one identifier, optionally followed by ASC or DESC")
    if schema.order_attributes and "." not in key_text.strip('`"'):
        key = unquote(key_text)
        if key not in schema.order_attributes:
            raise error(f"valid keys are {sorted(schema.order_attributes)}")
        return OrderKey("attribute", schema.order_attributes[key], ascending)
    entity, key, _ = identify(key_text, schema, error)
    if entity not in schema.orderable:
        raise error(f"cannot order by {entity}")
    return OrderKey(entity, key, ascending)
