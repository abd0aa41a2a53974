"""``privllm audit show|stats|erase`` as a person sees them: a real process in an
80-column pseudo-terminal, and piped."""

from __future__ import annotations

import re

import pytest

from privllm import Client
from privllm.audit import AuditRecord, AuditStore, MasterKey, generate_key
from support.terminal import in_terminal, piped, wide_lines

TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@pytest.fixture
def key_text() -> str:
    return generate_key()


@pytest.fixture
def env(tmp_path, key_text) -> dict[str, str]:
    return {"PRIVLLM_AUDIT_KEY": key_text, "HOME": str(tmp_path), "XDG_DATA_HOME": ""}


@pytest.fixture
def log(tmp_path, openai_server, key_text):
    """Three calls to a loopback server, with findings."""
    path = tmp_path / "audit.db"
    with Client(
        None,
        env={"PRIVLLM_AUDIT_KEY": key_text},
        provider=openai_server.provider_config(),
        audit={"path": path, "content": "full"},
    ) as client:
        for _ in range(3):
            client.chat("write to ann.lee@acme.com")
    return path


def call_ids(path, key_text) -> list[str]:
    with AuditStore(path, MasterKey.from_base64(key_text), read_only=True) as store:
        return [r.call_id for r in store.iter_records(decrypt=False)]


def record_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if TIME.match(line)]


def test_show_fits_80_columns_one_line_per_call_with_short_ids(tmp_path, log, env, key_text):
    ids = call_ids(log, key_text)
    screen = in_terminal(["audit", "show", "--path", str(log)], cwd=tmp_path, env=env)
    assert screen.returncode == 0, screen.terminal
    assert wide_lines(screen.terminal) == []
    lines = record_lines(screen.terminal)
    assert len(lines) == len(ids)  # one line per call, not seven
    for call_id, line in zip(ids, lines, strict=True):
        assert call_id[:8] in line
        assert call_id[:9] not in line  # the short id, as git prints it
    assert "openai" in screen.terminal
    assert "EMAIL 1" in screen.terminal
    assert "--json has every field" in screen.terminal or "host" in screen.terminal


def test_show_piped_is_plain_80_columns(tmp_path, log, env, key_text):
    ids = call_ids(log, key_text)
    result = piped(["audit", "show", "--path", str(log)], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert wide_lines(result.stdout) == []
    assert "\x1b" not in result.stdout
    assert not set("─━┃│┏┡└") & set(result.stdout)  # no box drawing
    assert [line.split()[2] for line in record_lines(result.stdout)] == [i[:8] for i in ids]


def test_show_full_prints_whole_ids(tmp_path, log, env, key_text):
    ids = call_ids(log, key_text)
    result = piped(["audit", "show", "--full", "--path", str(log)], cwd=tmp_path, env=env)
    assert [line.split()[2] for line in record_lines(result.stdout)] == ids
    assert wide_lines(result.stdout) == []


def test_stats_fits_80_columns(tmp_path, log, env):
    screen = in_terminal(["audit", "stats", "--path", str(log)], cwd=tmp_path, env=env)
    assert screen.returncode == 0, screen.terminal
    assert wide_lines(screen.terminal) == []
    (row,) = [line for line in screen.terminal.splitlines() if re.match(r"\d{4}-", line)]
    assert row.split()[1:3] == ["openai", "3"]


def test_short_ids_grow_until_unique_and_erase_takes_a_prefix(tmp_path, env, key_text):
    path = tmp_path / "audit.db"
    twins = ["4f2a0c9d11" + "a" * 22, "4f2a0c9d22" + "b" * 22, "9e01ffff" + "c" * 24]
    with AuditStore(path, MasterKey.from_base64(key_text)) as store:
        for call_id in twins:
            store.append(
                AuditRecord(
                    call_id=call_id,
                    provider="openai",
                    model="gpt-x",
                    content_mode="full",
                    placeholder_map={"[EMAIL_1]": "ann@acme.com"},
                )
            )
    result = piped(["audit", "show", "--path", str(path)], cwd=tmp_path, env=env)
    shown = [line.split()[2] for line in record_lines(result.stdout)]
    assert shown == [twins[0][:9], twins[1][:9], twins[2][:9]]  # 9: the first two share 8

    ambiguous = piped(["audit", "erase", "--path", str(path), "--call", "4f2a0c9d"],
                      cwd=tmp_path, env=env)  # fmt: skip
    assert ambiguous.returncode == 1
    assert "ambiguous" in ambiguous.stderr
    assert twins[0] in ambiguous.stderr
    erased = piped(["audit", "erase", "--path", str(path), "--call", shown[1]],
                   cwd=tmp_path, env=env)  # fmt: skip
    assert erased.returncode == 0, erased.stderr
    assert twins[1] in erased.stdout
    with AuditStore(path, MasterKey.from_base64(key_text), read_only=True) as store:
        assert store.get(twins[1]).placeholder_map is None
        assert store.get(twins[0]).placeholder_map == {"[EMAIL_1]": "ann@acme.com"}


def test_an_empty_log_file_is_a_log_with_no_records_for_the_cli_as_for_the_client(
    tmp_path, env, key_text, openai_server
):
    path = tmp_path / "audit.db"
    path.touch()  # provisioned ahead of the service, or left by a crash before the first write
    for command in ("verify", "show", "stats"):
        result = piped(["audit", command, "--path", str(path)], cwd=tmp_path, env=env)
        assert result.returncode == 0, (command, result.stderr)
    assert (
        "ok: 0 record(s) verify"
        in piped(["audit", "verify", "--path", str(path)], cwd=tmp_path, env=env).stdout
    )
    assert path.stat().st_size == 0  # reading never writes
    with Client(
        None,
        env={"PRIVLLM_AUDIT_KEY": key_text},
        provider=openai_server.provider_config(),
        audit={"path": path},
    ) as client:
        client.chat("hello")  # the client starts its chain in the empty file
    result = piped(["audit", "verify", "--path", str(path)], cwd=tmp_path, env=env)
    assert "ok: 1 record(s) verify" in result.stdout
