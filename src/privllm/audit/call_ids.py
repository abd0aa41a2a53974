"""Short call ids, as git shortens commit hashes: the shortest prefix (at least 8
characters) that no other call in the log shares, and a unique prefix back to the whole id.

    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:")
    >>> _ = conn.execute("CREATE TABLE records (call_id TEXT UNIQUE)")
    >>> _ = conn.executemany("INSERT INTO records VALUES (?)",
    ...                      [("4f2a0c9d11aa",), ("4f2a0c9d22bb",), ("9e01ffff0000",)])
    >>> prefix_length(conn, ["4f2a0c9d11aa", "9e01ffff0000"])
    9
    >>> matching(conn, "9e01")
    ['9e01ffff0000']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["MIN_LENGTH", "common_prefix", "matching", "matching_postgres", "prefix_length"]

MIN_LENGTH = 8


def common_prefix(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def prefix_length(
    conn: Any, call_ids: Iterable[str], minimum: int = MIN_LENGTH, *, mark: str = "?"
) -> int:
    """The prefix length, at least ``minimum``, that tells each of ``call_ids`` apart from
    every other call in the log (not only from the ones listed: a short id stays usable with
    ``erase --call``). Two index look-ups per id. ``conn`` is an sqlite3 or psycopg
    connection; ``mark`` its parameter marker (``"%s"`` for psycopg)."""
    length = minimum
    for call_id in call_ids:
        for op, order in (("<", "DESC"), (">", "ASC")):
            row = conn.execute(
                f"SELECT call_id FROM records WHERE call_id {op} {mark} "  # noqa: S608 - constants
                f"ORDER BY call_id {order} LIMIT 1",
                (call_id,),
            ).fetchone()
            if row is not None:
                length = max(length, min(common_prefix(call_id, row[0]) + 1, len(call_id)))
    return length


def matching(conn: Any, prefix: str, limit: int = 10) -> list[str]:
    """The call ids starting with ``prefix`` (the first ``limit``, in id order)."""
    # GLOB is case-sensitive like the ids, and uses the unique index on call_id; its
    # wildcards in the prefix are matched literally.
    escaped = "".join(f"[{c}]" if c in "*?[" else c for c in prefix)
    found = conn.execute(
        "SELECT call_id FROM records WHERE call_id GLOB ? ORDER BY call_id LIMIT ?",
        (escaped + "*", limit),
    ).fetchall()
    return [row[0] for row in found]


def matching_postgres(conn: Any, prefix: str, limit: int = 10) -> list[str]:
    """:func:`matching` on PostgreSQL: ``LIKE`` with its wildcards escaped (``COLLATE "C"``
    compares bytes, case-sensitive like the ids)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    found = conn.execute(
        'SELECT call_id FROM records WHERE call_id COLLATE "C" LIKE %s ORDER BY call_id LIMIT %s',
        (escaped + "%", limit),
    ).fetchall()
    return [row[0] for row in found]
