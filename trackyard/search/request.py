"""What every search request carries (filter, order_by, max_results, page_token), checked and
parsed once for the store, whichever entity is searched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from .. import validation as check
from .grammar import Schema, parse_filter, parse_order_by


class SearchRequest(Protocol):
    @property
    def filter(self) -> str | None: ...
    @property
    def order_by(self) -> Sequence[str]: ...
    @property
    def max_results(self) -> int: ...
    @property
    def page_token(self) -> str | None: ...


def search_arguments(req: SearchRequest, schema: Schema, limit: int, what: str) -> dict[str, Any]:
    """The store's keyword arguments for a search of at most `limit` `what` per page."""
    return {
        "clauses": check.filter_size(parse_filter(req.filter, schema)),
        "order_by": [parse_order_by(clause, schema) for clause in req.order_by],
        "max_results": check.max_results(req.max_results, limit, what),
        "page_token": req.page_token,
    }
