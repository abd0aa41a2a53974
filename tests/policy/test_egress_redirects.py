"""The guard's answer to redirects: a 3xx is refused when its next hop would be.

Each case runs through the guarded transport (sync and async) around a recording inner
transport: a refused redirect raises ``egress.redirect`` after the first hop, and the hop it
points to never reaches the inner transport.
"""

from __future__ import annotations

import re

import httpx2
import pytest

from privllm.errors import EgressBlocked
from privllm.policy.egress.guard import EgressPolicy, Origin, guard_wrapper

API = "https://api.openai.com/v1"
#: A managed-identity token URL: its origin takes GET of exactly this path and nothing else.
MSI = "http://127.0.0.1:41234/msi/token"


class Recorder:
    """An inner transport that records what reached it and answers with ``responses``."""

    def __init__(self, *responses: httpx2.Response) -> None:
        self.seen: list[tuple[str, str]] = []
        self.responses = list(responses)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.seen.append((request.method, str(request.url)))
        return self.responses.pop(0) if self.responses else httpx2.Response(200, json={})


@pytest.fixture(params=["sync", "async"])
def mode(request):
    return request.param


async def send(
    mode: str, policy: EgressPolicy, recorder: Recorder, method: str, url: str
) -> httpx2.Response:
    wrap = guard_wrapper(policy)
    if mode == "sync":
        with httpx2.Client(transport=wrap(httpx2.MockTransport(recorder))) as http:
            return http.request(method, url, follow_redirects=True)
    async with httpx2.AsyncClient(transport=wrap(httpx2.MockTransport(recorder))) as http:
        return await http.request(method, url, follow_redirects=True)


def with_token_url() -> EgressPolicy:
    return EgressPolicy(origins=frozenset({Origin.of(API)}), token_urls=frozenset({MSI}))


@pytest.mark.parametrize(
    ("method", "status", "next_method"),
    [
        # httpx turns these into GET (the body is dropped), which the token URL takes...
        ("POST", 301, "GET"),
        ("POST", 302, "GET"),
        ("POST", 303, "GET"),
        ("GET", 307, "GET"),
        ("GET", 308, "GET"),
    ],
)
async def test_a_redirect_passes_when_the_request_it_makes_would(mode, method, status, next_method):
    recorder = Recorder(httpx2.Response(status, headers={"location": MSI}))
    response = await send(mode, with_token_url(), recorder, method, f"{API}/files")
    assert response.status_code == 200
    assert recorder.seen == [(method, f"{API}/files"), (next_method, MSI)]


@pytest.mark.parametrize(
    ("method", "status", "next_method"),
    [
        # ...but 307 and 308 repeat the method and the body, and HEAD stays HEAD.
        ("POST", 307, "POST"),
        ("POST", 308, "POST"),
        ("HEAD", 302, "HEAD"),
        ("HEAD", 303, "HEAD"),
    ],
)
async def test_a_redirect_is_refused_when_the_request_it_makes_would_be(
    mode, method, status, next_method
):
    recorder = Recorder(httpx2.Response(status, headers={"location": MSI}))
    message = (
        f"egress guard refused the request (egress.redirect): {status} redirect from "
        "api.openai.com to a refused destination (egress.identity)"
    )
    with pytest.raises(EgressBlocked, match=f"^{re.escape(message)}$") as info:
        await send(mode, with_token_url(), recorder, method, f"{API}/files")
    assert (info.value.rule, info.value.host) == ("egress.redirect", "127.0.0.1")
    assert recorder.seen == [(method, f"{API}/files")]
    # The same request without the redirect shows the token URL refuses that method itself.
    with pytest.raises(EgressBlocked, match=r"\(egress\.identity\)"):
        with_token_url().check_url(MSI, next_method)


@pytest.mark.parametrize("status", [300, 301, 302, 303, 304, 305, 307, 308, 399])
async def test_every_3xx_with_a_refused_location_is_refused(mode, status):
    recorder = Recorder(httpx2.Response(status, headers={"location": "https://chatgpt.com/"}))
    message = (
        f"egress guard refused the request (egress.redirect): {status} redirect from "
        "api.openai.com to a refused destination (egress.host)"
    )
    with pytest.raises(EgressBlocked, match=f"^{re.escape(message)}$") as info:
        await send(mode, EgressPolicy.allow(API), recorder, "GET", f"{API}/models")
    assert (info.value.rule, info.value.host) == ("egress.redirect", "chatgpt.com")
    assert recorder.seen == [("GET", f"{API}/models")]


@pytest.mark.parametrize("status", [200, 201, 299, 400, 401, 404, 500])
async def test_a_location_outside_3xx_is_not_a_redirect(mode, status):
    # 201 Created names the new resource; errors may carry any header: nothing is followed.
    recorder = Recorder(httpx2.Response(status, headers={"location": "https://chatgpt.com/"}))
    response = await send(mode, EgressPolicy.allow(API), recorder, "POST", f"{API}/files")
    assert response.status_code == status
    assert recorder.seen == [("POST", f"{API}/files")]


async def test_a_3xx_without_location_goes_back_to_the_caller(mode):
    recorder = Recorder(httpx2.Response(304))
    response = await send(mode, EgressPolicy.allow(API), recorder, "GET", f"{API}/models")
    assert response.status_code == 304


@pytest.mark.parametrize("location", ["http://[::1", "https://api.openai.com:x/", "//[zz]/"])
async def test_a_location_that_does_not_parse_is_refused(mode, location):
    recorder = Recorder(httpx2.Response(302, headers={"location": location}))
    message = (
        "egress guard refused the request (egress.redirect): the redirect Location does not parse"
    )
    with pytest.raises(EgressBlocked, match=f"^{re.escape(message)}$") as info:
        await send(mode, EgressPolicy.allow(API), recorder, "GET", f"{API}/models")
    assert (info.value.rule, info.value.host) == ("egress.redirect", "api.openai.com")
    assert recorder.seen == [("GET", f"{API}/models")]
