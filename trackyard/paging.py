"""Opaque page tokens: a base64 wrapper around the offset of the next page."""

from __future__ import annotations

import base64
import binascii

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
