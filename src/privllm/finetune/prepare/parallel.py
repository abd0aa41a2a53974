"""Run a per-line task over a file in worker processes, results in file order.

The detectors are the costly part of preparing a file (about 10 MB/s of text on one core),
so they run in ``workers`` forked processes over chunks of lines, while the parent keeps
everything that must follow file order (issuing stand-ins, writing). At most two chunks per
worker are in flight, so memory does not grow with the file.

Workers are forked, so they inherit the redactor as built, custom detectors and loaded NER
models included, without pickling it. A worker that dies (killed, out of memory) fails the
run with ``BrokenProcessPool`` rather than hanging it; a parent that dies (SIGKILL, a crash)
takes its workers with it (``PR_SET_PDEATHSIG`` on Linux, elsewhere a thread in each worker
that watches the parent), as nothing else would end them: they wait on a queue whose write
end they hold themselves. Where ``fork`` is not available
(Windows), and for ``workers=1``, the task runs in this process over the same chunks.

    >>> def lengths(state, first, lines, in_process):
    ...     return [len(line) for line in lines]
    >>> import io
    >>> list(ordered(lengths, None, io.BytesIO(b"a\\nbb\\n"), workers=1))
    [(1, b'a\\n', 2), (2, b'bb\\n', 3)]
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["CHUNK_BYTES", "available_workers", "can_fork", "ordered"]

R = TypeVar("R")
#: ``task(state, first_line_number, lines, in_process) -> one result per line``
Task = Callable[[Any, int, list[bytes], bool], list[R]]

CHUNK_BYTES = 512 * 1024
_state: Any = None  # set in the parent just before forking; the workers inherit it


def can_fork() -> bool:
    """Whether worker processes can be forked here (not on Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def available_workers() -> int:
    """CPUs this process may use (1 where worker processes cannot be forked)."""
    if not can_fork():
        return 1
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def ordered(
    task: Task[R],
    state: Any,
    lines: Iterable[bytes],
    *,
    workers: int,
    chunk_bytes: int | None = None,
) -> Iterator[tuple[int, bytes, R]]:
    """``(line number, line, result)`` for every line, in order (chunks of ``CHUNK_BYTES``)."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    if workers <= 1 or not can_fork():
        for first, chunk in _chunks(lines, chunk_bytes):
            yield from _numbered(first, chunk, task(state, first, chunk, True))
        return
    global _state
    context = multiprocessing.get_context("fork")
    pending: deque[tuple[int, list[bytes], Future[list[R]]]] = deque()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_start, initargs=(os.getpid(),)
    ) as pool:
        _state = state
        try:
            for first, chunk in _chunks(lines, chunk_bytes):
                # The first submit forks every worker (before the executor starts its thread),
                # and each inherits ``_state``.
                pending.append((first, chunk, pool.submit(_run, task, first, chunk)))
                _state = None
                if len(pending) >= 2 * workers:
                    done_first, done_chunk, future = pending.popleft()
                    yield from _numbered(done_first, done_chunk, future.result())
            while pending:
                done_first, done_chunk, future = pending.popleft()
                yield from _numbered(done_first, done_chunk, future.result())
        finally:
            _state = None
            for _, _, future in pending:
                future.cancel()


def _run(task: Task[R], first: int, chunk: list[bytes]) -> list[R]:
    return task(_state, first, chunk, False)


def _worker_start(parent: int) -> None:
    # Ctrl-C reaches the whole process group; the parent handles it and stops the pool,
    # rather than every worker printing its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """End this (forked) process when ``parent``, the process that forked it, ends.

    Linux: the kernel sends SIGKILL when the forking thread exits (``prctl``; the pool's
    workers are forked by the thread that submits the first chunk, which runs until the
    pool is shut down). Elsewhere, or if ``prctl`` is unavailable, a daemon thread polls the
    parent PID twice a second.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            done = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            done = False
        if done:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)  # no clean-up: the parent owns every file; a worker only computes


def _chunks(lines: Iterable[bytes], size: int) -> Iterator[tuple[int, list[bytes]]]:
    chunk: list[bytes] = []
    first = number = 1
    filled = 0
    for raw in lines:
        chunk.append(raw)
        filled += len(raw)
        number += 1
        if filled >= size:
            yield first, chunk
            chunk, first, filled = [], number, 0
    if chunk:
        yield first, chunk


def _numbered(first: int, chunk: list[bytes], results: list[R]) -> Iterator[tuple[int, bytes, R]]:
    for i, (raw, result) in enumerate(zip(chunk, results, strict=True)):
        yield first + i, raw, result
