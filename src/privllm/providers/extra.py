"""``extra=``: provider options passed through as given, except the keys privllm owns.

``extra`` is merged into the provider's request after redaction (OpenAI and Azure:
``extra_body``, which wins over the SDK's own fields; Google: the ``GenerateContentConfig``
fields). A key privllm itself sets from the redacted request (``messages``, ``tools``,
``system_instruction``...) given again in ``extra`` would replace the redacted value with one
that was never redacted, so such a key is refused before anything is sent. The error names
the key (always one from privllm's own list) and never its value.

>>> check_extra({"logprobs": True}, frozenset({"messages"}), "chat")
>>> try:
...     check_extra({"messages": ["SSN 536-22-1847"]}, frozenset({"messages"}), "chat")
... except InvalidRequestError as exc:
...     print(exc.field)
extra.messages
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from privllm.errors import InvalidRequestError

__all__ = [
    "RESERVED_HEADERS",
    "RESERVED_QUERY",
    "camel_to_snake",
    "check_extra",
    "check_headers",
    "check_query",
]

#: Headers privllm (or the SDK under it) sets: given again they would replace the configured
#: key, organization or body framing, so they are refused (compared lowercased).
RESERVED_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "cookie",
        "openai-organization",
        "openai-project",
        "host",
        "connection",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
    }
)
#: Query parameters privllm sets (Azure's API version comes from config).
RESERVED_QUERY = frozenset({"api-version"})

_UPPER = re.compile(r"(?<!^)(?=[A-Z])")


def camel_to_snake(key: str) -> str:
    """``systemInstruction`` -> ``system_instruction`` (google-genai accepts both spellings)."""
    return _UPPER.sub("_", key).lower()


def check_extra(
    extra: Mapping[str, Any],
    reserved: frozenset[str],
    what: str,
    *,
    spelling: Callable[[str], str] = str,
) -> None:
    """Raise :class:`~privllm.errors.InvalidRequestError` if ``extra`` has a ``reserved`` key.

    ``spelling`` maps a key to the form ``reserved`` is written in (for providers whose SDK
    accepts several spellings of one field)."""
    for key in extra:
        if not isinstance(key, str) or spelling(key) not in reserved:
            continue
        raise InvalidRequestError(
            f"extra: {key!r} is set by privllm from the redacted {what} request; "
            "it cannot be given in extra",
            fields=(f"extra.{key}",),
        )


def check_headers(headers: Mapping[str, Any]) -> None:
    """Refuse a header privllm sets itself (``RESERVED_HEADERS``, ``x-stainless-*``); the
    error names the header, never its value."""
    for name in headers:
        low = str(name).lower()
        if low in RESERVED_HEADERS or low.startswith("x-stainless"):
            raise InvalidRequestError(
                f"extra_headers: {name!r} is set by privllm (key, organization, body "
                "framing); it cannot be given per call",
                fields=(f"extra_headers.{name}",),
            )


def check_query(query: Mapping[str, Any]) -> None:
    """Refuse a query parameter privllm sets itself (``RESERVED_QUERY``)."""
    for name in query:
        if str(name).lower() in RESERVED_QUERY:
            raise InvalidRequestError(
                f"extra_query: {name!r} is set by privllm from config; it cannot be given per call",
                fields=(f"extra_query.{name}",),
            )
