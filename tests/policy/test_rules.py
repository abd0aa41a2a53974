"""Routing policy end to end: refusals happen before any byte is sent; routing and fallbacks
only ever go where the policy allows. Real host names are rerouted to local servers."""

from __future__ import annotations

import pytest

from privllm import Middleware
from privllm.config import PolicyConfig
from privllm.errors import ConfigError, PolicyViolation, ServerError
from privllm.policy.rules import PolicyEngine
from privllm.testing import OpenAIServer, Reply
from privllm.types import Endpoint
from support.reroute import reroute

SSN = "536-22-1847"


@pytest.fixture
def backup_server():
    with OpenAIServer() as server:
        yield server


def openai_at(base_url: str | None = None, **settings) -> dict:
    section = {"api_key": "sk-test-policy-0000", **settings}
    if base_url:
        section["base_url"] = base_url
    return {
        "name": "openai",
        "model": "gpt-test",
        "embedding_model": "emb",
        "max_retries": 0,
        "openai": section,
    }


class Decisions(Middleware):
    """Keeps the policy decisions of the last call, as a user middleware would."""

    def __init__(self) -> None:
        self.seen: list = []

    def on_response(self, response, ctx):
        self.seen = list(ctx.decisions)
        return response


@pytest.mark.parametrize(
    "base_url",
    [
        "https://chatgpt.com/backend-api",
        "https://chat.openai.com/v1",
        "https://gemini.google.com/v1",
    ],
)
def test_consumer_endpoints_are_refused_before_sending(runner_factory, openai_server, base_url):
    run = runner_factory(
        provider=openai_at(base_url), transport_wrapper=reroute({"*": openai_server.port})
    )
    with pytest.raises(PolicyViolation) as info:
        run.chat("hello")
    assert info.value.rule == "deny_consumer_endpoints"
    assert info.value.host in base_url
    with pytest.raises(PolicyViolation, match="deny_consumer_endpoints"):
        run.stream("hello")
    with pytest.raises(PolicyViolation, match="deny_consumer_endpoints"):
        run.embed(["hello"])
    assert openai_server.requests == []


def test_unknown_hosts_are_refused_unless_declared(runner_factory, openai_server):
    wrapper = reroute({"*": openai_server.port})
    run = runner_factory(
        provider=openai_at("https://llm.example.net/v1"), transport_wrapper=wrapper
    )
    with pytest.raises(PolicyViolation, match="deny_unknown_endpoints"):
        run.chat("hi")
    assert openai_server.requests == []
    for policy in (
        {"allowed_hosts": ["llm.example.net"]},
        {"self_hosted_hosts": ["LLM.example.net."]},
    ):
        run = runner_factory(
            provider=openai_at("https://llm.example.net/v1"),
            policy=policy,
            transport_wrapper=wrapper,
        )
        assert run.chat("hi").text == "hi"
    assert [r.headers["host"] for r in openai_server.requests] == ["llm.example.net"] * 2


def test_api_host_is_enterprise_and_gets_store_false(runner_factory, openai_server):
    run = runner_factory(
        provider=openai_at(), transport_wrapper=reroute({"api.openai.com": openai_server.port})
    )
    response = run.chat("hi", max_tokens=10)
    assert response.endpoint.kind == "enterprise_api"
    body = openai_server.last.json()
    assert openai_server.last.headers["host"] == "api.openai.com"
    assert body["store"] is False
    assert body["max_completion_tokens"] == 10


def test_store_true_is_refused(runner_factory, openai_server):
    run = runner_factory(
        provider=openai_at(), transport_wrapper=reroute({"api.openai.com": openai_server.port})
    )
    with pytest.raises(PolicyViolation, match="require_no_store"):
        run.chat("hi", extra={"store": True})
    assert openai_server.requests == []
    relaxed = runner_factory(
        provider=openai_at(),
        policy={"require_no_store": False},
        transport_wrapper=reroute({"api.openai.com": openai_server.port}),
    )
    relaxed.chat("hi", extra={"store": True})
    assert openai_server.last.json()["store"] is True


def test_self_hosted_servers_get_no_store_flag(run, openai_server):
    run.chat("hi")
    assert "store" not in openai_server.last.json()


def test_allowed_providers(runner_factory, openai_server):
    run = runner_factory(
        provider=openai_server.provider_config(), policy={"allowed_providers": ["azure"]}
    )
    with pytest.raises(PolicyViolation, match="allowed_providers"):
        run.chat("hi")
    assert openai_server.requests == []


@pytest.mark.parametrize(("allowed", "ok"), [(["eu"], True), (["us", "swedencentral"], False)])
def test_allowed_regions(runner_factory, openai_server, allowed, ok):
    run = runner_factory(
        provider=openai_at(data_residency="eu"),
        policy={"allowed_regions": allowed},
        transport_wrapper=reroute({"eu.api.openai.com": openai_server.port}),
    )
    if ok:
        assert run.chat("hi").endpoint.region == "eu"
        assert openai_server.last.headers["host"] == "eu.api.openai.com"
    else:
        with pytest.raises(PolicyViolation, match="allowed_regions"):
            run.chat("hi")
        assert openai_server.requests == []


def test_region_unknown_is_refused_when_regions_are_pinned():
    engine = PolicyEngine(PolicyConfig(allowed_regions=["eu"]))
    global_api = Endpoint(
        provider="openai",
        base_url="https://api.openai.com/v1",
        host="api.openai.com",
        kind="enterprise_api",
    )
    refused = engine.refusal(engine.check_endpoint(global_api))
    assert refused is not None
    assert refused.rule == "allowed_regions"
    assert "unknown region" in refused.reason


def test_training_endpoints_are_refused_by_default():
    engine = PolicyEngine(PolicyConfig())
    free = Endpoint(
        provider="google",
        base_url="https://generativelanguage.googleapis.com",
        host="generativelanguage.googleapis.com",
        kind="enterprise_api",
        trains_on_data=True,
    )
    assert engine.refusal(engine.check_endpoint(free)).rule == "require_no_training"
    relaxed = PolicyEngine(PolicyConfig(require_no_training=False))
    assert relaxed.refusal(relaxed.check_endpoint(free)) is None


def test_denied_hosts_win(runner_factory, openai_server):
    run = runner_factory(
        provider=openai_server.provider_config(), policy={"denied_hosts": ["127.0.0.1"]}
    )
    with pytest.raises(PolicyViolation, match="denied_hosts"):
        run.chat("hi")
    assert openai_server.requests == []


def sensitive_config(openai_server, backup_server, route):
    return {
        "provider": openai_at(),
        "providers": {
            "local": {**backup_server.provider_config(), "model": "llama-local", "max_retries": 0}
        },
        "policy": {"sensitive_types": ["US_SSN"], "route_sensitive_to": route},
        "redaction": {"actions": {"US_SSN": "allow"}},
        "transport_wrapper": reroute({"api.openai.com": openai_server.port}),
    }


def test_sensitive_requests_go_only_to_the_local_profile(
    runner_factory, openai_server, backup_server
):
    decisions = Decisions()
    run = runner_factory(
        **sensitive_config(openai_server, backup_server, "local"), middleware=[decisions]
    )
    answer = run.chat(f"My SSN is {SSN}")
    assert answer.endpoint.kind == "self_hosted"
    assert SSN.encode() in backup_server.received()  # allowed: it stays in-house
    assert backup_server.last.json()["model"] == "llama-local"
    assert "store" not in backup_server.last.json()
    assert openai_server.requests == []
    routed = [d for d in decisions.seen if d.rule == "route_sensitive_to"]
    assert routed
    assert routed[0].allowed
    run.chat("Nothing sensitive here")
    assert len(openai_server.requests) == 1
    assert len(backup_server.requests) == 1


def test_sensitive_requests_can_be_refused(runner_factory, openai_server, backup_server):
    run = runner_factory(**sensitive_config(openai_server, backup_server, "refuse"))
    with pytest.raises(PolicyViolation, match="route_sensitive_to") as info:
        run.chat(f"My SSN is {SSN}")
    assert SSN not in str(info.value)
    assert openai_server.requests == []
    assert backup_server.requests == []


def test_unknown_profile_names_are_config_errors(openai_server):
    from privllm import Client

    with pytest.raises(ConfigError, match=r"policy\.fallbacks.*nope"):
        Client(env={}, provider=openai_server.provider_config(), policy={"fallbacks": ["nope"]})


def test_fallback_on_server_error(runner_factory, openai_server, backup_server):
    run = runner_factory(
        provider={**openai_server.provider_config(), "max_retries": 0},
        providers={"backup": {**backup_server.provider_config(), "model": "backup-model"}},
        policy={"fallbacks": ["backup"]},
    )
    openai_server.reply(Reply.error(500, "down"))
    answer = run.chat("hello")
    assert answer.text == "hello"
    assert backup_server.last.json()["model"] == "backup-model"
    openai_server.reply(Reply.error(503, "down"))
    _, streamed = run.stream("stream me")
    assert streamed.text == "stream me"
    assert len(backup_server.requests) == 2


def test_fallback_to_a_disallowed_endpoint_never_happens(runner_factory, openai_server):
    with OpenAIServer() as consumer:
        run = runner_factory(
            provider={**openai_server.provider_config(), "max_retries": 0},
            providers={
                "chatgpt": openai_at("https://chatgpt.com/v1"),
                "unknown": openai_at("https://llm.example.net/v1"),
            },
            policy={"fallbacks": ["chatgpt", "unknown"]},
            transport_wrapper=reroute(
                {"chatgpt.com": consumer.port, "llm.example.net": consumer.port}
            ),
        )
        openai_server.reply(Reply.error(500, "down"))
        with pytest.raises(ServerError):
            run.chat("hello")
        assert consumer.requests == []


def test_fallback_keeps_sensitive_data_in_house(runner_factory, openai_server, backup_server):
    with OpenAIServer() as cloud:
        config = sensitive_config(openai_server, backup_server, "local")
        config["providers"]["cloud"] = openai_at("https://eu.api.openai.com/v1")
        config["policy"]["fallbacks"] = ["cloud"]
        config["transport_wrapper"] = reroute(
            {"api.openai.com": openai_server.port, "eu.api.openai.com": cloud.port}
        )
        run = runner_factory(**config)
        backup_server.reply(Reply.error(500, "local box down"))
        with pytest.raises(ServerError):
            run.chat(f"My SSN is {SSN}")
        assert cloud.requests == []
        # a request that is not sensitive may fall back to the cloud
        openai_server.reply(Reply.error(500, "primary down"))
        assert run.chat("plain question").text == "plain question"
        assert len(cloud.requests) == 1


def test_a_self_hosted_fallback_does_not_narrow_the_next_ones(
    runner_factory, openai_server, backup_server
):
    # Not sensitive: primary down, the self-hosted "local" down too, then the cloud profile.
    # Using "local" once made later fallbacks look like a sensitive-data route.
    with OpenAIServer() as cloud:
        run = runner_factory(
            provider={**openai_server.provider_config(), "max_retries": 0},
            providers={
                "local": {**backup_server.provider_config(), "max_retries": 0},
                "cloud": openai_at("https://eu.api.openai.com/v1"),
            },
            policy={"fallbacks": ["local", "cloud"]},
            transport_wrapper=reroute({"eu.api.openai.com": cloud.port}),
        )
        openai_server.reply(Reply.error(503, "primary down"))
        backup_server.reply(Reply.error(503, "local box down"))
        assert run.chat("plain question").text == "plain question"
        assert len(backup_server.requests) == 1
        assert len(cloud.requests) == 1


def test_a_sensitive_route_falls_back_only_within_its_data_zone(runner_factory, openai_server):
    # Sensitive data routed to the EU endpoint may fall back to another EU profile, never
    # to the global one, though both are enterprise endpoints the policy otherwise allows.
    with OpenAIServer() as eu:
        run = runner_factory(
            provider=openai_at(),
            providers={
                "eu": openai_at("https://eu.api.openai.com/v1"),
                "global": openai_at("https://api.openai.com/v1"),
                "eu_backup": openai_at("https://eu.api.openai.com/v1", organization="org-b"),
            },
            policy={
                "sensitive_types": ["US_SSN"],
                "route_sensitive_to": "eu",
                "fallbacks": ["global", "eu_backup"],
            },
            transport_wrapper=reroute(
                {"eu.api.openai.com": eu.port, "api.openai.com": openai_server.port}
            ),
        )
        eu.reply(Reply.error(503, "eu down"))  # the route fails once, then the EU backup answers
        assert run.chat(f"My SSN is {SSN}").text == f"My SSN is {SSN}"  # sent as a placeholder
        assert openai_server.requests == []  # the global profile was refused
        assert len(eu.requests) == 2  # the route, then the EU fallback (same host here)


def test_the_engine_remembers_answers_by_value_not_by_object():
    # The engine remembers each endpoint's answers (a client sends to a handful of them),
    # but an endpoint changed in place after an allowed call is judged afresh: a cache keyed
    # on the object would let the next call through to a consumer host.
    engine = PolicyEngine(PolicyConfig())
    api = Endpoint(
        provider="openai", base_url="https://api.openai.com", host="api.openai.com", kind="unknown"
    )
    for _ in range(2):
        judged = engine.classify(api)
        assert judged.kind == "enterprise_api"
        assert engine.refusal(engine.check_endpoint(judged)) is None
    judged.host = "chatgpt.com"
    judged.kind = engine.classify(judged).kind
    assert judged.kind == "consumer"
    refused = engine.refusal(engine.check_endpoint(judged))
    assert refused is not None
    assert refused.rule == "deny_consumer_endpoints"
    # The list handed back is the caller's own: extending it changes no later answer.
    engine.check_endpoint(judged).append(engine.check_endpoint(api)[0])
    assert [d.rule for d in engine.check_endpoint(judged) if not d.allowed] == [
        "deny_consumer_endpoints"
    ]
