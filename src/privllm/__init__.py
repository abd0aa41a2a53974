"""privllm: use hosted LLMs on confidential data without leaking it.

>>> import privllm
>>> privllm.Config().provider.name
'openai'

Importing privllm does no IO and imports no provider SDK; a provider's SDK is imported when
a client for that provider is built.
"""

from . import errors, types
from .client import AsyncChatStream, AsyncClient, ChatStream, Client, StructuredOutputError
from .config import Config, load_config
from .conversation import Conversation
from .errors import PolicyViolation, PrivllmError, ProviderError
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

__all__ = [
    "AsyncChatStream",
    "AsyncClient",
    "CallContext",
    "ChatChunk",
    "ChatRequest",
    "ChatResponse",
    "ChatStream",
    "Client",
    "Config",
    "Conversation",
    "EmbeddingResponse",
    "Endpoint",
    "Message",
    "Middleware",
    "PolicyViolation",
    "PrivllmError",
    "ProviderError",
    "StructuredOutputError",
    "ToolCall",
    "ToolDefinition",
    "__version__",
    "errors",
    "load_config",
    "types",
]
