"""Bodies that are not labelled JSON, end to end: what a local server receives.

Each body goes out through privllm's own guarded SDK client (``client.provider.sdk.post``)
for api.openai.com; the transport under the guard delivers it to a local recording server
(``support.reroute``). A refused body never arrives; a benign one arrives byte for byte.
"""

from __future__ import annotations

import codecs
import gzip
import inspect
import json
import re
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from privllm import AsyncClient, Client
from privllm.errors import EgressBlocked
from privllm.policy.egress.guard import EgressPolicy
from privllm.testing import WireServer
from privllm.testing.server import RecordedRequest, WireResponse
from support.reroute import reroute

CARD = "4111 1111 1111 1111"
SSN = "536-22-1847"
FORM = "application/x-www-form-urlencoded"


class Recorder(WireServer):
    """Answers every request with ``{}`` and records it."""

    def route(self, request: RecordedRequest) -> WireResponse:
        return WireResponse(200, {"Content-Type": "application/json"}, b"{}")


@pytest.fixture
def server() -> Iterator[Recorder]:
    with Recorder() as s:
        yield s


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Sender:
    """A privllm client with the default policy (guard on) for api.openai.com, whose every
    request lands on ``server``; ``post`` sends raw bytes through its SDK client."""

    def __init__(self, mode: str, server: WireServer, **policy: Any) -> None:
        provider = {
            "name": "openai",
            "model": "gpt-test",
            "max_retries": 0,
            "openai": {"api_key": "sk-test-bodies-0000"},
        }
        cls = Client if mode == "sync" else AsyncClient
        self.client: Any = cls(
            env={},
            provider=provider,
            policy=policy,
            audit={"enabled": False},
            transport_wrapper=reroute({"*": server.port}),
        )
        provider_obj = self.client.provider
        self.sdk: Any = provider_obj.sdk if mode == "sync" else provider_obj.async_sdk

    async def post(self, path: str, content: Any, headers: dict[str, str]) -> None:
        if headers.get("Content-Type", "").startswith("multipart/"):
            # The SDK builds multipart bodies itself; raw ones go through its HTTP client,
            # the httpx2 client privllm built and handed to it.
            result = self.sdk._client.post(
                f"https://api.openai.com/v1{path}", content=content, headers=headers
            )
        else:
            result = self.sdk.post(
                path, content=content, options={"headers": headers}, cast_to=httpx2.Response
            )
        if inspect.isawaitable(result):
            await result

    async def close(self) -> None:
        result = self.client.close()
        if inspect.isawaitable(result):
            await result


@pytest.fixture
async def sender(mode: str, server: Recorder) -> Any:
    made: list[Sender] = []

    def make(**policy: Any) -> Sender:
        s = Sender(mode, server, **policy)
        made.append(s)
        return s

    yield make
    for s in made:
        await s.close()


def hidden(doc: Any) -> str:
    """JSON whose strings spell their 1s and 4s as escapes: no value shows in the raw text."""

    def escape(m: re.Match[str]) -> str:
        return m[0].replace("1", "\\u0031").replace("4", "\\u0034")

    return re.sub(r'"(?:[^"\\]|\\.)*"', escape, json.dumps(doc))


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def multipart(fields: dict[str, str], file: tuple[str, bytes, str]) -> tuple[bytes, str]:
    boundary = "privllm-test-boundary"
    out = b""
    for name, value in fields.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    filename, data, ctype = file
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        f"\r\nContent-Type: {ctype}\r\n\r\n"
    ).encode()
    out += data + f"\r\n--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def forms(fields: dict[str, Any]) -> list[tuple[str, bytes, dict[str, str]]]:
    """The same request in every body form the guard must read. Values are JSON escapes in
    every form (a form field or a JSON Lines file holds JSON too), so reading the raw text,
    or the text percent-decoded, finds nothing."""
    doc = hidden(fields).encode()
    plain = {"Content-Type": "text/plain"}
    # As form fields: the message goes as JSON text; store as the text a form carries.
    message = [{"role": "user", "content": fields.get("input", "")}]
    text_fields = {"model": "m", "messages": hidden(message)}
    if "store" in fields:
        text_fields["store"] = json.dumps(fields["store"]).strip('"')
    jsonl = (hidden({"messages": message}) + "\n").encode() * 2
    body, ctype = multipart(
        {k: v for k, v in text_fields.items() if k != "messages"},
        ("train.jsonl", jsonl, "application/octet-stream"),
    )
    json_type = {"Content-Type": "application/json"}
    return [
        ("text-plain-bom", codecs.BOM_UTF8 + doc, plain),
        ("text-plain-utf16", hidden(fields).encode("utf-16"), plain),
        ("gzip-json", gz(doc), {**json_type, "Content-Encoding": "gzip"}),
        ("gzip-plain", gz(codecs.BOM_UTF8 + doc), {**plain, "Content-Encoding": "gzip"}),
        ("deflate", zlib.compress(doc), {**json_type, "Content-Encoding": "deflate"}),
        ("form", urlencode(text_fields).encode(), {"Content-Type": FORM}),
        ("multipart", body, {"Content-Type": ctype}),
        ("gzip-multipart", gz(body), {"Content-Type": ctype, "Content-Encoding": "gzip"}),
    ]


LEAKS = [f"card {CARD} on file", f"ssn {SSN}"]
FORM_IDS = [f[0] for f in forms({"input": "x"})]


@pytest.mark.parametrize("index", range(len(FORM_IDS)), ids=FORM_IDS)
async def test_a_detected_value_never_arrives_in_any_body_form(sender, server, index):
    s = sender()
    for leak in LEAKS:
        name, content, headers = forms({"model": "m", "input": leak, "store": False})[index]
        with pytest.raises(EgressBlocked) as info:
            await s.post("/chat/completions", content, headers)
        assert info.value.rule == "egress.body", name
        assert "4111" not in str(info.value)
        assert "1847" not in str(info.value)
    assert server.requests == []
    # The same form with nothing to find goes out as it was.
    name, content, headers = forms({"model": "m", "input": "hello there", "store": False})[index]
    await s.post("/chat/completions", content, headers)
    assert [r.body for r in server.requests] == [content]


@pytest.mark.parametrize("index", range(len(FORM_IDS)), ids=FORM_IDS)
async def test_store_true_is_refused_in_any_body_form(sender, server, index):
    s = sender()
    for store in (True, "true", 1):
        name, content, headers = forms({"model": "m", "input": "hi", "store": store})[index]
        with pytest.raises(EgressBlocked) as info:
            await s.post("/chat/completions", content, headers)
        assert info.value.rule == "egress.store", (name, store)
    # A Responses call stores unless told not to, whatever the form.
    name, content, headers = forms({"model": "m", "input": "hi"})[index]
    with pytest.raises(EgressBlocked, match=r"\(egress\.store\)"):
        await s.post("/responses", content, headers)
    assert server.requests == []
    name, content, headers = forms({"model": "m", "input": "hi", "store": False})[index]
    await s.post("/responses", content, headers)
    assert [r.body for r in server.requests] == [content]


BOMB = gz(b'{"input": "' + b"a" * (2 * 2**20) + b'"}')  # 2 MB that gzip makes ~2 KB

UNREADABLE = [
    ("gzip-bomb", BOMB, {"Content-Encoding": "gzip"}, "egress.body_size"),
    (
        "not-utf8",
        b"caf\xe9 " + CARD.encode(),
        {"Content-Type": "text/plain"},
        "egress.body_unreadable",
    ),
    ("charset", b"x", {"Content-Type": "text/plain; charset=x-nothing"}, "egress.body_unreadable"),
    (
        "no-boundary",
        b"--b\r\n\r\nx\r\n--b--",
        {"Content-Type": "multipart/form-data"},
        "egress.body_unreadable",
    ),
    (
        "base64-part",
        b'--b\r\nContent-Disposition: form-data; name="t"\r\nContent-Transfer-Encoding: base64'
        b"\r\n\r\nNDExMSAxMTExIDExMTEgMTExMQ==\r\n--b--\r\n",
        {"Content-Type": "multipart/form-data; boundary=b"},
        "egress.body_unreadable",
    ),
]


async def test_codings_are_undone_and_unknown_ones_refused(sender, server):
    s = sender()
    refused = [
        (b"\x1b\x03\x00", "br"),
        (gz(b'{"a": 1}')[:-6], "gzip"),  # truncated
        (gz(b"{}") + b"trailing", "gzip"),
        (gz(gz(gz(b"{}"))), "gzip, gzip, gzip"),
    ]
    for content, coding in refused:
        with pytest.raises(EgressBlocked, match=r"\(egress\.body_encoding\)"):
            await s.post("/chat/completions", content, {"Content-Encoding": coding})
    assert server.requests == []
    benign = b'{"model": "m", "input": "hello", "store": false}'
    readable = [
        (gz(benign), "gzip"),
        (gz(benign[:20]) + gz(benign[20:]), "gzip"),  # two members, as servers read them
        (gz(gz(benign)), "gzip, gzip"),
        (zlib.compress(benign), "deflate"),
        (zlib.compress(benign)[2:-4], "deflate"),  # raw deflate, as some clients send
    ]
    for content, coding in readable:
        await s.post("/chat/completions", content, {"Content-Encoding": coding})
    assert [r.body for r in server.requests] == [c for c, _ in readable]


@pytest.mark.parametrize(
    ("content", "headers", "rule"), [u[1:] for u in UNREADABLE], ids=[u[0] for u in UNREADABLE]
)
async def test_a_body_the_guard_cannot_read_is_refused(sender, server, content, headers, rule):
    s = sender(egress_max_body_bytes=2**20)
    with pytest.raises(EgressBlocked) as info:
        await s.post("/chat/completions", content, headers)
    assert info.value.rule == rule
    assert "4111" not in str(info.value)
    assert server.requests == []
    assert server.received() == b""


async def test_a_streamed_body_is_read_up_to_the_bound_and_no_further(sender, server, mode):
    s = sender(egress_max_body_bytes=64 * 1024)
    pulled: list[int] = []

    def chunks(n: int, data: bytes) -> Iterator[bytes]:
        for i in range(n):
            pulled.append(i)
            yield data

    async def achunks(n: int, data: bytes) -> Any:
        for chunk in chunks(n, data):
            yield chunk

    def body(n: int, data: bytes) -> Any:
        return chunks(n, data) if mode == "sync" else achunks(n, data)

    plain = {"Content-Type": "text/plain"}
    # An endless stream of benign text is refused once past the bound, not buffered whole.
    with pytest.raises(EgressBlocked, match=r"\(egress\.body_size\)"):
        await s.post("/chat/completions", body(4096, b"x" * 1024), plain)
    assert len(pulled) <= 65
    # A small one is read and scanned like any other body.
    with pytest.raises(EgressBlocked, match=r"\(egress\.body\)"):
        await s.post("/chat/completions", body(3, f" card {CARD} ".encode()), plain)
    assert server.requests == []
    await s.post("/chat/completions", body(3, b"hello "), plain)
    assert server.last.body == b"hello " * 3


async def test_each_json_string_is_read_on_its_own(sender, server):
    # A cue at the end of one string ("password:") must not read into the next one: that
    # refused benign requests. A password in a single string is still refused.
    s = sender()
    benign = {"model": "gpt-4o-mini-2024-07-18", "input": "reset my password:", "store": False}
    content = json.dumps(benign).encode()
    await s.post("/responses", content, {"Content-Type": "application/json"})
    assert server.last.body == content
    leak = {"model": "gpt-4o-mini-2024-07-18", "input": "password: Zq8#kLm2Vx9w", "store": False}
    with pytest.raises(EgressBlocked, match=r"\(egress\.body\)"):
        await s.post("/responses", json.dumps(leak).encode(), {"Content-Type": "application/json"})
    assert len(server.requests) == 1


FRAGMENTS = [
    "hello",
    "reset my password:",
    "token=",
    "api_key",
    "Kx9mQ2vLpRt7",
    "gpt-4o-mini-2024-07-18",
    CARD,
    SSN,
    "ssn",
    "4111",
    "1111 1111 1111",
    "[SECRET_1]",
]


def _blocked(policy: Any, doc: Any) -> str | None:
    request = httpx2.Request("POST", "https://api.openai.com/v1/chat/completions", json=doc)
    try:
        policy.check(request)
    except EgressBlocked as exc:
        return exc.rule
    return None


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=3).map(" ".join),
        min_size=1,
        max_size=5,
    )
)
@example(["token= Kx9mQ2vLpRt7", "token="])  # "token=" then a secret: read in any order
def test_a_body_is_refused_exactly_when_one_of_its_strings_is(strings: list[str]) -> None:
    policy = EgressPolicy.allow("https://api.openai.com/v1")
    alone = [_blocked(policy, {"store": False, "input": s}) for s in strings]
    expected = "egress.body" if any(alone) else None
    assert _blocked(policy, {"store": False, "input": strings}) == expected


PASTED = [
    "card 4852\u00a06228\u00a09015\u00a08001 on file",  # no-break spaces (Word, PDFs)
    "card 4852\u202f6228\u202f9015\u202f8001",  # narrow no-break spaces
    "card 4852\u200b6228\u200b9015\u200b8001",  # zero-width spaces
    "card " + "4852 6228 9015 8001".translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)}),
    "ssn 536\u201322\u20131847",  # en dashes
    "ssn 536\u221222\u22121847",  # minus signs
    "ssn \u0665\u0663\u0666-\u0662\u0662-\u0661\u0668\u0664\u0667",  # Arabic-Indic digits
]


@pytest.mark.parametrize("leak", PASTED)
async def test_a_value_pasted_with_unicode_separators_or_digits_never_arrives(sender, server, leak):
    # The redaction scan reads these as the values they are; a raw SDK call that skips
    # redaction must meet the same reading in the guard's body scan.
    s = sender()
    doc = {"model": "m", "messages": [{"role": "user", "content": leak}], "store": False}
    for content in (json.dumps(doc).encode(), json.dumps(doc, ensure_ascii=False).encode()):
        with pytest.raises(EgressBlocked) as info:
            await s.post("/chat/completions", content, {"Content-Type": "application/json"})
        assert info.value.rule == "egress.body"
    assert server.requests == []
    # Unicode text with no value in it still goes out.
    benign = {
        "model": "m",
        "messages": [{"role": "user", "content": "caf\u00e9\u00a0\u2013 12\u201314 h"}],
    }
    content = json.dumps({**benign, "store": False}, ensure_ascii=False).encode()
    await s.post("/chat/completions", content, {"Content-Type": "application/json"})
    assert server.last.body == content


def test_the_scanner_examples_run():
    import doctest

    from privllm.policy.egress import body as egress_body

    failures, tried = doctest.testmod(egress_body)
    assert tried > 0
    assert failures == 0


@pytest.mark.parametrize(
    "strings", [["to ines.okafor@example.net"], ["Ines Okafor", "to ines.okafor@example.net"]]
)
def test_a_failing_body_scanner_blocks_and_its_exception_quotes_nothing(strings):
    # A scanner whose exception quotes the body it was given: the request is blocked, and
    # the body is in neither the error, its cause or context, nor the printed traceback.
    from privllm.policy.egress.body import _first_blocked
    from support.error_text import shown

    def scan(text: str) -> Iterator[Any]:
        raise ValueError(f"cannot read {text!r}")
        yield  # a generator, as detectors are

    with pytest.raises(EgressBlocked) as info:
        _first_blocked(scan, frozenset({"EMAIL"}), strings, "api.openai.com")
    assert info.value.rule == "egress.body_scan"
    assert "ValueError" in str(info.value)
    assert "okafor" not in shown(info.value).lower()
