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
from typing import Any, NamedTuple, Protocol

from privllm.audit.chain import Head, canonical, encode_blob, encode_int, encode_str
from privllm.audit.crypto import DataKey, KeyRing, MacKey
from privllm.audit.record import AuditRecord, ContentMode, StatsRow, VerifyReport
from privllm.errors import AuditError

__all__ = [
    "PERIOD_FIRSTS",
    "STATS_FIRST",
    "STATS_TOTALS",
    "Chained",
    "EncodingCache",
    "Prepared",
    "Queries",
    "chain_label",
    "chain_rows",
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

    ``isoformat`` zero-pads the year (``"0999"``, where glibc's ``%Y`` gives ``"999"``) and,
    with ``timespec``, always writes the microseconds; a UTC time ends in ``+00:00``.
    """
    if when.tzinfo is not timezone.utc:  # an AuditRecord's time already is
        when = when.astimezone(timezone.utc)
    return when.isoformat(timespec="microseconds")[:-6] + "Z"


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


# Built once: json.dumps with options builds an encoder per call. Same output as
# json.dumps(value, sort_keys=True, separators=(",", ":")) and (..., ensure_ascii=False).
_FINDINGS_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
_PAYLOAD_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_CACHED = 256  # distinct encodings an EncodingCache keeps of each kind


class EncodingCache:
    """Encodings of metadata that repeats from call to call (provider .. status, and the
    findings' JSON); a store keeps one for its :class:`Prepared` records. Bounded."""

    __slots__ = ("common", "findings")

    def __init__(self) -> None:
        self.common: dict[tuple[Any, ...], bytes] = {}
        self.findings: dict[tuple[tuple[str, int], ...], str] = {}

    def common_encoded(self, values: tuple[Any, ...]) -> bytes:
        found = self.common.get(values)
        if found is None:
            found = canonical(values)
            _keep(self.common, values, found)
        return found

    def findings_json(self, findings: dict[str, int]) -> str:
        key = tuple(findings.items())
        found = self.findings.get(key)
        if found is None:
            found = _FINDINGS_JSON(findings)
            _keep(self.findings, key, found)
        return found


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHED:
        cache.clear()
    cache[key] = value


class Prepared:
    """A record's column values, computed before the write lock is taken.

    ``canonical`` concatenates one encoding per value, so a row's bytes are built here from
    pieces (the metadata's encoded once, before the lock) and are the same bytes, and MACs,
    as ``canonical(row)``.
    """

    __slots__ = ("call_enc", "call_id", "map_json", "meta", "meta_encoded", "payload_json")

    def __init__(
        self, r: AuditRecord, mode: ContentMode, cache: EncodingCache | None = None
    ) -> None:
        cache = EncodingCache() if cache is None else cache
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
            cache.findings_json(r.findings),
            mode,
        )
        self.call_enc = encode_str(r.call_id)
        self.meta_encoded = (
            self.call_enc
            + encode_str(self.meta[1])
            + cache.common_encoded(self.meta[2:9])
            + canonical(self.meta[9:])
        )
        self.payload_json = None if mode == "metadata" else _json(r.call_id, r.payload)
        self.map_json = _json(r.call_id, r.placeholder_map) if mode == "full" else None


class Chained(NamedTuple):
    """Rows ready to insert (chain columns, then ``mac``), the ``(call_id, wrapped map
    key)`` pairs of ``full`` records, and the new last link."""

    rows: list[tuple[Any, ...]]
    map_keys: list[tuple[str, bytes]]
    last_seq: int
    last_mac: bytes


def chain_rows(
    prepared: Sequence[Prepared],
    after: Head,
    period: str,
    dk: DataKey,
    mac: MacKey,
    log_id: bytes,
) -> Chained:
    """Encrypt ``prepared`` under ``dk`` and link them after the last link of ``after``."""
    after_seq, after_mac = after.last_seq, after.last_mac
    period_enc = canonical((period,))
    payload_head = canonical(("payload", log_id))  # the payload AAD, up to the call id
    seqs = range(after_seq + 1, after_seq + 1 + len(prepared))
    seq_encs = [encode_int(seq) for seq in seqs]
    # _payload_aad, in pieces; one batch of nonces for all the payloads
    sealed = iter(
        dk.encrypt_many(
            [
                (p.payload_json, payload_head + p.call_enc + period_enc + seq_enc)
                for p, seq_enc in zip(prepared, seq_encs, strict=True)
                if p.payload_json is not None
            ]
        )
    )
    link, prev = mac.link, after_mac
    out: list[tuple[Any, ...]] = []
    map_keys: list[tuple[str, bytes]] = []
    for p, seq, seq_enc in zip(prepared, seqs, seq_encs, strict=True):
        payload = None if p.payload_json is None else next(sealed)
        map_blob = None
        if p.map_json is not None:
            mk, map_key = dk.new_subkey(p.call_id, _map_key_aad(log_id, p.call_id))
            map_blob = mk.encrypt(p.map_json, _map_aad(log_id, p.call_id, seq))
            map_keys.append((p.call_id, map_key))
        data = seq_enc + p.meta_encoded + period_enc + encode_blob(payload) + encode_blob(map_blob)
        prev = link(prev, data)
        out.append((seq, *p.meta, period, payload, map_blob, prev))
    seq = seqs[-1] if seqs else after_seq
    return Chained(out, map_keys, seq, prev)


def _json(call_id: str, value: dict[str, Any] | None) -> bytes | None:
    if value is None:
        return None
    try:
        return _PAYLOAD_JSON(value).encode()
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
