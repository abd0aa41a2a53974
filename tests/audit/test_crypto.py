"""The key layer from the outside: key sources, ids, sealing, rotation, opaque errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privllm.audit.crypto import ENV_VAR, KeyRing, MasterKey, generate_key, key_id
from privllm.errors import AuditError, ConfigError, WrongKeyError


def _key() -> MasterKey:
    return MasterKey.from_base64(generate_key())


def _causes(exc: BaseException) -> list[BaseException]:
    seen = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def test_generate_key_is_base64_of_32_random_bytes():
    a, b = generate_key(), generate_key()
    assert len(base64.b64decode(a)) == 32
    assert a != b


def test_key_id_is_a_short_hmac_fingerprint():
    raw = os.urandom(32)
    expected = hmac.new(raw, b"privllm key id", hashlib.sha256).hexdigest()[:8]
    assert key_id(raw) == expected
    assert MasterKey(raw).key_id == expected


def test_repr_shows_the_key_id_only():
    text = generate_key()
    key = MasterKey.from_base64(text)
    ring = KeyRing(key, previous=[_key()])
    for obj in (key, ring):
        r = repr(obj)
        assert key.key_id in r
        assert text not in r
        assert base64.b64decode(text).hex() not in r


def test_keys_cannot_be_pickled():
    with pytest.raises(TypeError):
        pickle.dumps(_key())
    with pytest.raises(TypeError):
        pickle.dumps(KeyRing(_key()))


def test_from_env(monkeypatch):
    text = generate_key()
    monkeypatch.setenv(ENV_VAR, text)
    assert MasterKey.from_env().key_id == key_id(base64.b64decode(text))


def test_from_env_missing_says_how_to_make_a_key():
    with pytest.raises(ConfigError, match="keygen") as info:
        MasterKey.from_env(environ={})
    assert info.value.source == ENV_VAR


@pytest.mark.parametrize("bad", ["not base64!!", base64.b64encode(b"short").decode()])
def test_from_env_invalid_value_is_not_echoed(bad):
    with pytest.raises(ConfigError) as info:
        MasterKey.from_env(environ={ENV_VAR: bad})
    assert bad not in str(info.value)


def test_key_file_0600_is_accepted(tmp_path):
    text = generate_key()
    path = tmp_path / "audit.key"
    path.write_text(text + "\n")
    path.chmod(0o600)
    assert MasterKey.from_file(path).key_id == key_id(base64.b64decode(text))


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path, mode):
    path = tmp_path / "audit.key"
    path.write_text(generate_key())
    path.chmod(mode)
    with pytest.raises(ConfigError, match="chmod 600") as info:
        MasterKey.from_file(path)
    assert f"{mode:04o}" in str(info.value)


def test_missing_key_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read key file"):
        MasterKey.from_file(tmp_path / "nope.key")


def test_from_callable_accepts_raw_bytes_or_base64():
    raw = os.urandom(32)
    assert MasterKey.from_callable(lambda: raw).key_id == key_id(raw)
    text = base64.b64encode(raw).decode()
    assert MasterKey.from_callable(lambda: text).key_id == key_id(raw)
    with pytest.raises(ConfigError, match="32 bytes"):
        MasterKey.from_callable(lambda: b"too short")


def test_seal_and_open_round_trip():
    ring = KeyRing(_key())
    blob = ring.seal(b"the value map", b"finetune:map")
    assert b"the value map" not in blob
    assert ring.open(blob, b"finetune:map") == b"the value map"


@given(plaintext=st.binary(max_size=2048), aad=st.binary(max_size=64))
def test_open_inverts_seal(plaintext, aad):
    ring = KeyRing(MasterKey(b"k" * 32))
    assert ring.open(ring.seal(plaintext, aad), aad) == plaintext


def test_wrong_aad_is_one_opaque_error_without_invalidtag():
    ring = KeyRing(_key())
    blob = ring.seal(b"data", b"file-a")
    with pytest.raises(AuditError) as info:
        ring.open(blob, b"file-b")
    assert not isinstance(info.value, WrongKeyError)
    assert all("InvalidTag" not in type(e).__name__ for e in _causes(info.value))


def test_every_flipped_byte_of_a_sealed_blob_is_refused():
    ring = KeyRing(_key())
    blob = ring.seal(b"confidential", b"aad")
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(AuditError):
            ring.open(bytes(bad), b"aad")


def test_wrong_master_key_names_both_key_ids():
    writer, reader = _key(), _key()
    blob = KeyRing(writer).seal(b"data")
    with pytest.raises(WrongKeyError) as info:
        KeyRing(reader).open(blob)
    message = str(info.value)
    assert f"this key (id {reader.key_id}) does not open" in message
    assert f"it was written with key id {writer.key_id}" in message
    assert all("InvalidTag" not in type(e).__name__ for e in _causes(info.value))


def test_rotate_rewraps_the_data_key_and_keeps_the_ciphertext():
    old, new = _key(), _key()
    blob = KeyRing(old).seal(b"data", b"aad")
    rotated = KeyRing(new, previous=[old]).rotate(blob)
    assert KeyRing(new).open(rotated, b"aad") == b"data"
    body = 1 + 12 + len(b"data") + 16  # version, nonce, ciphertext, tag
    assert rotated[-body:] == blob[-body:]  # the body is untouched
    with pytest.raises(WrongKeyError):
        KeyRing(old).open(rotated, b"aad")
    # a ring that still lists the old key opens blobs not yet rotated
    assert KeyRing(new, previous=[old]).open(blob, b"aad") == b"data"


def test_truncated_blob_is_refused_cleanly():
    ring = KeyRing(_key())
    blob = ring.seal(b"confidential", b"aad")
    for n in range(len(blob)):
        with pytest.raises(AuditError):
            ring.open(blob[:n], b"aad")


def test_garbage_is_not_a_sealed_blob():
    with pytest.raises(AuditError, match="not a privllm sealed blob"):
        KeyRing(_key()).open(b"garbage")
