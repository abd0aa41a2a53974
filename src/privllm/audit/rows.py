"""Between ``AuditRecord`` and database rows: column values, associated data, decryption,
and the read queries (filters, stats, key checks) the store runs.

Associated data binds every ciphertext to its place, so a ciphertext copied to another
record, position, period or log no longer decrypts:

``payload``   (log id, call id, period = data key id, seq = chain position), under the
              period's data key
``map``       (log id, call id, seq), under the call's own map key
``map key``   (log id, call id), wrapped under the period's data key, stored in ``map_keys``
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import Any, Protocol

from privllm.audit.chain import canonical
from privllm.audit.crypto import DataKey, KeyRing
from privllm.audit.record import AuditRecord, ContentMode, StatsRow, VerifyReport
from privllm.errors import AuditError

__all__ = [
    "PERIOD_FIRSTS",
    "STATS_FIRST",
    "STATS_TOTALS",
    "Prepared",
    "Queries",
    "chain_label",
    "check_data_keys",
    "data_label",
    "decrypt",
    "filters",
    "stats",
    "to_record",
    "utc_text",
]

_PERIOD, _PAYLOAD, _MAP = 16, 17, 18
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class Queries(Protocol):
    """A connection that runs ``?``-parameter SQL: ``sqlite3.Connection``, or the PostgreSQL
    store's adapter. The queries below are written once for both unless they take SQL."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


#: Per (day, provider): calls, errors, blocked, tokens. SQLite sums booleans as integers.
STATS_TOTALS = (
    "SELECT substr(time, 1, 10), provider, COUNT(*), SUM(status = 'error'),"
    " SUM(status = 'blocked'), COALESCE(SUM(prompt_tokens), 0),"
    " COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(total_tokens), 0)"
    " FROM records GROUP BY 1, 2 ORDER BY 1, 2"
)
#: The first record of a (day, provider) group, to name it when its day is unreadable.
STATS_FIRST = (
    "SELECT seq, call_id FROM records WHERE substr(time, 1, 10) IS ?"
    " AND provider IS ? ORDER BY seq LIMIT 1"
)
#: Each period holding ciphertext, with its first record, in chain order.
PERIOD_FIRSTS = (
    "SELECT period, MIN(seq), call_id FROM records"
    " WHERE payload IS NOT NULL OR map IS NOT NULL GROUP BY period ORDER BY 2"
)


def utc_text(when: datetime) -> str:
    """``when`` as stored: UTC, fixed width, so text order is time order.

    The year is padded by hand: ``%Y`` gives ``"999"``, not ``"0999"``, on glibc.
    """
    u = when.astimezone(timezone.utc)
    return f"{u.year:04d}-{u:%m-%dT%H:%M:%S.%f}Z"


def chain_label(log_id: bytes) -> bytes:
    """Associated data of the wrapped chain key."""
    return b"privllm chain key|" + log_id


def data_label(log_id: bytes, period: str) -> bytes:
    """Associated data of a wrapped data key."""
    return b"privllm data key|" + log_id + b"|" + period.encode()


def _payload_aad(log_id: bytes, call_id: str, period: str, seq: int) -> bytes:
    return canonical(("payload", log_id, call_id, period, seq))


def _map_key_aad(log_id: bytes, call_id: str) -> bytes:
    return canonical(("map key", log_id, call_id))


def _map_aad(log_id: bytes, call_id: str, seq: int) -> bytes:
    return canonical(("map", log_id, call_id, seq))


class Prepared:
    """A record's column values, computed before the write lock is taken."""

    __slots__ = ("call_id", "map_json", "meta", "meta_encoded", "payload_json")

    def __init__(self, r: AuditRecord, mode: ContentMode) -> None:
        self.call_id = r.call_id
        self.meta = (
            r.call_id,
            utc_text(r.time),
            r.provider,
            r.model,
            r.endpoint_host,
            r.endpoint_kind,
            r.decision,
            r.rule,
            r.status,
            None if r.latency_ms is None else float(r.latency_ms),
            r.prompt_tokens,
            r.completion_tokens,
            r.total_tokens,
            json.dumps(r.findings, sort_keys=True, separators=(",", ":")),
            mode,
        )
        self.meta_encoded = canonical(self.meta)
        self.payload_json = None if mode == "metadata" else _json(r.call_id, r.payload)
        self.map_json = _json(r.call_id, r.placeholder_map) if mode == "full" else None

    def encoded(self, row: tuple[Any, ...]) -> bytes:
        """``canonical(row)`` of a row from :meth:`row`, with the metadata's part encoded
        before the lock: ``canonical`` concatenates one encoding per value, so the bytes
        (and MACs) are the same, and less work is done while every other writer waits."""
        return canonical(row[:1]) + self.meta_encoded + canonical(row[1 + len(self.meta) :])

    def row(
        self, seq: int, period: str, dk: DataKey, log_id: bytes
    ) -> tuple[tuple[Any, ...], bytes | None]:
        """The chain columns of this record at ``seq``, and its wrapped map key if any."""
        payload = map_blob = map_key = None
        if self.payload_json is not None:
            payload = dk.encrypt(self.payload_json, _payload_aad(log_id, self.call_id, period, seq))
        if self.map_json is not None:
            mk, map_key = dk.new_subkey(self.call_id, _map_key_aad(log_id, self.call_id))
            map_blob = mk.encrypt(self.map_json, _map_aad(log_id, self.call_id, seq))
        return (seq, *self.meta, period, payload, map_blob), map_key


def _json(call_id: str, value: dict[str, Any] | None) -> bytes | None:
    if value is None:
        return None
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError) as exc:
        # json's messages name types, never values.
        raise AuditError(f"record {call_id}: payload cannot be stored as JSON: {exc}") from exc


def decrypt(
    conn: Queries, dk: DataKey, log_id: bytes, row: Sequence[Any]
) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """The payload and placeholder map of a row (the map is None once erased)."""
    seq, call_id, period = row[0], row[1], row[_PERIOD]
    payload = mapping = None
    if row[_PAYLOAD] is not None:
        aad = _payload_aad(log_id, call_id, period, seq)
        payload = json.loads(dk.decrypt(row[_PAYLOAD], aad, what="the payload"))
    if row[_MAP] is not None:
        found = conn.execute(
            "SELECT wrapped FROM map_keys WHERE call_id = ?", (call_id,)
        ).fetchone()
        if found is not None:
            mk = dk.open_subkey(call_id, found[0], _map_key_aad(log_id, call_id))
            mapping = json.loads(
                mk.decrypt(row[_MAP], _map_aad(log_id, call_id, seq), what="the placeholder map")
            )
    return payload, mapping


def to_record(
    row: Sequence[Any], payload: dict[str, Any] | None, mapping: dict[str, str] | None
) -> AuditRecord:
    """An ``AuditRecord`` from a row and its decrypted content."""
    return AuditRecord(
        seq=row[0],
        call_id=row[1],
        time=datetime.strptime(row[2], "%Y-%m-%dT%H:%M:%S.%f%z"),
        provider=row[3],
        model=row[4],
        endpoint_host=row[5],
        endpoint_kind=row[6],
        decision=row[7],
        rule=row[8],
        status=row[9],
        latency_ms=row[10],
        prompt_tokens=row[11],
        completion_tokens=row[12],
        total_tokens=row[13],
        findings=json.loads(row[14]),
        content_mode=row[15],
        payload=payload,
        placeholder_map=mapping,
    )


def filters(
    since: datetime | None, provider: str | None, status: str | None
) -> tuple[str, tuple[Any, ...]]:
    """SQL ``AND`` clauses and their arguments for ``iter_records``."""
    where, args = "", ()  # type: tuple[str, tuple[Any, ...]]
    if since is not None:
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        where, args = where + " AND time >= ?", (*args, utc_text(since))
    if provider is not None:
        where, args = where + " AND provider = ?", (*args, provider)
    if status is not None:
        where, args = where + " AND status = ?", (*args, status)
    return where, args


def stats(conn: Queries, totals: str = STATS_TOTALS, first: str = STATS_FIRST) -> list[StatsRow]:
    """Per (UTC day of the call, provider): calls, errors, blocked, tokens, findings.

    Raises ``AuditError`` naming the first record whose time or findings cannot be read.
    """
    findings: dict[tuple[str, str], dict[str, int]] = {}
    for seq, call_id, day, provider, text in conn.execute(
        "SELECT seq, call_id, substr(time, 1, 10), provider, findings FROM records"
        " WHERE findings != '{}' ORDER BY seq"
    ):
        counts = findings.setdefault((day, provider), {})
        try:
            for kind, n in _finding_counts(text).items():
                counts[kind] = counts.get(kind, 0) + n
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep JSON
            raise _invalid(seq, call_id) from exc
    out = []
    for day, provider, calls, errors, blocked, pt, ct, tt in conn.execute(totals).fetchall():
        try:
            when = date.fromisoformat(day) if _DAY.fullmatch(str(day)) else None
        except ValueError:
            when = None
        if when is None:
            seq, call_id = conn.execute(first, (day, provider)).fetchone()
            raise _invalid(seq, call_id)
        out.append(
            StatsRow(
                day=when,
                provider=provider,
                calls=calls,
                errors=errors,
                blocked=blocked,
                prompt_tokens=pt,
                completion_tokens=ct,
                total_tokens=tt,
                findings=dict(sorted(findings.get((day, provider), {}).items())),
            )
        )
    return out


def _finding_counts(text: object) -> dict[str, int]:
    # The column as written: a JSON object of type -> count. Anything else was edited.
    value = json.loads(text) if isinstance(text, str) else None
    if not isinstance(value, dict) or not all(type(n) is int and n >= 0 for n in value.values()):
        raise ValueError("findings is not an object of counts")
    return value


def _invalid(seq: object, call_id: object) -> AuditError:
    return AuditError(f"record {seq} (call {call_id}) has invalid metadata: run verify")


def check_data_keys(
    conn: Queries,
    ring: KeyRing,
    log_id: bytes,
    report: VerifyReport,
    period_firsts: str = PERIOD_FIRSTS,
) -> VerifyReport:
    """``report``, or a failed one if a period's data key is missing or does not unwrap.

    The key table is outside the chain (purge must be able to delete keys), so verify
    checks it separately: every period that still has ciphertext must have a working key.
    """
    for period, seq, call_id in conn.execute(period_firsts).fetchall():
        found = conn.execute("SELECT wrapped FROM data_keys WHERE period = ?", (period,)).fetchone()
        problem = None
        if found is None:
            problem = f"the data key of period {period} is missing"
        else:
            try:
                ring.open_data_key(period, found[0], data_label(log_id, period), what="it")
            except AuditError:
                problem = f"the data key of period {period} was altered"
        if problem is not None:
            return VerifyReport(
                ok=False,
                records=report.records,
                first_seq=report.first_seq,
                last_seq=report.last_seq,
                problem=f"{problem} (first record {seq}, call {call_id})",
                bad_seq=seq,
                bad_call_id=call_id,
            )
    return report
