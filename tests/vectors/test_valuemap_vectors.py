"""Sealed fine-tuning value maps written by this version, kept as files: every later version
must open them with their key and give back exactly the same stand-ins and values, or the
owner of a tuned model can no longer re-identify what it writes.

``valuemap-v1.map``: placeholder mode, sealed under ``known.OLD_KEY``, with a reserved number
(``[EMAIL_2]``), two spellings of one person, and a non-BMP character in a value.
``valuemap-surrogate-v1.map``: surrogate mode, sealed under ``OLD_KEY`` and rotated to ``KEY``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from privllm.audit.crypto import KeyRing, MasterKey
from privllm.errors import WrongKeyError
from privllm.finetune.prepare.valuemap import ValueMap
from vectors import known
from vectors.independent import open_sealed, sha256_file

HERE = Path(__file__).resolve().parent
AAD = b"privllm finetune value map"

PLACEHOLDER_MAP: dict[str, Any] = {
    "format": "privllm value map",
    "version": 1,
    "mode": "placeholder",
    "salt": "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=",  # bytes 100..131
    "placeholders": [
        ["EMAIL", 1, "ann@example.com"],
        ["EMAIL", 3, "bob@example.org"],
        ["PERSON", 1, "Ann Lee"],
        ["SECRET", 1, "sk-test-\U0001f600-0001"],
    ],
    "reserved": [["EMAIL", 2]],
    "surrogates": [],
}
SURROGATE_MAP: dict[str, Any] = {
    "format": "privllm value map",
    "version": 1,
    "mode": "surrogate",
    "salt": "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl5uc=",  # bytes 200..231
    "placeholders": [["SECRET", 1, "hunter2-secret"]],
    "reserved": [],
    "surrogates": [
        ["PERSON", "Amir Yilmaz", "Jane Doe"],
        ["EMAIL", "zlindqvist@example.net", "jane@corp.example"],
    ],
}
FILES = {
    known.VALUE_MAP_V1: ("e50971bec0c95e3760b2b29bbe526909ea510de377921224df153816739e096e", 394),
    known.SURROGATE_MAP_V1: (
        "6c8d3022d9687530708f95098c93907da4645f01365b6443505240ac36d21266",
        385,
    ),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_stored_maps_are_the_files_written_by_version_1(name):
    # A different hash means the vector was overwritten: restore it from git (make_vectors.py).
    data = (HERE / name).read_bytes()
    assert (sha256_file(data), len(data)) == FILES[name]


def test_the_placeholder_map_opens_with_its_key_and_gives_the_exact_mapping():
    vmap = ValueMap.load(HERE / known.VALUE_MAP_V1, KeyRing(MasterKey(known.OLD_KEY)))
    assert json.loads(vmap.to_json()) == PLACEHOLDER_MAP
    assert vmap.mode == "placeholder"
    assert len(vmap) == 4
    assert vmap.distinct() == {"EMAIL": 2, "PERSON": 1, "SECRET": 1}
    assert vmap.reidentify("[EMAIL_1], email_3, [Person_1] and SECRET_1; [EMAIL_2] stays") == (
        "ann@example.com, bob@example.org, Ann Lee and sk-test-\U0001f600-0001; [EMAIL_2] stays"
    )
    # Carried on to the next file it continues the numbering, skipping the reserved one.
    assert vmap.stand_in("EMAIL", "ann@example.com") == "[EMAIL_1]"
    assert vmap.stand_in("PERSON", "ANN LEE") == "[PERSON_1]"
    assert vmap.stand_in("EMAIL", "carl@example.net") == "[EMAIL_4]"


def test_the_rotated_surrogate_map_opens_with_the_new_key():
    vmap = ValueMap.load(HERE / known.SURROGATE_MAP_V1, KeyRing(MasterKey(known.KEY)))
    assert json.loads(vmap.to_json()) == SURROGATE_MAP
    assert vmap.reidentify("Amir Yilmaz wrote to zlindqvist@example.net: [SECRET_1]") == (
        "Jane Doe wrote to jane@corp.example: hunter2-secret"
    )
    assert vmap.stand_in("PERSON", "Jane Doe") == "Amir Yilmaz"


def test_the_key_a_map_was_rotated_away_from_is_refused_by_id():
    path = HERE / known.SURROGATE_MAP_V1
    with pytest.raises(WrongKeyError) as info:
        ValueMap.load(path, KeyRing(MasterKey(known.OLD_KEY)))
    assert str(info.value) == (
        f"this key (id b7c7866e) does not open value map {path}; "
        "it was written with key id d8100b2e"
    )


@pytest.mark.parametrize(
    ("name", "key", "expected"),
    [
        (known.VALUE_MAP_V1, known.OLD_KEY, PLACEHOLDER_MAP),
        (known.SURROGATE_MAP_V1, known.KEY, SURROGATE_MAP),
    ],
    ids=["placeholder", "surrogate"],
)
def test_an_independent_reader_opens_the_sealed_maps(name, key, expected):
    plaintext = open_sealed(key, (HERE / name).read_bytes(), AAD)
    assert json.loads(plaintext) == expected


def test_what_this_version_seals_is_what_the_independent_reader_reads(tmp_path):
    # The stored files pin the reader; this pins the writer to the same format.
    vmap = ValueMap("placeholder", salt=known.VALUE_MAP_SALT)
    for kind, n in known.VALUE_MAP_RESERVED:
        vmap.reserve(kind, n)
    for kind, value in known.VALUE_MAP_VALUES:
        vmap.stand_in(kind, value)
    vmap.save(tmp_path / "fresh.map", KeyRing(MasterKey(known.OLD_KEY)))
    plaintext = open_sealed(known.OLD_KEY, (tmp_path / "fresh.map").read_bytes(), AAD)
    assert json.loads(plaintext) == PLACEHOLDER_MAP
