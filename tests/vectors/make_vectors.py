"""Write the known-answer vectors kept in ``tests/vectors`` (run once per format version).

    python tests/vectors/make_vectors.py [OUTPUT_FOLDER]

The files are what every later privllm must still open, verify and read: an audit log
(``audit-v1.db``) and two sealed fine-tuning value maps. Their inputs are in ``known.py``;
the tests in this folder check the stored files byte for byte (SHA-256) and decode them both
with privllm and with an independent decoder written from docs/audit.md.

**Never overwrite a stored vector.** A vector is evidence of what an earlier release wrote.
If a change to privllm makes a test here fail, either the change is a bug, or it is a
deliberate format change: then it needs a migration (or a reader for the old format) that
still passes the old vector's tests, plus a *new* vector (``audit-v2.db``, ...): add a
maker for it to ``VECTORS`` below, run this script, and write its tests. The script writes
only the vectors that do not exist yet and never replaces a file.

Ciphertexts use random nonces, keys and log ids, so two runs never give the same bytes:
that is why the files are kept rather than regenerated in the tests.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script: make `vectors.known` importable

from privllm.audit.crypto import KeyRing, MasterKey  # noqa: E402
from privllm.audit.record import AuditRecord  # noqa: E402
from privllm.audit.store import AuditStore  # noqa: E402
from privllm.finetune.prepare.valuemap import ValueMap  # noqa: E402
from vectors import known  # noqa: E402

# The smallest SQLite page keeps the log a few KB; the page size is SQLite's, not privllm's.
_PAGE_SIZE = 512


class _Clock:
    def __init__(self) -> None:
        self.now = known.utc("2025-01-06T09:00:00")

    def __call__(self) -> datetime:
        return self.now


def make_audit_log_v1(path: Path) -> None:
    """The log described in ``known.py``: every status and content mode, a purged day, an
    erased map, a rotated key, and a record written after the rotation."""
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
        conn.execute("VACUUM")  # writes the header, so the page size sticks
    conn.close()
    clock = _Clock()
    old, new = MasterKey(known.OLD_KEY), MasterKey(known.KEY)
    with AuditStore(path, old, content_mode=known.STORE_CONTENT_MODE, clock=clock) as store:
        for fields in known.PURGED:
            store.append(AuditRecord(**fields))
        clock.now = known.utc("2025-01-07T09:00:00")
        store.append_many([AuditRecord(**fields) for fields in known.DAY_2])
        clock.now = known.utc("2025-01-08T09:00:00")
        store.purge(older_than=timedelta(days=1))
        store.erase("c-erased")
        store.rotate_key(new)
        for fields in known.AFTER_ROTATION:
            store.append(AuditRecord(**fields))
        if not store.verify():
            raise SystemExit("the new log does not verify")
    # The last connection closed: SQLite checkpointed and removed the WAL, so the one file
    # holds everything.
    for suffix in ("-wal", "-shm"):
        if path.with_name(path.name + suffix).exists():
            raise SystemExit(f"{path}{suffix} was left behind")


def make_value_map_v1(path: Path) -> None:
    """A placeholder-mode map sealed under OLD_KEY."""
    vmap = ValueMap("placeholder", salt=known.VALUE_MAP_SALT)
    for kind, n in known.VALUE_MAP_RESERVED:
        vmap.reserve(kind, n)
    for kind, value in known.VALUE_MAP_VALUES:
        vmap.stand_in(kind, value)
    vmap.save(path, KeyRing(MasterKey(known.OLD_KEY)))


def make_surrogate_map_v1(path: Path) -> None:
    """A surrogate-mode map sealed under OLD_KEY, then rotated to KEY (``KeyRing.rotate``)."""
    old, new = MasterKey(known.OLD_KEY), MasterKey(known.KEY)
    smap = ValueMap("surrogate", salt=known.SURROGATE_MAP_SALT)
    for kind, value in known.SURROGATE_MAP_VALUES:
        smap.stand_in(kind, value)
    smap.save(path, KeyRing(old))
    path.write_bytes(KeyRing(new, previous=[old]).rotate(path.read_bytes()))


#: Every vector ever made, by file name. A new format adds a line (and a maker); none is
#: ever removed or changed.
VECTORS = {
    known.AUDIT_LOG_V1: make_audit_log_v1,
    known.VALUE_MAP_V1: make_value_map_v1,
    known.SURROGATE_MAP_V1: make_surrogate_map_v1,
}


def main(argv: list[str]) -> None:
    folder = Path(argv[1]) if len(argv) > 1 else HERE
    for name, make in VECTORS.items():
        path = folder / name
        if path.exists():
            print(f"{path}: kept (a vector is never overwritten)")
            continue
        make(path)
        print(f"{path}: written, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv)
