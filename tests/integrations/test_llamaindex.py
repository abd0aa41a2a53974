"""privllm's LlamaIndex models seen from outside: a LlamaIndex app's PII never reaches the
provider, and comes back whole in what the app gets. Sync and async alike, on the OpenAI
protocol and on Gemini.

llama-index-core ships no standard test suite for integrations (LangChain's
``langchain-tests`` has no LlamaIndex counterpart), so these test the public behaviours:
the ``LLM`` and ``BaseEmbedding`` entry points, tool calling as LlamaIndex's own agents use
it, and structured output.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from privllm import AsyncClient, Client
from privllm.errors import ConfigError, InvalidRequestError
from privllm.integrations.llamaindex import PrivllmEmbedding, PrivllmLLM
from privllm.testing import GeminiServer, OpenAIServer, RecordedRequest, Reply

EMAIL = "jane.doe@example.com"
SSN = "536-22-1847"
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
SECRETS = (EMAIL, SSN, CARD, IBAN)
TICKET = f"Refund card {CARD} for {EMAIL} (SSN {SSN}), pay to IBAN {IBAN}."


def assert_none_sent(server: Any) -> None:
    received = server.received()
    for value in SECRETS:
        assert value.encode() not in received, value
        assert json.dumps(value).encode()[1:-1] not in received, value


class Driver:
    """One test body for LlamaIndex's sync and async entry points (the async ones on one
    event loop, as an app's would be)."""

    def __init__(self, kind: str, llm: PrivllmLLM) -> None:
        self.kind = kind
        self.llm = llm
        self.loop = asyncio.new_event_loop() if kind == "async" else None

    def _run(self, value: Any) -> Any:
        return value if self.loop is None else self.loop.run_until_complete(value)

    def chat(self, messages: list[ChatMessage], **kwargs: Any) -> Any:
        if self.loop is None:
            return self.llm.chat(messages, **kwargs)
        return self._run(self.llm.achat(messages, **kwargs))

    def complete(self, prompt: str) -> Any:
        if self.loop is None:
            return self.llm.complete(prompt)
        return self._run(self.llm.acomplete(prompt))

    def stream_chat(self, messages: list[ChatMessage], **kwargs: Any) -> list[Any]:
        if self.loop is None:
            return list(self.llm.stream_chat(messages, **kwargs))

        async def go() -> list[Any]:
            return [r async for r in await self.llm.astream_chat(messages, **kwargs)]

        return self._run(go())

    def stream_complete(self, prompt: str) -> list[Any]:
        if self.loop is None:
            return list(self.llm.stream_complete(prompt))

        async def go() -> list[Any]:
            return [r async for r in await self.llm.astream_complete(prompt)]

        return self._run(go())

    def chat_with_tools(self, tools: list[Any], **kwargs: Any) -> Any:
        if self.loop is None:
            return self.llm.chat_with_tools(tools, **kwargs)
        return self._run(self.llm.achat_with_tools(tools, **kwargs))

    def predict_and_call(self, tools: list[Any], **kwargs: Any) -> Any:
        if self.loop is None:
            return self.llm.predict_and_call(tools, **kwargs)
        return self._run(self.llm.apredict_and_call(tools, **kwargs))

    def structured_predict(self, cls: type[BaseModel], prompt: Any, **kwargs: Any) -> Any:
        if self.loop is None:
            return self.llm.structured_predict(cls, prompt, **kwargs)
        return self._run(self.llm.astructured_predict(cls, prompt, **kwargs))

    def close(self) -> None:
        if self.loop is None:
            self.llm.close()
            return
        self.loop.run_until_complete(self.llm.aclose())
        self.loop.close()


def provider_of(server: Any) -> dict[str, Any]:
    if isinstance(server, GeminiServer):
        return server.provider_config("gemini_api")
    config: dict[str, Any] = server.provider_config()
    return config


@pytest.fixture(params=["openai", "gemini"])
def server(request: pytest.FixtureRequest) -> Iterator[Any]:
    with OpenAIServer() if request.param == "openai" else GeminiServer() as s:
        yield s


@pytest.fixture(params=["sync", "async"])
def drive(request: pytest.FixtureRequest, server: Any) -> Iterator[Callable[..., Driver]]:
    made: list[Driver] = []

    def make(**kwargs: Any) -> Driver:
        options = {"provider": provider_of(server), "env": {}, "audit": {"enabled": False}}
        driver = Driver(str(request.param), PrivllmLLM(client_options=options, **kwargs))
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()


def user(text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=text)


# -- chat and complete -------------------------------------------------------------------------


def test_chat_sends_no_pii_and_returns_it_restored(drive, server):
    d = drive()
    messages = [ChatMessage(role=MessageRole.SYSTEM, content="You answer tickets."), user(TICKET)]
    response = d.chat(messages)  # the server echoes what it received
    assert response.message.role == MessageRole.ASSISTANT
    assert response.message.content == TICKET
    assert response.additional_kwargs["total_tokens"] > 0
    assert response.raw["finish_reason"] == "stop"
    assert b"[EMAIL_1]" in server.last.body
    assert_none_sent(server)


def test_complete_sends_no_pii(drive, server):
    d = drive()
    assert d.complete(TICKET).text == TICKET
    assert_none_sent(server)


def test_stream_chat_is_restored_across_chunks(drive, server):
    d = drive()
    server.reply(Reply.echo(chunks=9))  # placeholders cut across chunks
    responses = d.stream_chat([user(TICKET)])
    assert len(responses) > 2
    assert "".join(r.delta or "" for r in responses) == TICKET
    assert responses[-1].message.content == TICKET  # each holds the message so far
    assert_none_sent(server)


def test_stream_complete_is_restored(drive, server):
    d = drive()
    server.reply(Reply.echo(chunks=5))
    responses = d.stream_complete(TICKET)
    assert responses[-1].text == TICKET
    assert "".join(r.delta or "" for r in responses) == TICKET
    assert_none_sent(server)


def test_settings_reach_the_provider(drive, server):
    d = drive(temperature=0.3, max_tokens=50, seed=4)
    d.chat([user("hi")])
    sent = server.last.json()
    if isinstance(server, GeminiServer):
        generation = sent["generationConfig"]
        assert (generation["temperature"], generation["maxOutputTokens"]) == (0.3, 50)
        assert generation["seed"] == 4
    else:
        assert (sent["temperature"], sent["max_tokens"], sent["seed"]) == (0.3, 50, 4)


# -- tools -------------------------------------------------------------------------------------

SEEN: list[str] = []


def find_customer(email: str) -> str:
    """Look a customer up by email."""
    SEEN.append(email)
    return json.dumps({"email": email, "iban": IBAN})


def agent_model(request: RecordedRequest) -> Reply:
    """Calls find_customer with the email it was given (a placeholder on the wire), then
    answers from the tool's result (placeholders too). Either protocol."""
    data = request.json()
    if "messages" in data:
        last = data["messages"][-1]
        result = last["content"] if last["role"] == "tool" else None
    else:
        part = data["contents"][-1]["parts"][0]
        answer = part.get("functionResponse")
        # A JSON object goes to Google as the response itself; other text under "output".
        result = json.dumps(answer["response"]) if answer else None
    if result is not None:
        found = json.loads(result)
        return Reply.text(f"{found['email']} has IBAN {found['iban']}", chunks=4)
    return Reply.tool_call("find_customer", {"email": "[EMAIL_1]"})


def test_chat_with_tools_returns_calls_with_real_values(drive, server):
    d = drive()
    server.reply(Reply.tool_call("find_customer", {"email": "[EMAIL_1]"}))
    tool = FunctionTool.from_defaults(find_customer)
    response = d.chat_with_tools([tool], user_msg=f"Find {EMAIL}", tool_required=True)
    calls = d.llm.get_tool_calls_from_response(response)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("find_customer", {"email": EMAIL})]
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert blocks[0].tool_kwargs == {"email": EMAIL}
    sent = server.last.json()
    if isinstance(server, OpenAIServer):
        assert sent["tool_choice"] == "required"
        assert sent["tools"][0]["function"]["name"] == "find_customer"
    else:
        assert sent["tools"][0]["functionDeclarations"][0]["name"] == "find_customer"
        assert sent["toolConfig"]["functionCallingConfig"]["mode"] == "ANY"
    assert_none_sent(server)


def test_predict_and_call_runs_the_tool_with_real_values(drive, server):
    SEEN.clear()
    d = drive()
    server.reply(Reply.tool_call("find_customer", {"email": "[EMAIL_1]"}))
    output = d.predict_and_call([FunctionTool.from_defaults(find_customer)], user_msg=TICKET)
    assert SEEN == [EMAIL]
    assert json.loads(output.response)["iban"] == IBAN
    assert_none_sent(server)


def test_a_history_with_tool_calls_and_results_goes_back_redacted(drive, server):
    d = drive()
    server.reply(Reply.text("Done for [EMAIL_1]"))
    call = ToolCallBlock(tool_call_id="call_9", tool_name="find_customer",
                         tool_kwargs={"email": EMAIL})  # fmt: skip
    history = [
        user(f"Find {EMAIL}"),
        ChatMessage(role=MessageRole.ASSISTANT, blocks=[call]),
        ChatMessage(
            role=MessageRole.TOOL,
            content=find_customer(EMAIL),
            additional_kwargs={"tool_call_id": "call_9", "name": "find_customer"},
        ),
    ]
    assert d.chat(history).message.content == f"Done for {EMAIL}"
    sent = server.last.json()
    if isinstance(server, OpenAIServer):
        assert sent["messages"][1]["tool_calls"][0]["id"] == "call_9"
        assert sent["messages"][2]["tool_call_id"] == "call_9"
    else:
        assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    assert_none_sent(server)


def test_parallel_calls_are_cut_to_one_unless_allowed(drive, server):
    d = drive()
    two = Reply(
        content="",
        tool_calls=(
            Reply.tool_call("find_customer", {"email": "a"}, call_id="c1").tool_calls[0],
            Reply.tool_call("find_customer", {"email": "b"}, call_id="c2").tool_calls[0],
        ),
    )
    tool = FunctionTool.from_defaults(find_customer)
    server.reply(two, two)
    one = d.chat_with_tools([tool], user_msg="x")
    both = d.chat_with_tools([tool], user_msg="x", allow_parallel_tool_calls=True)
    assert len(d.llm.get_tool_calls_from_response(one)) == 1
    assert len(d.llm.get_tool_calls_from_response(both)) == 2


class Refund(BaseModel):
    email: str
    amount: float


def test_structured_predict_uses_a_forced_tool_call(drive, server):
    from llama_index.core.prompts import PromptTemplate

    d = drive()
    server.reply(Reply.tool_call("Refund", {"email": "[EMAIL_1]", "amount": 12.5}))
    refund = d.structured_predict(Refund, PromptTemplate("Refund for {ticket}"), ticket=TICKET)
    assert refund == Refund(email=EMAIL, amount=12.5)
    assert_none_sent(server)


# llama-index's workflows collect steps with inspect.getmembers, which reads pydantic's
# deprecated attributes (__fields__, __fields_set__, model_computed_fields on instances).
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecationWarning")
def test_a_function_agent_sends_no_pii_and_the_tool_gets_real_values(server):
    SEEN.clear()
    server.responder = agent_model
    options = {"provider": provider_of(server), "env": {}, "audit": {"enabled": False}}
    llm = PrivllmLLM(client_options=options)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(find_customer)], llm=llm)

    async def go() -> str:
        try:
            return str(await agent.run(f"Find the customer {EMAIL}"))
        finally:
            await llm.aclose()

    assert asyncio.run(go()) == f"{EMAIL} has IBAN {IBAN}"
    assert SEEN == [EMAIL]
    assert_none_sent(server)


# -- what privllm refuses, clients -------------------------------------------------------------


def test_image_blocks_are_refused_before_sending(drive, server):
    d = drive()
    message = ChatMessage(
        role=MessageRole.USER, blocks=[TextBlock(text="look"), ImageBlock(url="https://x/y.png")]
    )
    with pytest.raises(InvalidRequestError, match=r"messages\[0\]: image blocks"):
        d.chat([message])
    assert server.requests == []


def test_clients_can_be_passed_in(openai_server):
    client = Client(provider=openai_server.provider_config(), env={}, audit={"enabled": False})
    aclient = AsyncClient(provider=openai_server.provider_config(), env={},
                          audit={"enabled": False})  # fmt: skip
    llm = PrivllmLLM(client=client, async_client=aclient, model="test-model")
    assert llm.complete("hi").text == "hi"

    async def go() -> str:
        try:
            return str((await llm.acomplete("there")).text)
        finally:
            await aclient.close()

    assert asyncio.run(go()) == "there"
    assert llm.metadata.model_name == "test-model"
    assert llm.metadata.is_function_calling_model
    client.close()


def test_clients_and_settings_together_are_refused(openai_server):
    client = Client(provider=openai_server.provider_config(), env={}, audit={"enabled": False})
    with pytest.raises(ConfigError, match="not both"):
        PrivllmLLM(client=client, config="privllm.toml")
    client.close()


# -- embeddings --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_embeddings_send_no_pii(server, kind):
    options = {"provider": provider_of(server), "env": {}, "audit": {"enabled": False}}
    embedding = PrivllmEmbedding(client_options=options, embed_batch_size=2)
    texts = [TICKET, "refund policy", f"card {CARD}"]
    if kind == "sync":
        vectors = embedding.get_text_embedding_batch(texts)
        query = embedding.get_query_embedding(f"who is {EMAIL}")
        embedding.close()
    else:

        async def go() -> tuple[list[list[float]], list[float]]:
            try:
                batch = await embedding.aget_text_embedding_batch(texts)
                return batch, await embedding.aget_query_embedding(f"who is {EMAIL}")
            finally:
                await embedding.aclose()

        vectors, query = asyncio.run(go())
    assert len(vectors) == 3
    assert all(isinstance(x, float) for x in query)
    assert len(server.requests) == 3  # two batches of at most 2, and the query
    assert_none_sent(server)
