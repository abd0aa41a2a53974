"""The audit middleware: one encrypted record per call, written off the caller's thread.

The client puts it innermost (last), so it sees the request exactly as sent and the answer
exactly as received, both still in placeholder form: nothing it records has been restored.
Every call produces one record, whatever its outcome:

- ``ok``: at ``on_response`` (chat, embeddings) or ``on_stream_end`` (a stream's answer,
  assembled from its chunks).
- ``blocked``: a ``PolicyViolation`` (redaction ``block``, a policy rule, the egress guard);
  ``rule`` names the rule. Refused before this middleware ran, the record has no request:
  an unredacted request is never recorded.
- ``error``: anything else: provider errors (their text is in placeholder form), a stream
  that broke (with the partial answer).
- ``cancelled``: the caller gave up: a stream left before its end (closed, or garbage
  collected) or a cancelled task; the provider may have answered anyway.

The hooks only build a small record (a few microseconds) and queue it; an
:class:`~privllm.audit.writer.AuditWriter` thread encrypts and writes. If the record cannot
be queued (full queue with ``on_full="fail"``, a failed or closed writer), the call fails
with ``AuditError``: a call is never left unlogged silently. Once the writer has failed
(disk full), every later call is refused in ``on_request``, before anything is sent.

``require_record=True`` (``audit.require_record``) makes each call wait until its record is
committed: a call that returns (or raises) has its record on disk, even if the process is
killed the next instant. ``Client`` blocks the calling thread for the commit (concurrent
threads share commits). ``AsyncClient`` never blocks its event loop: the hook only queues
the record (:func:`defer_record`), and the client awaits its commit after the chain
(:func:`record_committed`), woken by the writer thread; other tasks run meanwhile and
share the commit. A cancelled call is not waited for: it returns nothing.

In code, with a key from your KMS (the client builds it from ``[audit]`` config)::

    client = Client(audit={"path": "/var/lib/app/audit.db", "key": kms_fetch_key})
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from time import monotonic
from typing import Any, Literal

from privllm.audit.backend import AuditLog, open_store
from privllm.audit.keys import resolve_key
from privllm.audit.record import AuditRecord, ContentMode, RecordStatus
from privllm.audit.writer import AuditWriter, PendingRecord
from privllm.config import AuditConfig
from privllm.errors import AuditError, PolicyViolation, PrivllmError, ProviderError
from privllm.pipeline import CallContext, Middleware
from privllm.policy.middleware import call_decision
from privllm.redaction.state import FINDINGS, VAULT
from privllm.types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Usage,
)

__all__ = ["AuditMiddleware", "defer_record", "record_committed"]

_log = logging.getLogger("privllm.audit")
_CALL = "audit.call"  # ctx.state key: this call's _Call
_DEFER = "audit.defer"  # ctx.state key: the client awaits the commit (record_committed)
_PENDING = "audit.pending"  # ctx.state key: the PendingRecord the client awaits
_RETENTION_INTERVAL = 3600.0  # seconds between purges in a long-running process


class _Call:
    """What one call has shown this middleware so far."""

    __slots__ = ("done", "finish", "parts", "request", "tools", "usage")

    def __init__(self, request: dict[str, Any] | None) -> None:
        self.request = request
        self.done = False
        self.parts: list[str] = []
        self.tools: dict[int, dict[str, str]] = {}
        self.finish: str | None = None
        self.usage: Usage | None = None


class AuditMiddleware(Middleware):
    """Record every call in ``store`` through a background writer.

    ``content`` follows ``store.content_mode``. ``queue_size``, ``on_full`` and
    ``block_timeout`` configure the writer; ``retention_days`` purges old records now and
    hourly. ``close_store=True`` hands the store's lifetime to this middleware.

        store = AuditStore(path, MasterKey.from_env(), content_mode="metadata")
        audit = AuditMiddleware(store, on_full="fail", close_store=True)
        ...
        audit.close()  # drains the queue

    With a client, configure ``Client(audit={...})`` instead of passing an instance:
    middleware you pass runs *before* redaction, so it would see unredacted requests.
    """

    def __init__(
        self,
        store: AuditLog,
        *,
        queue_size: int = 10_000,
        on_full: Literal["block", "fail"] = "block",
        block_timeout: float | None = None,
        retention_days: int | None = None,
        close_store: bool = False,
        require_record: bool = False,
    ) -> None:
        self.store = store
        self.content: ContentMode = store.content_mode
        self.require_record = require_record
        self._writer = AuditWriter(
            store,
            max_queue=queue_size,
            on_full=on_full,
            block_timeout=block_timeout,
            close_store=close_store,
            # Durable logs want each record on disk before the next call, not batched; and
            # a caller waiting for its record must not wait out a linger too.
            linger=0.0 if store.durable or require_record else 0.02,
        )
        self._closed = False
        self._retention: _Retention | None = None
        if retention_days is not None:
            try:
                # Once now, so a process that lives a minute still applies retention.
                store.purge(timedelta(days=retention_days))
            except BaseException:
                self._writer.close()
                raise
            self._retention = _Retention(store, timedelta(days=retention_days))

    @classmethod
    def from_config(
        cls, config: AuditConfig, environ: Mapping[str, str] | None = None
    ) -> AuditMiddleware:
        """Open the configured log (creating it, and its key if allowed) and a writer."""
        key = resolve_key(config, environ)
        store = open_store(config, key, environ=environ)
        try:
            return cls(
                store,
                queue_size=config.queue_size,
                on_full=config.on_full,
                block_timeout=config.block_timeout,
                retention_days=config.retention_days,
                close_store=True,
                require_record=config.require_record,
            )
        except BaseException:
            store.close()
            raise

    def __repr__(self) -> str:
        return f"AuditMiddleware({self.store!r})"

    # -- lifecycle -----------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every record so far is on disk (raises ``AuditError`` if any was lost)."""
        self._writer.flush(timeout)

    def close(self) -> None:
        """Write what is queued and close the writer (and the store if owned). Idempotent.

        Raises ``AuditError`` once if any record could not be written.
        """
        if self._closed:
            return
        self._closed = True
        if self._retention is not None:
            self._retention.stop()
        self._writer.close()

    # -- hooks ---------------------------------------------------------------------------------

    def _refuse_if_unloggable(self) -> None:
        # Refuse before anything is sent, rather than send a call that cannot be logged.
        if self._closed:
            raise AuditError("the audit log of this client is closed")
        self._writer.check()

    def on_request(self, request: ChatRequest, ctx: CallContext) -> ChatRequest:
        self._refuse_if_unloggable()
        ctx.state[_CALL] = _Call(None if self.content == "metadata" else _request_json(request))
        return request

    def on_embedding_request(self, request: EmbeddingRequest, ctx: CallContext) -> EmbeddingRequest:
        self._refuse_if_unloggable()
        ctx.state[_CALL] = _Call(
            None
            if self.content == "metadata"
            else request.model_dump(mode="json", exclude_none=True)
        )
        return request

    def on_response(self, response: ChatResponse, ctx: CallContext) -> ChatResponse:
        answer = None
        if self.content != "metadata":
            answer = {
                "text": response.text,
                "tool_calls": [c.model_dump(mode="json") for c in response.tool_calls],
                "finish_reason": response.finish_reason,
                "id": response.id,
            }
        self._emit(ctx, "ok", answer=answer, usage=response.usage, model=response.model)
        return response

    def on_embedding_response(
        self, response: EmbeddingResponse, ctx: CallContext
    ) -> EmbeddingResponse:
        answer = None
        if self.content != "metadata":
            dims = len(response.vectors[0]) if response.vectors else 0
            answer = {"vectors": len(response.vectors), "dimensions": dims}
        self._emit(ctx, "ok", answer=answer, usage=response.usage, model=response.model)
        return response

    def on_chunk(self, chunk: ChatChunk, ctx: CallContext) -> Iterable[ChatChunk]:
        call: _Call | None = ctx.state.get(_CALL)
        if call is not None:
            if chunk.text:
                call.parts.append(chunk.text)
            for delta in chunk.tool_calls:
                slot = call.tools.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                slot["id"] = delta.id or slot["id"]
                slot["name"] += delta.name or ""
                slot["arguments"] += delta.arguments
            if chunk.finish_reason is not None:
                call.finish = chunk.finish_reason
            if chunk.usage is not None:
                call.usage = chunk.usage
        return (chunk,)

    def on_stream_end(self, ctx: CallContext) -> Iterable[ChatChunk]:
        # Innermost, so this runs before any outer middleware flushes: every provider chunk
        # has been seen, and nothing restored has.
        call: _Call | None = ctx.state.get(_CALL)
        self._emit(ctx, "ok", answer=self._streamed(call), usage=call.usage if call else None)
        return ()

    def on_error(self, error: BaseException, ctx: CallContext) -> None:
        if isinstance(error, AuditError):
            return  # the call failed because it could not be logged; the caller is told so
        call: _Call | None = ctx.state.get(_CALL)
        status: RecordStatus = (
            "blocked"
            if isinstance(error, PolicyViolation)
            else "cancelled"
            if isinstance(error, (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt))
            else "error"
        )
        try:
            self._emit(
                ctx,
                status,
                answer=self._streamed(call) if call and (call.parts or call.tools) else None,
                usage=call.usage if call else None,
                error=error,
            )
        except AuditError as exc:
            raise _also_unlogged(exc, error) from error

    # -- records -------------------------------------------------------------------------------

    def _streamed(self, call: _Call | None) -> dict[str, Any] | None:
        if call is None or self.content == "metadata":
            return None
        return {
            "text": "".join(call.parts),
            "tool_calls": [call.tools[i] for i in sorted(call.tools)],
            "finish_reason": call.finish,
        }

    def _emit(
        self,
        ctx: CallContext,
        status: RecordStatus,
        *,
        answer: dict[str, Any] | None,
        usage: Usage | None,
        model: str | None = None,
        error: BaseException | None = None,
    ) -> None:
        call: _Call | None = ctx.state.get(_CALL)
        if call is None:
            # Refused before on_request reached this middleware: no request to record.
            call = ctx.state[_CALL] = _Call(None)
        if call.done:
            # One record per call: e.g. a response that logged "ok" and then failed to parse.
            return
        call.done = True
        elapsed = monotonic() - ctx.started
        decision, rule = call_decision(ctx, error)
        payload: dict[str, Any] | None = None
        mapping: dict[str, str] | None = None
        if self.content != "metadata":
            payload = {"operation": ctx.operation}
            if call.request is not None:
                payload["request"] = call.request
            if answer is not None:
                payload["response"] = answer
            if error is not None:
                payload["error"] = _error_json(error)
            if self.content == "full" and call.request is not None:
                vault = ctx.state.get(VAULT)
                mapping = vault.mapping() if vault is not None and len(vault) else None
        sent = ctx.sent
        findings = ctx.state.get(FINDINGS)
        record = AuditRecord(
            call_id=ctx.call_id,
            time=datetime.now(timezone.utc) - timedelta(seconds=elapsed),
            provider=ctx.endpoint.provider,
            model=model or (sent.model if sent is not None else "unknown"),
            endpoint_host=ctx.endpoint.host,
            endpoint_kind=ctx.endpoint.kind,
            decision=decision,
            rule=rule,
            status=status,
            latency_ms=round(elapsed * 1000, 3),
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            total_tokens=usage.total_tokens if usage else None,
            findings=dict(findings) if findings else {},
            payload=payload,
            placeholder_map=mapping,
        )
        if self.require_record and ctx.state.get(_DEFER):
            ctx.state[_PENDING] = self._writer.submit(record)
        else:
            self._writer.append(record, wait=self.require_record)


def defer_record(ctx: CallContext) -> None:
    """Let the async client await this call's record commit (``require_record``) with
    :func:`record_committed`, instead of the hook blocking the event loop for it."""
    ctx.state[_DEFER] = True


async def record_committed(ctx: CallContext, error: BaseException | None = None) -> None:
    """Await the commit of the record queued for this call, if it must be on disk before the
    call returns (``require_record``); ``AuditError`` if it was not written. ``error``: the
    call failed with it (as the sync hook does, the ``AuditError`` then names it too). A
    cancelled call is not waited for."""
    pending: PendingRecord | None = ctx.state.pop(_PENDING, None)
    if pending is None or isinstance(error, (asyncio.CancelledError, GeneratorExit)):
        return
    try:
        await pending.wait_async()
    except AuditError as exc:
        if error is None:
            raise
        raise _also_unlogged(exc, error) from error


def _also_unlogged(exc: AuditError, error: BaseException) -> AuditError:
    # The call has failed already; say that it also went unlogged, keeping its cause.
    return AuditError(f"{exc} (the call itself failed: {type(error).__name__})")


def _request_json(request: ChatRequest) -> dict[str, Any]:
    # A response_format class is logged by name (what a reader of the log needs); OpenAI's
    # dict as sent.
    data = request.model_dump(mode="json", exclude_none=True, exclude={"response_format"})
    if isinstance(request.response_format, type):
        data["response_format"] = request.response_format.__name__
    elif request.response_format is not None:
        data["response_format"] = request.response_format.wire()
    return data


def _error_json(error: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(error).__name__}
    if isinstance(error, (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt)):
        out["cancelled"] = True  # the caller gave up; the provider may have answered anyway
    # privllm's own errors never carry a restored value or a key; anything else might (an
    # app middleware quoting an answer), so only its type is kept.
    if isinstance(error, PrivllmError):
        out["message"] = str(error)
    if isinstance(error, PolicyViolation):
        out["rule"] = error.rule
    if isinstance(error, ProviderError):
        out.update(status_code=error.status_code, request_id=error.request_id)
    return out


class _Retention:
    """Purges records past retention every hour, in a daemon thread (never on a caller)."""

    def __init__(self, store: AuditLog, older_than: timedelta) -> None:
        self._store = store
        self._older_than = older_than
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="privllm-audit-retention", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(_RETENTION_INTERVAL):
            try:
                self._store.purge(self._older_than)
            except AuditError as exc:
                # Nothing is lost by a failed purge (records stay); say so and try next time.
                _log.error("privllm: audit retention purge failed: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
