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

import asyncio
import atexit
import contextlib
import threading
import time
from collections import deque
from types import TracebackType
from typing import Literal

from privllm.audit.backend import AuditLog
from privllm.audit.record import AuditRecord
from privllm.errors import AuditError

__all__ = ["AuditWriter", "PendingRecord"]


class _Flush:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class PendingRecord:
    """A queued record whose commit a caller waits for: :meth:`wait` from a thread, or
    ``await`` :meth:`wait_async` on an event loop (which keeps running meanwhile; the
    writer thread wakes it with ``call_soon_threadsafe``). Both raise ``AuditError`` if the
    record was not written."""

    __slots__ = ("_lock", "_loops", "_writer", "done", "ok", "record")

    def __init__(self, record: AuditRecord, writer: AuditWriter) -> None:
        self.record = record
        self.done = threading.Event()
        self.ok = False
        self._writer = writer
        self._lock = threading.Lock()
        self._loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def _settle(self, ok: bool) -> None:
        # In the writer thread, once the record's transaction committed (or failed).
        with self._lock:
            self.ok = ok
            self.done.set()
            loops, self._loops = self._loops, []
        for loop, future in loops:
            # A closed loop has no one waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, future)

    def wait(self) -> None:
        """Block until the record is committed; raise ``AuditError`` if it was not."""
        self.done.wait()
        if not self.ok:
            raise self._writer._failure()

    async def wait_async(self) -> None:
        """Await the commit without blocking the event loop; ``AuditError`` if not written."""
        future: asyncio.Future[None] | None = None
        with self._lock:
            if not self.done.is_set():
                future = asyncio.get_running_loop().create_future()
                self._loops.append((future.get_loop(), future))
        if future is not None:
            await future
        if not self.ok:
            raise self._writer._failure()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # the awaiting task may have been cancelled
        future.set_result(None)


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
        # The queue: a deque under one lock, with two conditions (as queue.Queue has), but
        # the thread is woken only when it waits for a first record, a batch is full, or a
        # flush or stop is queued; not by every append while it lingers. Per-record
        # wake-ups cost the caller's thread (GIL hand-offs) more than the write itself.
        self._items: deque[object] = deque()
        # Also guards `_closed` against a concurrent append: nothing may be enqueued after
        # the stop marker, or it would be accepted and never written.
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._idle = False  # the thread waits for a first record
        self._markers = 0  # flush and stop markers queued
        self._closed = False
        self._error: BaseException | None = None
        self._lost = 0
        self._count_lock = threading.Lock()  # guards _lost and _error
        self._thread = threading.Thread(target=self._run, name="privllm-audit-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "failed" if self._error else "open"
        return f"AuditWriter({self.store!r}, {state}, queued={len(self._items)})"

    @property
    def queued(self) -> int:
        """Records accepted but not yet written (approximate while the thread runs)."""
        return len(self._items)

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
        if wait:
            self.submit(record).wait()
        else:
            self._put(record, record)

    def submit(self, record: AuditRecord) -> PendingRecord:
        """Queue ``record`` like :meth:`append` and return a :class:`PendingRecord` to wait
        on for its commit (``await pending.wait_async()`` on an event loop)."""
        pending = PendingRecord(record, self)
        self._put(pending, record)
        return pending

    def _put(self, item: AuditRecord | PendingRecord, record: AuditRecord) -> None:
        with self._lock:
            if self._closed:
                raise AuditError("the audit writer is closed")
            if self._error is not None:
                with self._count_lock:
                    self._lost += 1  # nor will this record be logged: keep the count true
                raise self._failure()
            if len(self._items) >= self.max_queue and not self._wait_for_room():
                raise AuditError(
                    f"the audit queue is full ({self.max_queue} records waiting); record "
                    f"{record.call_id} was not logged"
                )
            if self._closed:  # closed while this append waited for room
                raise AuditError("the audit writer is closed")
            self._items.append(item)
            if self._idle or len(self._items) >= self._batch_size:
                self._not_empty.notify()

    def _wait_for_room(self) -> bool:
        # Holding self._lock. False: no room (on_full="fail", or block_timeout passed).
        if self.on_full == "fail":
            return False
        return self._not_full.wait_for(
            lambda: len(self._items) < self.max_queue or self._closed, timeout=self._block_timeout
        )

    def _put_marker(self, marker: object) -> None:
        # Holding self._lock. Markers never wait for room: the thread is draining.
        self._items.append(marker)
        self._markers += 1
        self._not_empty.notify()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every record appended before this call is written (or raise)."""
        marker = _Flush()
        with self._lock:
            if self._closed:
                return
            self._put_marker(marker)
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
                self._put_marker(_STOP)
                self._not_full.notify_all()  # appends waiting for room fail now
        if first:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise AuditError(
                    f"the audit writer did not finish in {timeout} s; "
                    f"{len(self._items)} records still queued"
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

    def _take(self) -> list[object]:
        """The next records to write, up to ``batch_size``, ending at a marker if one comes
        first; waits for a first record, then up to ``linger`` for more."""
        with self._lock:
            while not self._items:
                self._idle = True
                self._not_empty.wait()
            self._idle = False
            deadline = time.monotonic() + self._linger
            while len(self._items) < self._batch_size and not self._markers:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._not_empty.wait(left)
            items: list[object] = []
            while self._items and len(items) < self._batch_size:
                item = self._items.popleft()
                items.append(item)
                if not isinstance(item, (AuditRecord, PendingRecord)):
                    self._markers -= 1
                    break
            self._not_full.notify_all()
            return items

    def _run(self) -> None:
        while True:
            batch: list[AuditRecord | PendingRecord] = []
            for item in self._take():
                if isinstance(item, (AuditRecord, PendingRecord)):
                    batch.append(item)
                    continue
                self._write(batch)  # everything before a marker is written before it
                batch = []
                if isinstance(item, _Flush):
                    item.done.set()
                else:
                    return
            self._write(batch)

    def _write(self, batch: list[AuditRecord | PendingRecord]) -> None:
        if not batch:
            return
        try:
            self.store.append_many([i.record if isinstance(i, PendingRecord) else i for i in batch])
        except Exception as exc:
            if len(batch) == 1:
                # Not self._lock: an appender may hold it while it waits for queue room.
                with self._count_lock:
                    self._lost += 1
                    if self._error is None:
                        self._error = exc
                if isinstance(batch[0], PendingRecord):
                    batch[0]._settle(False)
                return
            # One bad record (e.g. a duplicate call id) must not sink the whole batch.
            for item in batch:
                self._write([item])
            return
        for item in batch:
            if isinstance(item, PendingRecord):
                item._settle(True)
