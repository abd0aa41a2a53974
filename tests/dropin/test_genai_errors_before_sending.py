"""Errors privllm raises before anything is sent through privllm.genai (bad input, policy
refusals, redaction that fails closed) are google-genai's classes too, so the except clauses
of existing code catch them, and no value of the call is in what they show. Sync and async,
Gemini API and Vertex AI."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import errors as google_errors
from google.genai import types

from privllm import errors
from privllm.redaction.middleware import RedactionMiddleware
from privllm.redaction.redactor import Redactor
from privllm.testing import GeminiServer
from support.error_text import shown

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"
TEXT = f"Refund card {CARD} of {EMAIL}"
KEY = "AIza-local-0000"


class Boom:
    """A detector that fails, quoting the text it was given (as a careless one would)."""

    types = frozenset({"X"})

    def find(self, text: str) -> list[object]:
        raise ValueError(f"analyzer crashed on {text}")


def _not_sent(exc: BaseException, server: GeminiServer) -> None:
    assert isinstance(exc, errors.PrivllmError)
    assert not isinstance(exc, errors.ProviderError)  # nothing reached Google
    assert server.requests == []
    text = shown(exc)
    for value in (EMAIL, CARD, KEY, "4111111111111111", "ya29.local-token"):
        assert value not in text


def _runner(make: Any, settings: Any, server: GeminiServer, mode: str, **extra: Any) -> Any:
    return make(**{**settings(server, mode), **extra})


def test_bad_input_is_googles_client_error(run, gemini_server):
    image = types.Part.from_bytes(data=EMAIL.encode(), mime_type="image/png")
    try:
        run.generate(contents=[types.Content(role="user", parts=[types.Part(text=TEXT), image])])
    except google_errors.ClientError as exc:  # existing code's clause
        caught: BaseException = exc
    assert isinstance(caught, errors.InvalidRequestError)
    assert isinstance(caught, ValueError)
    assert (caught.code, caught.status) == (400, "INVALID_ARGUMENT")
    assert "parts[1].inline_data" in caught.message
    _not_sent(caught, gemini_server)


def test_a_stream_refuses_bad_input_as_googles_class(run, gemini_server):
    with pytest.raises(google_errors.ClientError) as info:
        run.stream(contents=TEXT, config={"candidate_count": 2})
    assert isinstance(info.value, errors.InvalidRequestError)
    _not_sent(info.value, gemini_server)


def test_an_embedding_refusal_is_googles_client_error(run, gemini_server):
    with pytest.raises(google_errors.ClientError) as info:
        run.embed(contents="x", config={"title": f"Letter to {EMAIL}"})
    assert isinstance(info.value, errors.InvalidRequestError)
    _not_sent(info.value, gemini_server)


@pytest.mark.parametrize("call", ["generate", "stream", "embed"])
def test_a_blocked_value_is_googles_permission_denied(
    make, genai_settings, gemini_server, mode, call
):
    runner = _runner(
        make, genai_settings, gemini_server, mode, redaction={"actions": {"CREDIT_CARD": "block"}}
    )
    with pytest.raises(google_errors.ClientError) as info:
        getattr(runner, call)(contents=TEXT)
    exc = info.value
    assert isinstance(exc, errors.RedactionBlocked)
    assert (exc.code, exc.status) == (403, "PERMISSION_DENIED")
    assert exc.rule
    assert "CREDIT_CARD" in exc.message
    _not_sent(exc, gemini_server)


def test_a_policy_refusal_is_googles_permission_denied(make, gemini_server):
    # The free tier may train on data: denied by default (a PolicyViolation).
    runner = make(
        api_key=KEY,
        http_options={"base_url": gemini_server.url},
        env={},
        audit={"enabled": False},
    )
    with pytest.raises(google_errors.ClientError) as info:
        runner.generate(contents=TEXT)
    assert isinstance(info.value, errors.PolicyViolation)
    assert info.value.code == 403
    _not_sent(info.value, gemini_server)


def test_a_failed_detector_is_googles_api_error(make, genai_settings, gemini_server, mode):
    runner = _runner(
        make,
        genai_settings,
        gemini_server,
        mode,
        redaction={"enabled": False},
        middleware=[RedactionMiddleware(Redactor([Boom()]))],
    )
    try:
        runner.generate(contents=TEXT)
    except (google_errors.ClientError, google_errors.ServerError):  # pragma: no cover
        pytest.fail("a local failure is neither Google's client nor its server error")
    except google_errors.APIError as exc:
        caught: BaseException = exc
    assert isinstance(caught, errors.RedactionError)
    assert (caught.code, caught.status) == (500, "INTERNAL")
    assert "Boom" in caught.message
    _not_sent(caught, gemini_server)
