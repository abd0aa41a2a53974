"""LangChain models over privllm: every call through redaction, policy, the egress guard and
the audit log (``pip install 'privllm[langchain]'``).

``ChatPrivllm`` is a LangChain chat model (``BaseChatModel``) shaped like langchain-openai's
``ChatOpenAI``: ``invoke``/``ainvoke``, ``stream``/``astream`` with tool-call chunks,
``bind_tools``, ``with_structured_output`` (``json_schema``, ``function_calling``,
``json_mode``), ``usage_metadata`` and ``response_metadata`` (``model_name``,
``finish_reason``). ``PrivllmEmbeddings`` is LangChain ``Embeddings``. Both call a privllm
client, which does all the work: this module only translates messages and chunks.

    >>> from privllm.integrations.langchain import ChatPrivllm
    >>> llm = ChatPrivllm(config="privllm.toml")                     # doctest: +SKIP
    >>> llm.invoke("Summarise the ticket from jane@example.com").content  # doctest: +SKIP

``ChatPrivllm(config=..., client_options={...})`` builds a ``Client`` and an ``AsyncClient``
from one config when first used (``client_options`` are ``Client(...)``'s keyword
arguments: ``provider={...}``, ``env={}``, ``middleware=[...]``...); or pass your own,
``ChatPrivllm(client=Client(...), async_client=AsyncClient(...))``.

Not sent: message ``name`` fields (privllm does not redact them) and non-text content
(images, audio, files), which privllm refuses with ``InvalidRequestError`` as it cannot
redact what it cannot read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from privllm import USE_CLIENT_DEFAULT
from privllm.client import AsyncClient, Client
from privllm.integrations._clients import ClientSource, ConfigLike

try:
    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import LangSmithParams, LanguageModelInput
    from langchain_core.language_models.chat_models import (
        BaseChatModel,
        agenerate_from_stream,
        generate_from_stream,
    )
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
    from langchain_core.output_parsers.openai_tools import (
        JsonOutputKeyToolsParser,
        PydanticToolsParser,
    )
    from langchain_core.outputs import ChatGenerationChunk, ChatResult
    from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
    from langchain_core.tools import BaseTool
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from langchain_core.utils.pydantic import is_basemodel_subclass
except ImportError as exc:  # the extra is not installed
    raise ImportError(
        "privllm.integrations.langchain needs LangChain: pip install 'privllm[langchain]'"
    ) from exc

from privllm.integrations._langchain_messages import (
    generation_chunk,
    json_schema_format,
    last_chunk,
    openai_tool_choice,
    result,
    to_privllm_messages,
)

__all__ = ["ChatPrivllm", "PrivllmEmbeddings"]

StructuredMethod = Literal["function_calling", "json_mode", "json_schema"]


class ChatPrivllm(BaseChatModel):
    """A LangChain chat model whose every call goes through a privllm client.

    Constructor arguments are langchain-openai's where they mean the same thing (``model``,
    ``temperature``, ``max_tokens``, ``stop``, ``timeout``, ``max_retries``, ``api_key``,
    ``base_url``, ``streaming``, ``model_kwargs``); ``config`` and ``client_options`` say
    how to build the privllm clients, or ``client`` / ``async_client`` hand them over.

        >>> from privllm.testing import OpenAIServer
        >>> with OpenAIServer() as server:
        ...     llm = ChatPrivllm(client_options={"provider": server.provider_config(),
        ...                                        "env": {}})
        ...     print(llm.invoke("Hello").content)
        ...     llm.close()  # the clients it built
        Hello
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    client: Client | None = Field(default=None, exclude=True)
    """The privllm client for sync calls."""
    async_client: AsyncClient | None = Field(default=None, exclude=True)
    """The privllm client for async calls."""
    config: ConfigLike = Field(default=None, exclude=True)
    """A config path or ``privllm.Config``: both clients are built from it."""
    client_options: dict[str, Any] = Field(default_factory=dict, exclude=True)
    """Keyword arguments for ``Client(...)``/``AsyncClient(...)`` when they are built."""
    model: str | None = Field(default=None, alias="model_name")
    """The model (``provider.model`` of the client's config if not set)."""
    temperature: float | None = None
    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    timeout: float | None = Field(default=None, alias="request_timeout")
    """Seconds per call (the client's ``provider.timeout`` if not set)."""
    max_retries: int | None = None
    """``provider.max_retries`` of the clients built here."""
    api_key: SecretStr | None = Field(default=None, exclude=True)
    """The provider key of the clients built here (else from config / environment)."""
    base_url: str | None = None
    """The provider address of the clients built here (Azure: its ``endpoint``)."""
    streaming: bool = False
    """Stream even when called with ``invoke`` (callbacks see each token)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Provider-specific options, sent as privllm's ``extra`` (e.g. ``{"logprobs": True}``)."""

    _clients: ClientSource = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        self._clients = ClientSource(
            "ChatPrivllm",
            client=self.client,
            async_client=self.async_client,
            config=self.config,
            options=self.client_options,
            api_key=self.api_key,
            base_url=self.base_url,
            max_retries=self.max_retries,
        )

    def close(self) -> None:
        """Close the privllm client this model built for sync calls (clients passed in
        belong to the caller). ``aclose()`` closes an async one too. Calls after closing
        raise :class:`~privllm.errors.ClientClosedError`."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the privllm clients this model built, sync and async."""
        await self._clients.aclose()

    @property
    def _llm_type(self) -> str:
        return "privllm-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self._model_name(),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": self.stop,
            **self.model_kwargs,
        }

    def _model_name(self, override: Any = None) -> str:
        if isinstance(override, str):
            return override
        return self.model or self._clients.model() or ""

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="privllm",
            ls_model_name=self._model_name(kwargs.get("model")),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        if stop := stop or self.stop:
            params["ls_stop"] = stop
        return params

    # -- calls ---------------------------------------------------------------------------------

    def _arguments(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        """privllm's ``chat``/``stream`` keyword arguments for one call."""
        kwargs = dict(kwargs)
        kwargs.pop("stream", None)  # LangChain's own switch; privllm streams by method
        timeout = kwargs.pop("timeout", self.timeout)
        arguments = {
            "model": kwargs.pop("model", None) or self.model,
            "temperature": kwargs.pop("temperature", self.temperature),
            "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
            "top_p": kwargs.pop("top_p", self.top_p),
            "seed": kwargs.pop("seed", self.seed),
            "stop": stop or self.stop or None,
            "tools": kwargs.pop("tools", None),
            "tool_choice": kwargs.pop("tool_choice", None),
            "response_format": kwargs.pop("response_format", None),
            "timeout": USE_CLIENT_DEFAULT if timeout is None else timeout,
        }
        if "max_completion_tokens" in kwargs:
            arguments["max_completion_tokens"] = kwargs.pop("max_completion_tokens")
        extra = {**self.model_kwargs, **kwargs}
        if extra:
            arguments["extra"] = extra
        return arguments

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        client = self._clients.sync()
        response = client.chat(to_privllm_messages(messages), **self._arguments(stop, kwargs))
        return result(response)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))
        client = self._clients.async_()
        arguments = self._arguments(stop, kwargs)
        response = await client.chat(to_privllm_messages(messages), **arguments)
        return result(response)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        client = self._clients.sync()
        arguments = self._arguments(stop, kwargs)
        with client.stream(to_privllm_messages(messages), **arguments) as stream:
            for chunk in stream:
                generation = generation_chunk(chunk)
                if generation is None:
                    continue
                if run_manager:
                    run_manager.on_llm_new_token(generation.text, chunk=generation)
                yield generation
        if stream.response is not None:
            yield last_chunk(stream.response)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        client = self._clients.async_()
        arguments = self._arguments(stop, kwargs)
        async with client.stream(to_privllm_messages(messages), **arguments) as stream:
            async for chunk in stream:
                generation = generation_chunk(chunk)
                if generation is None:
                    continue
                if run_manager:
                    await run_manager.on_llm_new_token(generation.text, chunk=generation)
                yield generation
        if stream.response is not None:
            yield last_chunk(stream.response)

    # -- tools and structured output -----------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Tools in any form LangChain takes (``BaseTool``, functions, pydantic models, OpenAI
        dicts). ``tool_choice``: ``"auto"``, ``"none"``, ``"required"`` or ``"any"``, a tool
        name, ``True`` (the only tool) or OpenAI's dict. ``parallel_tool_calls`` is sent to
        OpenAI-protocol providers only (as ``extra``)."""
        formatted = [convert_to_openai_tool(t, strict=strict) for t in tools]
        names = [t["function"]["name"] for t in formatted]
        if tool_choice is not None and tool_choice is not False:
            kwargs["tool_choice"] = openai_tool_choice(tool_choice, names)
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredMethod = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answers parsed into ``schema`` (a pydantic class, TypedDict or JSON schema), as
        langchain-openai does: ``json_schema`` (the default) asks for JSON matching the
        schema, ``function_calling`` forces a call of a tool whose arguments are the schema,
        ``json_mode`` asks for any JSON object (say in the prompt which keys)."""
        if kwargs:
            raise ValueError(f"Received unsupported arguments {kwargs}")
        if strict is not None and method == "json_mode":
            raise ValueError("strict cannot be used with method='json_mode'")
        if schema is None and method != "json_mode":
            raise ValueError(f"schema is required for method={method!r}")
        pydantic_schema = isinstance(schema, type) and is_basemodel_subclass(schema)
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        llm: Runnable[LanguageModelInput, Any]
        parser: Runnable[Any, Any]
        if method == "function_calling":
            assert schema is not None
            name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools(
                [schema], tool_choice=name, strict=strict, ls_structured_output_format=trace
            )
            parser = (
                PydanticToolsParser(tools=[schema], first_tool_only=True)
                if pydantic_schema
                else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
            )
        elif method == "json_mode":
            trace = {"kwargs": {"method": method}, "schema": schema}
            llm = self.bind(
                response_format={"type": "json_object"}, ls_structured_output_format=trace
            )
            parser = (
                PydanticOutputParser(pydantic_object=schema)
                if pydantic_schema
                else JsonOutputParser()
            )
        elif method == "json_schema":
            assert schema is not None
            llm = self.bind(
                response_format=json_schema_format(schema, strict),
                ls_structured_output_format=trace,
            )
            if pydantic_schema:
                # One object when the answer is complete, as langchain-openai streams it.
                whole: PydanticOutputParser[Any] = PydanticOutputParser(pydantic_object=schema)
                parser = RunnableLambda(whole.invoke)
            else:
                parser = JsonOutputParser()
        else:
            raise ValueError(
                f"method must be 'json_schema', 'function_calling' or 'json_mode', not {method!r}"
            )
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        failed = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks([failed], exception_key="parsing_error")


class PrivllmEmbeddings(BaseModel, Embeddings):
    """LangChain ``Embeddings`` through a privllm client (inputs redacted as configured in
    ``redaction.embeddings``).

        >>> from privllm.testing import OpenAIServer
        >>> with OpenAIServer() as server:
        ...     emb = PrivllmEmbeddings(client_options={"provider": server.provider_config(),
        ...                                             "env": {}})
        ...     print(len(emb.embed_documents(["a", "b"])))
        ...     emb.close()
        2
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    client: Client | None = Field(default=None, exclude=True)
    async_client: AsyncClient | None = Field(default=None, exclude=True)
    config: ConfigLike = Field(default=None, exclude=True)
    client_options: dict[str, Any] = Field(default_factory=dict, exclude=True)
    model: str | None = None
    """The embedding model (``provider.embedding_model`` if not set)."""
    dimensions: int | None = None
    chunk_size: int = Field(default=1000, gt=0)
    """Texts per request."""
    timeout: float | None = Field(default=None, alias="request_timeout")
    max_retries: int | None = None
    api_key: SecretStr | None = Field(default=None, exclude=True)
    base_url: str | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)

    _clients: ClientSource = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._clients = ClientSource(
            "PrivllmEmbeddings",
            client=self.client,
            async_client=self.async_client,
            config=self.config,
            options=self.client_options,
            api_key=self.api_key,
            base_url=self.base_url,
            max_retries=self.max_retries,
        )

    def close(self) -> None:
        """Close the privllm client this embedding model built for sync calls (clients passed in
        belong to the caller). ``aclose()`` closes an async one too. Calls after closing
        raise :class:`~privllm.errors.ClientClosedError`."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the privllm clients this embedding model built, sync and async."""
        await self._clients.aclose()

    def _arguments(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "dimensions": self.dimensions,
            "extra": self.model_kwargs or None,
            "timeout": USE_CLIENT_DEFAULT if self.timeout is None else self.timeout,
        }

    def _batches(self, texts: list[str]) -> Iterator[list[str]]:
        for start in range(0, len(texts), self.chunk_size):
            yield texts[start : start + self.chunk_size]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        client = self._clients.sync()
        return [
            vector
            for batch in self._batches(texts)
            for vector in client.embed(batch, **self._arguments()).vectors
        ]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        client = self._clients.async_()
        vectors: list[list[float]] = []
        for batch in self._batches(texts):
            vectors.extend((await client.embed(batch, **self._arguments())).vectors)
        return vectors

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]
