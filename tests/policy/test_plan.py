"""`privllm plan` and `privllm policy check`: dry runs that send nothing."""

from __future__ import annotations

import json

from click.testing import CliRunner

from privllm.cli import main

SSN = "536-22-1847"


def write(tmp_path, text):
    path = tmp_path / "privllm.toml"
    path.write_text(text)
    return str(path)


def test_plan_shows_findings_rules_and_payload_and_sends_nothing(tmp_path, openai_server):
    config = write(
        tmp_path,
        f'[provider]\nmodel = "m"\n[provider.openai]\nbase_url = "{openai_server.url}"\n'
        'api_key = "sk-plan-test-0000"\n',
    )
    prompt = "Mail jane.doe@acme-corp.com about card 4111 1111 1111 1111"
    result = CliRunner().invoke(main, ["plan", prompt, "--config", config, "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["allowed"] is True
    assert [f["type"] for f in plan["findings"]] == ["EMAIL", "CREDIT_CARD"]
    assert {f["action"] for f in plan["findings"]} == {"placeholder"}
    assert plan["endpoint"]["kind"] == "self_hosted"
    assert any(d["rule"] == "deny_consumer_endpoints" and d["allowed"] for d in plan["decisions"])
    assert plan["payload"]["messages"][0]["content"] == "Mail [EMAIL_1] about card [CREDIT_CARD_1]"
    assert "jane.doe" not in result.output
    assert openai_server.requests == []


def test_plan_exits_1_when_refused(tmp_path):
    config = write(
        tmp_path,
        '[provider]\nmodel = "m"\n[provider.openai]\nbase_url = "https://chatgpt.com/v1"\n',
    )
    result = CliRunner().invoke(main, ["plan", "hello", "--config", config])
    assert result.exit_code == 1
    assert "deny_consumer_endpoints" in result.output
    assert "refused" in result.output


def test_plan_shows_sensitive_routing(tmp_path, openai_server):
    config = write(
        tmp_path,
        '[provider]\nmodel = "m"\n'
        '[providers.local]\nmodel = "llama"\n[providers.local.openai]\n'
        f'base_url = "{openai_server.url}"\n'
        '[policy]\nsensitive_types = ["US_SSN"]\nroute_sensitive_to = "local"\n'
        '[redaction]\nactions = { US_SSN = "allow" }\n',
    )
    result = CliRunner().invoke(main, ["plan", f"SSN {SSN}", "--config", config, "--json"])
    plan = json.loads(result.output)
    assert plan["route"] == "local"
    assert plan["payload"]["model"] == "llama"  # the profile's model
    assert plan["payload"]["messages"][0]["content"] == f"SSN {SSN}"
    assert openai_server.requests == []


def test_policy_check_reports_errors_and_warnings(tmp_path):
    config = write(
        tmp_path,
        '[provider]\nmodel = "m"\n[provider.openai]\nbase_url = "https://llm.example.net/v1"\n'
        '[policy]\nallowed_hosts = ["a.example"]\ndenied_hosts = ["A.example"]\n'
        'sensitive_types = ["US_SSN", "SHOE_SIZE"]\nfallbacks = ["ghost"]\negress_guard = false\n',
    )
    result = CliRunner().invoke(main, ["policy", "check", "--config", config])
    assert result.exit_code == 1
    out = result.output
    assert "llm.example.net would be refused" in out
    assert "a.example is also in policy.denied_hosts" in out
    assert "SHOE_SIZE is not a redaction type" in out
    assert "profile 'ghost' is not defined" in out
    assert "warning: policy.egress_guard" in out


def test_policy_check_passes_a_sound_config(tmp_path, openai_server):
    config = write(
        tmp_path,
        f'[provider]\nmodel = "m"\n[provider.openai]\nbase_url = "{openai_server.url}"\n',
    )
    result = CliRunner().invoke(main, ["policy", "check", "--config", config])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output
