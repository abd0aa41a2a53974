"""privllm: use hosted LLMs on confidential data without leaking it.

>>> import privllm
>>> privllm.Config().provider.name
'openai'

Importing privllm does no IO and imports no provider SDK; a provider's SDK is imported when
a client for that provider is built.
"""

from . import errors, types
from ._calls import USE_CLIENT_DEFAULT, UseClientDefault
from .client import AsyncChatStream, AsyncClient, ChatStream, Client
from .config import Config, load_config
from .conversation import Conversation
from .errors import (
    AuditError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigError,
    ContentFilteredError,
    DatasetError,
    EgressBlocked,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PolicyViolation,
    PrivllmError,
    ProviderConnectionError,
    ProviderError,
    ProviderStatusError,
    ProviderTimeoutError,
    RateLimitError,
    RedactionBlocked,
    RedactionError,
    ResponseError,
    ServerError,
    StructuredOutputError,
    TamperedLogError,
    UnpreparedFileError,
    VaultConflictError,
    VaultError,
    WrongKeyError,
)
from .middleware_entry import MiddlewareEntry
from .pipeline import CallContext, Middleware
from .types import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    EmbeddingResponse,
    Endpoint,
    Message,
    ToolCall,
    ToolDefinition,
)

__version__ = "0.1.0"

# Plainly sorted (tests/test_package.py), not isort-style with constants first.
__all__ = [  # noqa: RUF022
    "AsyncChatStream",
    "AsyncClient",
    "AuditError",
    "AuthenticationError",
    "BadRequestError",
    "CallContext",
    "ChatChunk",
    "ChatRequest",
    "ChatResponse",
    "ChatStream",
    "Client",
    "ClientClosedError",
    "Config",
    "ConfigError",
    "ContentFilteredError",
    "Conversation",
    "DatasetError",
    "EgressBlocked",
    "EmbeddingResponse",
    "Endpoint",
    "InvalidRequestError",
    "Message",
    "Middleware",
    "MiddlewareEntry",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyViolation",
    "PrivllmError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderStatusError",
    "ProviderTimeoutError",
    "RateLimitError",
    "RedactionBlocked",
    "RedactionError",
    "ResponseError",
    "ServerError",
    "StructuredOutputError",
    "TamperedLogError",
    "ToolCall",
    "ToolDefinition",
    "USE_CLIENT_DEFAULT",
    "UnpreparedFileError",
    "UseClientDefault",
    "VaultConflictError",
    "VaultError",
    "WrongKeyError",
    "__version__",
    "errors",
    "load_config",
    "types",
]
