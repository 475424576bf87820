"""Opaque page tokens: base64 around the offset of the next page, or, for runs search, around
the last row's sort values (a keyset), so a deep page costs as much as the first."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from typing import Any

import msgspec

from .errors import ApiError, invalid


class _Token(msgspec.Struct):
    offset: int


class _Keyset(msgspec.Struct, forbid_unknown_fields=True):
    segment: int
    after: list[int | str | None]


def page(key: str, items: list, token: str | None) -> dict[str, Any]:
    """A search answer: the items under `key`, and the next page's token if there is one."""
    return {key: items, **({"next_page_token": token} if token else {})}


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(_Token(offset))).decode()


def _invalid(token: str) -> ApiError:
    return invalid(f"Invalid page token '{token}'.")


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = msgspec.json.decode(base64.urlsafe_b64decode(token.encode()), type=_Token).offset
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise _invalid(token) from None
    if not 0 <= offset < 2**62:
        raise _invalid(token)
    return offset


def next_token(offset: int, page_size: int, fetched: int) -> str | None:
    """Fetching one row more than a page tells whether another page exists."""
    return encode_token(offset + page_size) if fetched > page_size else None


def encode_keyset(segment: int, values: Sequence[Any]) -> str:
    """Floats travel as exact hex strings (JSON has no NaN or infinities); NaN as None."""
    after = [(None if math.isnan(v) else v.hex()) if isinstance(v, float) else v for v in values]
    return base64.urlsafe_b64encode(msgspec.json.encode(_Keyset(segment, after))).decode()


def decode_keyset(token: str, kinds: Sequence[Sequence[tuple[str, bool]]]) -> tuple[int, list]:
    """A keyset token checked against the query's segments: `kinds` holds, per segment, each
    sort term's kind ("int", "str", "float") and whether it may be None."""
    try:
        keyset = msgspec.json.decode(base64.urlsafe_b64decode(token.encode()), type=_Keyset)
        terms = kinds[keyset.segment] if keyset.segment >= 0 else None
        if terms is None or len(terms) != len(keyset.after):
            raise _invalid(token)
        return keyset.segment, [
            _value(value, kind, nullable, token)
            for value, (kind, nullable) in zip(keyset.after, terms, strict=True)
        ]
    except (binascii.Error, ValueError, IndexError, msgspec.DecodeError, msgspec.ValidationError):
        raise _invalid(token) from None


def _value(value: int | str | None, kind: str, nullable: bool, token: str) -> Any:
    if value is None and nullable:
        return None
    if kind == "int" and isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    if kind == "str" and isinstance(value, str) and "\x00" not in value:
        return value
    if kind == "float" and isinstance(value, str):
        number = float.fromhex(value)
        if not math.isnan(number):
            return number
    raise _invalid(token)
