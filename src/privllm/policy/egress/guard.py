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
``egress.body_encoding``    a content coding other than gzip/deflate, or one that fails
``egress.body_size``        a body over ``max_body_bytes``, before or after decoding
``egress.body_unreadable``  a body that is not text in its charset, a broken multipart body
``egress.body``             a value of a type that must never leave (card number, key...)
``egress.body_scan``        the body scanner failed (fail closed)
``egress.websocket``        a websocket API of an SDK client privllm built (not a transport
                            rule: see :mod:`~privllm.providers.websockets`)
==========================  ==================================================================

This module holds :class:`EgressPolicy` and the destination rules; the body rules live in
:mod:`~privllm.policy.egress.body`, what a provider section allows in
:mod:`~privllm.policy.egress.scope`, the transports in :mod:`~privllm.policy.egress.transport`,
and all are importable from here.

>>> import httpx2
>>> policy = EgressPolicy.allow("https://api.openai.com/v1")
>>> policy.check_url("https://api.openai.com@evil.example/v1")  # doctest: +ELLIPSIS
Traceback (most recent call last):
  ...
privllm.errors.EgressBlocked: egress guard refused the request (egress.userinfo): ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import httpx2

from privllm.errors import ConfigError, EgressBlocked
from privllm.policy.egress.body import (
    DEFAULT_MAX_BODY_BYTES,
    check_body,
    detector_scanner,
    detectors_for,
)
from privllm.policy.egress.origin import DEFAULT_PORTS, Origin
from privllm.policy.egress.rules import RULES, blocked, safe_text
from privllm.policy.egress.scope import guard_scope
from privllm.policy.egress.transport import AsyncGuardedTransport, GuardedTransport, guard_wrapper
from privllm.policy.endpoints import (
    IDENTITY_TOKEN_PATHS,
    METADATA_TOKEN_PATHS,
    host_kind,
    ip_literal,
    is_private_host,
    normalize_host,
)

if TYPE_CHECKING:
    from privllm.config import PolicyConfig, ProviderConfig
    from privllm.redaction.findings import Finding

__all__ = [
    "DEFAULT_BLOCK_TYPES",
    "RULES",
    "AsyncGuardedTransport",
    "EgressPolicy",
    "GuardedTransport",
    "Origin",
    "PathRule",
    "guard_wrapper",
]

# The examples of the names re-exported here run with this module's doctests, as they did
# before those names moved out.
__test__ = {"GuardedTransport": GuardedTransport, "Origin": Origin, "guard_wrapper": guard_wrapper}

#: What :meth:`EgressPolicy.allow` blocks unless told otherwise (the config default too).
DEFAULT_BLOCK_TYPES: tuple[str, ...] = ("SECRET", "CREDIT_CARD", "US_SSN", "IBAN")


class _Target(NamedTuple):
    origin: Origin
    identity: bool


class PathRule(NamedTuple):
    """One kind of request an allowed host takes when it is allowed for a purpose only:
    ``method`` to a path (before any query, percent-encoding kept) that fully matches the
    regular expression ``path``. A host with rules takes nothing else (``egress.host``)."""

    host: str
    method: str
    path: str


@dataclass(frozen=True)
class EgressPolicy:
    """What the guard lets out. Build with :meth:`allow` or :meth:`from_config`.

    ``origins`` are the only destinations for model calls. ``identity_hosts`` names hosts of
    :data:`~privllm.policy.endpoints.IDENTITY_TOKEN_PATHS` that may receive token requests.
    http origins must be loopback, private or in ``self_hosted_hosts``. ``block_types`` are
    finding types that must never leave; ``scanner`` finds them (default: privllm's
    detectors for exactly those types, stopping at the first hit). ``path_rules`` narrow an
    allowed host to the requests they name (Cloud Storage: one bucket's objects).
    ``max_body_bytes`` bounds the bodies the guard reads (and what a compressed one decodes
    to); a larger body is refused (``egress.body_size``).

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
    path_rules: frozenset[PathRule] = frozenset()
    #: Managed-identity token URLs (Azure's metadata service, ``IDENTITY_ENDPOINT``): their
    #: origin takes ``GET`` of exactly that path and nothing else.
    token_urls: frozenset[str] = frozenset()
    #: Entra token URLs on a loopback ``AZURE_AUTHORITY_HOST`` (a local stand-in): their
    #: origin takes ``POST`` of exactly that path and nothing else.
    token_posts: frozenset[str] = frozenset()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    _by_host: Mapping[str, frozenset[Origin]] = field(init=False, repr=False, compare=False)
    _identity: Mapping[str, tuple[re.Pattern[str], ...]] = field(
        init=False, repr=False, compare=False
    )
    _metadata: Mapping[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)
    _paths: Mapping[str, tuple[tuple[str, re.Pattern[str]], ...]] = field(
        init=False, repr=False, compare=False
    )
    _scan: Callable[[str], Iterable[Finding]] | None = field(init=False, repr=False, compare=False)
    # Token endpoints by origin: the one method and path each takes, and what it is.
    _tokens: Mapping[Origin, tuple[str, str, str]] = field(init=False, repr=False, compare=False)

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
        unknown = set(self.identity_hosts) - set(IDENTITY_TOKEN_PATHS) - set(METADATA_TOKEN_PATHS)
        if unknown:
            raise ConfigError(f"egress: no token endpoints known for {sorted(unknown)}")
        identity = {
            host: tuple(re.compile(p) for p in IDENTITY_TOKEN_PATHS[host])
            for host in self.identity_hosts
            if host in IDENTITY_TOKEN_PATHS
        }
        metadata = {
            host: re.compile(METADATA_TOKEN_PATHS[host])
            for host in self.identity_hosts
            if host in METADATA_TOKEN_PATHS
        }
        scan = self.scanner
        if scan is None and self.block_types:
            scan = detector_scanner(detectors_for(self.block_types))
        object.__setattr__(self, "_by_host", {h: frozenset(o) for h, o in by_host.items()})
        object.__setattr__(self, "_identity", identity)
        object.__setattr__(self, "_metadata", metadata)
        object.__setattr__(self, "_scan", scan)
        paths: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for rule in self.path_rules:
            if rule.host not in by_host:
                raise ConfigError(f"egress: a path rule for {rule.host}, which is not allowed")
            paths.setdefault(rule.host, []).append((rule.method, re.compile(rule.path)))
        object.__setattr__(self, "_paths", {h: tuple(r) for h, r in paths.items()})
        tokens: dict[Origin, tuple[str, str, str]] = {}
        for urls, method, what in (
            (self.token_urls, "GET", "a managed-identity endpoint"),
            (self.token_posts, "POST", "the Entra authority of AZURE_AUTHORITY_HOST"),
        ):
            for url in urls:
                try:
                    tokens[Origin.of(url)] = (method, httpx2.URL(url).path, what)
                except (ValueError, httpx2.InvalidURL):
                    raise ConfigError(f"egress: a token URL of {what} does not parse") from None
        object.__setattr__(self, "_tokens", tokens)

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
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
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
            max_body_bytes=max_body_bytes,
        )

    @classmethod
    def from_config(
        cls,
        provider: ProviderConfig,
        policy: PolicyConfig,
        *,
        terms: Mapping[str, Iterable[str]] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> EgressPolicy:
        """The guard for one provider section: only that provider's own endpoint (plus the
        identity hosts its auth mode uses), and only if ``policy`` admits the endpoint at
        all; otherwise every request is refused at the transport too.

        ``env`` (the client's environment) names Azure's ``IDENTITY_ENDPOINT`` for Entra ID
        managed identity. ``terms`` (type -> terms) lets ``egress_block_types`` include
        term-list types such as ``PERSON``. Bodies to a self-hosted endpoint are not scanned:
        that is where sensitive requests are routed on purpose.

        >>> from privllm.config import PolicyConfig, ProviderConfig
        >>> section = ProviderConfig(name="openai", openai={"data_residency": "eu"})
        >>> guard = EgressPolicy.from_config(section, PolicyConfig())
        >>> [str(o) for o in guard.origins], sorted(guard.block_types)[:2]
        (['https://eu.api.openai.com:443'], ['CREDIT_CARD', 'IBAN'])
        """
        return cls(**guard_scope(provider, policy, terms, env))

    # -- checking (sans-IO) --------------------------------------------------------------------

    def check_url(self, url: str | httpx2.URL, method: str = "POST") -> None:
        """Raise ``EgressBlocked`` unless a ``method`` request to ``url`` may be sent
        (destination rules only: scheme, userinfo, host, IP, port, identity paths)."""
        try:
            parsed = url if isinstance(url, httpx2.URL) else httpx2.URL(url)
        except httpx2.InvalidURL:
            raise blocked("egress.host_syntax", None, "the URL does not parse") from None
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
        self.check_content(request, self.check_destination(request))

    def check_response(self, url: httpx2.URL, method: str, response: httpx2.Response) -> None:
        """Refuse a redirect whose ``Location`` the guard would not let a request reach.

        ``url`` and ``method`` are those the guard checked (an inner transport may rewrite
        ``request.url``). The next hop (if a client follows it) passes through the guard
        again; refusing here keeps a 307/308 from re-sending the body, and the API key
        headers httpx forwards across origins, anywhere the guard would not allow.
        """
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
            raise blocked(
                "egress.redirect", origin_host, "the redirect Location does not parse"
            ) from None
        # What httpx would send next: 307/308 repeat the method and body, others use GET.
        next_method = method if status in (307, 308) or method == "HEAD" else "GET"
        try:
            self._target(target, next_method)
        except EgressBlocked as exc:
            raise blocked(
                "egress.redirect",
                exc.host,
                f"{status} redirect from {origin_host} to a refused destination ({exc.rule})",
            ) from None

    # -- the rules -----------------------------------------------------------------------------

    def _target(self, url: httpx2.URL, method: str) -> _Target:
        scheme = url.scheme
        if scheme not in DEFAULT_PORTS:
            raise blocked("egress.scheme", None, f"scheme {safe_text(scheme)!r} is not allowed")
        raw = url.raw_host
        if url.userinfo:
            # The part before "@" is what a reader sees as the host; the real host follows.
            raise blocked(
                "egress.userinfo",
                safe_text(raw.decode("ascii", "replace")),
                "the URL carries userinfo, which hides the host it really reaches",
            )
        try:
            host = normalize_host(raw)
        except ValueError:
            shown = safe_text(raw.decode("ascii", "replace"))
            raise blocked(
                "egress.host_syntax", shown, "the host is not a plain DNS name or IP literal"
            ) from None
        ip = ip_literal(host)
        if ip is False:
            raise blocked(
                "egress.ip_literal",
                host,
                f"{host} is a numeric IP form that resolvers read as an address",
            )
        port = url.port or DEFAULT_PORTS[scheme]
        origin = Origin(scheme, host, port)
        token = self._tokens.get(origin)
        if token is not None:
            method_only, path_only, what = token
            if method != method_only or url.path != path_only:
                raise blocked(
                    "egress.identity",
                    host,
                    f"{host} is {what}: only {method_only} of a token",
                )
            return _Target(origin, identity=True)
        token_path = self._metadata.get(host)
        if token_path is not None:
            if (
                scheme != "http"
                or port != 80
                or method != "GET"
                or not token_path.fullmatch(url.path)
            ):
                raise blocked(
                    "egress.identity",
                    host,
                    f"{host} is the metadata server: only GET of a service account's token",
                )
            return _Target(origin, identity=True)
        patterns = self._identity.get(host)
        if patterns is not None:
            if (
                scheme != "https"
                or port != 443
                or method != "POST"
                or not any(p.fullmatch(url.path) for p in patterns)
            ):
                raise blocked(
                    "egress.identity",
                    host,
                    f"{host} is an identity host: only https POST to its token endpoint",
                )
            return _Target(origin, identity=True)
        allowed = self._by_host.get(host)
        if not allowed:
            if ip is not None:
                raise blocked("egress.ip_literal", host, f"{host} is not an allowed address")
            kind = host_kind(host, self.self_hosted_hosts)
            what = {"consumer": "a consumer product", "unknown": "an unknown host"}.get(
                kind, f"an {kind} host" if kind.startswith("e") else f"a {kind} host"
            )
            raise blocked("egress.host", host, f"{host} ({what}) is not an allowed destination")
        if origin in allowed:
            rules = self._paths.get(host)
            if rules is not None:
                path = url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")
                if not any(m == method and p.fullmatch(path) for m, p in rules):
                    raise blocked(
                        "egress.host",
                        host,
                        f"{host} is allowed for some requests only, and not this "
                        f"{safe_text(method)}",
                    )
            return _Target(origin, identity=False)
        if not any(o.scheme == scheme for o in allowed):
            raise blocked(
                "egress.scheme", host, f"{scheme}:// to {host} is not allowed (only https)"
            )
        ports = ", ".join(str(o.port) for o in sorted(allowed) if o.scheme == scheme)
        raise blocked("egress.port", host, f"port {port} on {host} is not allowed ({ports})")

    def check_destination(self, request: httpx2.Request) -> _Target:
        """The host, scheme, port, method and path rules, and the Host header and TLS name
        against the URL: everything decided before the body is read. Returns what
        :meth:`check_content` needs (an opaque value)."""
        target = self._target(request.url, request.method)
        host = target.origin.host
        values = request.headers.get_list("host")
        netloc = request.url.netloc.decode("ascii", "replace")
        if len(values) != 1 or (values[0] != netloc and not _same_host(values[0], target)):
            raise blocked(
                "egress.host_header", host, "the Host header names another host than the URL"
            )
        sni = request.extensions.get("sni_hostname")
        if sni is not None and not _same_name(sni, host):
            raise blocked("egress.host_header", host, "the TLS server name differs from the URL")
        for name, _ in request.headers.raw:
            if name.startswith(b":"):
                raise blocked(
                    "egress.host_header", host, "HTTP/2 pseudo-headers cannot be set by callers"
                )
        return target

    def check_content(self, request: httpx2.Request, target: _Target) -> None:
        """The body rules (``store``, the scan) for a request whose destination passed and
        whose body has been read."""
        # Token requests carry credentials by design; they go only to their token paths.
        if target.identity or not (self.require_no_store or self._scan is not None):
            return
        check_body(
            request,
            target.origin.host,
            require_no_store=self.require_no_store,
            scan=self._scan,
            block_types=self.block_types,
            max_bytes=self.max_body_bytes,
        )


# -- helpers -----------------------------------------------------------------------------------


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
    port = parsed.port or DEFAULT_PORTS[target.origin.scheme]
    return (host, port) == (target.origin.host, target.origin.port)
