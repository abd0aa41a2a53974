"""The sealed value map: reveals nothing without its key, restores everything with it."""

from __future__ import annotations

import json
import pickle
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finetune.samples import CARD, EMAIL, IBAN, PERSON, PHONE, RAW, sample_records, write_jsonl
from privllm.audit.crypto import KeyRing, MasterKey, generate_key
from privllm.errors import AuditError, WrongKeyError
from privllm.finetune.prepare.dataset import prepare_file
from privllm.finetune.prepare.valuemap import ValueMap


def prepared_map(tmp_path, redactor, mode="placeholder"):
    src = write_jsonl(tmp_path / "in.jsonl", sample_records())
    vmap = ValueMap(mode)
    prepare_file(src, tmp_path / "out.jsonl", redactor, vmap)
    return vmap


@pytest.mark.parametrize("mode", ["placeholder", "surrogate"])
def test_the_map_file_holds_no_value_and_opens_only_with_its_key(tmp_path, redactor, keyring, mode):
    vmap = prepared_map(tmp_path, redactor, mode)
    path = tmp_path / "train.map"
    vmap.save(path, keyring)
    blob = path.read_bytes()
    for value in RAW:
        assert value.encode() not in blob
        assert value.encode("utf-16-le") not in blob
    assert b"PERSON" not in blob  # not even the types
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = ValueMap.load(path, keyring)
    assert loaded.to_json() == vmap.to_json()
    assert loaded.mode == mode

    other = KeyRing(MasterKey.from_base64(generate_key()))
    with pytest.raises(WrongKeyError) as info:
        ValueMap.load(path, other)
    message = str(info.value)
    assert f"this key (id {other.key_id}) does not open value map {path}" in message
    assert f"written with key id {keyring.key_id}" in message


def test_an_altered_map_is_refused(tmp_path, redactor, keyring):
    vmap = prepared_map(tmp_path, redactor)
    path = tmp_path / "train.map"
    vmap.save(path, keyring)
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(AuditError, match="does not decrypt: it was altered"):
        ValueMap.load(path, keyring)
    path.write_bytes(b"not a map at all")
    with pytest.raises(AuditError, match="not a privllm sealed blob"):
        ValueMap.load(path, keyring)


def test_a_loaded_map_continues_the_numbering(tmp_path, redactor, keyring):
    first = ValueMap()
    first.reserve("EMAIL", 2)
    assert first.stand_in("EMAIL", "a@x.io") == "[EMAIL_1]"
    assert first.stand_in("EMAIL", "b@x.io") == "[EMAIL_3]"
    first.save(tmp_path / "m", keyring)
    second = ValueMap.load(tmp_path / "m", keyring)
    assert second.stand_in("EMAIL", "b@x.io") == "[EMAIL_3]"
    assert second.stand_in("EMAIL", "c@x.io") == "[EMAIL_4]"
    assert second.stand_in("EMAIL", "A@X.IO") == "[EMAIL_1]"  # one address, two spellings


def test_a_second_file_prepared_with_the_saved_map_shares_its_stand_ins(
    tmp_path, redactor, keyring
):
    from finetune.samples import chat

    for mode in ("placeholder", "surrogate"):
        train = write_jsonl(tmp_path / "train.jsonl", [chat(f"{PERSON} {EMAIL}", "ok")])
        valid = write_jsonl(tmp_path / "valid.jsonl", [chat(f"{EMAIL} and bob@acme.org", "ok")])
        vmap = ValueMap(mode)  # type: ignore[arg-type]
        prepare_file(train, tmp_path / "t.out", redactor, vmap)
        vmap.save(tmp_path / "map", keyring)
        again = ValueMap.load(tmp_path / "map", keyring)
        prepare_file(valid, tmp_path / "v.out", redactor, again)
        trained = json.loads((tmp_path / "t.out").read_text())["messages"][0]["content"]
        validated = json.loads((tmp_path / "v.out").read_text())["messages"][0]["content"]
        assert trained.split()[-1] == validated.split()[0]  # the same email stand-in
        assert again.reidentify(validated) == f"{EMAIL} and bob@acme.org"


def test_reidentify_accepts_what_models_do_to_stand_ins(tmp_path, redactor):
    vmap = prepared_map(tmp_path, redactor)
    assert vmap.reidentify("Dear [PERSON_1], email_1 / [Email_1") == (
        f"Dear {PERSON}, {EMAIL} / {EMAIL}"
    )
    assert vmap.reidentify("[PERSON_9] and [EMAIL] stay") == "[PERSON_9] and [EMAIL] stay"

    surrogates = prepared_map(tmp_path, redactor, "surrogate")
    out = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    card = out["messages"][1]["content"].split("card ")[1].rstrip(".")
    name = out["messages"][2]["content"].removeprefix("Thanks ").rstrip(".")
    model_says = f"{name.lower()} paid with {card.replace(' ', '')}; {name.upper()} again"
    assert surrogates.reidentify(model_says) == f"{PERSON} paid with {CARD}; {PERSON} again"


def test_repr_and_pickle_show_no_value(tmp_path, redactor):
    vmap = prepared_map(tmp_path, redactor)
    assert repr(vmap) == "ValueMap(mode='placeholder', 9 values)"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(vmap)


def test_distinct_values_never_share_a_surrogate():
    vmap = ValueMap("surrogate", salt=b"k" * 32)
    kinds = {
        "EMAIL": [f"user{i}@corp{i % 7}.com" for i in range(3000)],
        "PERSON": [f"Person{i} Lastname{i}" for i in range(2000)],
        "CREDIT_CARD": [f"4111 1111 1111 {i:04d}" for i in range(500)],
        "IBAN": [IBAN] * 3,
        "PHONE": [PHONE],
    }
    seen: dict[str, str] = {}
    for kind, values in kinds.items():
        for value in values:
            stand_in = vmap.stand_in(kind, value)
            assert seen.setdefault(stand_in, value) == value, (kind, stand_in)
            assert stand_in != value
            assert not stand_in.startswith("[")  # no fallback to placeholders
    for stand_in, value in seen.items():
        assert vmap.reidentify(stand_in) == value


FRAGMENTS = ["Hello", "order 7781", "at noon.", "v1.2.3", "[EMAIL_2]", "x_1", "😀", "\n"]
VALUES = [PERSON, EMAIL, CARD, IBAN, PHONE, "bob@acme.org"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS + VALUES), min_size=1, max_size=12))
def test_reidentify_undoes_prepare(words):
    from finetune.samples import TERMS, chat
    from privllm.config import RedactionConfig
    from privllm.redaction.redactor import Redactor

    text = "; ".join(words)  # apart: "+44 20 7946 0958 4111 ..." is one run of digits
    redactor = Redactor.from_config(RedactionConfig(terms=TERMS))
    for mode in ("placeholder", "surrogate"):
        with tempfile.TemporaryDirectory() as folder:
            src = write_jsonl(Path(folder) / "in.jsonl", [chat(text, text)])
            vmap = ValueMap(mode)  # type: ignore[arg-type]
            prepare_file(src, Path(folder) / "out.jsonl", redactor, vmap)
            out = json.loads((Path(folder) / "out.jsonl").read_text())["messages"]
        assert out[0]["content"] == out[1]["content"]
        for value in VALUES:
            assert value not in out[0]["content"]
        assert vmap.reidentify(out[0]["content"]) == text
