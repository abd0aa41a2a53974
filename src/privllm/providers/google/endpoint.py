"""Where a Google provider section sends data: host, region and data use, from config (no IO)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from privllm.types import Endpoint

if TYPE_CHECKING:
    from privllm.config import GoogleConfig

__all__ = ["google_endpoint"]

_GEMINI_HOST = "generativelanguage.googleapis.com"
_MULTI_REGIONS = {"us", "eu"}


def google_endpoint(settings: GoogleConfig) -> Endpoint:
    """Where ``settings`` send data and what Google may do with it (no IO)."""
    if settings.mode == "gemini_api":
        base_url = settings.base_url or f"https://{_GEMINI_HOST}/"
        free = settings.tier == "free"
        return Endpoint(
            provider="google",
            base_url=base_url,
            host=_host(base_url),
            kind="enterprise_api",
            # Unpaid Services: content may improve Google products and be human-reviewed.
            trains_on_data=free,
            stores_data=free,
        )
    location = settings.location
    if location == "global":
        default = "https://aiplatform.googleapis.com/"
    elif location in _MULTI_REGIONS:
        default = f"https://aiplatform.{location}.rep.googleapis.com/"
    else:
        default = f"https://{location}-aiplatform.googleapis.com/"
    base_url = settings.base_url or default
    region = None if location == "global" else location
    return Endpoint(
        provider="google",
        base_url=base_url,
        host=_host(base_url),
        kind="enterprise_api",
        region=region,
        data_zone=_data_zone(location),
    )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _data_zone(location: str) -> str | None:
    # Only the multi-regions name a zone; "europe-*" is not all EU (europe-west2 is London,
    # europe-west6 Zurich), and "global" promises no processing location at all.
    return location if location in _MULTI_REGIONS else None
