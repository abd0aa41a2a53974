"""What a user's type checker sees through the drop-in: the SDK's own types."""

# ruff: noqa: E501 - a "# reveal:" mark holds mypy's whole type name on its line

from __future__ import annotations

from pathlib import Path

from support.user_mypy import check

APP = Path(__file__).with_name("app_openai.py")


def test_the_app_type_checks_strictly_against_the_drop_in(tmp_path):
    # The app was written for the SDK; mypy --strict passes on it with the drop-in's import.
    check(tmp_path, APP.read_text())


def test_results_are_typed_as_the_sdks(tmp_path):
    check(
        tmp_path,
        """
        from openai.types import CreateEmbeddingResponse
        from openai.types.chat import ChatCompletion
        from pydantic import BaseModel

        from privllm.openai import AsyncOpenAI, OpenAI


        class Invoice(BaseModel):
            number: str


        def calls(client: OpenAI) -> None:
            done = client.chat.completions.create(model="m", messages=[])
            reveal_type(done)  # reveal: openai.types.chat.chat_completion.ChatCompletion
            stream = client.chat.completions.create(model="m", messages=[], stream=True)
            reveal_type(stream)  # reveal: privllm.openai._streams.Stream[openai.types.chat.chat_completion_chunk.ChatCompletionChunk]
            answer = client.responses.create(model="m", input="x")
            reveal_type(answer)  # reveal: openai.types.responses.response.Response
            events = client.responses.create(model="m", input="x", stream=True)
            for event in events:
                if event.type == "response.output_text.delta":
                    reveal_type(event.delta)  # reveal: str
            read = client.responses.parse(model="m", input="x", text_format=Invoice)
            reveal_type(read.output_parsed)  # reveal: app.Invoice | None
            parsed = client.chat.completions.parse(model="m", messages=[], response_format=Invoice)
            reveal_type(parsed.choices[0].message.parsed)  # reveal: app.Invoice | None
            vectors = client.embeddings.create(model="e", input="x")
            typed: CreateEmbeddingResponse = vectors
            wrong: ChatCompletion = vectors  # error: Incompatible types in assignment


        async def acalls(client: AsyncOpenAI) -> None:
            done = await client.chat.completions.create(model="m", messages=[])
            reveal_type(done)  # reveal: openai.types.chat.chat_completion.ChatCompletion
            stream = await client.chat.completions.create(model="m", messages=[], stream=True)
            reveal_type(stream)  # reveal: privllm.openai._streams.AsyncStream[openai.types.chat.chat_completion_chunk.ChatCompletionChunk]
            answer = await client.responses.create(model="m", input="x")
            reveal_type(answer)  # reveal: openai.types.responses.response.Response
        """,
    )
