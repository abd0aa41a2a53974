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

from privllm.audit.crypto import (
    ENV_VAR,
    DataKey,
    KeyRing,
    MacKey,
    MasterKey,
    generate_key,
    key_id,
)
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
    each_process = "; load it from its source in each process"
    with pytest.raises(TypeError, match=rf"^MasterKey cannot be pickled{each_process}$"):
        pickle.dumps(_key())
    with pytest.raises(TypeError, match=r"^KeyRing cannot be pickled$"):
        pickle.dumps(KeyRing(_key()))
    with pytest.raises(TypeError, match=r"^DataKey cannot be pickled$"):
        pickle.dumps(DataKey("2025-03-01", os.urandom(32)))
    with pytest.raises(TypeError, match=r"^MacKey cannot be pickled$"):
        pickle.dumps(MacKey(os.urandom(32)))


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
    expected = rf"^{ENV_VAR} (is not valid base64|must be 32 bytes)"
    with pytest.raises(ConfigError, match=expected) as info:
        MasterKey.from_env(environ={ENV_VAR: bad})
    assert bad not in str(info.value)
    assert info.value.source == ENV_VAR


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
    with pytest.raises(AuditError, match="this sealed data does not decrypt") as info:
        ring.open(blob, b"file-b")
    assert not isinstance(info.value, WrongKeyError)
    assert all("InvalidTag" not in type(e).__name__ for e in _causes(info.value))


def test_every_flipped_byte_of_a_sealed_blob_is_refused():
    ring = KeyRing(_key())
    blob = ring.seal(b"confidential", b"aad")
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        # every message names what failed: "this sealed data ..."
        with pytest.raises(AuditError, match="this sealed data"):
            ring.open(bytes(bad), b"aad")


def test_wrong_master_key_names_both_key_ids():
    writer, reader = _key(), _key()
    blob = KeyRing(writer).seal(b"data")
    with pytest.raises(WrongKeyError, match="does not open this sealed data") as info:
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
    with pytest.raises(WrongKeyError, match=f"it was written with key id {new.key_id}"):
        KeyRing(old).open(rotated, b"aad")
    # a ring that still lists the old key opens blobs not yet rotated
    assert KeyRing(new, previous=[old]).open(blob, b"aad") == b"data"


def test_truncated_blob_is_refused_cleanly():
    ring = KeyRing(_key())
    blob = ring.seal(b"confidential", b"aad")
    for n in range(len(blob)):
        with pytest.raises(AuditError, match="this sealed data"):
            ring.open(blob[:n], b"aad")


def test_garbage_is_not_a_sealed_blob():
    with pytest.raises(AuditError, match="not a privllm sealed blob"):
        KeyRing(_key()).open(b"garbage")


# -- every error names its source and what failed, exactly -------------------------------

KEYGEN = "create one with `privllm audit keygen`"


def test_a_wrong_length_key_names_its_source():
    with pytest.raises(
        ConfigError, match=rf"^the master key must be 32 bytes .*; {KEYGEN}$"
    ) as info:
        MasterKey(b"k" * 31)
    assert info.value.source == "the master key"
    short = base64.b64encode(b"k" * 16).decode()
    with pytest.raises(ConfigError, match=r"^vault key must be 32 bytes") as info:
        MasterKey.from_base64(short, source="vault key")
    assert info.value.source == "vault key"


def test_base64_is_read_strictly_and_errors_name_the_source():
    text = generate_key()
    # A stray character is an error, not skipped: "key: <base64>" would be another key.
    with pytest.raises(ConfigError, match=r"^the master key is not valid base64$") as info:
        MasterKey.from_base64(text[:10] + "!" + text[10:])
    assert info.value.source == "the master key"
    with pytest.raises(ConfigError, match=r"^vault key is not valid base64$") as info:
        MasterKey.from_base64("not base64!!", source="vault key")
    assert info.value.source == "vault key"


def test_from_env_reads_the_environ_it_is_given(monkeypatch):
    text = generate_key()
    monkeypatch.delenv("APP_AUDIT_KEY", raising=False)
    key = MasterKey.from_env("APP_AUDIT_KEY", environ={"APP_AUDIT_KEY": text})
    assert key.key_id == key_id(base64.b64decode(text))
    with pytest.raises(ConfigError, match=r"^APP_AUDIT_KEY must be 32 bytes") as info:
        MasterKey.from_env("APP_AUDIT_KEY", environ={"APP_AUDIT_KEY": "c2hvcnQ="})
    assert info.value.source == "APP_AUDIT_KEY"


def test_key_file_errors_name_the_file(tmp_path):
    path = tmp_path / "audit.key"
    path.write_text("not base64!!")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=rf"^key file {path} is not valid base64$") as info:
        MasterKey.from_file(path)
    assert info.value.source == f"key file {path}"
    path.chmod(0o640)
    with pytest.raises(ConfigError, match=f"run `chmod 600 {path}`") as info:
        MasterKey.from_file(path)
    assert info.value.source == str(path)
    missing = tmp_path / "nope.key"
    with pytest.raises(ConfigError, match=rf"^cannot read key file {missing}: ") as info:
        MasterKey.from_file(missing)
    assert info.value.source == str(missing)


def test_key_callable_errors_name_the_callable():
    with pytest.raises(ConfigError, match=r"^the key callable must be 32 bytes") as info:
        MasterKey.from_callable(lambda: b"too short")
    assert info.value.source == "the key callable"
    with pytest.raises(ConfigError, match=r"^the key callable is not valid base64$") as info:
        MasterKey.from_callable(lambda: "not base64!!")
    assert info.value.source == "the key callable"


def test_keyring_repr_lists_previous_key_ids_only_when_there_are_some():
    new, old = _key(), _key()
    assert repr(KeyRing(new)) == f"KeyRing(id={new.key_id})"
    assert repr(KeyRing(new, previous=[old])) == (
        f"KeyRing(id={new.key_id}, previous=['{old.key_id}'])"
    )


# -- wrapped keys: the format and its errors ----------------------------------------------

WHAT = "the data key of 2025-03-01"


def test_wrapped_data_keys_open_under_their_label_only():
    ring = KeyRing(_key())
    dek, blob = ring.new_data_key("2025-03-01", b"log:1:day:2025-03-01")
    assert repr(dek) == "DataKey('2025-03-01')"
    # magic, key id, nonce, the 32-byte key, the tag
    assert blob[:8] == b"PKW1" + bytes.fromhex(ring.key_id)
    assert len(blob) == 4 + 4 + 12 + 32 + 16
    opened = ring.open_data_key("2025-03-02", blob, b"log:1:day:2025-03-01", what=WHAT)
    assert opened.name == "2025-03-02"
    assert opened.decrypt(dek.encrypt(b"record", b"aad"), b"aad") == b"record"
    with pytest.raises(AuditError, match=rf"^{WHAT} does not decrypt: it was altered"):
        ring.open_data_key("x", blob, b"log:2:day:2025-03-01", what=WHAT)


def test_a_wrapped_key_too_short_or_without_its_magic_is_refused_as_such():
    ring = KeyRing(_key())
    _, blob = ring.new_data_key("d", b"label")
    shortest = blob[:36]  # magic, key id, nonce and a tag's worth: the format's minimum
    with pytest.raises(AuditError, match=rf"^{WHAT} does not decrypt"):
        ring.open_data_key("d", shortest, b"label", what=WHAT)
    not_ours = f"^{WHAT} is not a privllm wrapped key \\(corrupt or truncated\\)$"
    with pytest.raises(AuditError, match=not_ours):
        ring.open_data_key("d", blob[:35], b"label", what=WHAT)
    with pytest.raises(AuditError, match=not_ours):
        ring.open_data_key("d", b"PKW2" + blob[4:], b"label", what=WHAT)


def test_rewrap_moves_a_key_to_the_primary_and_names_what_it_cannot_open():
    old, new = _key(), _key()
    _, blob = KeyRing(old).new_data_key("d", b"label")
    rewrapped = KeyRing(new, previous=[old]).rewrap(blob, b"label", what=WHAT)
    assert rewrapped[4:8] == bytes.fromhex(new.key_id)
    KeyRing(new).open_data_key("d", rewrapped, b"label", what=WHAT)
    with pytest.raises(AuditError, match=rf"^{WHAT} does not decrypt"):
        KeyRing(new, previous=[old]).rewrap(blob, b"other label", what=WHAT)
    with pytest.raises(WrongKeyError, match=f"does not open {WHAT}; it was written with key id"):
        KeyRing(_key()).rewrap(blob, b"label", what=WHAT)


def test_data_key_errors_name_the_ciphertext():
    dek = DataKey("2025-03-01", os.urandom(32))
    blob = dek.encrypt(b"record", b"aad")
    assert blob[:1] == b"\x01"
    with pytest.raises(AuditError, match=r"^ciphertext is not in a format this version"):
        dek.decrypt(b"\x02" + blob[1:], b"aad")
    with pytest.raises(AuditError, match=r"^ciphertext does not decrypt"):
        dek.decrypt(blob, b"other aad")
    with pytest.raises(AuditError, match=r"^payload of call c1 does not decrypt"):
        dek.decrypt(blob, b"other aad", what="payload of call c1")


def test_subkeys_open_under_their_aad_only():
    dek = DataKey("2025-03-01", os.urandom(32))
    sub, blob = dek.new_subkey("map of c1", b"map:c1")
    assert repr(sub) == "DataKey('map of c1')"
    assert b"map:c1" not in blob
    opened = dek.open_subkey("map of c1", blob, b"map:c1")
    assert opened.name == "map of c1"
    assert opened.decrypt(sub.encrypt(b"value map", b"x"), b"x") == b"value map"
    with pytest.raises(AuditError, match=r"^key 'map of c2' does not decrypt"):
        dek.open_subkey("map of c2", blob, b"map:c2")


def test_seal_and_open_default_to_no_aad_and_name_the_sealed_data():
    ring = KeyRing(_key())
    assert ring.open(ring.seal(b"data"), b"") == b"data"
    assert ring.open(ring.seal(b"data", b"")) == b"data"
    blob = ring.seal(b"data", b"aad")
    with pytest.raises(AuditError, match=r"^the value map does not decrypt"):
        ring.open(blob, b"other", what="the value map")
    with pytest.raises(AuditError, match=r"^the value map is not a privllm sealed blob"):
        ring.open(blob[:5], what="the value map")
    # Six bytes are magic and length: the wrapped key inside is what is missing.
    with pytest.raises(AuditError, match=r"^this sealed data is not a privllm wrapped key"):
        ring.open(blob[:4] + b"\x00\x00")
    with pytest.raises(AuditError, match=r"^the value map is not a privllm sealed blob"):
        ring.rotate(b"garbage", what="the value map")
    with pytest.raises(WrongKeyError, match="does not open the value map"):
        KeyRing(_key()).rotate(blob, what="the value map")
    with pytest.raises(WrongKeyError, match="does not open this sealed data"):
        KeyRing(_key()).rotate(blob)


# -- the chain key: two HKDF subkeys (RFC 5869, recomputed here with hmac) ---------------


def _hkdf_sha256(secret: bytes, info: bytes) -> bytes:
    prk = hmac.new(b"\x00" * 32, secret, hashlib.sha256).digest()  # no salt: 32 zero bytes
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def test_mac_key_links_and_signs_under_different_subkeys():
    # If both subkeys were the same (e.g. HKDF without its label), a chain link could be
    # passed off as a signed head and the other way round.
    secret = bytes(range(32))
    key = MacKey(secret)
    chain_key = _hkdf_sha256(secret, b"privllm chain mac")
    head_key = _hkdf_sha256(secret, b"privllm head mac")
    assert key.link(b"prev", b"row") == hmac.new(chain_key, b"prevrow", hashlib.sha256).digest()
    assert key.sign(b"head") == hmac.new(head_key, b"head", hashlib.sha256).digest()
    assert key.link(b"", b"data") != key.sign(b"data")
    assert repr(key) == "MacKey(...)"


def test_mac_key_equal_compares_whole_macs():
    a = MacKey(os.urandom(32)).sign(b"x")
    assert MacKey.equal(a, bytes(a))
    assert not MacKey.equal(a, a[:-1] + bytes([a[-1] ^ 1]))
    assert not MacKey.equal(a, a[:16])


def test_chain_keys_are_wrapped_under_their_label():
    ring = KeyRing(_key())
    key, blob = ring.new_mac_key(b"log:1:chain")
    opened = ring.open_mac_key(blob, b"log:1:chain", what="the chain key")
    assert opened.link(b"p", b"d") == key.link(b"p", b"d")
    assert opened.sign(b"h") == key.sign(b"h")
    assert MacKey.equal(opened.sign(b"h"), key.sign(b"h"))
    with pytest.raises(AuditError, match=r"^the chain key does not decrypt"):
        ring.open_mac_key(blob, b"log:2:chain", what="the chain key")
