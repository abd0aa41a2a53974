"""privllm.genai seen from outside: what google-genai users pass goes out redacted in
Google's wire shape, and comes back as google-genai's own types with the values restored.

Every test body runs through ``client.models`` and ``client.aio.models`` (sync/async
parity); the wire tests run on the Gemini API and on Vertex AI.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.genai import errors as google_errors
from google.genai import types
from pydantic import BaseModel

from privllm import errors as privllm_errors
from privllm.genai import Client
from privllm.genai import errors as genai_errors
from privllm.testing import GeminiServer, OpenAIServer, Reply

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"
SSN = "536-22-1847"
SECRETS = (EMAIL, CARD, SSN)
TEXT = f"Refund card {CARD} of {EMAIL} (SSN {SSN})"


def assert_none_sent(server: Any) -> None:
    received = server.received()
    for value in SECRETS:
        assert value.encode() not in received, value


def body(server: GeminiServer) -> dict[str, Any]:
    data: dict[str, Any] = server.last.json()
    return data


# -- contents and config -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "contents",
    [
        TEXT,
        [TEXT],
        types.Content(role="user", parts=[types.Part(text=TEXT)]),
        [{"role": "user", "parts": [{"text": TEXT}]}],
        types.Part(text=TEXT),
    ],
    ids=["str", "list", "Content", "dicts", "Part"],
)
def test_contents_go_out_redacted_and_come_back_restored(run, gemini_server, contents):
    response = run.generate(contents=contents)  # the server echoes what it received
    assert isinstance(response, types.GenerateContentResponse)
    assert response.text == TEXT
    assert response.candidates[0].content.role == "model"
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.total_token_count > 0
    sent = body(gemini_server)["contents"]
    assert sent == [
        {
            "role": "user",
            "parts": [{"text": "Refund card [CREDIT_CARD_1] of [EMAIL_1] (SSN [US_SSN_1])"}],
        }
    ]
    assert_none_sent(gemini_server)


@pytest.mark.parametrize("as_dict", [False, True], ids=["object", "dict"])
def test_config_settings_reach_google(run, gemini_server, as_dict):
    fields = {
        "system_instruction": f"Answer {EMAIL} briefly.",
        "temperature": 0.25,
        "top_p": 0.5,
        "max_output_tokens": 64,
        "stop_sequences": ["END"],
        "seed": 7,
        "top_k": 3,
        "safety_settings": [
            {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}
        ],
    }
    config = fields if as_dict else types.GenerateContentConfig(**fields)
    run.generate(contents="hi", config=config)
    sent = body(gemini_server)
    assert sent["systemInstruction"]["parts"] == [{"text": "Answer [EMAIL_1] briefly."}]
    generation = sent["generationConfig"]
    assert generation["temperature"] == 0.25
    assert generation["topP"] == 0.5
    assert generation["maxOutputTokens"] == 64
    assert generation["stopSequences"] == ["END"]
    assert generation["seed"] == 7
    assert generation["topK"] == 3
    assert sent["safetySettings"] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}
    ]
    assert_none_sent(gemini_server)


def test_a_conversation_with_function_calls_and_responses(run, gemini_server):
    declaration = types.FunctionDeclaration(
        name="find_customer",
        description="Find a customer by email.",
        parameters=types.Schema(
            type=types.Type.OBJECT,
            properties={"email": types.Schema(type=types.Type.STRING)},
            required=["email"],
        ),
    )
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[declaration])],
        tool_config=types.ToolConfig(
            function_calling_config=types.FunctionCallingConfig(
                mode="ANY", allowed_function_names=["find_customer"]
            )
        ),
    )
    gemini_server.reply(Reply.tool_call("find_customer", {"email": "[EMAIL_1]"}))
    contents: list[Any] = [types.Content(role="user", parts=[types.Part(text=TEXT)])]
    first = run.generate(contents=contents, config=config)
    call = first.function_calls[0]
    assert call.name == "find_customer"
    assert call.args == {"email": EMAIL}  # restored for the app's function
    assert call.id is None  # Google sent none; privllm's stand-in id is not shown
    sent = body(gemini_server)
    assert sent["tools"][0]["functionDeclarations"][0]["name"] == "find_customer"
    assert sent["tools"][0]["functionDeclarations"][0]["parameters_json_schema"] == {
        "type": "object",
        "properties": {"email": {"type": "string"}},
        "required": ["email"],
    }
    calling = sent["toolConfig"]["functionCallingConfig"]
    assert calling["mode"] == "ANY"
    # The SDK spells it allowed_function_names on Vertex, allowedFunctionNames otherwise.
    names = calling.get("allowedFunctionNames") or calling.get("allowed_function_names")
    assert names == ["find_customer"]

    contents.append(first.candidates[0].content)
    answer = {"email": EMAIL, "card": CARD}
    contents.append(
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name=call.name, response=answer)],
        )
    )
    gemini_server.reply(Reply.text("Found [EMAIL_1]"))
    second = run.generate(contents=contents, config=config)
    assert second.text == f"Found {EMAIL}"
    turns = body(gemini_server)["contents"]
    assert [t["role"] for t in turns] == ["user", "model", "user"]
    assert turns[1]["parts"][0]["functionCall"] == {
        "name": "find_customer",
        "args": {"email": "[EMAIL_1]"},
    }
    assert turns[2]["parts"][0]["functionResponse"] == {
        "name": "find_customer",
        "response": {"email": "[EMAIL_1]", "card": "[CREDIT_CARD_1]"},
    }
    assert_none_sent(gemini_server)


def test_a_python_function_is_run_with_real_values(run, gemini_server):
    seen: list[str] = []

    def lookup(email: str) -> str:
        """Look a customer up by email."""
        seen.append(email)
        return f"{email} holds card {CARD}"

    gemini_server.reply(Reply.tool_call("lookup", {"email": "[EMAIL_1]"}), Reply.echo())
    response = run.generate(
        contents=f"Who is {EMAIL}?", config=types.GenerateContentConfig(tools=[lookup])
    )
    assert seen == [EMAIL]
    assert response.text == f"Who is {EMAIL}?"
    last = body(gemini_server)["contents"][-1]["parts"][0]["functionResponse"]
    assert last == {
        "name": "lookup",
        "response": {"result": "[EMAIL_1] holds card [CREDIT_CARD_1]"},
    }
    assert_none_sent(gemini_server)


def test_automatic_function_calling_can_be_disabled(run, gemini_server):
    def lookup(email: str) -> str:
        """Look a customer up by email."""
        raise AssertionError("not to be called")

    gemini_server.reply(Reply.tool_call("lookup", {"email": "[EMAIL_1]"}))
    config = types.GenerateContentConfig(
        tools=[lookup],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    response = run.generate(contents=f"Who is {EMAIL}?", config=config)
    assert response.function_calls[0].args == {"email": EMAIL}
    assert len(gemini_server.requests) == 1


class Triage(BaseModel):
    category: str
    customer_email: str


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (Triage, Triage(category="billing", customer_email=EMAIL)),
        (
            {"type": "object", "properties": {"category": {"type": "string"}}},
            {"category": "billing", "customer_email": EMAIL},
        ),
        (
            types.Schema(
                type=types.Type.OBJECT, properties={"category": types.Schema(type="STRING")}
            ),
            {"category": "billing", "customer_email": EMAIL},
        ),
    ],
    ids=["pydantic", "dict", "Schema"],
)
def test_structured_output_is_parsed_with_values_restored(run, gemini_server, schema, expected):
    gemini_server.reply(Reply.text('{"category": "billing", "customer_email": "[EMAIL_1]"}'))
    response = run.generate(
        contents=f"Triage: {TEXT}",
        config=types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=schema
        ),
    )
    assert response.parsed == expected
    assert json.loads(response.text)["customer_email"] == EMAIL
    generation = body(gemini_server)["generationConfig"]
    assert generation["responseMimeType"] == "application/json"
    assert generation["responseJsonSchema"]["properties"]["category"]["type"] == "string"
    assert_none_sent(gemini_server)


def test_a_list_schema_parses_into_a_list(run, gemini_server):
    gemini_server.reply(Reply.text('[{"category": "a", "customer_email": "[EMAIL_1]"}]'))
    response = run.generate(
        contents=f"Triage: {TEXT}",
        config={"response_mime_type": "application/json", "response_schema": list[Triage]},
    )
    assert response.parsed == [Triage(category="a", customer_email=EMAIL)]
    assert body(gemini_server)["generationConfig"]["responseJsonSchema"]["type"] == "array"


def test_json_mode_without_a_schema(run, gemini_server):
    gemini_server.reply(Reply.text('{"ok": true}'))
    response = run.generate(contents="hi", config={"response_mime_type": "application/json"})
    assert json.loads(response.text) == {"ok": True}
    assert response.parsed is None
    assert body(gemini_server)["generationConfig"]["responseMimeType"] == "application/json"


# -- streams -----------------------------------------------------------------------------------


def test_a_stream_is_restored_across_chunks(run, gemini_server):
    gemini_server.reply(Reply.echo(chunks=9))  # placeholders cut across chunks
    chunks = run.stream(contents=TEXT)
    assert all(isinstance(c, types.GenerateContentResponse) for c in chunks)
    assert len(chunks) > 2
    assert "".join(c.text or "" for c in chunks) == TEXT
    last = chunks[-1]
    assert last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata.total_token_count > 0
    assert gemini_server.last.query["alt"] == ["sse"]
    assert_none_sent(gemini_server)


def test_a_streamed_function_call(run, gemini_server):
    gemini_server.reply(Reply.tool_call("find_customer", {"email": "[EMAIL_1]"}))
    tools = [
        types.Tool(
            function_declarations=[
                types.FunctionDeclaration(
                    name="find_customer",
                    parameters_json_schema={
                        "type": "object",
                        "properties": {"email": {"type": "string"}},
                    },
                )
            ]
        )
    ]
    chunks = run.stream(contents=TEXT, config={"tools": tools})
    calls = [call for c in chunks for call in c.function_calls or []]
    assert [(c.name, c.args) for c in calls] == [("find_customer", {"email": EMAIL})]


# -- embeddings --------------------------------------------------------------------------------


def test_embeddings_go_out_redacted(run, gemini_server):
    result = run.embed(
        contents=[TEXT, types.Content(parts=[types.Part(text="refund policy")])],
        config=types.EmbedContentConfig(output_dimensionality=6, task_type="RETRIEVAL_DOCUMENT"),
    )
    assert isinstance(result, types.EmbedContentResponse)
    assert [len(e.values) for e in result.embeddings] == [6, 6]
    sent = gemini_server.last.body
    assert b"[EMAIL_1]" in sent
    assert b"RETRIEVAL_DOCUMENT" in sent
    assert_none_sent(gemini_server)


def test_one_text_is_one_embedding(run):
    assert len(run.embed(contents="one text").embeddings) == 1


# -- errors ------------------------------------------------------------------------------------


def test_a_429_is_googles_client_error_and_privllms_rate_limit(run, gemini_server):
    gemini_server.reply(Reply.error(429, f"Quota exhausted for {'[EMAIL_1]'}", retry_after=7))
    with pytest.raises(google_errors.ClientError) as caught:
        run.generate(contents=TEXT)
    exc = caught.value
    assert isinstance(exc, genai_errors.ClientError)  # privllm.genai.errors too
    assert isinstance(exc, genai_errors.RateLimitError)
    assert isinstance(exc, privllm_errors.RateLimitError)
    assert isinstance(exc, privllm_errors.PrivllmError)
    assert exc.code == 429
    assert exc.status == "RESOURCE_EXHAUSTED"
    assert exc.retry_after == 7
    # Provider text stays in placeholder form: no restored value in the error.
    assert exc.message == "Quota exhausted for [EMAIL_1]"
    for text in (str(exc), repr(exc), str(exc.details), str(exc.__cause__)):
        for value in SECRETS:
            assert value not in text


@pytest.mark.parametrize(
    ("status", "google_class", "privllm_class"),
    [
        (400, google_errors.ClientError, privllm_errors.BadRequestError),
        (403, google_errors.ClientError, privllm_errors.PermissionDeniedError),
        (404, google_errors.ClientError, privllm_errors.NotFoundError),
        (409, google_errors.ClientError, privllm_errors.ProviderStatusError),
        (500, google_errors.ServerError, privllm_errors.ServerError),
        (503, google_errors.ServerError, privllm_errors.ServerError),
    ],
)
def test_error_statuses_map_to_both_trees(run, gemini_server, status, google_class, privllm_class):
    gemini_server.reply(Reply.error(status, "nope"))
    with pytest.raises(google_class) as caught:
        run.generate(contents="hi")
    assert isinstance(caught.value, privllm_class)
    assert isinstance(caught.value, genai_errors.APIError)
    assert caught.value.code == status


def test_a_stream_error_is_googles_class(run, gemini_server):
    gemini_server.reply(Reply.error(500, "backend error"))
    with pytest.raises(genai_errors.ServerError):
        run.stream(contents="hi")


def test_a_wrong_key_is_an_authentication_error(make, gemini_server, genai_settings):
    server = GeminiServer(api_key="AIza-right")
    with server:
        runner = make(**{**genai_settings(server, "gemini_api"), "api_key": "AIza-wrong"})
        with pytest.raises(genai_errors.AuthenticationError) as caught:
            runner.generate(contents="hi")
    assert isinstance(caught.value, google_errors.ClientError)
    assert "AIza-wrong" not in str(caught.value)


# -- refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "surface", ["files", "caches", "batches", "tunings", "live", "file_search_stores"]
)
def test_uncovered_surfaces_are_refused_naming_the_privllm_way(run, gemini_server, surface):
    target = run.client if run.kind == "sync" else run.client.aio
    with pytest.raises(genai_errors.EndpointNotCovered) as caught:
        getattr(target, surface)
    assert surface in str(caught.value)
    assert isinstance(caught.value, privllm_errors.PolicyViolation)
    assert gemini_server.requests == []


def test_privllm_way_is_named(run):
    with pytest.raises(genai_errors.EndpointNotCovered, match="privllm finetune"):
        run.client.tunings  # noqa: B018
    with pytest.raises(genai_errors.EndpointNotCovered, match="usage_metadata"):
        run.models.count_tokens  # noqa: B018


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"cached_content": "cachedContents/abc"}, "config.cached_content"),
        ({"response_logprobs": True}, "config.response_logprobs"),
        ({"candidate_count": 2}, "config.candidate_count"),
        ({"response_modalities": ["IMAGE"]}, "config.response_modalities"),
        ({"tools": [types.Tool(google_search=types.GoogleSearch())]}, "config.tools[0]"),
        ({"http_options": {"headers": {"x-extra": "1"}}}, "config.http_options"),
        ({"response_mime_type": "text/x.enum"}, "config.response_mime_type"),
    ],
)
def test_what_privllm_cannot_carry_is_refused_before_sending(run, gemini_server, config, field):
    with pytest.raises(privllm_errors.InvalidRequestError) as caught:
        run.generate(contents=TEXT, config=config)
    assert field in str(caught.value)
    assert gemini_server.requests == []


def test_non_text_parts_are_refused(run, gemini_server):
    image = types.Part.from_bytes(data=b"\x89PNG....", mime_type="image/png")
    with pytest.raises(privllm_errors.InvalidRequestError, match=r"parts\[1\]\.inline_data"):
        run.generate(contents=[types.Content(role="user", parts=[types.Part(text="x"), image])])
    assert gemini_server.requests == []


def test_an_embedding_title_is_refused(run, gemini_server):
    with pytest.raises(privllm_errors.InvalidRequestError, match=r"config\.title"):
        run.embed(contents="x", config={"title": f"Letter to {EMAIL}"})
    assert gemini_server.requests == []


# -- the constructor ---------------------------------------------------------------------------


def test_the_free_tier_is_denied_by_default(gemini_server):
    client = Client(
        api_key="AIza-local",
        http_options={"base_url": gemini_server.url},
        env={},
        audit={"enabled": False},
    )
    with pytest.raises(privllm_errors.PolicyViolation):
        client.models.generate_content(model="gemini-test", contents="hi")
    client.close()
    assert gemini_server.requests == []


def test_the_key_is_read_from_googles_variables(gemini_server):
    client = Client(
        vertexai=False,
        http_options={"base_url": gemini_server.url},
        env={"GEMINI_API_KEY": "AIza-from-env"},
        provider={"google": {"tier": "paid"}},
        audit={"enabled": False},
    )
    client.models.generate_content(model="gemini-test", contents="hi")
    client.close()
    assert gemini_server.last.headers["x-goog-api-key"] == "AIza-from-env"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"http_options": {"headers": {"x-a": "b"}}}, "http_options.headers"),
        ({"debug_config": object()}, "debug_config"),
    ],
)
def test_constructor_arguments_that_bypass_privllm_are_refused(kwargs, field):
    with pytest.raises(privllm_errors.ConfigError) as caught:
        Client(api_key="AIza-local", env={}, **kwargs)
    assert caught.value.field == field


def test_a_per_call_timeout(run, gemini_server):
    gemini_server.reply(Reply.echo(delay=1.0))
    with pytest.raises(privllm_errors.ProviderTimeoutError):
        run.generate(contents="hi", config={"http_options": {"timeout": 100}})


# -- any privllm provider ----------------------------------------------------------------------


def test_the_same_calls_on_the_openai_protocol(make, openai_server: OpenAIServer):
    run = make(provider=openai_server.provider_config(), audit={"enabled": False}, env={})
    openai_server.reply(Reply.tool_call("find_customer", {"email": "[EMAIL_1]"}))
    tools = [{"function_declarations": [{"name": "find_customer", "description": "Find."}]}]
    response = run.generate(model="test-model", contents=TEXT, config={"tools": tools})
    assert response.function_calls[0].args == {"email": EMAIL}
    assert openai_server.last.json()["tools"][0]["function"]["name"] == "find_customer"
    answer = run.generate(
        model="test-model", contents=TEXT, config={"system_instruction": "Be brief."}
    )
    assert answer.text == TEXT
    assert openai_server.last.json()["messages"][0] == {"role": "system", "content": "Be brief."}
    assert_none_sent(openai_server)
    with pytest.raises(privllm_errors.InvalidRequestError, match=r"config\.top_k"):
        run.generate(model="test-model", contents="hi", config={"top_k": 3})


def test_the_module_stands_in_for_google_genai():
    import google.genai

    from privllm import genai

    assert genai.__all__ == sorted(set(genai.__all__))
    assert genai.types is google.genai.types
    # The SDK's other exception names resolve too, as code may catch them.
    for name in ("APIError", "ClientError", "ServerError", "FunctionInvocationError"):
        assert issubclass(getattr(genai.errors, name), Exception)
    assert issubclass(genai.errors.APIError, google.genai.errors.APIError)


def test_vertex_credentials_are_passed_as_on_the_sdk(gemini_server):
    from google.oauth2.credentials import Credentials

    client = Client(
        vertexai=True,
        project=gemini_server.project,
        location=gemini_server.location,
        credentials=Credentials(token="ya29.from-credentials"),
        http_options={"base_url": gemini_server.url},
        audit={"enabled": False},
        env={},
    )
    assert client.vertexai
    client.models.generate_content(model="gemini-test", contents="hi")
    client.close()
    assert gemini_server.last.headers["authorization"] == "Bearer ya29.from-credentials"


def test_the_drop_ins_errors_are_google_classes_on_privllms():
    # As tests/test_errors.py checks the openai drop-in's: each is google-genai's exception
    # (or the refusal) and a subclass of a class drawn in privllm/errors.py, so `except
    # privllm.errors.X` keeps covering it.
    import google.genai

    from privllm import errors as tree
    from privllm.genai import errors as dropin

    drawn = {getattr(tree, name) for name in tree.__all__ if isinstance(getattr(tree, name), type)}
    classes = [
        c
        for c in vars(dropin).values()
        if isinstance(c, type)
        and issubclass(c, tree.PrivllmError)
        and c.__module__ == dropin.__name__
    ]
    assert len(classes) >= 9
    for cls in classes:
        assert cls.__name__ in dropin.__all__
        assert any(b in drawn for b in cls.__mro__[1:]), cls
        assert issubclass(cls, google.genai.errors.APIError) or cls is dropin.EndpointNotCovered
