"""The shared vault on Redis: one placeholder map per conversation for a fleet of workers.

What Redis holds, per tenant prefix ``P`` (``privllm:vault:default:``)::

    P mac                   the tenant's MAC key, random, wrapped by the vault master key
    P c:<hmac(id)>          a list: its head (a random epoch and the conversation's data
                            key, wrapped by the master key), then one entry per placeholder

The conversation id is stored only as an HMAC under that key (an id can be an email or a
ticket number), and each entry ``(type, number, value)`` is encrypted (AES-256-GCM, see
:mod:`privllm.audit.crypto`) under the conversation's random data key, with associated
data naming its list, epoch and position, so an entry moved to another conversation, tenant
or place does not open; nor does a head copied to another list (its wrap names the list).
No value, placeholder or unkeyed hash of one is ever sent to Redis, so neither a dump nor
``MONITOR`` shows one.

An append runs as one Lua script that checks the epoch and length this worker read: a
concurrent append by another worker makes it ``VaultConflictError``, never a second value
for one placeholder. Each use renews the list's TTL. Every Redis failure is ``VaultError``
(the call is refused, nothing sent); messages never hold the URL or its password.

    >>> store = RedisVaultStore.from_config(config)                     # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry
from typing_extensions import Self

from privllm.audit.crypto import DataKey, KeyRing, MacKey, MasterKey
from privllm.errors import AuditError, ConfigError, VaultConflictError, VaultError
from privllm.redaction.vault_store import _CONFLICT, Cursor, Entry, Loaded

if TYPE_CHECKING:
    from privllm.config import VaultConfig

__all__ = ["AsyncRedisVaultStore", "RedisVaultStore", "vault_key"]

# KEYS[1] the list. ARGV: expected epoch ("" = the list must not exist), expected count,
# TTL in ms, the epoch to create with, then the sealed entries.
_APPEND = """
local head = redis.call('LINDEX', KEYS[1], 0)
if ARGV[1] == '' then
  if head then return 0 end
  redis.call('RPUSH', KEYS[1], ARGV[4])
elseif head ~= ARGV[1] or redis.call('LLEN', KEYS[1]) - 1 ~= tonumber(ARGV[2]) then
  return 0
end
for i = 5, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

_EPOCH_SIZE = 16
_DEK_LABEL = b"privllm vault data key|"
_KEYS_CACHED = 4096  # conversations whose data key a worker keeps unwrapped
_DRIVER_ERRORS = (redis.RedisError, OSError)
# One retry, at once: enough for a pooled connection the server closed while idle; more would
# multiply ``vault.timeout`` before a call is refused.
_RETRIES = 1


def vault_key(config: VaultConfig, environ: Mapping[str, str] | None = None) -> MasterKey:
    """The vault master key: ``vault.key`` in code, else the env var ``vault.key_env``."""
    if isinstance(config.key, MasterKey):
        return config.key
    if config.key is not None:
        return MasterKey.from_callable(config.key)
    env = os.environ if environ is None else environ
    if not env.get(config.key_env):
        raise ConfigError(
            f"redaction.vault.backend is redis but {config.key_env} is not set: give every "
            "worker the same key (create one with `privllm audit keygen`)",
            field="redaction.vault.key_env",
        )
    return MasterKey.from_env(config.key_env, environ=env)


def _failed(exc: BaseException) -> VaultError:
    # The driver's text names host and port at most; ours names neither, and no URL.
    return VaultError(
        f"the shared vault (Redis) could not be used ({type(exc).__name__}): the call was "
        "refused and nothing was sent"
    )


class _Codec:
    """Key names, sealing and the checks of both stores: no IO here."""

    def __init__(self, key: MasterKey, prefix: str, ttl: int) -> None:
        self.ring = KeyRing(key)
        self.prefix = prefix
        self.ttl_ms = ttl * 1000
        self.mac_name = prefix + "mac"
        self._mac_label = b"privllm vault mac|" + prefix.encode()
        self.mac: MacKey | None = None
        self._keys: dict[str, tuple[bytes, DataKey]] = {}  # list name -> (head, its data key)

    def new_mac(self) -> bytes:
        return self.ring.new_mac_key(self._mac_label)[1]

    def open_mac(self, wrapped: bytes | None) -> MacKey:
        if wrapped is None:
            raise VaultError("the shared vault's MAC key vanished from Redis while being read")
        try:
            self.mac = self.ring.open_mac_key(wrapped, self._mac_label, what="the vault MAC key")
        except AuditError as exc:
            raise VaultError(
                f"the vault key does not open this tenant's vault in Redis ({exc})"
            ) from exc
        return self.mac

    def list_name(self, mac: MacKey, conversation: str) -> str:
        return self.prefix + "c:" + mac.sign(b"conversation|" + conversation.encode()).hex()

    def _data_key(self, name: str, head: bytes) -> DataKey:
        """The conversation's data key, unwrapped from the list's head (cached)."""
        cached = self._keys.get(name)
        if cached is not None and cached[0] == head:
            return cached[1]
        try:
            key = self.ring.open_data_key(
                "vault", head[_EPOCH_SIZE:], _DEK_LABEL + name.encode(), what="a vault data key"
            )
        except AuditError as exc:
            raise VaultError(
                "this conversation's data key in Redis does not open with the vault key "
                "(another key, or altered): the call was refused"
            ) from exc
        if len(self._keys) >= _KEYS_CACHED:
            self._keys.pop(next(iter(self._keys)))
        self._keys[name] = (head, key)
        return key

    def _new_head(self, name: str) -> bytes:
        key, wrapped = self.ring.new_data_key("vault", _DEK_LABEL + name.encode())
        head = os.urandom(_EPOCH_SIZE) + wrapped
        self._keys[name] = (head, key)
        return head

    def open(self, name: str, head: bytes, start: int, blobs: Sequence[bytes]) -> list[Entry]:
        if not blobs:
            return []
        key = self._data_key(name, head)
        out: list[Entry] = []
        for i, blob in enumerate(blobs, start):
            try:
                kind, n, value = json.loads(key.decrypt(blob, self._aad(name, head, i)))
            except (AuditError, ValueError) as exc:
                raise VaultError(
                    f"entry {i} of this conversation in Redis does not open with the vault "
                    "key (another key, or altered): the call was refused"
                ) from exc
            out.append((str(kind), int(n), str(value)))
        return out

    @staticmethod
    def _aad(name: str, head: bytes, index: int) -> bytes:
        return b"privllm vault entry|%s|%s|%d" % (name.encode(), head[:_EPOCH_SIZE], index)

    def seal_all(
        self, name: str, have: Cursor | None, entries: Sequence[Entry]
    ) -> tuple[bytes, list[Any]]:
        """The list's head, and the script's ARGV for appending ``entries`` after ``have``."""
        head = have.epoch if have is not None else self._new_head(name)
        key = self._data_key(name, head)
        start = have.count if have is not None else 0
        sealed = [
            key.encrypt(json.dumps(e, ensure_ascii=False).encode(), self._aad(name, head, i))
            for i, e in enumerate(entries, start)
        ]
        args = [have.epoch if have else b"", start, self.ttl_ms, head]
        return head, args + sealed

    def loaded(
        self, name: str, have: Cursor | None, epoch: bytes | None, items: list[bytes]
    ) -> Loaded | None:
        """What a read means; None when ``have`` is stale and the whole list is needed."""
        if epoch is None:
            return Loaded(None, [], True)
        if have is None:
            return Loaded(Cursor(epoch, len(items)), self.open(name, epoch, 0, items), True)
        if have.epoch != epoch:
            return None
        entries = self.open(name, epoch, have.count, items)
        return Loaded(Cursor(epoch, have.count + len(entries)), entries, False)


class _Store:
    """What both stores share: a client (no connection until first use) and the codec."""

    _client_class: ClassVar[Any]
    _retry_class: ClassVar[Any]

    def __init__(self, client: Any, key: MasterKey, *, prefix: str, ttl: int) -> None:
        self._client = client
        self._codec = _Codec(key, prefix, ttl)
        self._append = client.register_script(_APPEND)

    @classmethod
    def from_config(cls, config: VaultConfig, environ: Mapping[str, str] | None = None) -> Self:
        """The store ``config`` names; the URL and key from ``environ`` (``os.environ``)."""
        from privllm.redaction.vault_store import read_vault_url

        client = cls._client_class.from_url(
            read_vault_url(config, environ),
            socket_timeout=config.timeout,
            socket_connect_timeout=config.timeout,
            retry=cls._retry_class(NoBackoff(), _RETRIES),
        )
        prefix = config.prefix + config.tenant + ":"
        return cls(client, vault_key(config, environ), prefix=prefix, ttl=config.ttl)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prefix={self._codec.prefix!r})"


class RedisVaultStore(_Store):
    """:class:`~privllm.redaction.vault_store.VaultStore` on a ``redis.Redis`` client."""

    _client: redis.Redis
    _client_class = redis.Redis
    _retry_class = Retry

    def _mac(self) -> MacKey:
        if self._codec.mac is not None:
            return self._codec.mac
        pipe = self._client.pipeline(transaction=True)
        pipe.set(self._codec.mac_name, self._codec.new_mac(), nx=True)
        pipe.get(self._codec.mac_name)
        return self._codec.open_mac(pipe.execute()[1])

    def load(self, conversation: str, have: Cursor | None) -> Loaded:
        try:
            name = self._codec.list_name(self._mac(), conversation)
            found = self._read(name, have)
            if found is None:  # another epoch than this worker's: read it whole
                found = self._read(name, None)
            assert found is not None, "a whole read always means something"
            return found
        except _DRIVER_ERRORS as exc:
            raise _failed(exc) from exc

    def _read(self, name: str, have: Cursor | None) -> Loaded | None:
        pipe = self._client.pipeline(transaction=True)
        pipe.lindex(name, 0)
        pipe.lrange(name, 1 + (have.count if have else 0), -1)
        pipe.pexpire(name, self._codec.ttl_ms)
        epoch, items, _ = pipe.execute()
        return self._codec.loaded(name, have, epoch, items)

    def append(self, conversation: str, have: Cursor | None, entries: Sequence[Entry]) -> Cursor:
        try:
            name = self._codec.list_name(self._mac(), conversation)
            epoch, args = self._codec.seal_all(name, have, entries)
            done = self._append(keys=[name], args=args)
        except _DRIVER_ERRORS as exc:
            raise _failed(exc) from exc
        if done != 1:
            raise VaultConflictError(_CONFLICT)
        return Cursor(epoch, (have.count if have else 0) + len(entries))

    def close(self) -> None:
        self._client.close()


class AsyncRedisVaultStore(_Store):
    """:class:`~privllm.redaction.vault_store.AsyncVaultStore` on ``redis.asyncio``: never
    blocks the event loop."""

    _client: redis.asyncio.Redis
    _client_class = redis.asyncio.Redis
    _retry_class = AsyncRetry

    async def _mac(self) -> MacKey:
        if self._codec.mac is not None:
            return self._codec.mac
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.set(self._codec.mac_name, self._codec.new_mac(), nx=True)
            pipe.get(self._codec.mac_name)
            return self._codec.open_mac((await pipe.execute())[1])

    async def load(self, conversation: str, have: Cursor | None) -> Loaded:
        try:
            name = self._codec.list_name(await self._mac(), conversation)
            found = await self._read(name, have)
            if found is None:  # another epoch than this worker's: read it whole
                found = await self._read(name, None)
            assert found is not None, "a whole read always means something"
            return found
        except _DRIVER_ERRORS as exc:
            raise _failed(exc) from exc

    async def _read(self, name: str, have: Cursor | None) -> Loaded | None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.lindex(name, 0)
            pipe.lrange(name, 1 + (have.count if have else 0), -1)
            pipe.pexpire(name, self._codec.ttl_ms)
            epoch, items, _ = await pipe.execute()
        return self._codec.loaded(name, have, epoch, items)

    async def append(
        self, conversation: str, have: Cursor | None, entries: Sequence[Entry]
    ) -> Cursor:
        try:
            name = self._codec.list_name(await self._mac(), conversation)
            epoch, args = self._codec.seal_all(name, have, entries)
            done = await self._append(keys=[name], args=args)
        except _DRIVER_ERRORS as exc:
            raise _failed(exc) from exc
        if done != 1:
            raise VaultConflictError(_CONFLICT)
        return Cursor(epoch, (have.count if have else 0) + len(entries))

    async def aclose(self) -> None:
        await self._client.aclose()
