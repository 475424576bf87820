"""Write-once params, shared by runs and logged models."""

from __future__ import annotations

from ..errors import invalid
from .db import Tx, chunks, placeholders


def insert_write_once(
    tx: Tx, table: str, owner_column: str, owner: object, values: dict[str, str | None], label: str
) -> None:
    """Insert params; the same value again is fine, another value is an error.

    Inserting before comparing means a concurrent writer of another value is caught too: its
    row is either already visible to the check or blocks the insert until it is. `label`
    names the owner in the error ("run ID='...'").
    """
    tx.many(
        f"INSERT INTO {table} ({owner_column}, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [(owner, key, value) for key, value in sorted(values.items())],
    )
    keys = list(values)
    for batch in chunks(keys):
        for key, old in tx.all(
            f"SELECT key, value FROM {table} WHERE {owner_column} = ? "
            f"AND key IN ({placeholders(len(batch))})",
            [owner, *batch],
        ):
            if old != values[key]:
                raise invalid(
                    f"Changing param values is not allowed. Param with key='{key}' was "
                    f"already logged with value='{old}' for {label}. "
                    f"Attempted logging new value '{values[key]}'."
                )
