"""LlamaIndex models over privllm: every call through redaction, policy, the egress guard and
the audit log (``pip install 'privllm[llamaindex]'``).

``PrivllmLLM`` is a LlamaIndex ``FunctionCallingLLM`` shaped like llama-index-llms-openai's
``OpenAI``: ``chat``/``complete``, ``stream_chat``/``stream_complete``, their async twins,
tool calling (``chat_with_tools``, ``predict_and_call``, agents such as ``FunctionAgent``)
and structured output (``structured_predict``, ``as_structured_llm``).
``PrivllmEmbedding`` is a LlamaIndex ``BaseEmbedding``. Both call a privllm client, which
does all the work: this module only translates messages and chunks.

    >>> from privllm.integrations.llamaindex import PrivllmLLM
    >>> llm = PrivllmLLM(config="privllm.toml")                              # doctest: +SKIP
    >>> llm.complete("Summarise the ticket from jane@example.com").text       # doctest: +SKIP

``PrivllmLLM(config=..., client_options={...})`` builds a ``Client`` and an ``AsyncClient``
from one config when first used (``client_options`` are ``Client(...)``'s keyword
arguments); or pass your own, ``PrivllmLLM(client=Client(...), async_client=AsyncClient(...))``.

Not sent: image, audio, video and document blocks, which privllm refuses with
``InvalidRequestError`` as it cannot redact what it cannot read.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from privllm.client import AsyncClient, Client
from privllm.core import USE_CLIENT_DEFAULT, TimeoutLike
from privllm.integrations._clients import ClientSource, ConfigLike

try:
    from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
    from llama_index.core.base.llms.generic_utils import (
        achat_to_completion_decorator,
        astream_chat_to_completion_decorator,
        chat_to_completion_decorator,
        stream_chat_to_completion_decorator,
    )
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        ChatResponseAsyncGen,
        ChatResponseGen,
        CompletionResponse,
        CompletionResponseAsyncGen,
        CompletionResponseGen,
        LLMMetadata,
        MessageRole,
        ToolCallBlock,
    )
    from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
    from llama_index.core.llms.function_calling import FunctionCallingLLM
    from llama_index.core.llms.llm import ToolSelection
except ImportError as exc:  # the extra is not installed
    raise ImportError(
        "privllm.integrations.llamaindex needs LlamaIndex: pip install 'privllm[llamaindex]'"
    ) from exc

from privllm.integrations._llamaindex_messages import (
    ChunkJoiner,
    chat_response,
    to_privllm_messages,
)

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = ["PrivllmEmbedding", "PrivllmLLM"]


class _Clients(BaseModel):
    """What both models share: the privllm clients they call, handed over (``client``,
    ``async_client``) or built from one config when first used."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: Client | None = Field(default=None, exclude=True)
    """The privllm client for sync calls."""
    async_client: AsyncClient | None = Field(default=None, exclude=True)
    """The privllm client for async calls."""
    config: ConfigLike = Field(default=None, exclude=True)
    """A config path or ``privllm.Config``: both clients are built from it."""
    client_options: dict[str, Any] = Field(default_factory=dict, exclude=True)
    """Keyword arguments for ``Client(...)``/``AsyncClient(...)`` when they are built."""
    timeout: float | None = None
    """Seconds per call (the client's ``provider.timeout`` if not set)."""
    additional_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Provider-specific options, sent as privllm's ``extra``."""

    _clients: ClientSource = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        self._clients = ClientSource(
            type(self).__name__,
            client=self.client,
            async_client=self.async_client,
            config=self.config,
            options=self.client_options,
        )

    def close(self) -> None:
        """Close the privllm client this model built for sync calls (clients passed in
        belong to the caller); ``aclose()`` closes the async one too."""
        self._clients.close()

    async def aclose(self) -> None:
        await self._clients.aclose()

    def _call_timeout(self, timeout: float | None) -> TimeoutLike:
        return USE_CLIENT_DEFAULT if timeout is None else timeout


class PrivllmLLM(_Clients, FunctionCallingLLM):
    """A LlamaIndex LLM whose every call goes through a privllm client.

    >>> from privllm.testing import OpenAIServer
    >>> with OpenAIServer() as server:
    ...     llm = PrivllmLLM(client_options={"provider": server.provider_config(),
    ...                                      "env": {}, "audit": {"enabled": False}})
    ...     print(llm.complete("Hello").text)
    ...     llm.close()
    Hello
    """

    model: str | None = None
    """The model (``provider.model`` of the client's config if not set)."""
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    seed: int | None = None
    context_window: int = DEFAULT_CONTEXT_WINDOW
    """The model's context window, for LlamaIndex's prompt packing (privllm cannot know it)."""

    @classmethod
    def class_name(cls) -> str:
        return "PrivllmLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens or DEFAULT_NUM_OUTPUTS,
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=self.model or self._clients.model() or "privllm",
        )

    def _arguments(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """privllm's ``chat``/``stream`` keyword arguments for one call."""
        kwargs = dict(kwargs)
        timeout = kwargs.pop("timeout", self.timeout)
        arguments = {
            "model": kwargs.pop("model", None) or self.model,
            "temperature": kwargs.pop("temperature", self.temperature),
            "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
            "top_p": kwargs.pop("top_p", self.top_p),
            "seed": kwargs.pop("seed", self.seed),
            "stop": kwargs.pop("stop", None),
            "tools": kwargs.pop("tools", None),
            "tool_choice": kwargs.pop("tool_choice", None),
            "response_format": kwargs.pop("response_format", None),
            "timeout": self._call_timeout(timeout),
        }
        extra = {**self.additional_kwargs, **kwargs}
        if extra:
            arguments["extra"] = extra
        return arguments

    # -- chat ----------------------------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        client = self._clients.sync()
        response = client.chat(to_privllm_messages(messages), **self._arguments(kwargs))
        return chat_response(response)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        client = self._clients.async_()
        arguments = self._arguments(kwargs)
        response = await client.chat(to_privllm_messages(messages), **arguments)
        return chat_response(response)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        client = self._clients.sync()
        sent = to_privllm_messages(messages)
        arguments = self._arguments(kwargs)

        def gen() -> Generator[ChatResponse, None, None]:
            joiner = ChunkJoiner()
            with client.stream(sent, **arguments) as stream:
                for chunk in stream:
                    item = joiner(chunk)
                    if item is not None:
                        yield item

        return gen()

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        client = self._clients.async_()
        sent = to_privllm_messages(messages)
        arguments = self._arguments(kwargs)

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            joiner = ChunkJoiner()
            async with client.stream(sent, **arguments) as stream:
                async for chunk in stream:
                    item = joiner(chunk)
                    if item is not None:
                        yield item

        return gen()

    # -- complete (a one-message chat) ---------------------------------------------------------

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return chat_to_completion_decorator(self.chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return await achat_to_completion_decorator(self.achat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return stream_chat_to_completion_decorator(self.stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return await astream_chat_to_completion_decorator(self.astream_chat)(prompt, **kwargs)

    # -- tools ---------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """As llama-index-llms-openai: the tools' OpenAI specs; ``tool_required`` forces a
        call, ``tool_choice`` names one."""
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        choice: Any = None
        if specs:
            choice = tool_choice or ("required" if tool_required else "auto")
        return {"messages": messages, "tools": specs or None, "tool_choice": choice, **kwargs}

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
            if len(calls) > 1:
                others = [b for b in response.message.blocks if not isinstance(b, ToolCallBlock)]
                response.message.blocks = [*others, calls[0]]
                listed = response.message.additional_kwargs.get("tool_calls")
                if listed:
                    response.message.additional_kwargs["tool_calls"] = listed[:1]
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
        if not calls and error_on_no_tool_call:
            raise ValueError(f"Expected at least one tool call, but got {len(calls)} tool calls.")
        return [
            ToolSelection(
                tool_id=b.tool_call_id or b.tool_name,
                tool_name=b.tool_name,
                tool_kwargs=b.tool_kwargs if isinstance(b.tool_kwargs, dict) else {},
            )
            for b in calls
        ]


class PrivllmEmbedding(_Clients, BaseEmbedding):
    """A LlamaIndex embedding model through a privllm client (inputs redacted as configured
    in ``redaction.embeddings``).

        >>> from privllm.testing import OpenAIServer
        >>> with OpenAIServer() as server:
        ...     emb = PrivllmEmbedding(client_options={"provider": server.provider_config(),
        ...                                            "env": {}, "audit": {"enabled": False}})
        ...     print(len(emb.get_text_embedding_batch(["a", "b"])))
        ...     emb.close()
        2
    """

    model_config = ConfigDict(protected_namespaces=())

    model_name: str = ""
    """The embedding model (``provider.embedding_model`` if empty)."""
    dimensions: int | None = None

    @classmethod
    def class_name(cls) -> str:
        return "PrivllmEmbedding"

    def _arguments(self) -> dict[str, Any]:
        return {
            "model": self.model_name or None,
            "dimensions": self.dimensions,
            "extra": self.additional_kwargs or None,
            "timeout": self._call_timeout(self.timeout),
        }

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._clients.sync().embed(texts, **self._arguments()).vectors

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return (await self._clients.async_().embed(texts, **self._arguments())).vectors

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aget_text_embeddings([text]))[0]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await self._aget_text_embedding(query)
