"""``privllm finetune`` as a user runs it: files on disk, exit codes, what is printed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from finetune.samples import EMAIL, PERSON, RAW, TERMS, chat, sample_records, write_jsonl
from privllm.audit.crypto import generate_key
from privllm.finetune.cli import finetune_group


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    persons = ", ".join(f'"{t}"' for t in TERMS["PERSON"])
    (tmp_path / "privllm.toml").write_text(
        f'[redaction]\nterms = {{ PERSON = [{persons}], ORGANIZATION = ["Acme Corp"] }}\n'
    )
    write_jsonl(tmp_path / "train.jsonl", sample_records())
    return tmp_path


def run(*args, env=None, input=None):
    result = CliRunner().invoke(finetune_group, list(args), env=env, input=input)
    return result


def assert_no_raw_value(text: str) -> None:
    for value in RAW:
        assert value not in text, value


def test_prepare_then_reidentify(workdir, key_file):
    result = run("prepare", "train.jsonl", "-o", "out.jsonl", "--key-file", str(key_file))
    assert result.exit_code == 0, result.output
    assert_no_raw_value(result.output)
    assert "4 lines (openai format), 3 changed" in result.stdout
    assert "wrote out.jsonl and the sealed value map out.jsonl.map (key id " in result.stdout
    assert "│ PERSON       │     5 │                      1 │ placeholder │" in result.stdout
    data = (workdir / "out.jsonl").read_text()
    assert_no_raw_value(data)
    blob = (workdir / "out.jsonl.map").read_bytes()
    assert all(value.encode() not in blob for value in RAW)

    answer = "Dear [PERSON_1], we wrote to EMAIL_1."
    result = run("reidentify", "--map", "out.jsonl.map", "--key-file", str(key_file), answer)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Dear {PERSON}, we wrote to {EMAIL}.\n"
    result = run("reidentify", "--map", "out.jsonl.map", "--key-file", str(key_file), "-",
                 input="[PERSON_1]\n")  # fmt: skip
    assert result.stdout == f"{PERSON}\n"


def test_the_key_can_come_from_the_environment_and_a_wrong_key_is_named(workdir):
    env = {"PRIVLLM_AUDIT_KEY": generate_key()}
    result = run("prepare", "train.jsonl", "-o", "out.jsonl", "--surrogates", env=env)
    assert result.exit_code == 0, result.output
    wrong = {"PRIVLLM_AUDIT_KEY": generate_key()}
    result = run("reidentify", "--map", "out.jsonl.map", "x", env=wrong)
    assert result.exit_code == 1
    assert "error: this key (id " in result.stderr
    assert "does not open value map out.jsonl.map; it was written with key id" in result.stderr


def test_without_a_key_nothing_is_done(workdir):
    result = run("prepare", "train.jsonl", "-o", "out.jsonl")
    assert result.exit_code == 2
    assert "no key to seal the value map: pass --key-file, set PRIVLLM_AUDIT_KEY" in result.stderr
    assert not (workdir / "out.jsonl").exists()


def test_dry_run_shows_counts_and_masked_examples_and_writes_nothing(workdir):
    before = sorted(p.name for p in workdir.iterdir())
    result = run("prepare", "train.jsonl", "--dry-run")  # no key needed
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in workdir.iterdir()) == before
    assert "dry run: nothing written" in result.stdout
    assert "examples (stand-ins in bold; nothing else changes):" in result.stdout
    assert "line 1 messages[1].content: I'm [PERSON_1], mail [EMAIL_1], card" in result.stdout
    assert_no_raw_value(result.output)


def test_problems_are_listed_on_stderr_up_to_the_limit(workdir, key_file):
    (workdir / "bad.jsonl").write_text(f'{{"messages": [], "{EMAIL}": 1}}\n' + "nope\n" * 5)
    result = run("prepare", "bad.jsonl", "-o", "out.jsonl", "--key-file", str(key_file),
                 "--max-errors", "3")  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:5] == [
        "line 1: unknown field",
        "line 1: messages: must be a non-empty list of messages",
        "line 2: not valid JSON (Expecting value at column 1)",
        "... and 4 more",
        "error: bad.jsonl: nothing written",
    ]
    assert EMAIL not in result.output
    assert not (workdir / "out.jsonl").exists()
    assert not (workdir / "out.jsonl.map").exists()


def test_existing_output_needs_force_and_a_map_is_extended_in_its_own_mode(workdir, key_file):
    key = ("--key-file", str(key_file))
    assert run("prepare", "train.jsonl", "-o", "out.jsonl", *key).exit_code == 0
    result = run("prepare", "train.jsonl", "-o", "out.jsonl", *key)
    assert result.exit_code == 2
    assert "out.jsonl exists; pass --force" in result.output

    write_jsonl(workdir / "valid.jsonl", [chat(f"bob@acme.org and {EMAIL}", "ok")])
    result = run("prepare", "valid.jsonl", "-o", "v.jsonl", "--map", "out.jsonl.map", *key)
    assert result.exit_code == 0, result.output
    content = json.loads((workdir / "v.jsonl").read_text())["messages"][0]["content"]
    assert content == "[EMAIL_2] and [EMAIL_1]"  # EMAIL_1 from the training file

    result = run("prepare", "valid.jsonl", "-o", "w.jsonl", "--map", "out.jsonl.map",
                 "--surrogates", *key)  # fmt: skip
    assert result.exit_code == 2
    assert "out.jsonl.map was made without --surrogates" in result.stderr


def test_progress_goes_to_stderr_when_asked(workdir, key_file):
    result = run("prepare", "train.jsonl", "-o", "out.jsonl", "--key-file", str(key_file),
                 "--progress")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "lines" in result.stderr
    assert "train.jsonl" in result.stderr
    quiet = run("prepare", "train.jsonl", "-o", "o2.jsonl", "--key-file", str(key_file))
    assert quiet.stderr == ""


def test_scan_exits_1_on_findings_and_0_on_a_prepared_file(workdir, key_file):
    result = run("scan", "train.jsonl")
    assert result.exit_code == 1
    assert "│ EMAIL" in result.stdout
    assert_no_raw_value(result.output)
    run("prepare", "train.jsonl", "-o", "out.jsonl", "--key-file", str(key_file), "--surrogates")
    result = run("scan", "out.jsonl")
    assert result.exit_code == 0, result.output
    assert "out.jsonl: no findings" in result.stdout


@pytest.mark.parametrize("fresh", [True, False], ids=["new-output", "existing-map-forced"])
def test_a_map_on_the_output_path_is_refused_before_any_work(workdir, key_file, fresh):
    key = ("--key-file", str(key_file))
    if fresh:  # the reviewer's case: the map would be sealed, then overwritten by the data
        target = "same.jsonl"
    else:  # an existing map given as OUTPUT too, with --force: it would be destroyed
        assert run("prepare", "train.jsonl", "-o", "out.jsonl", *key).exit_code == 0
        target = "out.jsonl.map"
    before = {p.name: p.read_bytes() for p in workdir.iterdir() if p.is_file()}
    result = run("prepare", "train.jsonl", "-o", target, "--map", target, "--force", *key)
    assert result.exit_code == 2
    assert "--map must not be OUTPUT" in result.output
    assert {p.name: p.read_bytes() for p in workdir.iterdir() if p.is_file()} == before


def test_a_map_on_the_source_path_is_refused(workdir, key_file):
    before = (workdir / "train.jsonl").read_bytes()
    result = run("prepare", "train.jsonl", "-o", "out.jsonl", "--map", "train.jsonl",
                 "--key-file", str(key_file))  # fmt: skip
    assert result.exit_code == 2
    assert "--map must not be SOURCE" in result.output
    assert (workdir / "train.jsonl").read_bytes() == before
    assert not (workdir / "out.jsonl").exists()


@pytest.mark.parametrize("which", ["-o", "--map"])
def test_a_missing_folder_is_an_error_line_not_a_traceback(workdir, key_file, which):
    before = sorted(p.name for p in workdir.iterdir())
    paths = {"-o": "out.jsonl", "--map": "out.jsonl.map"}
    paths[which] = "nodir/" + paths[which]
    result = run("prepare", "train.jsonl", "-o", paths["-o"], "--map", paths["--map"],
                 "--key-file", str(key_file))  # fmt: skip
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"error: cannot write {paths[which]}: nodir is not a directory" in result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.name for p in workdir.iterdir()) == before
