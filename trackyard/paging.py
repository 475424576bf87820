"""Opaque page tokens: a base64 wrapper around the offset of the next page, or around the
sort key of the last row served (a position: the next page seeks past it, however deep)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

import msgspec

from .errors import invalid


class _Token(msgspec.Struct):
    offset: int


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(_Token(offset))).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = msgspec.json.decode(base64.urlsafe_b64decode(token.encode()), type=_Token).offset
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise invalid(f"Invalid page token '{token}'.") from None
    if not 0 <= offset < 2**62:
        raise invalid(f"Invalid page token '{token}'.")
    return offset


def next_token(offset: int, page_size: int, fetched: int) -> str | None:
    """Fetching one row more than a page tells whether another page exists."""
    return encode_token(offset + page_size) if fetched > page_size else None


class _Position(msgspec.Struct):
    after: list[int | float | str]


def encode_position(after: Sequence[int | float | str]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(_Position(list(after)))).decode()


def decode_position(token: str | None, length: int) -> list[int | float | str] | None:
    """The sort key a position token names (None for the first page)."""
    if not token:
        return None
    try:
        after = msgspec.json.decode(base64.urlsafe_b64decode(token.encode()), type=_Position).after
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise invalid(f"Invalid page token '{token}'.") from None
    if len(after) != length:
        raise invalid(f"Invalid page token '{token}'.")
    return after
