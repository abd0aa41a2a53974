"""The egress guard: an httpx2 transport that checks every request before it leaves.

privllm hands each provider SDK an httpx2 client whose transport it builds; the guard wraps
that transport, so it sees the request exactly as the SDK is about to send it: after
``with_options(base_url=...)``, ``extra_headers``, ``extra_body``, retries, raw
``sdk.post()`` calls and each redirect hop. What the middleware decided about the call's
arguments does not matter here; the final request does.

Every check is a rule; a refusal raises :class:`~privllm.errors.EgressBlocked` with the rule
and the host, never a value from the body:

==========================  ==================================================================
``egress.scheme``           https only; http only to loopback, private or self-hosted origins
``egress.userinfo``         no ``user:password@`` in the URL (it hides the real host)
``egress.host_syntax``      the host must be a plain DNS name or IP literal after normalising
``egress.ip_literal``       IP literals only when allowed exactly; numeric forms never
``egress.host``             the host must be an allowed origin's host
``egress.port``             ...on an allowed port
``egress.identity``         identity hosts: POST to their token paths only
``egress.host_header``      the ``Host`` header and TLS name must match the URL's host
``egress.redirect``         a 3xx pointing anywhere the guard would refuse
``egress.store``            ``store`` set to a true value, or a Responses call without
                            ``store: false``
``egress.body_encoding``    a compressed body the guard cannot read
``egress.body``             a value of a type that must never leave (card number, key...)
``egress.body_scan``        the body scanner failed (fail closed)
==========================  ==================================================================

>>> import httpx2
>>> policy = EgressPolicy.allow("https://api.openai.com/v1")
>>> policy.check_url("https://api.openai.com@evil.example/v1")  # doctest: +ELLIPSIS
Traceback (most recent call last):
  ...
privllm.errors.EgressBlocked: egress guard refused the request (egress.userinfo): ...
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote_plus

import httpx2

from privllm.errors import ConfigError, EgressBlocked
from privllm.policy.endpoints import (
    IDENTITY_TOKEN_PATHS,
    host_kind,
    ip_literal,
    is_private_host,
    normalize_host,
    provider_endpoint,
)

if TYPE_CHECKING:
    from privllm.config import PolicyConfig, ProviderConfig
    from privllm.providers.base import TransportWrapper
    from privllm.redaction.findings import Detector, Finding
    from privllm.types import Endpoint

__all__ = [
    "DEFAULT_BLOCK_TYPES",
    "RULES",
    "AsyncGuardedTransport",
    "EgressPolicy",
    "GuardedTransport",
    "Origin",
    "guard_wrapper",
]

#: Every rule the guard applies, with what it refuses.
RULES: Mapping[str, str] = {
    "egress.scheme": "a scheme other than https (http only to local or self-hosted origins)",
    "egress.userinfo": "userinfo in the URL",
    "egress.host_syntax": "a host that is not a plain DNS name or IP literal",
    "egress.ip_literal": "an IP literal not allowed exactly, or a numeric host form",
    "egress.host": "a host that is not an allowed origin",
    "egress.port": "an allowed host on another port",
    "egress.identity": "an identity host, except POST to its token endpoint",
    "egress.host_header": "a Host header, TLS name or pseudo-header naming another host",
    "egress.redirect": "a redirect to a destination the guard refuses",
    "egress.store": "a body that asks the provider to store the content",
    "egress.body_encoding": "a compressed request body the guard cannot inspect",
    "egress.body": "a body carrying a value of a type that must never leave",
    "egress.body_scan": "a body scanner failure (fail closed)",
}

#: What :meth:`EgressPolicy.allow` blocks unless told otherwise (the config default too).
DEFAULT_BLOCK_TYPES: tuple[str, ...] = ("SECRET", "CREDIT_CARD", "US_SSN", "IBAN")

_DEFAULT_PORTS = {"https": 443, "http": 80}
_MISSING: Any = object()
# A separator no detector treats as part of a value, so values in two JSON strings never
# join into one (it is neither alphanumeric nor whitespace for ``re``).
_JOIN = "\x00"
# JSON integers this large can be card numbers or account numbers; small ones are noise.
_BIG_INT = 10**8


@dataclass(frozen=True, slots=True, order=True)
class Origin:
    """Where a request connects: scheme, normalised host and effective port.

    >>> Origin.of("https://API.OpenAI.com./v1")
    Origin(scheme='https', host='api.openai.com', port=443)
    """

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str | httpx2.URL) -> Origin:
        """The origin of ``url``; ``ValueError`` if it is not a plain http(s) URL."""
        try:
            parsed = url if isinstance(url, httpx2.URL) else httpx2.URL(url)
        except httpx2.InvalidURL:
            raise ValueError("not a valid URL") from None
        scheme = parsed.scheme
        if scheme not in _DEFAULT_PORTS:
            raise ValueError("only http and https URLs have origins here")
        if parsed.userinfo:
            raise ValueError("URL carries userinfo")
        host = normalize_host(parsed.raw_host)
        if ip_literal(host) is False:
            raise ValueError("numeric host forms are not allowed; write the dotted quad")
        return cls(scheme, host, parsed.port or _DEFAULT_PORTS[scheme])

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


class _Target(NamedTuple):
    origin: Origin
    identity: bool


@dataclass(frozen=True)
class EgressPolicy:
    """What the guard lets out. Build with :meth:`allow` or :meth:`from_config`.

    ``origins`` are the only destinations for model calls. ``identity_hosts`` names hosts of
    :data:`~privllm.policy.endpoints.IDENTITY_TOKEN_PATHS` that may receive token requests.
    http origins must be loopback, private or in ``self_hosted_hosts``. ``block_types`` are
    finding types that must never leave; ``scanner`` finds them (default: privllm's
    detectors for exactly those types, stopping at the first hit).

    >>> policy = EgressPolicy.allow("https://eu.api.openai.com/v1", block_types=["CREDIT_CARD"])
    >>> sorted(str(o) for o in policy.origins)
    ['https://eu.api.openai.com:443']
    """

    origins: frozenset[Origin]
    identity_hosts: frozenset[str] = frozenset()
    self_hosted_hosts: frozenset[str] = frozenset()
    require_no_store: bool = True
    block_types: frozenset[str] = frozenset()
    scanner: Callable[[str], Iterable[Finding]] | None = field(default=None, repr=False)
    _by_host: Mapping[str, frozenset[Origin]] = field(init=False, repr=False, compare=False)
    _identity: Mapping[str, tuple[re.Pattern[str], ...]] = field(
        init=False, repr=False, compare=False
    )
    _scan: Callable[[str], Iterable[Finding]] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            local = {normalize_host(h.strip()) for h in self.self_hosted_hosts}
        except ValueError:
            raise ConfigError("egress: self_hosted_hosts holds an invalid host name") from None
        by_host: dict[str, set[Origin]] = {}
        for origin in self.origins:
            if origin.scheme == "http" and not (
                is_private_host(origin.host) or origin.host in local
            ):
                raise ConfigError(
                    f"egress: http:// to {origin.host} would send data in clear text; use "
                    "https, or declare the host in policy.self_hosted_hosts"
                )
            by_host.setdefault(origin.host, set()).add(origin)
        unknown = set(self.identity_hosts) - set(IDENTITY_TOKEN_PATHS)
        if unknown:
            raise ConfigError(f"egress: no token endpoints known for {sorted(unknown)}")
        identity = {
            host: tuple(re.compile(p) for p in IDENTITY_TOKEN_PATHS[host])
            for host in self.identity_hosts
        }
        scan = self.scanner
        if scan is None and self.block_types:
            scan = _detector_scanner(_detectors_for(self.block_types))
        object.__setattr__(self, "_by_host", {h: frozenset(o) for h, o in by_host.items()})
        object.__setattr__(self, "_identity", identity)
        object.__setattr__(self, "_scan", scan)

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def allow(
        cls,
        *base_urls: str,
        identity_hosts: Iterable[str] = (),
        self_hosted_hosts: Iterable[str] = (),
        require_no_store: bool = True,
        block_types: Iterable[str] = DEFAULT_BLOCK_TYPES,
        scanner: Callable[[str], Iterable[Finding]] | None = None,
    ) -> EgressPolicy:
        """A policy allowing the origins of ``base_urls`` (paths are ignored), refusing
        ``store`` and bodies with values of ``block_types`` (pass ``()`` to scan nothing).

        >>> EgressPolicy.allow("http://127.0.0.1:8000/v1").origins
        frozenset({Origin(scheme='http', host='127.0.0.1', port=8000)})
        """
        origins = set()
        for url in base_urls:
            try:
                origins.add(Origin.of(url))
            except ValueError as exc:
                raise ConfigError(f"egress: cannot allow this base URL: {exc}") from None
        return cls(
            origins=frozenset(origins),
            identity_hosts=frozenset(identity_hosts),
            self_hosted_hosts=frozenset(self_hosted_hosts),
            require_no_store=require_no_store,
            block_types=frozenset(block_types),
            scanner=scanner,
        )

    @classmethod
    def from_config(
        cls,
        provider: ProviderConfig,
        policy: PolicyConfig,
        *,
        terms: Mapping[str, Iterable[str]] | None = None,
    ) -> EgressPolicy:
        """The guard for one provider section: only that provider's own endpoint (plus the
        identity hosts its auth mode uses), and only if ``policy`` admits the endpoint at
        all; otherwise every request is refused at the transport too.

        ``terms`` (type -> terms) lets ``egress_block_types`` include term-list types such
        as ``PERSON``. Bodies to a self-hosted endpoint are not scanned: that is where
        sensitive requests are routed on purpose.

        >>> from privllm.config import PolicyConfig, ProviderConfig
        >>> section = ProviderConfig(name="openai", openai={"data_residency": "eu"})
        >>> guard = EgressPolicy.from_config(section, PolicyConfig())
        >>> [str(o) for o in guard.origins], sorted(guard.block_types)[:2]
        (['https://eu.api.openai.com:443'], ['CREDIT_CARD', 'IBAN'])
        """
        self_hosted = frozenset(policy.self_hosted_hosts)
        endpoint = provider_endpoint(provider, self_hosted)
        origins: set[Origin] = set()
        if _admitted(endpoint, policy):
            try:
                origin = Origin.of(endpoint.base_url)
            except ValueError as exc:
                raise ConfigError(f"egress: provider base URL: {exc}") from None
            declared = {normalize_host(h.strip()) for h in self_hosted if _valid(h)}
            if origin.scheme == "https" or is_private_host(origin.host) or origin.host in declared:
                origins.add(origin)
                twin = _google_mtls_twin(origin.host)
                if twin is not None:
                    origins.add(Origin("https", twin, origin.port))
        identity: set[str] = set()
        if provider.name == "azure" and provider.azure.auth == "entra_id":
            identity.add("login.microsoftonline.com")
        if provider.name == "google" and provider.google.mode == "vertex":
            identity.update({"oauth2.googleapis.com", "sts.googleapis.com"})
        # A self-hosted endpoint is where sensitive data is routed on purpose (it stays with
        # you), so the body rule applies to every other kind, as allowed_regions does.
        block = frozenset(policy.egress_block_types)
        if endpoint.kind == "self_hosted":
            block = frozenset()
        scanner = None
        if block:
            scanner = _detector_scanner(_detectors_for(block, terms))
        return cls(
            origins=frozenset(origins),
            identity_hosts=frozenset(identity),
            self_hosted_hosts=frozenset(h for h in self_hosted if _valid(h)),
            require_no_store=policy.require_no_store,
            block_types=block,
            scanner=scanner,
        )

    # -- checking (sans-IO) --------------------------------------------------------------------

    def check_url(self, url: str | httpx2.URL, method: str = "POST") -> None:
        """Raise ``EgressBlocked`` unless a ``method`` request to ``url`` may be sent
        (destination rules only: scheme, userinfo, host, IP, port, identity paths)."""
        try:
            parsed = url if isinstance(url, httpx2.URL) else httpx2.URL(url)
        except httpx2.InvalidURL:
            raise _blocked("egress.host_syntax", None, "the URL does not parse") from None
        self._target(parsed, method)

    def check(self, request: httpx2.Request) -> None:
        """Every request rule for ``request``, whose body must have been read already
        (``request.read()``; the transports do this).

        >>> policy = EgressPolicy.allow("https://api.openai.com/v1")
        >>> policy.check(httpx2.Request("POST", "https://api.openai.com/v1/chat/completions",
        ...                             json={"model": "m", "store": True}))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
          ...
        privllm.errors.EgressBlocked: egress guard refused the request (egress.store): ...
        """
        target = self._check_target(request)
        self._check_body(request, target)

    def check_response(self, request: httpx2.Request, response: httpx2.Response) -> None:
        """Refuse a redirect whose ``Location`` the guard would not let a request reach.

        The next hop (if a client follows it) passes through the guard again; refusing here
        keeps a 307/308 from re-sending the body, and the API key headers httpx forwards
        across origins, anywhere the guard would not allow.
        """
        self._check_redirect(request.url, request.method, response)

    def _check_redirect(self, url: httpx2.URL, method: str, response: httpx2.Response) -> None:
        # ``url`` is the URL the guard checked: an inner transport may rewrite request.url.
        status = response.status_code
        if not 300 <= status < 400:
            return
        location = response.headers.get("location")
        if location is None:
            return
        origin_host = url.raw_host.decode("ascii", "replace")
        try:
            target = url.join(location)
        except httpx2.InvalidURL:
            raise _blocked(
                "egress.redirect", origin_host, "the redirect Location does not parse"
            ) from None
        # What httpx would send next: 307/308 repeat the method and body, others use GET.
        next_method = method if status in (307, 308) or method == "HEAD" else "GET"
        try:
            self._target(target, next_method)
        except EgressBlocked as exc:
            raise _blocked(
                "egress.redirect",
                exc.host,
                f"{status} redirect from {origin_host} to a refused destination ({exc.rule})",
            ) from None

    # -- the rules -----------------------------------------------------------------------------

    def _target(self, url: httpx2.URL, method: str) -> _Target:
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            raise _blocked("egress.scheme", None, f"scheme {_safe(scheme)!r} is not allowed")
        raw = url.raw_host
        if url.userinfo:
            # The part before "@" is what a reader sees as the host; the real host follows.
            raise _blocked(
                "egress.userinfo",
                _safe(raw.decode("ascii", "replace")),
                "the URL carries userinfo, which hides the host it really reaches",
            )
        try:
            host = normalize_host(raw)
        except ValueError:
            shown = _safe(raw.decode("ascii", "replace"))
            raise _blocked(
                "egress.host_syntax", shown, "the host is not a plain DNS name or IP literal"
            ) from None
        ip = ip_literal(host)
        if ip is False:
            raise _blocked(
                "egress.ip_literal",
                host,
                f"{host} is a numeric IP form that resolvers read as an address",
            )
        port = url.port or _DEFAULT_PORTS[scheme]
        origin = Origin(scheme, host, port)
        patterns = self._identity.get(host)
        if patterns is not None:
            if (
                scheme != "https"
                or port != 443
                or method != "POST"
                or not any(p.fullmatch(url.path) for p in patterns)
            ):
                raise _blocked(
                    "egress.identity",
                    host,
                    f"{host} is an identity host: only https POST to its token endpoint",
                )
            return _Target(origin, identity=True)
        allowed = self._by_host.get(host)
        if not allowed:
            if ip is not None:
                raise _blocked("egress.ip_literal", host, f"{host} is not an allowed address")
            kind = host_kind(host, self.self_hosted_hosts)
            what = {"consumer": "a consumer product", "unknown": "an unknown host"}.get(
                kind, f"an {kind} host" if kind.startswith("e") else f"a {kind} host"
            )
            raise _blocked("egress.host", host, f"{host} ({what}) is not an allowed destination")
        if origin in allowed:
            return _Target(origin, identity=False)
        if not any(o.scheme == scheme for o in allowed):
            raise _blocked(
                "egress.scheme", host, f"{scheme}:// to {host} is not allowed (only https)"
            )
        ports = ", ".join(str(o.port) for o in sorted(allowed) if o.scheme == scheme)
        raise _blocked("egress.port", host, f"port {port} on {host} is not allowed ({ports})")

    def _check_target(self, request: httpx2.Request) -> _Target:
        target = self._target(request.url, request.method)
        host = target.origin.host
        values = request.headers.get_list("host")
        netloc = request.url.netloc.decode("ascii", "replace")
        if len(values) != 1 or (values[0] != netloc and not _same_host(values[0], target)):
            raise _blocked(
                "egress.host_header", host, "the Host header names another host than the URL"
            )
        sni = request.extensions.get("sni_hostname")
        if sni is not None and not _same_name(sni, host):
            raise _blocked("egress.host_header", host, "the TLS server name differs from the URL")
        for name, _ in request.headers.raw:
            if name.startswith(b":"):
                raise _blocked(
                    "egress.host_header", host, "HTTP/2 pseudo-headers cannot be set by callers"
                )
        return target

    def _check_body(self, request: httpx2.Request, target: _Target) -> None:
        # Token requests carry credentials by design; they go only to their token paths.
        if target.identity or not (self.require_no_store or self._scan is not None):
            return
        content = request.content  # raises RequestNotRead if the caller did not read it
        host = target.origin.host
        is_responses = request.method == "POST" and request.url.path.rstrip("/").endswith(
            "/responses"
        )
        if not content:
            if self.require_no_store and is_responses:
                raise _store_refusal(host, "a Responses call without store=false is stored")
            return
        encoding = request.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            raise _blocked(
                "egress.body_encoding", host, f"a {_safe(encoding)}-encoded body cannot be checked"
            )
        ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        json_declared = ctype == "application/json" or ctype.endswith("+json")
        doc = _MISSING
        if json_declared or (
            not ctype.startswith(("multipart/", "application/x-www-form-urlencoded"))
            and content.lstrip()[:1] in (b"{", b"[")
        ):
            try:
                doc = json.loads(content)
            except (ValueError, RecursionError):
                doc = _MISSING
        if self.require_no_store:
            _check_store(doc, json_declared, is_responses, host)
        if self._scan is not None:
            if doc is not _MISSING:
                text = _json_text(doc)
            else:
                text = content.decode("utf-8", "replace")
                if ctype == "application/x-www-form-urlencoded":
                    text = unquote_plus(text)
            found = self._first_blocked(text, host)
            if found is not None:
                raise _blocked(
                    "egress.body",
                    host,
                    f"the body carries a {found} value, which policy says must never leave",
                )

    def _first_blocked(self, text: str, host: str) -> str | None:
        assert self._scan is not None
        try:
            for finding in self._scan(text):
                if finding.type in self.block_types:
                    return finding.type
        except Exception as exc:
            raise _blocked(
                "egress.body_scan",
                host,
                f"the body scanner failed ({type(exc).__name__}); the request was not sent",
            ) from exc
        return None


# -- transports --------------------------------------------------------------------------------


class GuardedTransport(httpx2.BaseTransport):
    """Checks each request with ``policy`` before ``inner`` sends it, and each redirect
    response after. Closing it closes ``inner``.

    >>> inner = httpx2.MockTransport(lambda request: httpx2.Response(200))
    >>> guarded = GuardedTransport(inner, EgressPolicy.allow("https://api.openai.com"))
    >>> with httpx2.Client(transport=guarded) as http:
    ...     http.get("https://api.openai.com/v1/models").status_code
    200
    """

    def __init__(self, inner: httpx2.BaseTransport, policy: EgressPolicy) -> None:
        self.inner = inner
        self.policy = policy

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        policy = self.policy
        # Destination first: a refused host never pulls a streaming body.
        target = policy._check_target(request)
        request.read()
        policy._check_body(request, target)
        url, method = request.url, request.method
        response = self.inner.handle_request(request)
        try:
            policy._check_redirect(url, method, response)
        except EgressBlocked:
            response.close()
            raise
        return response

    def close(self) -> None:
        self.inner.close()

    def __repr__(self) -> str:
        return f"GuardedTransport({self.policy!r})"


class AsyncGuardedTransport(httpx2.AsyncBaseTransport):
    """The async twin of :class:`GuardedTransport`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, policy: EgressPolicy) -> None:
        self.inner = inner
        self.policy = policy

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        policy = self.policy
        target = policy._check_target(request)
        await request.aread()
        policy._check_body(request, target)
        url, method = request.url, request.method
        response = await self.inner.handle_async_request(request)
        try:
            policy._check_redirect(url, method, response)
        except EgressBlocked:
            await response.aclose()
            raise
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"AsyncGuardedTransport({self.policy!r})"


class _DualGuardedTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Guards an inner transport that serves both sync and async clients (MockTransport)."""

    def __init__(self, inner: Any, policy: EgressPolicy) -> None:
        self.inner = inner
        self.policy = policy
        self._sync = GuardedTransport(inner, policy)
        self._async = AsyncGuardedTransport(inner, policy)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


def guard_wrapper(policy: EgressPolicy, then: TransportWrapper | None = None) -> TransportWrapper:
    """A ``transport_wrapper`` for ``Client``: applies ``then`` (if any) to the real
    transport, then puts the guard outside it, sync or async by the transport's type.

    >>> from privllm import Client
    >>> from privllm.testing import OpenAIServer
    >>> with OpenAIServer() as server:
    ...     guard = guard_wrapper(EgressPolicy.allow(server.url))
    ...     with Client(env={}, provider=server.provider_config(), transport_wrapper=guard) as c:
    ...         c.chat("hi").text
    'hi'
    """

    def wrap(inner: Any) -> Any:
        if then is not None:
            inner = then(inner)
        is_sync = isinstance(inner, httpx2.BaseTransport)
        is_async = isinstance(inner, httpx2.AsyncBaseTransport)
        if is_sync and is_async:  # e.g. MockTransport serves both kinds of client
            return _DualGuardedTransport(inner, policy)
        if is_async:
            return AsyncGuardedTransport(inner, policy)
        if is_sync:
            return GuardedTransport(inner, policy)
        raise TypeError(f"not an httpx2 transport: {type(inner).__name__}")

    return wrap


# -- helpers -----------------------------------------------------------------------------------


def _blocked(rule: str, host: str | None, why: str) -> EgressBlocked:
    return EgressBlocked(f"egress guard refused the request ({rule}): {why}", rule=rule, host=host)


def _store_refusal(host: str, why: str) -> EgressBlocked:
    return _blocked("egress.store", host, f"{why}; policy.require_no_store forbids it")


def _check_store(doc: Any, json_declared: bool, is_responses: bool, host: str) -> None:
    if isinstance(doc, dict):
        store = doc.get("store")
        if store is not None and store is not False:
            raise _store_refusal(host, "the body asks the provider to store the content")
        if store is None and is_responses:
            raise _store_refusal(host, "the Responses API stores by default; send store=false")
    elif doc is _MISSING and json_declared:
        raise _store_refusal(host, "the JSON body does not parse, so store cannot be checked")


def _json_text(doc: Any) -> str:
    """Every string (and large integer) in a JSON document, decoded, joined by a separator."""
    parts: list[str] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, dict):
            parts.extend(node)  # keys are strings in JSON
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) >= _BIG_INT:
            parts.append(str(node))
    return _JOIN.join(parts)


def _detectors_for(
    types: Iterable[str], terms: Mapping[str, Iterable[str]] | None = None
) -> list[Detector]:
    from privllm.redaction.scan import default_detectors

    wanted = frozenset(types)
    chosen_terms = {t: list(words) for t, words in (terms or {}).items() if t in wanted}
    detectors = default_detectors(wanted - chosen_terms.keys(), terms=chosen_terms)
    covered = set().union(*(d.types for d in detectors)) if detectors else set()
    missing = wanted - covered
    if missing:
        raise ConfigError(
            f"policy.egress_block_types: no detector for {sorted(missing)} (give terms)",
            field="policy.egress_block_types",
        )
    return detectors


def _detector_scanner(detectors: Sequence[Detector]) -> Callable[[str], Iterator[Finding]]:
    # A generator, so the guard stops at the first blocked finding instead of running every
    # detector over a body it is going to refuse anyway.
    def scan(text: str) -> Iterator[Finding]:
        for detector in detectors:
            yield from detector.find(text)

    return scan


def _admitted(endpoint: Endpoint, policy: PolicyConfig) -> bool:
    """The destination rules of ``policy`` that the guard repeats, so that a transport built
    for an endpoint the policy refuses refuses every request as well."""
    host = endpoint.host
    names = {normalize_host(h) for h in policy.allowed_hosts if _valid(h)}
    if host in {normalize_host(h) for h in policy.denied_hosts if _valid(h)}:
        return False
    if names and host not in names and endpoint.kind != "self_hosted":
        return False
    if policy.deny_consumer_endpoints and endpoint.kind == "consumer":
        return False
    if policy.deny_unknown_endpoints and endpoint.kind == "unknown" and host not in names:
        return False
    if policy.allowed_providers and endpoint.provider not in policy.allowed_providers:
        return False
    regions = {r.lower() for r in policy.allowed_regions}
    where = {z.lower() for z in (endpoint.region, endpoint.data_zone) if z}
    if regions and endpoint.kind != "self_hosted" and not where & regions:
        return False
    return not (policy.require_no_training and endpoint.trains_on_data)


def _valid(host: str) -> bool:
    try:
        normalize_host(host.strip())
    except ValueError:
        return False
    return True


def _google_mtls_twin(host: str) -> str | None:
    # google-genai switches to the mTLS host when a client certificate is configured; it is
    # the same service, so the guard allows the pair together.
    if host.endswith(".googleapis.com") and ".mtls." not in host and ".rep." not in host:
        return host[: -len(".googleapis.com")] + ".mtls.googleapis.com"
    return None


def _same_name(name: object, host: str) -> bool:
    if not isinstance(name, str):
        return False
    try:
        return normalize_host(name) == host
    except ValueError:
        return False


def _same_host(value: str, target: _Target) -> bool:
    # Reject anything that a URL parser would read as more than host[:port].
    if not value or any(c in value for c in "/@?#\\ \t\r\n"):
        return False
    try:
        parsed = httpx2.URL(f"{target.origin.scheme}://{value}/")
        host = normalize_host(parsed.raw_host)
    except (httpx2.InvalidURL, ValueError):
        return False
    port = parsed.port or _DEFAULT_PORTS[target.origin.scheme]
    return (host, port) == (target.origin.host, target.origin.port)


def _safe(text: str, limit: int = 80) -> str:
    """Printable ASCII only, and short: hosts in errors come from whoever built the URL."""
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in text[:limit])
