"""``Origin``: where a request connects (scheme, normalised host, effective port)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from privllm.policy.endpoints import ip_literal, normalize_host

__all__ = ["DEFAULT_PORTS", "Origin"]

DEFAULT_PORTS = {"https": 443, "http": 80}


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
        if scheme not in DEFAULT_PORTS:
            raise ValueError("only http and https URLs have origins here")
        if parsed.userinfo:
            raise ValueError("URL carries userinfo")
        host = normalize_host(parsed.raw_host)
        if ip_literal(host) is False:
            raise ValueError("numeric host forms are not allowed; write the dotted quad")
        return cls(scheme, host, parsed.port or DEFAULT_PORTS[scheme])

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"
