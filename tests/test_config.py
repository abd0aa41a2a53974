"""Config sources, their order, errors that name the source and field, secrets kept secret."""

from __future__ import annotations

import pytest

from privllm import Config, load_config
from privllm.config import mask_secret
from privllm.errors import ConfigError

TOML = """
[provider]
name = "openai"
model = "gpt-4o-mini"
timeout = 30

[provider.openai]
api_key_env = "OPENAI_API_KEY"

[provider.azure]
endpoint = "https://contoso.openai.azure.com"
deployment = "gpt4o"
region = "swedencentral"
"""


@pytest.fixture
def toml_file(tmp_path):
    path = tmp_path / "privllm.toml"
    path.write_text(TOML)
    return path


def test_defaults():
    config = load_config(env={})
    assert config.provider.name == "openai"
    assert config.provider.max_retries == 2
    assert config.middleware == []


def test_order_defaults_file_env_arguments(toml_file):
    env = {"PRIVLLM_PROVIDER__MODEL": "from-env", "PRIVLLM_PROVIDER__TIMEOUT": "12.5"}
    config = load_config(toml_file, env=env, provider={"timeout": 5})
    assert config.provider.model == "from-env"  # env beats file
    assert config.provider.timeout == 5  # argument beats env
    assert config.provider.azure.region == "swedencentral"  # file beats default
    assert config.provider.max_retries == 2  # default
    assert config.sources["provider.model"] == "env PRIVLLM_PROVIDER__MODEL"
    assert config.sources["provider.timeout"] == "argument"
    assert config.sources["provider.azure.region"] == str(toml_file)


def test_config_path_from_env(toml_file):
    config = load_config(env={"PRIVLLM_CONFIG": str(toml_file)})
    assert config.provider.model == "gpt-4o-mini"


def test_swapping_provider_is_one_line(toml_file):
    swapped = toml_file.read_text().replace('name = "openai"', 'name = "azure"')
    toml_file.write_text(swapped)
    assert load_config(toml_file, env={}).provider.name == "azure"


def test_env_lists_are_json():
    config = load_config(env={"PRIVLLM_MIDDLEWARE": '["a.b:C", "d.e:F"]'})
    assert config.middleware == ["a.b:C", "d.e:F"]


def test_invalid_value_names_file_field_and_reason(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[provider]\ntimeout = "soon"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message
    assert "provider.timeout" in message
    assert "valid number" in message
    assert info.value.field == "provider.timeout"


def test_unknown_field_is_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[provider.openai]\nbase_ulr = "http://x"\n')
    with pytest.raises(ConfigError, match=r"provider\.openai\.base_ulr.*Extra inputs"):
        load_config(path, env={})


def test_bad_env_value_names_the_variable():
    with pytest.raises(ConfigError, match="env PRIVLLM_PROVIDER__MAX_RETRIES"):
        load_config(env={"PRIVLLM_PROVIDER__MAX_RETRIES": "-1"})


def test_broken_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[provider\nname = 1")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_config(path, env={})


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})


def test_secret_value_never_in_errors_or_repr(tmp_path):
    secret = "sk-proj-VERYSECRETVALUE123456"
    path = tmp_path / "k.toml"
    path.write_text(f'[provider.openai]\napi_key = "{secret}"\ntimeout = 1\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert secret not in str(info.value)
    path.write_text(f'[provider.openai]\napi_key = "{secret}"\n')
    config = load_config(path, env={})
    assert secret not in repr(config)
    assert secret not in str(config.model_dump())
    assert config.provider.openai.api_key.get_secret_value() == secret


def test_audit_key_env_is_not_a_config_field():
    load_config(env={"PRIVLLM_AUDIT_KEY": "x", "PRIVLLM_CONFIG": ""})


def test_config_object_in_code():
    config = Config(provider={"name": "google", "google": {"mode": "gemini_api", "tier": "paid"}})
    assert config.provider.google.tier == "paid"


@pytest.mark.parametrize(
    ("secret", "shown"),
    [("sk-abcdefghijklmnop1234", "sk-…1234"), ("short", "…"), (None, "(unset)")],
)
def test_mask_secret(secret, shown):
    assert mask_secret(secret) == shown
