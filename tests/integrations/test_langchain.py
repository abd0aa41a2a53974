"""privllm's LangChain models seen from outside: a LangChain app's PII never reaches the
provider, and comes back whole in what the app gets. Sync and async alike.

LangChain's own standard suites (test_langchain_standard.py) check the model's contract;
these check what only privllm promises, and the adapter's own choices.
"""

from __future__ import annotations

import asyncio
import base64
import doctest
import json
import subprocess
import sys
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool

from privllm import AsyncClient, Client
from privllm.errors import ClientClosedError, ConfigError, InvalidRequestError
from privllm.integrations.langchain import ChatPrivllm, PrivllmEmbeddings
from privllm.testing import OpenAIServer, RecordedRequest, Reply

EMAIL = "jane.doe@example.com"
SSN = "536-22-1847"
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
SECRETS = (EMAIL, SSN, CARD, IBAN)


def assert_none_sent(server: OpenAIServer) -> None:
    received = server.received()
    for value in SECRETS:
        assert value.encode() not in received, value
        assert json.dumps(value).encode()[1:-1] not in received, value


class Driver:
    """One test body for sync and async: LangChain's sync and async entry points (the async
    ones on one event loop, as an app's would be)."""

    def __init__(self, kind: str, llm: ChatPrivllm) -> None:
        self.kind = kind
        self.llm = llm
        self.loop = asyncio.new_event_loop() if kind == "async" else None

    def invoke(self, runnable: Any, value: Any) -> Any:
        if self.loop is None:
            return runnable.invoke(value)
        return self.loop.run_until_complete(runnable.ainvoke(value))

    def stream(self, runnable: Any, value: Any) -> list[Any]:
        if self.loop is None:
            return list(runnable.stream(value))

        async def go() -> list[Any]:
            return [chunk async for chunk in runnable.astream(value)]

        return self.loop.run_until_complete(go())

    def close(self) -> None:
        if self.loop is None:
            self.llm.close()
            return
        self.loop.run_until_complete(self.llm.aclose())
        self.loop.close()


@pytest.fixture(params=["sync", "async"])
def drive(request, openai_server):
    def make(**kwargs: Any) -> Driver:
        options = {"provider": openai_server.provider_config(), "env": {}}
        driver = Driver(request.param, ChatPrivllm(client_options=options, **kwargs))
        made.append(driver)
        return driver

    made: list[Driver] = []
    yield make
    for driver in made:
        driver.close()


# -- privacy, from outside ---------------------------------------------------------------------

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "You answer support tickets."), ("human", "Ticket: {ticket}")]
)
TICKET = f"Refund card {CARD} for {EMAIL} (SSN {SSN}), pay to IBAN {IBAN}."


def test_a_chain_sends_no_pii_and_returns_it_restored(drive, openai_server):
    d = drive()
    chain = PROMPT | d.llm | StrOutputParser()
    answer = d.invoke(chain, {"ticket": TICKET})  # the server echoes what it received
    assert answer == f"Ticket: {TICKET}"
    sent = openai_server.last.json()["messages"]
    assert sent[1]["content"].startswith("Ticket: Refund card [CREDIT_CARD_1] for [EMAIL_1]")
    assert_none_sent(openai_server)


def test_a_streamed_chain_sends_no_pii_and_returns_it_restored(drive, openai_server):
    d = drive()
    openai_server.reply(Reply.echo(chunks=7))  # placeholders cut across chunks
    pieces = d.stream(PROMPT | d.llm | StrOutputParser(), {"ticket": TICKET})
    assert len(pieces) > 2
    assert "".join(pieces) == f"Ticket: {TICKET}"
    assert_none_sent(openai_server)


@tool
def find_customer(email: str) -> str:
    """Look a customer up by email."""
    return json.dumps({"email": email, "ssn": SSN, "iban": IBAN})


def agent_model(request: RecordedRequest) -> Reply:
    """Calls find_customer with the email it was given (a placeholder, on the wire), then
    answers from the tool's result (placeholders too)."""
    messages = request.json()["messages"]
    last = messages[-1]
    if last["role"] == "tool":
        found = json.loads(last["content"])
        return Reply.text(f"{found['email']} has IBAN {found['iban']}", chunks=5)
    email = last["content"].split("for ")[1].split(" ")[0]
    return Reply.tool_call("find_customer", {"email": email})


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
def test_an_agent_loop_sends_no_pii_and_the_tool_gets_real_values(drive, openai_server, streamed):
    openai_server.responder = agent_model
    d = drive()
    llm = d.llm.bind_tools([find_customer])
    messages: list[Any] = [HumanMessage(f"Find the customer for {EMAIL} please")]
    for _ in range(3):  # the loop an agent runs: call the model, run its tools, repeat
        if streamed:
            chunks = d.stream(llm, messages)
            reply = chunks[0]
            for chunk in chunks[1:]:
                reply += chunk
        else:
            reply = d.invoke(llm, messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            assert call["args"] == {"email": EMAIL}  # restored before the tool sees it
            messages.append(find_customer.invoke(call))
    assert isinstance(messages[-1], AIMessage)
    assert messages[-1].text == f"{EMAIL} has IBAN {IBAN}"
    assert len(openai_server.requests) == 2
    replayed = openai_server.last.json()["messages"]
    assert json.loads(replayed[1]["tool_calls"][0]["function"]["arguments"]) == {
        "email": "[EMAIL_1]"
    }
    assert_none_sent(openai_server)


def test_structured_output_is_parsed_from_the_restored_answer(drive, openai_server):
    from pydantic import BaseModel

    class Refund(BaseModel):
        email: str
        iban: str

    def answer(request: RecordedRequest) -> Reply:
        text = request.json()["messages"][-1]["content"]
        email, iban = text.split("|")
        return Reply.text(json.dumps({"email": email, "iban": iban}))

    openai_server.responder = answer
    d = drive()
    for method in ("json_schema", "function_calling"):
        if method == "function_calling":
            openai_server.responder = lambda r: Reply.tool_call(
                "Refund", json.loads(answer(r).content or "")
            )
        refund = d.invoke(d.llm.with_structured_output(Refund, method=method), f"{EMAIL}|{IBAN}")
        assert refund == Refund(email=EMAIL, iban=IBAN)
    assert_none_sent(openai_server)


def test_embeddings_send_no_pii(openai_server):
    options = {"provider": openai_server.provider_config(), "env": {}}
    embeddings = PrivllmEmbeddings(client_options=options, chunk_size=2)

    async def query_and_close() -> list[float]:
        try:
            return await embeddings.aembed_query(f"card {CARD}")
        finally:
            await embeddings.aclose()

    vectors = embeddings.embed_documents([f"mail {EMAIL}", "plain", f"ssn {SSN}"])
    query = asyncio.run(query_and_close())
    assert len(vectors) == 3
    assert len(query) == len(vectors[0])
    assert len(openai_server.requests) == 3  # chunk_size texts per request
    assert_none_sent(openai_server)


# -- what the adapter decides ------------------------------------------------------------------


def test_answers_carry_usage_model_and_finish_reason(drive, openai_server):
    d = drive(model="test-model")
    reply = d.invoke(d.llm, "two words")
    assert reply.usage_metadata == {"input_tokens": 2, "output_tokens": 2, "total_tokens": 4}
    assert reply.response_metadata["model_name"] == "test-model"
    assert reply.response_metadata["finish_reason"] == "stop"
    assert reply.response_metadata["provider"] == "openai"


def test_names_are_not_sent_and_images_are_refused(drive, openai_server):
    d = drive()
    d.invoke(d.llm, [HumanMessage("hello", name="Jane_Doe")])
    assert "name" not in openai_server.last.json()["messages"][0]  # privllm cannot redact it
    image = {"type": "image", "base64": "aGk=", "mime_type": "image/png"}
    with pytest.raises(InvalidRequestError, match="image, audio and file parts"):
        d.invoke(d.llm, [HumanMessage(content=[{"type": "text", "text": "see"}, image])])
    assert len(openai_server.requests) == 1


def test_tool_choice_any_is_required_and_a_name_forces_that_tool(drive, openai_server):
    d = drive()
    openai_server.reply(Reply.tool_call("find_customer", {"email": "x"}))
    d.invoke(d.llm.bind_tools([find_customer], tool_choice="any"), "hi")
    assert openai_server.last.json()["tool_choice"] == "required"
    openai_server.reply(Reply.tool_call("find_customer", {"email": "x"}))
    d.invoke(d.llm.bind_tools([find_customer], tool_choice="find_customer"), "hi")
    forced = openai_server.last.json()["tool_choice"]
    assert forced == {"type": "function", "function": {"name": "find_customer"}}


def test_gemini_signatures_survive_a_langchain_conversation(gemini_server):
    # Gemini 3 refuses a replayed function call without its thought signature; LangChain's
    # messages have no place for it, so the adapter keeps it in additional_kwargs.
    signature = base64.b64encode(b"gemini thought" * 4).decode()
    gemini_server.reply(
        Reply.tool_call("find_customer", {"email": "x"}, signature=signature),
        Reply.text("done", require_signatures=True),
    )
    options = {"provider": gemini_server.provider_config(), "env": {}}
    llm = ChatPrivllm(client_options=options)
    try:
        bound = llm.bind_tools([find_customer])
        first = bound.invoke("find x")
        call = first.tool_calls[0]
        second = bound.invoke(
            [HumanMessage("find x"), first, ToolMessage("{}", tool_call_id=call["id"])]
        )
    finally:
        llm.close()
    assert second.text == "done"


def test_clients_passed_in_are_used_and_left_open(openai_server):
    with Client(provider=openai_server.provider_config(), env={}) as client:
        llm = ChatPrivllm(client=client)
        assert llm.invoke("hi").text == "hi"
        llm.close()  # not its client to close
        assert client.chat("still open").text == "still open"
        with pytest.raises(ConfigError, match="async_client=AsyncClient"):
            asyncio.run(llm.ainvoke("hi"))  # never run on the sync client in a thread
    assert len(openai_server.requests) == 2


def test_an_async_client_passed_in_serves_async_calls(openai_server):
    async def go() -> str:
        async with AsyncClient(provider=openai_server.provider_config(), env={}) as client:
            return (await ChatPrivllm(async_client=client).ainvoke("async hi")).text

    assert asyncio.run(go()) == "async hi"


def test_clients_and_settings_to_build_them_are_not_mixed(openai_server):
    with (
        Client(provider=openai_server.provider_config(), env={}) as client,
        pytest.raises(ConfigError, match=r"not both") as caught,
    ):
        ChatPrivllm(client=client, api_key="sk-other")
    assert caught.value.field == "api_key"
    assert "sk-other" not in str(caught.value)


def test_api_key_base_url_and_model_build_the_client_like_chat_openai(openai_server):
    llm = ChatPrivllm(
        model="test-model", api_key="sk-given-1234", base_url=openai_server.url,
        max_retries=0, client_options={"env": {}},
    )  # fmt: skip
    try:
        assert llm.invoke("hi").text == "hi"
    finally:
        llm.close()
    assert openai_server.last.headers["authorization"] == "Bearer sk-given-1234"
    with pytest.raises(ClientClosedError):
        llm.invoke("after close")


def test_the_docstring_examples_run():
    import privllm.integrations.langchain as module

    failures, tried = doctest.testmod(module)
    assert (failures, tried > 0) == (0, True)


def test_a_missing_extra_names_the_pip_line():
    code = (
        "import sys\n"
        "sys.modules['langchain_core'] = None\n"  # as if not installed
        "try:\n"
        "    import privllm.integrations.langchain\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'privllm[langchain]'" in out.stdout
