"""``privllm redact`` and ``plan`` as a person meets them in a terminal: a progress bar for
a large file, and a hint instead of a silent wait when they read a terminal's stdin."""

from __future__ import annotations

from support.terminal import in_terminal, wide_lines


def _env(tmp_path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_DATA_HOME": "", "PRIVLLM_CONFIG": ""}


def test_redact_a_file_draws_progress_on_the_terminal_and_writes_stdout(tmp_path):
    lines = [f"line {i}: write to ann{i}@acme.com\n" for i in range(60_000)]
    (tmp_path / "notes.txt").write_text("".join(lines))
    screen = in_terminal(
        ["redact", "notes.txt"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdin_terminal=False,
        stdout_terminal=False,  # redirected to a file, stderr on the terminal
    )
    assert screen.returncode == 0, screen.terminal
    assert "notes.txt" in screen.terminal
    assert " lines" in screen.terminal  # the bar: bytes, lines, speed
    assert wide_lines(screen.terminal) == []
    out = screen.stdout.splitlines()
    assert len(out) == 60_000
    assert out[7] == "line 7: write to [EMAIL_8]"
    assert "@acme.com" not in screen.stdout


def test_redact_waiting_on_the_terminal_says_so(tmp_path):
    screen = in_terminal(
        ["redact"],
        cwd=tmp_path,
        env=_env(tmp_path),
        typed=[("reading the text to redact from the terminal", b"mail ann@acme.com\n\x04")],
    )
    assert screen.returncode == 0, screen.terminal
    assert "end with Ctrl-D" in screen.terminal
    assert "mail [EMAIL_1]" in screen.terminal


def test_plan_waiting_on_the_terminal_says_so(tmp_path):
    screen = in_terminal(
        ["plan"],
        cwd=tmp_path,
        env={**_env(tmp_path), "OPENAI_API_KEY": "sk-test-0000000000000000"},
        typed=[("reading the prompt to plan from the terminal", b"hello\n\x04")],
    )
    assert "end with Ctrl-D" in screen.terminal
    assert "endpoint: openai api.openai.com" in screen.terminal


def test_chat_without_a_model_names_the_flag(tmp_path, openai_server):
    from support.terminal import piped

    env = {**_env(tmp_path), "OPENAI_API_KEY": "sk-test-0000000000000000",
           "PRIVLLM_PROVIDER__OPENAI__BASE_URL": openai_server.url}  # fmt: skip
    result = piped(["chat", "hello"], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "pass --model or set provider.model" in result.stderr
    assert "model=..." not in result.stderr


def test_plan_and_policy_check_warn_about_missing_credentials(tmp_path):
    from support.terminal import piped

    env = {**_env(tmp_path), "OPENAI_API_KEY": ""}
    plan = piped(["plan", "hello"], cwd=tmp_path, env=env)
    assert plan.returncode == 0, plan.stderr
    assert "warning: provider.openai.api_key_env: OPENAI_API_KEY is not set" in plan.stderr
    check = piped(["policy", "check"], cwd=tmp_path, env=env)
    assert "OPENAI_API_KEY is not set" in check.stdout + check.stderr

    (tmp_path / "privllm.toml").write_text('[provider]\nname = "google"\n')
    check = piped(["policy", "check"], cwd=tmp_path, env=env)
    assert "warning: provider.google.project: not set" in check.stdout + check.stderr
    assert check.returncode == 0  # a warning, not an error

    quiet = piped(["plan", "hello"], cwd=tmp_path / "..", env={**env, "OPENAI_API_KEY": "sk-x"})
    assert "warning" not in quiet.stderr
