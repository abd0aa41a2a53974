"""A drop-in for the ``openai`` SDK: change the import line, keep the code.

>>> from privllm.openai import OpenAI  # was: from openai import OpenAI

``OpenAI``, ``AsyncOpenAI``, ``AzureOpenAI`` and ``AsyncAzureOpenAI`` take the SDK's
constructor arguments (plus privllm's config) and offer its resource tree:
``chat.completions.create`` (``stream=True`` too), ``parse`` and the ``stream()`` helper,
``responses.create`` (the Responses API, ``stream=True`` too; ``store`` is sent as false
unless policy allows storing) and ``responses.parse``, ``embeddings.create``,
``models.list``, ``with_options`` and ``with_raw_response`` (the provider's response
headers), with ``extra_headers`` / ``extra_query`` / ``extra_body`` per call and
``default_headers`` / ``default_query``. Every call runs through a privllm ``Client`` /
``AsyncClient``'s chain (redaction, policy, audit, the egress guard) and returns the SDK's
own types (``ChatCompletion``, chunks of ``ChatCompletionChunk``, ``ParsedChatCompletion``,
``Response`` and ``ResponseStreamEvent``, ``CreateEmbeddingResponse``). Errors are the
SDK's classes and privllm's at once (``privllm.openai.RateLimitError`` is an
``openai.RateLimitError`` and a ``privllm.errors.RateLimitError``), errors raised before
sending too (``privllm.openai.RedactionBlocked`` is an ``openai.PermissionDeniedError``
and a ``privllm.errors.RedactionBlocked``). Endpoints privllm does
not carry (files, batches, assistants, realtime, fine-tuning, stored responses...) raise
:class:`EndpointNotCovered`, naming the privllm way, and send nothing. See docs/migrate.md.

Importing this module imports the ``openai`` SDK; ``import privllm`` does not.
"""

from ._azure import AsyncAzureOpenAI, AzureOpenAI
from ._clients import AsyncOpenAI, OpenAI
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuditError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ContentFilterError,
    ContentFilterFinishReasonError,
    EgressBlocked,
    EndpointNotCovered,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PolicyViolation,
    RateLimitError,
    RedactionBlocked,
    RedactionError,
    UnprocessableEntityError,
    VaultConflictError,
    VaultError,
)
from ._resources import RawResponse
from ._streams import AsyncStream, Stream

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAzureOpenAI",
    "AsyncOpenAI",
    "AsyncStream",
    "AuditError",
    "AuthenticationError",
    "AzureOpenAI",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ContentFilterError",
    "ContentFilterFinishReasonError",
    "EgressBlocked",
    "EndpointNotCovered",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "OpenAI",
    "PermissionDeniedError",
    "PolicyViolation",
    "RateLimitError",
    "RawResponse",
    "RedactionBlocked",
    "RedactionError",
    "Stream",
    "UnprocessableEntityError",
    "VaultConflictError",
    "VaultError",
]
