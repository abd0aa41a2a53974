"""Fine-tuning data with names, addresses and dates of birth (the model-free detectors on):
prepare leaves none in the file, a later first name alone included; the pre-upload scan,
given the value map, does not report the surrogate names prepare wrote, and still reports
a real name, even one that shares a word with a surrogate. Checked on the file's bytes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from finetune.samples import chat, write_jsonl
from privllm.audit.crypto import MasterKey
from privllm.config import RedactionConfig
from privllm.finetune import ValueMap, prepare_file, scan_file
from privllm.finetune.cli import finetune_group
from privllm.finetune.jobs.lifecycle import FinetuneJobs, UnpreparedFileError
from privllm.redaction.redactor import Redactor
from privllm.redaction.scanner import BUILTIN_TYPES
from privllm.testing import OpenAIServer

NAMES = ["Oluwaseun Adeyemi", "Oluwaseun", "Adeyemi", "Priya Raman", "Priya", "Raman"]
ADDRESS = "742 Evergreen Terrace, Springfield, OR 97403"
DOB = "07/03/1984"
REAL = [*NAMES, ADDRESS, DOB, "1984"]
RECORDS = [
    chat(f"Hi, my name is Priya Raman, DOB {DOB}. I moved to {ADDRESS}.",
         "Dear Priya Raman, your file is updated. Anything else, Priya?"),
    chat("Account holder: Oluwaseun Adeyemi", "Thanks, Oluwaseun. Noted, Oluwaseun Adeyemi."),
    chat("Thanks. Priya asked for a copy.", "Sent to Priya."),
]  # fmt: skip
TYPES = sorted(BUILTIN_TYPES)


def all_types() -> Redactor:
    return Redactor.from_config(RedactionConfig(types=TYPES))


def prepared(tmp_path: Path, mode: str = "surrogate") -> tuple[Path, ValueMap]:
    source = write_jsonl(tmp_path / "raw.jsonl", RECORDS)
    out = tmp_path / "train.jsonl"
    vmap = ValueMap(mode, salt=b"n" * 32)  # type: ignore[arg-type]
    prepare_file(source, out, all_types(), vmap)
    return out, vmap


def words(data: bytes) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", data.decode()))


@pytest.mark.parametrize("mode", ["surrogate", "placeholder"])
def test_prepared_file_holds_no_name_not_even_a_later_first_name(tmp_path, mode):
    out, _ = prepared(tmp_path, mode)
    data = out.read_bytes()
    for value in REAL:
        assert value.encode() not in data, value
    assert not {"Priya", "Raman", "Oluwaseun", "Adeyemi"} & words(data)


def test_surrogate_names_are_realistic_and_consistent(tmp_path):
    out, vmap = prepared(tmp_path)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    first = lines[0]["messages"]
    full = re.search(r"Dear (\w+) (\w+),", first[1]["content"])
    assert full is not None
    # The first name alone is the full name's surrogate first name, not another one.
    assert first[1]["content"].endswith(f"Anything else, {full.group(1)}?")
    assert vmap.reidentify(f"{full.group(1)} {full.group(2)}") == "Priya Raman"
    assert vmap.reidentify(full.group(1)) == "Priya"


def test_scan_with_the_map_reports_no_surrogate_and_without_it_does(tmp_path):
    out, vmap = prepared(tmp_path)
    assert scan_file(out, all_types(), value_map=vmap).clean
    bare = scan_file(out, all_types())
    assert bare.findings["PERSON"] > 0  # realistic names: only the map tells them apart


def test_a_real_name_in_a_prepared_file_is_still_reported(tmp_path):
    out, vmap = prepared(tmp_path)
    text = out.read_text()
    surrogate_first = re.search(r"Dear (\w+) \w+,", text)
    assert surrogate_first is not None
    # A real person who shares a given name with a surrogate, and one who shares nothing.
    extra = [
        chat(f"Account holder: {surrogate_first.group(1)} Okonkwo-Barros", "Done."),
        chat("Dear Mr. Thistlewood, thanks.", "Noted."),
    ]
    write_jsonl(tmp_path / "extra.jsonl", extra)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(text + (tmp_path / "extra.jsonl").read_text())
    scan = scan_file(tampered, all_types(), value_map=vmap)
    assert scan.findings["PERSON"] == 2


def test_upload_with_the_map_sends_the_prepared_bytes_and_without_it_refuses(tmp_path, key_file):
    out, vmap = prepared(tmp_path)
    key = MasterKey.from_file(key_file)
    with OpenAIServer() as server:
        jobs = FinetuneJobs(
            env={},
            provider=server.provider_config(),
            audit={"path": tmp_path / "audit.db", "key": key},
            redaction={"types": TYPES},
        )
        try:
            with pytest.raises(UnpreparedFileError) as caught:
                jobs.upload(out)
            assert caught.value.findings["PERSON"] > 0
            assert server.requests == []
            item = jobs.upload(out, value_map=vmap)
        finally:
            jobs.close()
        assert server.file_data[item.remote_id] == out.read_bytes()
        received = server.received()
    for value in REAL:
        assert value.encode() not in received, value


def test_cli_scan_takes_the_map(tmp_path, key_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "privllm.toml").write_text(f"[redaction]\ntypes = {json.dumps(TYPES)}\n")
    write_jsonl(tmp_path / "raw.jsonl", RECORDS)
    runner = CliRunner()
    args = ["prepare", "raw.jsonl", "-o", "out.jsonl", "--surrogates", "--key-file", str(key_file)]
    result = runner.invoke(finetune_group, args)
    assert result.exit_code == 0, result.output
    data = (tmp_path / "out.jsonl").read_bytes()
    assert not {"Priya", "Raman", "Oluwaseun", "Adeyemi"} & words(data)
    result = runner.invoke(finetune_group, ["scan", "out.jsonl"])
    assert result.exit_code == 1
    assert "PERSON" in result.stdout
    args = ["scan", "out.jsonl", "--map", "out.jsonl.map", "--key-file", str(key_file)]
    result = runner.invoke(finetune_group, args)
    assert result.exit_code == 0, result.output
    assert "no findings" in result.stdout


def test_no_salt_makes_the_map_aware_scan_report_a_surrogate(tmp_path):
    # Surrogates depend on the map's salt: across salts, two people may draw one surname
    # (the second full name is then written from parts, "Leon Nora"), and a date of birth's
    # one-word stand-in may read as a name after its cue ("DOB Belka"). Neither is a person.
    source = write_jsonl(tmp_path / "raw.jsonl", RECORDS)
    reported = []
    for salt in range(48):
        out = tmp_path / f"train-{salt}.jsonl"
        vmap = ValueMap("surrogate", salt=bytes([salt]) * 32)
        prepare_file(source, out, all_types(), vmap)
        data = out.read_bytes()
        assert not {"Priya", "Raman", "Oluwaseun", "Adeyemi"} & words(data)
        findings = scan_file(out, all_types(), value_map=vmap).findings
        if findings:
            reported.append((salt, dict(findings)))
    assert reported == []
