"""A support-desk assistant written for the openai SDK.

It is the kind of file privllm's drop-in is for: tools, streaming, structured output with
``parse()``, JSON mode, embeddings, the Responses API (plain and streamed) and error
handling, on a customer record full of
personal data. Only its import line differs from the version written for the SDK
(``from openai import AzureOpenAI, OpenAI``); tests/dropin/test_app.py runs it both ways
against privllm.testing's servers and reads the bytes they received.

Configuration comes from the environment, as in a deployed app: ``APP_BASE_URL`` (or
``AZURE_OPENAI_ENDPOINT`` and ``AZURE_OPENAI_API_KEY`` for Azure), ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import openai
from pydantic import BaseModel

from privllm.openai import AzureOpenAI, OpenAI

CUSTOMER = {
    "name": "Margaret Thornbury",
    "email": "margaret.thornbury@example.com",
    "card": "4111 1111 1111 1111",
    "ssn": "536-22-1847",
}
TICKET = (
    f"Hi, this is {CUSTOMER['name']} ({CUSTOMER['email']}). I was charged twice on my card "
    f"{CUSTOMER['card']} for order A-1001. For verification my SSN is {CUSTOMER['ssn']}."
)

LOOKUP_ORDER = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Look up an order by id.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
}


class Triage(BaseModel):
    category: str
    priority: str
    customer_email: str


def make_client() -> OpenAI:
    if os.environ.get("AZURE_OPENAI_ENDPOINT"):
        return AzureOpenAI(
            azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],
            api_key=os.environ["AZURE_OPENAI_API_KEY"],
            api_version="2025-04-01-preview",
            max_retries=0,
        )
    return OpenAI(base_url=os.environ["APP_BASE_URL"], max_retries=0)


def lookup_order(order_id: str) -> dict[str, Any]:
    return {"order_id": order_id, "status": "charged twice", "refund": "pending"}


def answer_with_tools(client: OpenAI, model: str) -> str:
    messages: list[Any] = [
        {"role": "developer", "content": "You are a support agent. Use tools when useful."},
        {"role": "user", "content": TICKET},
    ]
    first = client.chat.completions.create(
        model=model, messages=messages, tools=[LOOKUP_ORDER], tool_choice="auto"
    )
    message = first.choices[0].message
    if first.choices[0].finish_reason == "tool_calls" and message.tool_calls:
        messages.append(message)
        for call in message.tool_calls:
            if call.type != "function":
                continue
            args = json.loads(call.function.arguments)
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call.id,
                    "content": json.dumps(lookup_order(**args)),
                }
            )
        final = client.chat.completions.create(model=model, messages=messages, tools=[LOOKUP_ORDER])
        return final.choices[0].message.content or ""
    return message.content or ""


def stream_reply(client: OpenAI, model: str) -> tuple[str, int | None]:
    parts: list[str] = []
    tokens = None
    with client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": f"Draft a short reply to: {TICKET}"}],
        stream=True,
        stream_options={"include_usage": True},
    ) as stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
            if chunk.usage is not None:
                tokens = chunk.usage.total_tokens
    return "".join(parts), tokens


def triage(client: OpenAI, model: str) -> Triage | None:
    completion = client.chat.completions.parse(
        model=model,
        messages=[{"role": "user", "content": f"Triage this ticket: {TICKET}"}],
        response_format=Triage,
    )
    return completion.choices[0].message.parsed


def sentiment(client: OpenAI, model: str) -> dict[str, Any]:
    completion = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": f"Sentiment of this, as JSON: {TICKET}"}],
        response_format={"type": "json_object"},
        temperature=0,
        seed=7,
    )
    result: dict[str, Any] = json.loads(completion.choices[0].message.content or "{}")
    return result


def embed_notes(client: OpenAI, model: str) -> list[list[float]]:
    notes = [TICKET, f"Follow up with {CUSTOMER['email']} on Friday."]
    response = client.embeddings.create(model=model, input=notes)
    return [item.embedding for item in response.data]


def summarise(client: OpenAI, model: str) -> str:
    response = client.responses.create(
        model=model,
        instructions=f"You summarise tickets for {CUSTOMER['name']}'s account manager.",
        input=[{"role": "user", "content": f"Summarise: {TICKET}"}],
        max_output_tokens=200,
    )
    return response.output_text


def summarise_streamed(client: OpenAI, model: str) -> str:
    parts: list[str] = []
    with client.responses.create(
        model=model, input=f"Summarise for the customer: {TICKET}", stream=True
    ) as events:
        for event in events:
            if event.type == "response.output_text.delta":
                parts.append(event.delta)
    return "".join(parts)


def escalate(client: OpenAI, model: str) -> str:
    try:
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": f"Escalate: {TICKET}"}]
        )
    except openai.RateLimitError as exc:
        return f"rate limited ({exc.status_code}), retry later"
    except openai.APIStatusError as exc:
        return f"provider error {exc.status_code}"
    return "escalated"


def main(
    chat_model: str = "gpt-4o-mini",
    embedding_model: str = "text-embedding-3-small",
    responses_api: bool = True,
) -> dict[str, Any]:
    with make_client() as client:
        text, tokens = stream_reply(client, chat_model)
        result: dict[str, Any] = {
            "tools": answer_with_tools(client, chat_model),
            "stream": text,
            "stream_tokens": tokens,
            "triage": triage(client, chat_model),
            "sentiment": sentiment(client, chat_model),
            "vectors": embed_notes(client, embedding_model),
        }
        if responses_api:
            result["summary"] = summarise(client, chat_model)
            result["summary_stream"] = summarise_streamed(client, chat_model)
        result["escalate"] = escalate(client, chat_model)
        return result


if __name__ == "__main__":
    print(main())
