"""``privllm config show`` as a person sees it (an 80-column pseudo-terminal, or piped) and
as a machine reads it (``--json``)."""

from __future__ import annotations

import json

from privllm.config import Config
from support.terminal import in_terminal, piped, wide_lines


def _leaves(data: dict, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in data.items():
        if isinstance(value, dict) and value:
            found |= _leaves(value, f"{prefix}{key}.")
        else:
            found.add(f"{prefix}{key}")
    return found


SETTINGS = _leaves(Config().model_dump())


def _env(tmp_path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_DATA_HOME": "", "OPENAI_API_KEY": "", **extra}


def _setting_column(text: str) -> list[str]:
    """The first word of every line that starts with a setting name (not a continuation)."""
    return [line.split()[0] for line in text.splitlines() if line[:1].isalpha()]


def test_shows_what_is_set_and_where_it_came_from(tmp_path):
    (tmp_path / "privllm.toml").write_text(
        '[provider]\nname = "azure"\n[provider.azure]\n'
        'endpoint = "https://contoso-eu.openai.azure.com"\nregion = "swedencentral"\n'
    )
    env = _env(tmp_path, PRIVLLM_PROVIDER__MAX_KEEPALIVE_CONNECTIONS="50")
    screen = in_terminal(["config", "show"], cwd=tmp_path, env=env)
    assert screen.returncode == 0, screen.terminal
    text = screen.terminal
    assert wide_lines(text) == []
    assert "((" not in text
    assert "AZURE_OPENAI_API_KEY" in text
    assert "(not set)" in text
    names = [n for n in _setting_column(text) if n.startswith(("provider", "policy", "audit"))]
    assert set(names) <= SETTINGS  # never a name split mid-word
    assert "provider.max_keepalive_connections" in names
    assert "PRIVLLM_PROVIDER__" in text  # the source (a long name folds, cells wrap)
    assert "privllm.toml" in text
    assert not any(n.startswith(("provider.openai.", "provider.google.")) for n in names)
    assert len(text.splitlines()) < 20  # not ~90 rows of defaults
    assert "--all shows them" in text


def test_all_lists_every_setting_and_json_is_for_machines(tmp_path):
    env = _env(tmp_path, OPENAI_API_KEY="sk-proj-ABCDEFGHIJKLMNOP9876")
    everything = piped(["config", "show", "--all"], cwd=tmp_path, env=env)
    assert everything.returncode == 0, everything.stderr
    assert wide_lines(everything.stdout) == []
    assert set(_setting_column(everything.stdout)) >= SETTINGS
    assert "sk-proj-ABCDEFGHIJKLMNOP9876" not in everything.stdout
    assert "OPENAI_API_KEY (set:" in everything.stdout
    assert "sk-…9876)" in everything.stdout

    machine = piped(["config", "show", "--json"], cwd=tmp_path, env=env)
    data = json.loads(machine.stdout)
    assert set(data) == SETTINGS
    assert data["provider.timeout"] == {"value": 60.0, "source": "default"}
    assert data["provider.openai.api_key_env"] == {
        "value": "OPENAI_API_KEY",
        "source": "default",
        "set": True,
    }
    assert "ABCDEFGH" not in machine.stdout


def test_a_misspelt_provider_is_an_error_naming_the_known_ones(tmp_path):
    (tmp_path / "privllm.toml").write_text('[provider]\nname = "opnai"\n')
    result = piped(["config", "show"], cwd=tmp_path, env=_env(tmp_path))
    assert result.returncode == 2
    assert "unknown provider 'opnai' (known: azure, google, openai)" in result.stderr
    assert "did you mean 'openai'?" in result.stderr
    assert "privllm.toml: provider.name" in result.stderr
