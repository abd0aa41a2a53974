"""Keys in the wrong setting, and keys that cannot be sent (issue 11, items 6 and 10).

A key pasted into a ``*_env`` setting is refused naming the setting, never repeating the
value; a key with a character that cannot go into an HTTP header is refused when config is
resolved, naming the setting or variable, before anything is sent.
"""

from __future__ import annotations

import traceback

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from privllm import Client, load_config
from privllm.cli import main
from privllm.config import OpenAIConfig
from privllm.errors import ConfigError
from privllm.testing import GeminiServer, OpenAIServer, Reply

OPENAI_KEY = "sk-proj-Wrong3Place4Key5abcdefghijklmnopqrstu"
GOOGLE_KEY = "AIzaSyD3mYq0b9TXk2LrV7cWp1nEoFj4gHs8uIa"  # name characters only
TOKEN = "ya29.a0AfB_byC-token-Z9y8x7w6v5u4t3s2r1"
AUDIT_KEY = "q3J0b2tlbi1mb3ItdGhlLWF1ZGl0LWxvZy0xMjM0NTY="  # base64 of 32 bytes


def _shown(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc)


@pytest.mark.parametrize(
    ("section", "value"),
    [
        ({"provider": {"openai": {"api_key_env": OPENAI_KEY}}}, OPENAI_KEY),
        ({"provider": {"azure": {"api_key_env": OPENAI_KEY}}}, OPENAI_KEY),
        ({"provider": {"google": {"api_key_env": GOOGLE_KEY}}}, GOOGLE_KEY),
        ({"provider": {"google": {"access_token_env": TOKEN}}}, TOKEN),
        ({"providers": {"b": {"openai": {"api_key_env": OPENAI_KEY}}}}, OPENAI_KEY),
        ({"audit": {"key_env": AUDIT_KEY}}, AUDIT_KEY),
    ],
)
def test_a_key_in_an_env_setting_is_refused_without_repeating_it(section, value):
    with pytest.raises(ConfigError) as info:
        load_config(env={}, **section)
    assert "_env" in str(info.value)
    assert "NAME of an environment variable" in str(info.value)
    assert value not in _shown(info.value)
    assert value[4:-4] not in _shown(info.value)
    # ...while names, however spelt, still pass
    for name in ("OPENAI_API_KEY", "my_key", "MyApp_OpenAI_Key2", "_K", ""):
        assert load_config(env={}, provider={"openai": {"api_key_env": name}})


def test_a_key_in_an_env_setting_from_file_or_env_var(tmp_path):
    path = tmp_path / "privllm.toml"
    path.write_text(f'[provider.openai]\napi_key_env = "{OPENAI_KEY}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(path) in str(info.value)
    assert "provider.openai.api_key_env" in str(info.value)
    assert OPENAI_KEY not in _shown(info.value)
    with pytest.raises(ConfigError) as info:
        load_config(env={"PRIVLLM_AUDIT__KEY_ENV": AUDIT_KEY})
    assert "env PRIVLLM_AUDIT__KEY_ENV: audit.key_env" in str(info.value)
    assert AUDIT_KEY not in _shown(info.value)


def test_a_section_built_in_code_does_not_quote_the_value_either():
    with pytest.raises(ValidationError, match="NAME of an environment variable") as info:
        OpenAIConfig(api_key_env=OPENAI_KEY)
    assert OPENAI_KEY not in _shown(info.value)
    settings = OpenAIConfig()
    with pytest.raises(ValidationError, match="NAME of an environment variable") as info:
        settings.api_key_env = OPENAI_KEY
    assert OPENAI_KEY not in _shown(info.value)
    assert OPENAI_KEY not in repr(settings)


def test_config_show_refuses_and_never_prints_the_key(tmp_path):
    path = tmp_path / "cfg.toml"
    path.write_text(f'[provider.openai]\napi_key_env = "{OPENAI_KEY}"\n[audit]\nkey_env = "x"\n')
    result = CliRunner().invoke(main, ["config", "show", "--config", str(path)])
    assert result.exit_code == 2
    assert "provider.openai.api_key_env" in result.output
    assert OPENAI_KEY not in result.output
    assert "Traceback" not in result.output


# -- item 10: keys that cannot be sent ---------------------------------------------------------


def test_a_trailing_newline_is_stripped_and_the_key_works():
    with OpenAIServer(api_key="sk-local-key-0123456789") as server:
        provider = server.provider_config(api_key=None, api_key_env="MY_KEY")
        env = {"MY_KEY": "sk-local-key-0123456789\n"}
        with Client(env=env, provider=provider, audit={"enabled": False}) as client:
            server.reply(Reply.text("ok"))
            assert client.chat("hi").text == "ok"
        assert server.last.headers["authorization"] == "Bearer sk-local-key-0123456789"


@pytest.mark.parametrize(
    ("key", "what"),
    [
        ("sk-local-kéy-0123456789", "a non-ASCII character"),
        ("sk-local-key 0123456789", "a space"),
        ("sk-local-key\n0123456789", "a control character"),
        ("sk-local-key-0123456789\x00", "a control character"),
    ],
)
def test_a_key_that_cannot_be_sent_is_a_config_error_naming_the_variable(key, what):
    with OpenAIServer() as server:
        provider = server.provider_config(api_key=None, api_key_env="MY_KEY")
        with pytest.raises(ConfigError) as info:
            Client(env={"MY_KEY": key}, provider=provider, audit={"enabled": False})
        assert server.requests == []
    message = str(info.value)
    assert "env MY_KEY (provider.openai.api_key_env)" in message
    assert what in message
    assert "0123456789" not in _shown(info.value)
    assert info.value.field == "provider.openai.api_key"


def test_a_bad_key_in_config_names_the_setting():
    with OpenAIServer() as server:
        provider = server.provider_config(api_key="sk-local-kéy-0123456789")
        with pytest.raises(ConfigError) as info:
            Client(env={}, provider=provider, audit={"enabled": False})
    assert str(info.value).startswith("provider.openai.api_key: the key holds a non-ASCII")
    assert "0123456789" not in _shown(info.value)


def test_gemini_api_key_is_checked_too():
    with GeminiServer() as server:
        provider = server.provider_config("gemini_api")
        provider["google"] = {**provider["google"], "api_key": "AIza-test local"}
        with pytest.raises(ConfigError) as info:
            Client(env={}, provider=provider, audit={"enabled": False})
    assert "provider.google.api_key: the key holds a space" in str(info.value)
    assert "test local" not in _shown(info.value)


def test_cli_chat_with_a_bad_key_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "privllm.toml").write_text(
        '[provider]\nmodel = "m"\n[provider.openai]\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key_env = "TEST_KEY"\n[audit]\nenabled = false\n'
    )
    monkeypatch.setenv("TEST_KEY", "sk-cli-kéy-000111222")
    result = CliRunner().invoke(main, ["chat", "--no-stream", "hi"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "env TEST_KEY" in result.output
    assert "000111222" not in result.output
