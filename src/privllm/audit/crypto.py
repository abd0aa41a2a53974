"""Keys and authenticated encryption for the audit log and other sealed files.

Envelope encryption in three layers::

    master key     32 bytes from PRIVLLM_AUDIT_KEY, a 0600 key file, or an app callable (KMS);
      │            never stored; known by its key id (8 hex of an HMAC of the key)
      └─ wraps     data keys: random, one per UTC day of the log (one per blob for ``seal``),
           │       and the log's chain key; rotation re-wraps these, never the records
           └─ encrypt  records with AES-256-GCM, a random 96-bit nonce, and associated data
                       that binds each ciphertext to its place (record id, key, chain position)

Every failed decrypt is one opaque error: the tag either verifies or it does not, and the
reason (wrong key, flipped bit, swapped blob) is not knowable, so it is not guessed at. Where
the wrong *master* key is the likely cause, the blob's recorded key id turns it into a
``WrongKeyError`` a person can act on::

    >>> ring = KeyRing(MasterKey.from_base64(generate_key()))
    >>> ring.open(ring.seal(b"value map", b"file:map.json"), b"file:map.json")
    b'value map'

``repr()`` of every key-holding object shows the key id at most.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import stat
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from privllm.errors import AuditError, ConfigError, WrongKeyError

__all__ = [
    "ENV_VAR",
    "DataKey",
    "KeyRing",
    "MacKey",
    "MasterKey",
    "generate_key",
    "key_id",
]

ENV_VAR = "PRIVLLM_AUDIT_KEY"
KEY_SIZE = 32
_NONCE_SIZE = 12
_WRAP_MAGIC = b"PKW1"  # wrapped key: magic | key id (4 bytes) | nonce | ciphertext+tag
_SEAL_MAGIC = b"PLS1"  # sealed blob: magic | u16 len | wrapped data key | nonce | ct+tag
_DATA_VERSION = b"\x01"  # data ciphertext: version | nonce | ct+tag


def generate_key() -> str:
    """A new random master key, base64-encoded (what ``privllm audit keygen`` prints).

    >>> len(base64.b64decode(generate_key()))
    32
    """
    return base64.b64encode(os.urandom(KEY_SIZE)).decode("ascii")


def key_id(key: bytes) -> str:
    """The public fingerprint of a master key: 8 hex chars, safe to show and to store."""
    return hmac.digest(key, b"privllm key id", "sha256")[:4].hex()


def _aead_decrypt(aead: AESGCM, nonce: bytes, body: bytes, aad: bytes, what: str) -> bytes:
    if len(nonce) == _NONCE_SIZE and len(body) >= 16:  # shorter: truncated, not a key issue
        try:
            return aead.decrypt(nonce, body, aad)
        except InvalidTag:
            pass
    # Raised outside the except block on purpose: InvalidTag carries no information, and
    # chaining it would put a raw cryptography trace in front of the one message that matters.
    raise AuditError(f"{what} does not decrypt: it was altered, or it belongs to another key")


class MasterKey:
    """A 32-byte master key. Only ``key_id`` is ever shown.

    >>> MasterKey.from_base64(generate_key())  # doctest: +ELLIPSIS
    MasterKey(id=...)
    """

    __slots__ = ("_aead", "_id")

    def __init__(self, key: bytes, *, source: str = "the master key") -> None:
        if not isinstance(key, bytes) or len(key) != KEY_SIZE:
            raise ConfigError(
                f"{source} must be {KEY_SIZE} bytes (base64 of 32 random bytes); "
                "create one with `privllm audit keygen`",
                source=source,
            )
        self._aead = AESGCM(key)
        self._id = key_id(key)

    @property
    def key_id(self) -> str:
        """8 hex chars identifying this key; shown in errors and stored beside wrapped keys."""
        return self._id

    def __repr__(self) -> str:
        return f"MasterKey(id={self._id})"

    def __reduce__(self) -> NoReturn:
        # Pickling would copy the key into whatever receives the bytes (a queue, a cache).
        raise TypeError("MasterKey cannot be pickled; load it from its source in each process")

    @classmethod
    def from_base64(cls, text: str | bytes, *, source: str = "the master key") -> MasterKey:
        """A key from its base64 text, as printed by :func:`generate_key`."""
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            # The text itself is never echoed: it may be a key with a typo.
            raise ConfigError(f"{source} is not valid base64", source=source) from None
        return cls(raw, source=source)

    @classmethod
    def from_env(cls, var: str = ENV_VAR, *, environ: Mapping[str, str] | None = None) -> MasterKey:
        """The key in environment variable ``var`` (default ``PRIVLLM_AUDIT_KEY``)."""
        env = os.environ if environ is None else environ
        text = env.get(var)
        if not text:
            raise ConfigError(
                f"{var} is not set; create a key with `privllm audit keygen`", source=var
            )
        return cls.from_base64(text, source=var)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> MasterKey:
        """The base64 key in a file that only its owner can read (mode 0600 or 0400).

        A key file that group or others can read is refused, not merely warned about: the
        key opens every record, so a permissive mode is a leak already in progress.
        """
        p = Path(path)
        try:
            st = p.stat()
            if os.name == "posix" and st.st_mode & 0o077:
                mode = stat.S_IMODE(st.st_mode)
                raise ConfigError(
                    f"key file {p} can be read by group or others (mode {mode:04o}); "
                    f"run `chmod 600 {p}`",
                    source=str(p),
                )
            text = p.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read key file {p}: {exc.strerror}", source=str(p)) from exc
        return cls.from_base64(text, source=f"key file {p}")

    @classmethod
    def from_callable(cls, provider: Callable[[], bytes | str]) -> MasterKey:
        """The key an application callable returns: raw 32 bytes or base64 text.

        The hook for a KMS or HSM: e.g. a function that asks the KMS to decrypt a stored,
        KMS-wrapped key. It is called once, here.
        """
        value = provider()
        if isinstance(value, str):
            return cls.from_base64(value, source="the key callable")
        return cls(value, source="the key callable")

    def _wrap(self, secret: bytes, label: bytes) -> bytes:
        header = _WRAP_MAGIC + bytes.fromhex(self._id)
        nonce = os.urandom(_NONCE_SIZE)
        return header + nonce + self._aead.encrypt(nonce, secret, header + label)

    def _unwrap(self, blob: bytes, label: bytes, what: str) -> bytes:
        header, nonce, body = blob[:8], blob[8 : 8 + _NONCE_SIZE], blob[8 + _NONCE_SIZE :]
        return _aead_decrypt(self._aead, nonce, body, header + label, what)


def _wrapped_key_id(blob: bytes, what: str) -> str:
    if len(blob) < 8 + _NONCE_SIZE + 16 or blob[:4] != _WRAP_MAGIC:
        raise AuditError(f"{what} is not a privllm wrapped key (corrupt or truncated)")
    return blob[4:8].hex()


class DataKey:
    """An AES-256-GCM key for data, named after what it protects (e.g. ``"2025-03-01"``).

    Made by :meth:`KeyRing.new_data_key` or :meth:`DataKey.new_subkey`; the raw key never
    leaves this object.
    """

    __slots__ = ("_aead", "name")

    def __init__(self, name: str, secret: bytes) -> None:
        self.name = name
        self._aead = AESGCM(secret)

    def __repr__(self) -> str:
        return f"DataKey({self.name!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("DataKey cannot be pickled")

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        """Ciphertext bound to ``aad``: decrypting needs the same key and the same ``aad``."""
        nonce = os.urandom(_NONCE_SIZE)
        return _DATA_VERSION + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def encrypt_many(self, items: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
        """``[encrypt(plaintext, aad) for plaintext, aad in items]``, with the random nonces
        read from the OS in one call rather than one per item."""
        nonces = os.urandom(_NONCE_SIZE * len(items))
        seal, out = self._aead.encrypt, []
        for i, (plaintext, aad) in enumerate(items):
            nonce = nonces[i * _NONCE_SIZE : (i + 1) * _NONCE_SIZE]
            out.append(_DATA_VERSION + nonce + seal(nonce, plaintext, aad))
        return out

    def decrypt(self, blob: bytes, aad: bytes, *, what: str = "ciphertext") -> bytes:
        """The plaintext, or ``AuditError`` (one opaque error for every kind of failure)."""
        if blob[:1] != _DATA_VERSION:
            raise AuditError(f"{what} is not in a format this version of privllm reads")
        nonce, body = blob[1 : 1 + _NONCE_SIZE], blob[1 + _NONCE_SIZE :]
        return _aead_decrypt(self._aead, nonce, body, aad, what)

    def new_subkey(self, name: str, aad: bytes) -> tuple[DataKey, bytes]:
        """A fresh random key and its blob wrapped under this key (for per-call keys)."""
        secret = os.urandom(KEY_SIZE)
        return DataKey(name, secret), self.encrypt(secret, aad)

    def open_subkey(self, name: str, blob: bytes, aad: bytes) -> DataKey:
        """The key wrapped by :meth:`new_subkey`."""
        return DataKey(name, self.decrypt(blob, aad, what=f"key {name!r}"))


class MacKey:
    """The keyed-hash key of a log's chain; two HKDF subkeys so chain and head never collide.

    It is random and stored wrapped (not derived from the master key) so that rotating the
    master key leaves every existing MAC valid.
    """

    __slots__ = ("_chain", "_head")

    def __init__(self, secret: bytes) -> None:
        self._chain = _hkdf(secret, b"privllm chain mac")
        self._head = _hkdf(secret, b"privllm head mac")

    def __repr__(self) -> str:
        return "MacKey(...)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("MacKey cannot be pickled")

    def link(self, prev: bytes, data: bytes) -> bytes:
        """The MAC of one chain link: ``HMAC(chain key, prev || data)``."""
        return hmac.digest(self._chain, prev + data, "sha256")

    def sign(self, data: bytes) -> bytes:
        """A MAC under the head subkey (for the signed head and anchors)."""
        return hmac.digest(self._head, data, "sha256")

    @staticmethod
    def equal(a: bytes, b: bytes) -> bool:
        """Constant-time comparison of two MACs."""
        return hmac.compare_digest(a, b)


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class KeyRing:
    """A primary master key, plus previous ones that can still open old blobs.

    It wraps keys (``new_data_key``/``open_data_key``) for stores such as the audit log, and
    seals whole blobs for other files (``seal``/``open``/``rotate``), like ``MultiFernet``::

        ring = KeyRing(new_key, previous=[old_key])
        blob = ring.rotate(blob)   # re-wraps the blob's data key; content untouched
    """

    __slots__ = ("_keys", "_primary")

    def __init__(self, primary: MasterKey, *, previous: Iterable[MasterKey] = ()) -> None:
        self._primary = primary
        self._keys = {k.key_id: k for k in (*previous, primary)}

    @property
    def key_id(self) -> str:
        """The primary key's id."""
        return self._primary.key_id

    def __repr__(self) -> str:
        old = [k for k in self._keys if k != self._primary.key_id]
        return f"KeyRing(id={self.key_id}" + (f", previous={old})" if old else ")")

    def __reduce__(self) -> NoReturn:
        raise TypeError("KeyRing cannot be pickled")

    # -- wrapped keys -------------------------------------------------------------------

    def new_data_key(self, name: str, label: bytes) -> tuple[DataKey, bytes]:
        """A fresh random data key and its blob wrapped under the primary master key.

        ``label`` is bound as associated data: the blob unwraps only with the same label,
        so a wrapped key cannot be moved to another name or log.
        """
        secret = os.urandom(KEY_SIZE)
        return DataKey(name, secret), self._primary._wrap(secret, label)

    def open_data_key(self, name: str, blob: bytes, label: bytes, *, what: str) -> DataKey:
        """The data key in ``blob``; ``WrongKeyError`` naming both key ids if not ours."""
        return DataKey(name, self._unwrap(blob, label, what))

    def new_mac_key(self, label: bytes) -> tuple[MacKey, bytes]:
        """A fresh random chain key and its wrapped blob."""
        secret = os.urandom(KEY_SIZE)
        return MacKey(secret), self._primary._wrap(secret, label)

    def open_mac_key(self, blob: bytes, label: bytes, *, what: str) -> MacKey:
        """The chain key in ``blob``."""
        return MacKey(self._unwrap(blob, label, what))

    def rewrap(self, blob: bytes, label: bytes, *, what: str) -> bytes:
        """``blob`` re-wrapped under the primary key (key rotation)."""
        return self._primary._wrap(self._unwrap(blob, label, what), label)

    def _unwrap(self, blob: bytes, label: bytes, what: str) -> bytes:
        kid = _wrapped_key_id(blob, what)
        key = self._keys.get(kid)
        if key is None:
            raise WrongKeyError(
                f"this key (id {self.key_id}) does not open {what}; "
                f"it was written with key id {kid}"
            )
        return key._unwrap(blob, label, what)

    # -- sealed blobs -------------------------------------------------------------------

    def seal(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        """``plaintext`` encrypted under a fresh data key wrapped by the primary key.

        ``aad`` (e.g. the file's purpose and name) must be given again to :meth:`open`.
        """
        dek, wrapped = self.new_data_key("sealed", b"privllm sealed")
        # The body's AAD leaves the wrapped key out, so rotation can re-wrap the data key
        # without touching the ciphertext; a swapped-in wrapped key yields another data key
        # (each is random per blob), which fails the tag just the same.
        return _seal_head(wrapped) + dek.encrypt(plaintext, _SEAL_MAGIC + aad)

    def open(self, blob: bytes, aad: bytes = b"", *, what: str = "this sealed data") -> bytes:
        """The plaintext of a :meth:`seal` blob.

        Raises ``WrongKeyError`` (with both key ids) when none of the ring's keys wrote it,
        and ``AuditError`` when it was altered.
        """
        wrapped, body = self._split_sealed(blob, what)
        dek = self.open_data_key("sealed", wrapped, b"privllm sealed", what=what)
        return dek.decrypt(body, _SEAL_MAGIC + aad, what=what)

    def rotate(self, blob: bytes, *, what: str = "this sealed data") -> bytes:
        """A :meth:`seal` blob re-keyed to the primary key; the ciphertext is kept as is."""
        wrapped, body = self._split_sealed(blob, what)
        return _seal_head(self.rewrap(wrapped, b"privllm sealed", what=what)) + body

    @staticmethod
    def _split_sealed(blob: bytes, what: str) -> tuple[bytes, bytes]:
        if blob[:4] != _SEAL_MAGIC or len(blob) < 6:
            raise AuditError(f"{what} is not a privllm sealed blob (corrupt or truncated)")
        (n,) = struct.unpack(">H", blob[4:6])
        return blob[6 : 6 + n], blob[6 + n :]


def _seal_head(wrapped: bytes) -> bytes:
    return _SEAL_MAGIC + struct.pack(">H", len(wrapped)) + wrapped
