"""Bounds on what one GraphQL document may ask, checked on its syntax tree before it is
validated or run, so that no query can cost the server more than a page of the UI does.

The bounds and messages are MLflow's (`mlflow/server/graphql/graphql_no_batching.py`): at most
10 levels of selection sets, 1000 selections in all (fragments counted wherever they are
spread), 10 root fields, and 10 aliases in any one selection set. The last two read MLflow's
environment variables, whose names the messages give.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_DEPTH = 10
MAX_SELECTIONS = 1000
# Parsing is bounded before any of this: a document of at most this many tokens.
MAX_TOKENS = 20_000
ROOT_FIELDS_VARIABLE = "MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS"
ALIASES_VARIABLE = "MLFLOW_SERVER_GRAPHQL_MAX_ALIASES"


class QueryTooCostly(Exception):
    """The document asks more than the bounds allow; the message says which."""


def _setting(name: str, default: int = 10) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _fields(
    selections: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    spread: frozenset[str],
    counter: list[int],
) -> Iterator[tuple[FieldNode, frozenset[str]]]:
    """The fields of one level, with those of the fragments spread into it (a fragment never
    inside itself); every selection visited, spreads too, counts towards MAX_SELECTIONS, so
    fragments spreading fragments cannot multiply the work unseen."""
    pending = [(selection, spread) for selection in selections.selections]
    while pending:
        selection, names = pending.pop()
        counter[0] += 1
        if counter[0] > MAX_SELECTIONS:
            raise QueryTooCostly(f"Query exceeds maximum total selections of {MAX_SELECTIONS}")
        if isinstance(selection, FieldNode):
            yield selection, names
        elif isinstance(selection, InlineFragmentNode):
            pending += [(inner, names) for inner in selection.selection_set.selections]
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in names:
                inner_names = names | {name}
                pending += [(inner, inner_names) for inner in fragment.selection_set.selections]


def check_cost(document: DocumentNode) -> None:
    """Raise QueryTooCostly for a document over the bounds."""
    fragments = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, FragmentDefinitionNode)
    }
    counter = [0]
    root_fields = 0
    max_aliases = 0
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        levels = [(operation.selection_set, 1, frozenset[str]())]
        while levels:
            selections, depth, spread = levels.pop()
            if depth > MAX_DEPTH:
                raise QueryTooCostly(f"Query exceeds maximum depth of {MAX_DEPTH}")
            aliases = 0
            for node, names in _fields(selections, fragments, spread, counter):
                aliases += node.alias is not None
                root_fields += depth == 1
                if node.selection_set is not None:
                    levels.append((node.selection_set, depth + 1, names))
            max_aliases = max(max_aliases, aliases)
    for count, what, variable in (
        (root_fields, "root fields", ROOT_FIELDS_VARIABLE),
        (max_aliases, "aliases", ALIASES_VARIABLE),
    ):
        limit = _setting(variable)
        if count > limit:
            raise QueryTooCostly(
                f"GraphQL queries should have at most {limit} {what}, got {count} {what}. "
                f"To increase the limit, set the {variable} environment variable."
            )
