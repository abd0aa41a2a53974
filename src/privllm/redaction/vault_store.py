"""Where a conversation's placeholder map lives between calls: the storage seam.

A ``Conversation(id=...)`` keeps one placeholder map for every call made with it, in this
process or, with ``[redaction.vault] backend = "redis"``, in any worker of a fleet. Two
stores implement :class:`VaultStore` (and its async twin :class:`AsyncVaultStore`):

``memory``  :class:`MemoryVaultStore`, in the client (the default; no IO)
``redis``   :class:`~privllm.redaction.vault_redis.RedisVaultStore`, shared by workers
            (redis-py, the ``redis`` extra; values encrypted before they leave the process)

A store keeps a list of entries ``(type, number, value)`` per conversation, in issue order,
and appends only when nothing was added since this worker read it (else
``VaultConflictError``): two workers never hand out one placeholder for two values.

    >>> store = MemoryVaultStore()
    >>> cursor = store.append("conv-1", None, [("EMAIL", 1, "ann@example.com")])
    >>> loaded = store.load("conv-1", None)
    >>> loaded.entries, loaded.cursor.count
    ([('EMAIL', 1, 'ann@example.com')], 1)

The client does the IO around the (sans-IO) middleware chain: :class:`SharedVaults` says
what to load before the chain runs and what to append after it, before anything is sent.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

from privllm.errors import ConfigError, VaultConflictError
from privllm.redaction.state import CONVERSATION, VAULT
from privllm.redaction.vault import Vault

if TYPE_CHECKING:
    from privllm.config import VaultConfig
    from privllm.pipeline import CallContext
    from privllm.redaction.restored import RestoredValues

__all__ = [
    "AsyncMemoryVaultStore",
    "AsyncVaultStore",
    "Cursor",
    "Entry",
    "Loaded",
    "MemoryVaultStore",
    "SharedVaults",
    "VaultStore",
    "open_async_vault_store",
    "open_vault_store",
    "read_vault_url",
]

#: One issued placeholder: (type, number, value), e.g. ``("EMAIL", 1, "ann@example.com")``.
Entry = tuple[str, int, str]


@dataclass(frozen=True, slots=True)
class Cursor:
    """How much of a conversation's stored list a worker holds: which incarnation (a new
    one begins when the list expires and is made again) and how many entries."""

    epoch: bytes
    count: int


class Loaded(NamedTuple):
    """What :meth:`VaultStore.load` read. ``full``: ``entries`` is the whole list (the
    cursor given was stale or None), else only the entries after it. ``cursor`` is None
    when nothing is stored for the conversation."""

    cursor: Cursor | None
    entries: list[Entry]
    full: bool


class VaultStore(Protocol):
    """A conversation's entries, shared by every client that opens the same store.

    Errors are ``VaultError`` (never a driver's exception), so a call fails closed.
    """

    def load(self, conversation: str, have: Cursor | None) -> Loaded: ...

    def append(self, conversation: str, have: Cursor | None, entries: Sequence[Entry]) -> Cursor:
        """Add ``entries`` after exactly what ``have`` covers; ``VaultConflictError`` if the
        stored list moved on (another worker appended, or it expired) since then."""
        ...

    def close(self) -> None: ...


class AsyncVaultStore(Protocol):
    """:class:`VaultStore` for ``AsyncClient``: the same operations, awaited."""

    async def load(self, conversation: str, have: Cursor | None) -> Loaded: ...

    async def append(
        self, conversation: str, have: Cursor | None, entries: Sequence[Entry]
    ) -> Cursor: ...

    async def aclose(self) -> None: ...


class MemoryVaultStore:
    """The default store: in the client, for ``Conversation`` objects sharing an ``id``.

    ``ttl`` seconds after its last use a conversation is forgotten, as in Redis.
    """

    def __init__(self, ttl: float = 86_400, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lists: dict[str, tuple[float, bytes, list[Entry]]] = {}
        self._lock = threading.Lock()  # one client may serve many threads
        self._appends = 0

    def __repr__(self) -> str:
        return f"MemoryVaultStore({len(self._lists)} conversations)"

    def _live(self, conversation: str) -> tuple[bytes, list[Entry]] | None:
        now = self._clock()
        found = self._lists.get(conversation)
        if found is None or found[0] <= now:
            self._lists.pop(conversation, None)
            return None
        self._lists[conversation] = (now + self.ttl, found[1], found[2])
        return found[1], found[2]

    def load(self, conversation: str, have: Cursor | None) -> Loaded:
        with self._lock:
            live = self._live(conversation)
        if live is None:
            return Loaded(None, [], True)
        epoch, entries = live
        cursor = Cursor(epoch, len(entries))
        if have is not None and have.epoch == epoch and have.count <= len(entries):
            return Loaded(cursor, entries[have.count :], False)
        return Loaded(cursor, list(entries), True)

    def append(self, conversation: str, have: Cursor | None, entries: Sequence[Entry]) -> Cursor:
        with self._lock:
            live = self._live(conversation)
            stored = Cursor(live[0], len(live[1])) if live is not None else None
            if stored != have:
                raise VaultConflictError(_CONFLICT)
            epoch, held = live if live is not None else (os.urandom(16), [])
            self._lists[conversation] = (self._clock() + self.ttl, epoch, [*held, *entries])
            self._appends += 1
            if self._appends % _SWEEP_EVERY == 0:
                self._sweep()
            return Cursor(epoch, len(held) + len(entries))

    def _sweep(self) -> None:
        """Forget expired conversations nobody asks for again (as Redis expires keys)."""
        now = self._clock()
        for conversation in [c for c, (until, _, _) in self._lists.items() if until <= now]:
            del self._lists[conversation]

    def close(self) -> None:
        self._lists.clear()


class AsyncMemoryVaultStore:
    """:class:`MemoryVaultStore` for ``AsyncClient`` (no IO, so nothing is awaited)."""

    def __init__(self, ttl: float = 86_400, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.sync = MemoryVaultStore(ttl, clock=clock)

    def __repr__(self) -> str:
        return f"Async{self.sync!r}"

    async def load(self, conversation: str, have: Cursor | None) -> Loaded:
        return self.sync.load(conversation, have)

    async def append(
        self, conversation: str, have: Cursor | None, entries: Sequence[Entry]
    ) -> Cursor:
        return self.sync.append(conversation, have, entries)

    async def aclose(self) -> None:
        self.sync.close()


_SWEEP_EVERY = 1024

_CONFLICT = (
    "another worker added placeholders to this conversation since this call read them; "
    "nothing was sent: make the call again"
)


def read_vault_url(config: VaultConfig, environ: Mapping[str, str] | None = None) -> str:
    """The Redis URL from the env var ``vault.url_env`` names; ``ConfigError`` naming the
    variable (never a value) when it is unset."""
    env = os.environ if environ is None else environ
    url = env.get(config.url_env, "").strip()
    if not url:
        raise ConfigError(
            f"redaction.vault.backend is redis but {config.url_env} is not set: put the "
            "Redis URL (e.g. redis://:PASSWORD@cache.internal:6379/0) in it",
            field="redaction.vault.url_env",
        )
    return url


def open_vault_store(config: VaultConfig, environ: Mapping[str, str] | None = None) -> VaultStore:
    """The store ``config`` names, for ``Client``. No IO: Redis is reached on first use."""
    if config.backend == "redis":
        with _needs_redis():
            from privllm.redaction.vault_redis import RedisVaultStore
        return RedisVaultStore.from_config(config, environ)
    return MemoryVaultStore(config.ttl)


def open_async_vault_store(
    config: VaultConfig, environ: Mapping[str, str] | None = None
) -> AsyncVaultStore:
    """The store ``config`` names, for ``AsyncClient`` (``redis.asyncio``: never blocks the
    event loop)."""
    if config.backend == "redis":
        with _needs_redis():
            from privllm.redaction.vault_redis import AsyncRedisVaultStore
        return AsyncRedisVaultStore.from_config(config, environ)
    return AsyncMemoryVaultStore(config.ttl)


@contextlib.contextmanager
def _needs_redis() -> Iterator[None]:
    try:
        yield
    except ImportError as exc:
        if not (exc.name or "").startswith("redis"):
            raise
        raise ConfigError(
            "redaction.vault.backend = \"redis\" needs redis-py: pip install 'privllm[redis]'",
            field="redaction.vault.backend",
        ) from exc


class SharedVaults:
    """The sans-IO steps a client takes around the chain for a ``Conversation(id=...)``.

    ``wanted`` before the chain (what to load), ``loaded`` with what was read, ``pending``
    after the chain (what to append), ``saved`` or ``failed`` after the write. A worker
    keeps its vault and cursor in the conversation's state, so a later call reads only the
    entries other workers added since.
    """

    def __init__(self, restored: RestoredValues) -> None:
        self.restored = restored

    def wanted(self, ctx: CallContext) -> tuple[str, Cursor | None] | None:
        conversation: str | None = ctx.state.get(CONVERSATION)
        session = ctx.state.get("session")
        if conversation is None or session is None:
            return None
        vault, cursor = session.get(VAULT), session.get(_CURSOR)
        fresh = isinstance(vault, Vault) and cursor is not None and len(vault) == cursor.count
        return conversation, cursor if fresh else None

    def loaded(self, ctx: CallContext, loaded: Loaded) -> None:
        session = ctx.state["session"]
        vault = session.get(VAULT)
        if loaded.full or not isinstance(vault, Vault):
            vault = Vault(self.restored)
        for kind, n, value in loaded.entries:
            vault.adopt(kind, n, value)
        session[VAULT] = vault
        session[_CURSOR] = loaded.cursor

    def pending(self, ctx: CallContext) -> tuple[str, Cursor | None, list[Entry]] | None:
        conversation: str | None = ctx.state.get(CONVERSATION)
        session = ctx.state.get("session")
        if conversation is None or session is None:
            return None
        vault = session.get(VAULT)
        cursor: Cursor | None = session.get(_CURSOR)
        if not isinstance(vault, Vault):
            return None
        new = vault.entries(cursor.count if cursor is not None else 0)
        return (conversation, cursor, new) if new else None

    def saved(self, ctx: CallContext, cursor: Cursor) -> None:
        ctx.state["session"][_CURSOR] = cursor

    def failed(self, ctx: CallContext) -> None:
        """Forget what this worker holds: its new entries were never stored."""
        session = ctx.state.get("session")
        if session is not None:
            session.pop(VAULT, None)
            session.pop(_CURSOR, None)


_CURSOR = "redaction.vault_cursor"
