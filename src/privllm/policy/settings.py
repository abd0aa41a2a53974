"""The ``[policy]`` section: where data may go. ``config.py`` composes it into ``Config``;
this module needs nothing but pydantic, as ``import privllm`` loads it.

>>> PolicyConfig().deny_consumer_endpoints, PolicyConfig().allowed_regions
(True, [])
"""

from __future__ import annotations

from pydantic import Field

from privllm.config_section import Section

__all__ = ["PolicyConfig"]


class PolicyConfig(Section):
    """Where data may go. Every rule is checked before any byte is sent, and again at the
    HTTP transport (the egress guard). Loosening a default is an explicit line of config."""

    deny_consumer_endpoints: bool = True
    #: Hosts privllm does not know (not an API, consumer or declared self-hosted host).
    deny_unknown_endpoints: bool = True
    #: Empty means any provider.
    allowed_providers: list[str] = Field(default_factory=list)
    #: Exact host names (after normalisation) allowed in addition to the known API hosts.
    allowed_hosts: list[str] = Field(default_factory=list)
    denied_hosts: list[str] = Field(default_factory=list)
    #: Regions or data zones (``swedencentral``, ``eu``); empty means any. Self-hosted
    #: endpoints are exempt (the data stays with you).
    allowed_regions: list[str] = Field(default_factory=list)
    #: Refuse endpoints that may train on the data (the Gemini API free tier).
    require_no_training: bool = True
    #: Send ``store=false`` to OpenAI/Azure and refuse a call that asks to store.
    require_no_store: bool = True
    #: Hosts you run yourself (vLLM, Ollama...). Loopback and private IPs count already.
    self_hosted_hosts: list[str] = Field(default_factory=list)
    #: Finding types that make a request sensitive (routed or refused, see below).
    sensitive_types: list[str] = Field(default_factory=list)
    #: A profile name in ``[providers]`` for sensitive requests, or ``"refuse"``.
    route_sensitive_to: str | None = None
    #: Profiles in ``[providers]`` tried in order on 429, 5xx and timeouts, if allowed.
    fallbacks: list[str] = Field(default_factory=list)
    #: The HTTP transport guard (host, scheme, port, redirects, body checks).
    egress_guard: bool = True
    #: Types the guard refuses to see in any outgoing body, whatever produced it.
    egress_block_types: list[str] = Field(
        default_factory=lambda: ["SECRET", "CREDIT_CARD", "US_SSN", "IBAN"]
    )
    #: The largest request body the guard reads (before and after gzip/deflate decoding);
    #: larger ones are refused, as a body it cannot read must not leave unread.
    egress_max_body_bytes: int = Field(default=256 * 2**20, gt=0)
    #: Websocket APIs (OpenAI Realtime, Gemini Live) bypass the HTTP guard, so the SDK
    #: clients privllm builds refuse them (``egress.websocket``) unless this is true.
    allow_websockets: bool = False
