"""prepare_file from the outside: the bytes it writes, and what it refuses to write."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from finetune.samples import (
    CARD,
    EMAIL,
    IBAN,
    IP,
    PERSON,
    PHONE,
    RAW,
    SSN,
    TERMS,
    chat,
    sample_records,
    write_jsonl,
)
from privllm.config import RedactionConfig
from privllm.errors import ConfigError
from privllm.finetune.prepare.dataset import DatasetError, prepare_file, scan_file
from privllm.finetune.prepare.surrogates import is_surrogate
from privllm.finetune.prepare.valuemap import ValueMap
from privllm.redaction.detectors import iban_ok, luhn_ok
from privllm.redaction.redactor import Redactor


def prepare(tmp_path, redactor, vmap=None, records=None, name="out.jsonl", **kw):
    src = write_jsonl(tmp_path / "in.jsonl", records or sample_records())
    vmap = ValueMap() if vmap is None else vmap
    report = prepare_file(src, tmp_path / name, redactor, vmap, **kw)
    return report, vmap, (tmp_path / name).read_bytes()


def assert_no_raw_value(data: bytes) -> None:
    for value in RAW:
        assert value.encode() not in data, value
        assert value.lower().encode() not in data.lower(), value


def test_one_value_one_placeholder_on_every_line(tmp_path, redactor):
    report, _, data = prepare(tmp_path, redactor)
    assert_no_raw_value(data)
    lines = [json.loads(line) for line in data.splitlines()]
    first, second, tools, plain = lines
    assert first["messages"][0]["content"] == "[ORGANIZATION_1] bot"
    assert (
        first["messages"][1]["content"] == "I'm [PERSON_1], mail [EMAIL_1], card [CREDIT_CARD_1]."
    )
    assert first["messages"][2]["content"] == "Thanks [PERSON_1]."
    assert second["messages"][1]["content"].startswith(
        "[PERSON_1] here, key [SECRET_1]"
    )  # JANE DOE
    call = tools["messages"][1]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == {
        "email": "[EMAIL_1]",
        "ip": "[IP_ADDRESS_1]",
    }
    assert call["id"] == "call_1"
    assert call["function"]["name"] == "lookup"
    assert json.loads(tools["messages"][2]["content"]) == {
        "owner": "[PERSON_1]",
        "ssn": "[US_SSN_1]",
    }
    assert tools["messages"][3]["content"] == "[PERSON_1] owns it; call [PHONE_1]."
    assert tools["tools"][0]["function"]["description"] == "Find a customer of [ORGANIZATION_1]"
    assert tools["tools"][0]["function"]["parameters"]["required"] == ["email"]
    assert plain == chat("Nothing personal here.", "Fine.")
    assert report.lines == 4
    assert report.changed_lines == 3
    assert report.findings == {
        **{"PERSON": 5, "ORGANIZATION": 3, "EMAIL": 3, "CREDIT_CARD": 1, "SECRET": 1},
        **{"IBAN": 1, "IP_ADDRESS": 1, "US_SSN": 1, "PHONE": 1},
    }


def test_unchanged_lines_are_copied_byte_for_byte(tmp_path, redactor):
    src = tmp_path / "in.jsonl"
    odd = (
        '{ "messages" : [ {"role":"user","content":"caf\\u00e9"},'
        '{"role":"assistant","content":"ok"} ] }'
    )
    src.write_text(odd + "\n")
    prepare_file(src, tmp_path / "out.jsonl", redactor, ValueMap())
    assert (tmp_path / "out.jsonl").read_text() == odd + "\n"


def test_surrogates_have_the_shape_of_the_value(tmp_path, redactor):
    _, vmap, data = prepare(tmp_path, redactor, ValueMap("surrogate", salt=b"s" * 32))
    assert_no_raw_value(data)
    first, second, tools, _ = (json.loads(line) for line in data.splitlines())
    args = json.loads(tools["messages"][1]["tool_calls"][0]["function"]["arguments"])
    owner = json.loads(tools["messages"][2]["content"])
    name = owner["owner"]
    assert len(name.split()) == 2
    assert name[0].isupper()
    # the same person on every line, whatever the case it was written in
    assert first["messages"][2]["content"] == f"Thanks {name}."
    assert second["messages"][1]["content"].startswith(f"{name.upper()} here, key [SECRET_1]")
    email = args["email"]
    assert email.rsplit("@", 1)[1] in ("example.com", "example.net", "example.org")
    assert email in first["messages"][1]["content"]
    card = first["messages"][1]["content"].split("card ")[1].rstrip(".")
    assert len(card) == len(CARD)
    assert card[4] == " "
    assert luhn_ok(card.replace(" ", ""))
    assert card.startswith("4000 00")
    iban = tools["messages"][0]["content"].split("IBAN ")[1]
    assert len(iban) == len(IBAN)
    assert iban[:2] == "DE"
    assert iban_ok(iban.replace(" ", ""))
    assert owner["ssn"][:1] == "9"
    assert len(owner["ssn"]) == len(SSN)
    assert owner["ssn"][3] == "-"
    assert args["ip"].startswith(("198.18.", "198.19."))
    phone = tools["messages"][3]["content"].split("call ")[1].rstrip(".")
    assert phone.startswith("+44 ")
    assert len(phone) == len(PHONE)
    assert is_surrogate("PHONE", phone)  # an Ofcom drama number: rings no one
    assert vmap.reidentify(tools["messages"][3]["content"]) == f"{PERSON} owns it; call {PHONE}."


def test_surrogates_repeat_with_the_same_salt_and_differ_with_another(tmp_path, redactor):
    salt = os.urandom(32)
    _, _, once = prepare(tmp_path, redactor, ValueMap("surrogate", salt=salt), name="a.jsonl")
    _, _, again = prepare(tmp_path, redactor, ValueMap("surrogate", salt=salt), name="b.jsonl")
    _, _, other = prepare(tmp_path, redactor, ValueMap("surrogate", salt=b"o" * 32), name="c.jsonl")
    assert once == again
    assert once != other


@pytest.mark.parametrize("mode", ["placeholder", "surrogate"])
def test_a_prepared_file_scans_clean(tmp_path, redactor, mode):
    src = write_jsonl(tmp_path / "in.jsonl", sample_records())
    before = scan_file(src, redactor)
    assert set(before.findings) == {"PERSON", "ORGANIZATION", "EMAIL", "CREDIT_CARD", "SECRET",
                                    "IBAN", "IP_ADDRESS", "US_SSN", "PHONE"}  # fmt: skip
    prepare_file(src, tmp_path / "out.jsonl", redactor, ValueMap(mode))  # type: ignore[arg-type]
    after = scan_file(tmp_path / "out.jsonl", redactor)
    assert after.clean, after.findings
    assert after.lines == 4


def test_scan_file_counts_allowed_types_apart_and_reads_plain_text(tmp_path):
    redactor = Redactor.from_config(RedactionConfig(actions={"IP_ADDRESS": "allow"}))
    path = tmp_path / "mixed.txt"
    path.write_text(f"not json: {EMAIL}\n" + json.dumps({"k": f"{IP} [EMAIL_1] [PHONE]"}) + "\n")
    result = scan_file(path, redactor)
    assert result.findings == {"EMAIL": 1}
    assert result.allowed == {"IP_ADDRESS": 1}


def test_a_blocked_type_refuses_the_file_naming_line_and_field(tmp_path):
    redactor = Redactor.from_config(RedactionConfig(terms=TERMS, actions={"CREDIT_CARD": "block"}))
    with pytest.raises(DatasetError) as info:
        prepare(tmp_path, redactor)
    assert [str(i) for i in info.value.issues] == [
        "line 1: messages[1].content: holds a value of type CREDIT_CARD at characters "
        "48-67 (action 'block' in redaction.actions)"
    ]
    assert "4111" not in str(info.value)
    assert not (tmp_path / "out.jsonl").exists()
    assert not list(tmp_path.glob(".out.jsonl*"))  # no temporary file left behind


def test_mask_and_allow_actions(tmp_path):
    redactor = Redactor.from_config(
        RedactionConfig(terms=TERMS, actions={"US_SSN": "mask", "IP_ADDRESS": "allow"})
    )
    report, vmap, data = prepare(tmp_path, redactor)
    tools = json.loads(data.splitlines()[2])
    args = json.loads(tools["messages"][1]["tool_calls"][0]["function"]["arguments"])
    assert args["ip"] == IP
    assert json.loads(tools["messages"][2]["content"])["ssn"] == "[US_SSN]"
    assert report.findings["IP_ADDRESS"] == 1
    assert "US_SSN" not in vmap.distinct()
    assert "IP_ADDRESS" not in vmap.distinct()


def test_identifiers_get_bare_placeholders(tmp_path, redactor):
    record = chat("hi", "hello")
    record["messages"][0]["name"] = PERSON  # type: ignore[index]
    _, vmap, data = prepare(tmp_path, redactor, records=[record])
    assert json.loads(data)["messages"][0]["name"] == "PERSON_1"
    assert vmap.reidentify("PERSON_1 said hi") == f"{PERSON} said hi"


def test_a_value_in_a_schema_name_is_an_error(tmp_path, redactor):
    record = sample_records()[2]
    record["tools"][0]["function"]["parameters"]["properties"] = {EMAIL: {"type": "string"}}  # type: ignore[index]
    with pytest.raises(DatasetError) as info:
        prepare(tmp_path, redactor, records=[record])
    assert [str(i) for i in info.value.issues] == [
        "line 1: tools[0].function.parameters.properties.<key 0>: holds a value of type EMAIL; "
        "a schema name cannot be redacted"
    ]


def test_gemini_files_are_redacted_in_every_part(tmp_path, redactor):
    record = {
        "systemInstruction": {"parts": [{"text": f"Support for {PERSON}"}]},
        "contents": [
            {"role": "user", "parts": [{"text": f"Mail {EMAIL}"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "send", "args": {"to": EMAIL}}}]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "send", "response": {EMAIL: "sent"}}}]},
            {"role": "model", "parts": [{"text": f"Sent to {PERSON}."}]},
        ],
    }  # fmt: skip
    report, _, data = prepare(tmp_path, redactor, records=[record])
    assert_no_raw_value(data)
    out = json.loads(data)
    assert out["systemInstruction"]["parts"][0]["text"] == "Support for [PERSON_1]"
    assert out["contents"][1]["parts"][0]["functionCall"]["args"] == {"to": "[EMAIL_1]"}
    assert out["contents"][2]["parts"][0]["functionResponse"]["response"] == {"[EMAIL_1]": "sent"}
    assert report.format == "gemini"


def test_literal_placeholders_in_the_data_keep_their_numbers(tmp_path, redactor):
    records = [chat(f"mail {EMAIL}", "ok"), chat("I typed [EMAIL_1] and email_2 myself", "ok")]
    _, vmap, data = prepare(tmp_path, redactor, records=records)
    first, second = (json.loads(line) for line in data.splitlines())
    assert first["messages"][0]["content"] == "mail [EMAIL_3]"
    assert second == records[1]
    assert vmap.reidentify("[EMAIL_1], [EMAIL_3]") == f"[EMAIL_1], {EMAIL}"


def test_a_dry_run_writes_nothing_and_shows_no_value(tmp_path, redactor):
    src = write_jsonl(tmp_path / "in.jsonl", sample_records())
    report = prepare_file(src, None, redactor, ValueMap(), examples=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    assert report.lines == 4
    assert sum(report.findings.values()) == 17
    shown = "\n".join(str(e) for e in report.examples)
    assert len(report.examples) == 5
    assert "[PERSON_1]" in shown
    assert_no_raw_value(shown.encode())


def test_memory_does_not_hold_lines_the_map_holds_distinct_values(tmp_path, redactor):
    # The same values on 2,000 lines: the map stays at one entry per distinct value.
    records = [chat(f"{PERSON} {EMAIL} line {i}", f"ok {i}") for i in range(2000)]
    _, vmap, data = prepare(tmp_path, redactor, records=records)
    assert len(vmap) == 2
    assert data.count(b"[PERSON_1] [EMAIL_1] line ") == 2000


WORKERS = """
import sys
from privllm.config import RedactionConfig
from privllm.finetune.prepare.dataset import prepare_file
from privllm.finetune.prepare.valuemap import ValueMap
from privllm.redaction.redactor import Redactor
import privllm.finetune.prepare.parallel
privllm.finetune.prepare.parallel.CHUNK_BYTES = 8192  # ~40 chunks: ordering across workers
src, dst, workers, mode = sys.argv[1:]
redactor = Redactor.from_config(RedactionConfig(terms={"PERSON": ["Jane Doe"]}))
vmap = ValueMap(mode, salt=b"s" * 32)
prepare_file(src, dst, redactor, vmap, workers=int(workers))
sys.stdout.buffer.write(vmap.to_json())
"""


@pytest.mark.parametrize("mode", ["placeholder", "surrogate"])
def test_workers_write_the_same_bytes_and_map(tmp_path, mode):
    # Each run is a fresh process: forking wants no other thread running, and pytest's
    # process may have some.
    records = [chat(f"{i}: mail user{i % 50}@acme.com or Jane Doe, card {CARD}", "ok")
               for i in range(4000)]  # fmt: skip
    src = write_jsonl(tmp_path / "in.jsonl", records)
    outputs = []
    for workers in (1, 3):
        dst = tmp_path / f"out{workers}.jsonl"
        run = subprocess.run(
            [sys.executable, "-c", WORKERS, str(src), str(dst), str(workers), mode],
            capture_output=True,
            check=True,
            timeout=120,
            env={**os.environ, "PYTHONWARNINGS": "error"},
        )
        outputs.append((dst.read_bytes(), run.stdout))
    assert outputs[0] == outputs[1]
    assert b"[EMAIL_50]" in outputs[0][0] or mode == "surrogate"


def test_keys_of_data_are_shown_by_position_in_problems(tmp_path):
    redactor = Redactor.from_config(RedactionConfig(actions={"CREDIT_CARD": "block"}))
    record = {
        "contents": [
            {"role": "user", "parts": [{"text": "pay"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "pay", "args": {EMAIL: CARD}}}]},
        ]
    }
    with pytest.raises(DatasetError) as info:
        prepare(tmp_path, redactor, records=[record])
    assert [str(i) for i in info.value.issues] == [
        "line 1: contents[1].parts[0].functionCall.args.<key 0>: holds a value of type "
        "CREDIT_CARD at characters 0-19 (action 'block' in redaction.actions)"
    ]


@pytest.mark.parametrize("where", ["missing-folder", "output-is-a-folder"])
def test_an_output_that_cannot_be_written_is_a_config_error_leaving_nothing(
    tmp_path, redactor, where
):
    src = write_jsonl(tmp_path / "in.jsonl", sample_records())
    if where == "missing-folder":
        dst = tmp_path / "nodir" / "out.jsonl"
    else:  # the rename at the end fails
        dst = tmp_path / "out.jsonl"
        dst.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ConfigError) as info:
        prepare_file(src, dst, redactor, ValueMap())
    assert str(info.value).startswith(f"cannot write {dst}: ")
    assert isinstance(info.value.__cause__, OSError)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
