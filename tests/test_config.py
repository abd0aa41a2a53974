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
    [
        ("sk-abcdefghijklmnop1234", "sk-…1234"),
        ("short", "…"),
        (None, "(unset)"),
        ("sk-abcdefghi", "…fghi"),  # 12 characters: at most 4 of them shown
        ("sk-abcdefghijklmn12", "…mn12"),
    ],
)
def test_mask_secret(secret, shown):
    assert mask_secret(secret) == shown


def test_audit_config_object_override_keeps_its_key(tmp_path, openai_server):
    # `key` is excluded from dumps; an AuditConfig override must still hand it over, or
    # Client makes a plaintext key file and encrypts the log under that instead.
    from privllm import Client
    from privllm.audit.crypto import MasterKey, generate_key
    from privllm.audit.store import AuditStore
    from privllm.config import AuditConfig

    key = MasterKey.from_base64(generate_key())
    log = tmp_path / "audit.db"
    config = load_config(env={}, audit=AuditConfig(key=key, path=log))
    assert config.audit.key is key
    assert config.audit.path == log
    assert config.sources["audit.key"] == config.sources["audit.path"] == "argument"
    assert "audit.enabled" not in config.sources  # unset fields do not override
    provider = {**openai_server.provider_config(), "max_retries": 0}
    with Client(provider=provider, env={}, audit=AuditConfig(key=key, path=log)) as client:
        client.chat("hello")
    assert not (tmp_path / "audit.key").exists()  # no plaintext key file was made
    AuditStore(log, key).close()  # opens with the user's key


def test_nested_model_override_merges_with_lower_layers(toml_file):
    from privllm.config import AzureConfig, ProviderConfig

    config = load_config(
        toml_file, env={}, provider=ProviderConfig(azure=AzureConfig(deployment="d2"))
    )
    assert config.provider.azure.deployment == "d2"
    assert config.provider.azure.region == "swedencentral"  # from the file, not reset
    assert config.provider.model == "gpt-4o-mini"
    assert config.sources["provider.azure.deployment"] == "argument"


@pytest.mark.parametrize(
    ("name", "raw", "field"),
    [
        ("PRIVLLM_REDACTION__TERMS", '{"PERSON": ["Alice Smith"]}', "redaction.terms.PERSON"),
        ("PRIVLLM_PROVIDER", '{"model": "x"}', "provider.model"),
        ("PRIVLLM_PROVIDER__AZURE", '{"region": "eu", "v1_api": true}', "provider.azure.v1_api"),
    ],
)
def test_env_json_table_is_attributed_to_its_variable(name, raw, field):
    config = load_config(env={name: raw})
    assert config.sources[field] == f"env {name}"


def test_env_json_table_error_names_the_variable():
    with pytest.raises(ConfigError, match=r"env PRIVLLM_PROVIDER: provider\.timeout"):
        load_config(env={"PRIVLLM_PROVIDER": '{"timeout": -1}'})


def test_env_json_table_and_variables_below_it_merge():
    env = {"PRIVLLM_PROVIDER": '{"model": "x"}', "PRIVLLM_PROVIDER__NAME": "azure"}
    for pairs in (env, dict(reversed(env.items()))):
        config = load_config(env=pairs)
        assert (config.provider.model, config.provider.name) == ("x", "azure")


def test_env_redaction_actions_keep_type_names_upper_case(tmp_path):
    from privllm.redaction.redactor import Redactor
    from privllm.redaction.vault import Vault

    orgs = tmp_path / "orgs.txt"
    orgs.write_text("Acme\n")
    config = load_config(
        env={
            "PRIVLLM_REDACTION__ACTIONS__EMAIL": "block",
            "PRIVLLM_REDACTION__TERMS__PERSON": '["Alice Smith"]',
            "PRIVLLM_REDACTION__TERMS_FILES__ORGANIZATION": str(orgs),
        }
    )
    assert config.redaction.actions == {"EMAIL": "block"}
    assert config.redaction.terms == {"PERSON": ["Alice Smith"]}
    assert config.redaction.terms_files == {"ORGANIZATION": str(orgs)}
    assert config.sources["redaction.actions.EMAIL"] == "env PRIVLLM_REDACTION__ACTIONS__EMAIL"
    redactor = Redactor.from_config(config.redaction)
    assert redactor.action("EMAIL") == "block"
    assert redactor.redact("mail ann@acme.com", Vault()).blocked


@pytest.mark.parametrize(
    ("key", "hint"),
    [("credit_card", "CREDIT_CARD"), ("CREDITCARD", "EMAIL"), ("person", "PERSON")],
)
def test_unknown_redaction_action_type_is_named(tmp_path, key, hint):
    path = tmp_path / "p.toml"
    path.write_text(f'[redaction.actions]\n{key} = "block"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.field == f"redaction.actions.{key}"
    assert info.value.source == str(path)
    assert f"redaction.actions.{key}" in str(info.value)
    assert hint in str(info.value)


def test_redaction_actions_accept_term_types(tmp_path):
    config = load_config(
        env={},
        redaction={
            "actions": {"PROJECT": "block", "client": "mask", "CREDIT_CARD": "allow"},
            "terms": {"PROJECT": ["Falcon"]},
            "terms_files": {"client": "clients.txt"},
        },
    )
    assert config.redaction.actions["PROJECT"] == "block"


def test_redaction_action_type_check_in_code():
    from privllm.config import RedactionConfig

    with pytest.raises(ValueError, match="CREDIT_CARD"):
        RedactionConfig(actions={"credit_card": "block"})


@pytest.mark.parametrize(
    "name",
    ["PRIVLLM_AUDIT_KEY_NEW", "PRIVLLM_PROD_AUDIT_KEY", "PRIVLLM_OPENAI_KEY", "PRIVLLM_X__Y"],
)
def test_prefixed_variables_outside_the_config_sections_are_ignored(name):
    config = load_config(env={name: "c2VjcmV0", "PRIVLLM_PROVIDER__MODEL": "m"})
    assert config.provider.model == "m"
    assert not any(name in source for source in config.sources.values())


def test_unknown_field_in_a_section_from_env_is_still_an_error():
    with pytest.raises(ConfigError, match=r"env PRIVLLM_PROVIDER__MODLE: provider\.modle"):
        load_config(env={"PRIVLLM_PROVIDER__MODLE": "m"})


def test_invalid_utf8_toml_names_the_file(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[provider]\nmodel = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match=r"latin1\.toml: not valid UTF-8 \(byte 20\)"):
        load_config(path, env={})


def test_docstring_examples_run():
    import doctest

    import privllm.config

    result = doctest.testmod(privllm.config)
    assert result.attempted > 0
    assert result.failed == 0


def test_config_defaults_are_the_detectors_defaults():
    # config.py keeps its own copies so it does not import the detectors: tied here.
    from privllm.config import RedactionConfig
    from privllm.redaction.phone import DEFAULT_PHONE_REGIONS

    assert tuple(RedactionConfig().phone_regions) == DEFAULT_PHONE_REGIONS


def test_each_section_is_a_config_and_the_old_names_still_import():
    # One suffix for every section (issue 17); the names documented before it still resolve.
    import privllm.finetune
    from privllm import config

    sections = {name: getattr(config, name) for name in config.__all__ if name.endswith("Config")}
    composed = {"Config", "LoadedConfig"}  # config.py's own: the whole, and the whole as loaded
    assert {cls.__module__ for name, cls in sections.items() if name not in composed} == {
        "privllm.providers.settings",
        "privllm.policy.settings",
        "privllm.redaction.settings",
        "privllm.audit.settings",
        "privllm.finetune.settings",
        "privllm.integrations.settings",
    }
    assert not [name for name in config.__all__ if name.endswith("Settings")]
    assert config.OpenAISettings is config.OpenAIConfig
    assert config.AzureSettings is config.AzureConfig
    assert config.GoogleSettings is config.GoogleConfig
    assert privllm.finetune.FinetuneSettings is privllm.finetune.FinetuneConfig
    assert Config().finetune == config.FinetuneConfig()
