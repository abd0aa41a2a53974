"""``AuditWriter``: append records in microseconds; one thread encrypts and writes them.

``append()`` only puts the record on a bounded queue, so it is safe to call from an event
loop. A thread takes up to ``batch_size`` records at a time and writes each batch in one
transaction (JSON encoding, encryption and MACs happen there, not in the caller). The
queue is bounded on purpose, and a full queue is an explicit choice, never a silent drop:

``on_full="block"``  the caller waits for room (``block_timeout`` then ``AuditError``);
                     note that waiting inside an event loop stalls the loop
``on_full="fail"``   ``append`` raises ``AuditError`` at once

A record the thread cannot write (disk full, duplicate call id, key rotated by another
process) puts the writer in a failed state for good: ``check()``, and every later
``append``, ``flush`` or ``close``, raises ``AuditError`` with the count of records lost
(records appended after the failure count too), so a caller can fail closed before it
does anything that would need a record.

Durability: a record is on disk once ``flush()`` returns, or once ``append(record,
wait=True)`` returns: waiting appends from many threads share one transaction (a group
commit). Records still queued when the process is killed are lost; waited-for ones are not
(with the store's ``durable=True`` they survive power loss as well).

    writer = AuditWriter(store, on_full="fail")
    writer.append(record)      # microseconds
    writer.close()             # drains the queue; also registered with atexit
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from types import TracebackType
from typing import Literal

from privllm.audit.backend import AuditLog
from privllm.audit.record import AuditRecord
from privllm.errors import AuditError

__all__ = ["AuditWriter"]


class _Flush:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class _Waited:
    """A record whose appender waits until its transaction commits (or fails)."""

    __slots__ = ("done", "ok", "record")

    def __init__(self, record: AuditRecord) -> None:
        self.record = record
        self.done = threading.Event()
        self.ok = False


_STOP = object()


class AuditWriter:
    """A background writer for ``store``. See the module docstring for the guarantees.

    ``close_store=True`` closes the store too when the writer closes (handy when the
    writer is closed by ``atexit``).
    """

    def __init__(
        self,
        store: AuditLog,
        *,
        max_queue: int = 10_000,
        on_full: Literal["block", "fail"] = "block",
        block_timeout: float | None = None,
        batch_size: int = 512,
        close_store: bool = False,
        linger: float = 0.02,
    ) -> None:
        if on_full not in ("block", "fail"):
            raise ValueError('on_full must be "block" or "fail"')
        if max_queue < 1 or batch_size < 1:
            raise ValueError("max_queue and batch_size must be positive")
        self.store = store
        self.max_queue = max_queue
        self.on_full = on_full
        self._block_timeout = block_timeout
        self._batch_size = batch_size
        # Wait this long after a record for more to share its transaction: one commit per
        # record costs the caller's thread (GIL, fsync) far more than 20 ms of latency for
        # a log. A flush or close ends the wait at once.
        self._linger = max(linger, 0.0)
        self._close_store = close_store
        self._queue: queue.Queue[object] = queue.Queue(max_queue)
        # Guards `_closed` against a concurrent append: nothing may be enqueued after the
        # stop marker, or it would be accepted and never written.
        self._lock = threading.Lock()
        self._closed = False
        self._error: BaseException | None = None
        self._lost = 0
        self._count_lock = threading.Lock()  # guards _lost and _error
        self._thread = threading.Thread(target=self._run, name="privllm-audit-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "failed" if self._error else "open"
        return f"AuditWriter({self.store!r}, {state}, queued={self._queue.qsize()})"

    @property
    def queued(self) -> int:
        """Records accepted but not yet written (approximate while the thread runs)."""
        return self._queue.qsize()

    def check(self) -> None:
        """Raise ``AuditError`` if the writer is closed or has failed: nothing it is given
        now would be logged. Cheap (two attribute reads), for callers to fail closed early."""
        if self._closed:
            raise AuditError("the audit writer is closed")
        if self._error is not None:
            raise self._failure()

    def append(self, record: AuditRecord, *, wait: bool = False) -> None:
        """Queue ``record`` for writing. The writer owns it from now on: do not mutate it.

        With ``wait=True``, return only once the record is committed (raise if it was not).
        Raises ``AuditError`` if the writer is closed or failed, or the queue is full
        (``on_full="fail"``, or ``"block"`` after ``block_timeout``).
        """
        item: AuditRecord | _Waited = _Waited(record) if wait else record
        with self._lock:
            if self._closed:
                raise AuditError("the audit writer is closed")
            if self._error is not None:
                with self._count_lock:
                    self._lost += 1  # nor will this record be logged: keep the count true
                raise self._failure()
            try:
                if self.on_full == "fail":
                    self._queue.put_nowait(item)
                else:
                    self._queue.put(item, timeout=self._block_timeout)
            except queue.Full as exc:
                raise AuditError(
                    f"the audit queue is full ({self.max_queue} records waiting); record "
                    f"{record.call_id} was not logged"
                ) from exc
        if isinstance(item, _Waited):
            item.done.wait()
            if not item.ok:
                raise self._failure()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every record appended before this call is written (or raise)."""
        marker = _Flush()
        with self._lock:
            if self._closed:
                return
            self._queue.put(marker)
        if not marker.done.wait(timeout):
            raise AuditError(f"audit writer flush timed out after {timeout} s")
        if self._error is not None:
            raise self._failure()

    def close(self, timeout: float | None = None) -> None:
        """Write everything queued, stop the thread, and raise if any record was lost."""
        with self._lock:
            first = not self._closed
            if first:
                self._closed = True
                self._queue.put(_STOP)
        if first:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise AuditError(
                    f"the audit writer did not finish in {timeout} s; "
                    f"{self._queue.qsize()} records still queued"
                )
            atexit.unregister(self.close)
            if self._close_store:
                self.store.close()
        if self._error is not None:
            raise self._failure()

    def __enter__(self) -> AuditWriter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _failure(self) -> AuditError:
        err = AuditError(
            f"the audit writer failed; {self._lost} record(s) not logged: {self._error}"
        )
        err.__cause__ = self._error
        return err

    # -- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            deadline = time.monotonic() + self._linger
            while len(items) < self._batch_size and isinstance(items[-1], (AuditRecord, _Waited)):
                wait = deadline - time.monotonic()
                try:
                    items.append(
                        self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
            batch: list[AuditRecord | _Waited] = []
            for item in items:
                if isinstance(item, (AuditRecord, _Waited)):
                    batch.append(item)
                    continue
                self._write(batch)  # everything before a marker is written before it
                batch = []
                if isinstance(item, _Flush):
                    item.done.set()
                else:
                    return
            self._write(batch)

    def _write(self, batch: list[AuditRecord | _Waited]) -> None:
        if not batch:
            return
        try:
            self.store.append_many([i.record if isinstance(i, _Waited) else i for i in batch])
        except Exception as exc:
            if len(batch) == 1:
                # Not self._lock: an appender may hold it while it waits for queue room.
                with self._count_lock:
                    self._lost += 1
                    if self._error is None:
                        self._error = exc
                if isinstance(batch[0], _Waited):
                    batch[0].done.set()
                return
            # One bad record (e.g. a duplicate call id) must not sink the whole batch.
            for item in batch:
                self._write([item])
            return
        for item in batch:
            if isinstance(item, _Waited):
                item.ok = True
                item.done.set()
