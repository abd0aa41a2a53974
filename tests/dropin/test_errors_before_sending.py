"""Errors privllm raises before anything is sent (bad input, policy refusals, redaction that
fails closed) are the openai SDK's classes too, so the except clauses of existing code catch
them, and no value of the call is in what they show."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from privllm import errors
from privllm.redaction.middleware import RedactionMiddleware
from privllm.redaction.redactor import Redactor
from privllm.testing import OpenAIServer
from support.error_text import shown

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"
ASK = [{"role": "user", "content": f"Write to {EMAIL}, card {CARD}"}]
KEY = "sk-dropin-secret-0123456789"


class Boom:
    """A detector that fails, quoting the text it was given (as a careless one would)."""

    types = frozenset({"X"})

    def find(self, text: str) -> list[object]:
        raise ValueError(f"analyzer crashed on {text}")


def _no_value_in(exc: BaseException) -> None:
    text = shown(exc)
    for value in (EMAIL, CARD, KEY, "4111111111111111"):
        assert value not in text


def _dropin(factory: Any, server: OpenAIServer, **privllm: Any) -> Any:
    return factory(base_url=server.url, api_key=KEY, max_retries=0, **privllm)


def _not_sent(exc: BaseException, server: OpenAIServer) -> None:
    assert isinstance(exc, errors.PrivllmError)
    assert not isinstance(exc, errors.ProviderError)  # nothing reached the provider
    assert server.requests == []
    _no_value_in(exc)


def test_bad_input_is_the_sdks_bad_request(dropin_factory, openai_server: OpenAIServer):
    run = dropin_factory(base_url=openai_server.url, api_key=KEY, max_retries=0)
    bad = [{"role": "wizard", "content": f"mail {EMAIL}"}]
    try:
        run.create(model="m", messages=bad)
    except openai.BadRequestError as exc:  # existing code's clause
        caught: BaseException = exc
    assert isinstance(caught, errors.InvalidRequestError)
    assert isinstance(caught, ValueError)
    assert caught.status_code == 400 == caught.response.status_code
    assert caught.request_id is None
    assert caught.param == "messages[0].role" == caught.body["param"]
    _not_sent(caught, openai_server)


@pytest.mark.parametrize(
    "kwargs",
    [{"n": 2}, {"prediction": {"type": "content", "content": EMAIL}}],
    ids=["n", "prediction"],
)
def test_arguments_privllm_cannot_carry_are_bad_requests(dropin, openai_server, kwargs):
    with pytest.raises(openai.BadRequestError) as info:
        dropin.create(model="m", messages=ASK, **kwargs)
    assert isinstance(info.value, errors.InvalidRequestError)
    _not_sent(info.value, openai_server)


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_a_blocked_value_is_the_sdks_permission_denied(dropin_factory, openai_server, stream):
    run = _dropin(dropin_factory, openai_server, redaction={"actions": {"CREDIT_CARD": "block"}})
    call = run.stream if stream else run.create
    with pytest.raises(openai.PermissionDeniedError) as info:
        call(model="m", messages=ASK)
    exc = info.value
    assert isinstance(exc, errors.RedactionBlocked)
    assert isinstance(exc, openai.APIStatusError)
    assert exc.status_code == 403
    assert "CREDIT_CARD" in str(exc)
    assert exc.code == exc.rule == exc.body["code"]
    _not_sent(exc, openai_server)


def test_a_policy_refusal_is_the_sdks_permission_denied(dropin, openai_server):
    with pytest.raises(openai.PermissionDeniedError) as info:
        dropin.respond(model="m", input=f"mail {EMAIL}", store=True)
    assert isinstance(info.value, errors.PolicyViolation)
    assert info.value.rule == "require_no_store"
    _not_sent(info.value, openai_server)


def test_embeddings_refusals_are_the_sdks_too(dropin_factory, openai_server):
    run = _dropin(dropin_factory, openai_server, redaction={"actions": {"CREDIT_CARD": "block"}})
    with pytest.raises(openai.PermissionDeniedError) as info:
        run.embed(model="e", input=[f"card {CARD}"])
    assert isinstance(info.value, errors.RedactionBlocked)
    with pytest.raises(openai.BadRequestError) as bad:
        run.embed(model="e", input=[[4111, 1111]], user=EMAIL)
    assert isinstance(bad.value, errors.InvalidRequestError)
    _not_sent(bad.value, openai_server)


def test_a_failed_detector_is_the_sdks_api_error(dropin_factory, openai_server):
    broken = RedactionMiddleware(Redactor([Boom()]))
    run = _dropin(dropin_factory, openai_server, redaction={"enabled": False}, middleware=[broken])
    try:
        run.create(model="m", messages=ASK)
    except openai.APIStatusError:  # pragma: no cover - no status: nothing was answered
        pytest.fail("a local failure has no HTTP status")
    except openai.APIError as exc:
        caught: BaseException = exc
    assert isinstance(caught, errors.RedactionError)
    assert "Boom" in str(caught)
    _not_sent(caught, openai_server)
