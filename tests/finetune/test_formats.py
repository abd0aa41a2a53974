"""Validation: every problem reported with its line, field and reason, never the content."""

from __future__ import annotations

import json

import pytest

from finetune.samples import EMAIL, chat, write_jsonl
from privllm.finetune.prepare.dataset import DatasetError, prepare_file
from privllm.finetune.prepare.formats import check_line
from privllm.finetune.prepare.valuemap import ValueMap
from privllm.redaction.redactor import Redactor


def problems(path, **kw):
    with pytest.raises(DatasetError) as info:
        prepare_file(
            path, path.with_name("out.jsonl"), Redactor.from_types(["EMAIL"]), ValueMap(), **kw
        )
    assert not path.with_name("out.jsonl").exists()
    return info.value


def test_every_problem_is_reported_with_line_and_field(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps(chat("hi", "hello")) + "\n"  # fine
        + '{"messages": [{"role": "user", "content": "x"}\n'  # broken JSON
        + json.dumps({"messages": [{"role": "model", "content": "x"}]}) + "\n"
        + "\n"
        + json.dumps({"messages": [{"role": "user", "content": 3},
                                   {"role": "assistant", "content": "ok", "weight": 2}]}) + "\n"
        + json.dumps({"mesages": []}) + "\n"
    )  # fmt: skip
    err = problems(src)
    got = [str(i) for i in err.issues]
    assert got == [
        "line 2: not valid JSON (Expecting ',' delimiter at column 47)",
        "line 3: messages[0].role: must be system, user, assistant or tool (got 'model')",
        "line 3: messages: needs at least one assistant message to learn from",
        "line 4: empty line",
        "line 5: messages[0].content: must be a string or a non-empty list of text parts",
        "line 5: messages[1].weight: must be 0 or 1",
        "line 6: unknown field 'mesages' (did you mean 'messages'?)",
        "line 6: messages: must be a non-empty list of messages",
    ]
    assert "8 problem(s), nothing written" in str(err)


def test_after_the_limit_problems_are_counted(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("nope\n" * 250)
    err = problems(src, max_issues=100)
    assert len(err.issues) == 100
    assert err.more == 150
    assert [i.line for i in err.issues[:3]] == [1, 2, 3]
    assert "250 problem(s)" in str(err)


def test_errors_never_quote_the_content(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        f'{{"messages": [{{"role": "{EMAIL}", "content": "{EMAIL}"}}], "{EMAIL}": 1}}\n'
        f'{{"messages": "{EMAIL}" oops}}\n'
    )
    err = problems(src)
    text = str(err) + "\n".join(str(i) for i in err.issues)
    assert EMAIL not in text
    assert "acme" not in text
    assert "line 1: unknown field" in text  # the key is not an identifier: not shown


def test_tool_messages_must_answer_an_earlier_call(tmp_path):
    record = {
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "[1]"}}]},
            {"role": "tool", "tool_call_id": "c2", "content": "sunny"},
            {"role": "assistant", "content": "Sunny."},
        ]
    }  # fmt: skip
    assert check_line(record, "openai") == [
        ("messages[1].tool_calls[0].function.arguments", "is not a JSON object"),
        ("messages[2].tool_call_id", "matches no earlier assistant tool call"),
    ]


def test_images_are_refused_in_both_formats():
    openai = chat("x", "y")
    openai["messages"][0]["content"] = [  # type: ignore[index]
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    gemini = {
        "contents": [
            {"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": "AA"}}]},
            {"role": "model", "parts": [{"text": "a cat"}]},
        ]
    }
    assert [f for f, _ in check_line(openai, "openai")] == ["messages[0].content[1]"]
    assert [f for f, _ in check_line(gemini, "gemini")] == ["contents[0].parts[0]"]
    assert "cannot be checked for personal data" in check_line(openai, "openai")[0][1]


def test_gemini_lines_are_checked_and_formats_do_not_mix(tmp_path):
    good = {
        "systemInstruction": {"role": "system", "parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
            {"role": "model", "parts": [{"text": "Done"}]},
        ],
    }
    assert check_line(good, "gemini") == []
    bad = {"contents": [{"role": "assistant", "parts": [{"text": 1}]}], "messages": []}
    assert check_line(bad, "gemini") == [
        ("", "unknown field 'messages' (an OpenAI field)"),
        ("contents[0].role", "must be 'user' or 'model' (got 'assistant')"),
        ("contents[0].parts[0].text", "must be a string"),
        ("contents", "needs at least one model turn to learn from"),
    ]
    src = write_jsonl(tmp_path / "in.jsonl", [good, chat("a", "b")])
    err = problems(src)
    assert [str(i) for i in err.issues] == [
        "line 2: is OpenAI format, but the file is Gemini format (set by line 1)"
    ]


def test_forced_format_checks_every_line_against_it(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [chat("a", "b")])
    err = problems(src, format="gemini")
    assert [str(i) for i in err.issues] == [
        "line 1: is OpenAI format, but the file is Gemini format (set by the format argument)"
    ]


def test_an_empty_file_is_an_error(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"")
    assert [str(i) for i in problems(src).issues] == ["line 1: the file is empty"]


def test_bom_crlf_and_non_utf8(tmp_path):
    src = tmp_path / "in.jsonl"
    line = json.dumps(chat("a", "b")).encode()
    src.write_bytes(b"\xef\xbb\xbf" + line + b"\r\n" + line + b"\r\n")
    report = prepare_file(src, tmp_path / "out.jsonl", Redactor.from_types(["EMAIL"]), ValueMap())
    assert report.ok
    assert (tmp_path / "out.jsonl").read_bytes() == line + b"\n" + line + b"\n"
    (tmp_path / "out.jsonl").unlink()
    src.write_bytes(line + b"\n" + b'{"messages": "\xff"}\n')
    assert [str(i) for i in problems(src).issues] == ["line 2: not UTF-8 (byte 15)"]
