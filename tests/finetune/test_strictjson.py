"""Lines another parser could read differently: repeated keys and runaway nesting.

``json.loads`` keeps the last of a repeated key, so a value in the first one was neither
checked nor redacted, yet a provider keeping the first would train on it. Such lines, and
lines nested deeper than the stack allows, are refused by prepare, flagged by scan and never
uploaded. Asserted on the bytes written and the bytes a local server received.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from finetune.samples import CARD, EMAIL, TERMS, chat
from privllm.audit.crypto import MasterKey, generate_key
from privllm.config import RedactionConfig
from privllm.finetune.cli import finetune_group
from privllm.finetune.jobs.lifecycle import FinetuneJobs, UnpreparedFileError
from privllm.finetune.prepare.dataset import DatasetError, prepare_file, scan_file
from privllm.finetune.prepare.valuemap import ValueMap
from privllm.redaction.redactor import Redactor
from privllm.testing import OpenAIServer

# The reviewer's line: the value in the first "content" is what json.loads drops.
DUP_CONTENT = (
    '{"messages":[{"role":"user","content":"Card ' + CARD + ", mail " + EMAIL + '",'
    '"content":"hi"},{"role":"assistant","content":"ok"}]}\n'
)
DUPLICATE = "duplicate key (a parser may read either value)"
DEEP = "nested more than 100 levels deep"


def _call_line(arguments: str) -> str:
    record = {
        "messages": [
            {"role": "user", "content": "look it up"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": arguments},
                    }
                ],
            },
        ]
    }
    return json.dumps(record) + "\n"


def _nested_args(levels: int) -> dict[str, object]:
    args: dict[str, object] = {"email": EMAIL}
    for _ in range(levels - 1):
        args = {"a": args}
    return args


def _gemini_line(args: object) -> str:
    record = {
        "contents": [
            {"role": "user", "parts": [{"text": "pay"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "pay", "args": args}}]},
        ]
    }
    return json.dumps(record) + "\n"


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(chat("Nothing here.", "Fine.")) + "\n" + "".join(lines))
    return path


@pytest.fixture
def redactor() -> Redactor:
    return Redactor.from_config(RedactionConfig(terms=TERMS))


def _refused(path: Path, redactor: Redactor) -> list[str]:
    out = path.with_name("out.jsonl")
    with pytest.raises(DatasetError) as info:
        prepare_file(path, out, redactor, ValueMap())
    assert not out.exists()
    assert list(path.parent.glob(".out.jsonl*")) == []
    assert CARD not in str(info.value)
    assert EMAIL not in str(info.value)
    return [str(issue) for issue in info.value.issues]


# -- repeated keys ------------------------------------------------------------------------------


def test_a_repeated_key_refuses_the_file_without_showing_a_value(tmp_path, redactor):
    path = _write(tmp_path, DUP_CONTENT)
    assert _refused(path, redactor) == [f"line 2: {DUPLICATE}"]


def test_a_repeated_key_in_tool_arguments_refuses_the_file(tmp_path, redactor):
    arguments = '{"email": "' + EMAIL + '", "email": "x"}'
    assert _refused(_write(tmp_path, _call_line(arguments)), redactor) == [
        f"line 2: messages[1].tool_calls[0].function.arguments: {DUPLICATE}"
    ]


def test_a_repeated_key_in_gemini_args_refuses_the_file(tmp_path, redactor):
    line = _gemini_line({}).replace('"args": {}', f'"args": {{"to": "{EMAIL}", "to": "x"}}')
    path = tmp_path / "in.jsonl"
    path.write_text(line)
    assert _refused(path, redactor) == [f"line 1: {DUPLICATE}"]


def test_scan_flags_a_repeated_key_and_counts_every_value(tmp_path, redactor):
    path = tmp_path / "dup.jsonl"
    path.write_text(DUP_CONTENT)
    result = scan_file(path, redactor)
    assert not result.clean
    assert [str(i) for i in result.issues] == [f"line 1: {DUPLICATE}"]
    assert result.findings == {"CREDIT_CARD": 1, "EMAIL": 1}


def test_the_cli_refuses_and_flags_a_repeated_key(tmp_path, monkeypatch, key_file):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dup.jsonl").write_text(DUP_CONTENT)
    runner = CliRunner()
    prepared = runner.invoke(
        finetune_group, ["prepare", "dup.jsonl", "-o", "dup.out", "--key-file", str(key_file)]
    )
    assert prepared.exit_code == 1
    assert f"line 1: {DUPLICATE}" in prepared.stderr
    assert not (tmp_path / "dup.out").exists()
    assert not (tmp_path / "dup.out.map").exists()
    scanned = runner.invoke(finetune_group, ["scan", "dup.jsonl"])
    assert scanned.exit_code == 1
    assert f"line 1: {DUPLICATE}" in scanned.stderr
    for result in (prepared, scanned):
        assert CARD not in result.output
        assert EMAIL not in result.output


@pytest.mark.parametrize("allow_unredacted", [False, True])
def test_upload_never_sends_a_file_with_a_repeated_key(tmp_path, allow_unredacted):
    path = tmp_path / "dup.out"
    # No finding is left in what json.loads keeps: only the repeated key gives it away.
    path.write_text(DUP_CONTENT.replace(f"Card {CARD}, mail {EMAIL}", f"mail {EMAIL}"))
    key = MasterKey.from_base64(generate_key())
    with (
        OpenAIServer() as server,
        FinetuneJobs(
            env={},
            provider=server.provider_config(),
            audit={"path": tmp_path / "audit.db", "key": key},
        ) as jobs,
    ):
        with pytest.raises(UnpreparedFileError) as caught:
            jobs.upload(path, allow_unredacted=allow_unredacted)
        assert caught.value.rule == "finetune.unchecked"
        assert EMAIL not in str(caught.value)
        assert server.requests == []
        assert EMAIL.encode() not in server.received()


# -- runaway nesting ----------------------------------------------------------------------------


def test_a_line_nested_past_the_stack_is_a_problem_not_a_crash(tmp_path, redactor):
    path = _write(tmp_path, "[" * 200_000 + "\n")
    assert _refused(path, redactor) == [f"line 2: {DEEP}"]
    result = scan_file(path, redactor)
    assert [str(i) for i in result.issues] == [f"line 2: {DEEP}"]
    assert not result.clean


def test_deeply_nested_tool_arguments_are_refused(tmp_path, redactor):
    arguments = json.dumps(_nested_args(800))
    assert _refused(_write(tmp_path, _call_line(arguments)), redactor) == [
        f"line 2: messages[1].tool_calls[0].function.arguments: {DEEP}"
    ]


def test_deeply_nested_data_in_a_line_is_refused(tmp_path, redactor):
    path = tmp_path / "in.jsonl"
    path.write_text(_gemini_line(_nested_args(150)))
    assert _refused(path, redactor) == [f"line 1: {DEEP}"]


@pytest.mark.parametrize(
    "line",
    [_gemini_line(_nested_args(94)), _call_line(json.dumps(_nested_args(100)))],
    ids=["gemini-args", "tool-arguments"],
)
def test_nesting_within_the_limit_is_redacted(tmp_path, redactor, line):
    path = tmp_path / "in.jsonl"
    path.write_text(line)
    out = tmp_path / "out.jsonl"
    report = prepare_file(path, out, redactor, ValueMap())
    assert report.findings == {"EMAIL": 1}
    data = out.read_bytes()
    assert EMAIL.encode() not in data
    assert b"[EMAIL_1]" in data
