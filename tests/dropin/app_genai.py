"""A claims-desk assistant written for google-genai.

It is the kind of file privllm's drop-in is for: a system instruction, streaming, function
declarations answered by hand, a Python function run by the SDK (automatic function
calling), structured output into a pydantic model, a JSON schema given as a dict, a chat
session, embeddings, an async call and error handling, on a customer record full of
personal data. Only its import line differs from the version written for the SDK
(``from google import genai``); tests/dropin/test_app_genai.py runs it both ways against
privllm.testing's servers and reads the bytes they received.

Configuration comes from the environment, as in a deployed app: ``APP_GOOGLE_BASE_URL``
(a gateway in front of Google), ``GEMINI_API_KEY``, or ``APP_USE_VERTEX`` with
``GOOGLE_CLOUD_PROJECT`` and ``GOOGLE_CLOUD_LOCATION``.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from google.genai import types
from pydantic import BaseModel

from privllm import genai

CUSTOMER = {
    "name": "Margaret Thornbury",
    "email": "margaret.thornbury@example.com",
    "card": "4111 1111 1111 1111",
    "ssn": "536-22-1847",
}
CLAIM = (
    f"Hi, this is {CUSTOMER['name']} ({CUSTOMER['email']}). I was charged twice on my card "
    f"{CUSTOMER['card']} for order A-1001. For verification my SSN is {CUSTOMER['ssn']}."
)
MODEL = "gemini-test"

LOOKUP_ORDER = types.FunctionDeclaration(
    name="lookup_order",
    description="Look up an order by id.",
    parameters=types.Schema(
        type=types.Type.OBJECT,
        properties={"order_id": types.Schema(type=types.Type.STRING)},
        required=["order_id"],
    ),
)
ORDERS = {"A-1001": {"status": "charged twice", "refund": "pending"}}


def refund_status(order_id: str) -> dict[str, str]:
    """The refund status of an order.

    Args:
      order_id: the order's id, like A-1001.
    """
    return ORDERS.get(order_id, {"status": "unknown"})


class Triage(BaseModel):
    category: str
    priority: str
    customer_email: str


def make_client() -> Any:
    options = types.HttpOptions(
        base_url=os.environ["APP_GOOGLE_BASE_URL"],
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    if os.environ.get("APP_USE_VERTEX"):
        return genai.Client(
            vertexai=True,
            project=os.environ["GOOGLE_CLOUD_PROJECT"],
            location=os.environ["GOOGLE_CLOUD_LOCATION"],
            http_options=options,
        )
    return genai.Client(api_key=os.environ["GEMINI_API_KEY"], http_options=options)


def stream_reply(client: Any) -> tuple[str, int]:
    config = types.GenerateContentConfig(
        system_instruction="You draft short, polite replies to insurance claims.",
        temperature=0.2,
        max_output_tokens=400,
    )
    pieces = [
        chunk.text or ""
        for chunk in client.models.generate_content_stream(
            model=MODEL, contents=f"Draft a short reply to: {CLAIM}", config=config
        )
    ]
    return "".join(pieces), len(pieces)


def answer_with_tools(client: Any) -> str:
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[LOOKUP_ORDER])])
    contents: list[Any] = [types.Content(role="user", parts=[types.Part(text=CLAIM)])]
    response = client.models.generate_content(model=MODEL, contents=contents, config=config)
    call = response.function_calls[0]
    result = ORDERS[call.args["order_id"]]
    contents.append(response.candidates[0].content)
    contents.append(
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name=call.name, response=result)],
        )
    )
    final = client.models.generate_content(model=MODEL, contents=contents, config=config)
    return str(final.text)


def automatic_function_calling(client: Any) -> str:
    response = client.models.generate_content(
        model=MODEL,
        contents=f"What is the refund status of the order in this claim? {CLAIM}",
        config=types.GenerateContentConfig(tools=[refund_status]),
    )
    return str(response.text)


def triage(client: Any) -> Triage:
    response = client.models.generate_content(
        model=MODEL,
        contents=f"Triage this claim: {CLAIM}",
        config=types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=Triage
        ),
    )
    parsed: Triage = response.parsed
    return parsed


def sentiment(client: Any) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {"sentiment": {"type": "string"}},
        "required": ["sentiment"],
    }
    response = client.models.generate_content(
        model=MODEL,
        contents=[f"Sentiment of: {CLAIM}"],
        config={"response_mime_type": "application/json", "response_json_schema": schema},
    )
    value: dict[str, Any] = json.loads(response.text)
    return value


def chat_session(client: Any) -> list[str]:
    chat = client.chats.create(model=MODEL)
    first = chat.send_message(f"Remember this customer: {CUSTOMER['email']}")
    second = chat.send_message("Which email did I give you?")
    return [str(first.text), str(second.text), str(len(chat.get_history()))]


def embed(client: Any) -> list[list[float]]:
    result = client.models.embed_content(
        model="gemini-embedding-test",
        contents=[CLAIM, "refund policy for double charges"],
        config=types.EmbedContentConfig(output_dimensionality=8),
    )
    return [list(e.values) for e in result.embeddings]


async def summarise_async(client: Any) -> str:
    response = await client.aio.models.generate_content(model=MODEL, contents=f"Summarise: {CLAIM}")
    await client.aio.aclose()
    return str(response.text)


def escalate(client: Any) -> str:
    try:
        client.models.generate_content(model=MODEL, contents="Any update on my claim?")
    except genai.errors.ClientError as exc:
        if exc.code == 429:
            return "rate limited (429), retry later"
        raise
    return "sent"


def main() -> dict[str, Any]:
    client = make_client()
    try:
        stream, stream_chunks = stream_reply(client)
        usage = client.models.generate_content(model=MODEL, contents=CLAIM).usage_metadata
        return {
            "stream": stream,
            "stream_chunks": stream_chunks,
            "usage": usage.total_token_count,
            "tools": answer_with_tools(client),
            "afc": automatic_function_calling(client),
            "triage": triage(client),
            "sentiment": sentiment(client),
            "chat": chat_session(client),
            "vectors": embed(client),
            "async": asyncio.run(summarise_async(client)),
            "escalate": escalate(client),
        }
    finally:
        client.close()
