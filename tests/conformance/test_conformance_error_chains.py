"""No key and no raw value in a traceback or a logged exception: the SDK exception, whose
text quotes what the provider echoed, is never chained (issue 11, item 3)."""

from __future__ import annotations

import io
import logging
import traceback

import pytest

from privllm.errors import AuthenticationError
from privllm.testing import Reply

SSN = "536-22-1847"
KEY = "sk-proj-LiveSecretKey0123456789abcdefXYZ"


def _with_key(target):
    provider = target.config(max_retries=0)
    section = provider[target.provider_name]
    field = "access_token" if "access_token" in section else "api_key"
    return {**provider, target.provider_name: {**section, field: KEY}}


def _logged(err: BaseException) -> str:
    out = io.StringIO()
    logger = logging.getLogger("test.error_chains")
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise err
        except AuthenticationError:
            logger.exception("the call failed")
    finally:
        logger.removeHandler(handler)
    return out.getvalue()


def _check(err: BaseException, target) -> None:
    printed = "".join(traceback.format_exception(err))
    logged = _logged(err)
    for text in (printed, logged):
        assert KEY not in text
        assert KEY[8:-4] not in text  # nor a good part of it
        assert SSN not in text
        # privllm's own (scrubbed) message, once: the SDK's copy of the text is not chained
        assert text.count("Incorrect API key provided") == 1
        assert "ProviderErrorCause" in text  # the stand-in names the SDK type instead
    assert err.__context__ is None
    assert err.__suppress_context__
    cause = err.__cause__
    assert cause is not None
    assert cause.__cause__ is None
    assert cause.__context__ is None
    assert str(err.status_code) in str(cause)
    assert err.request_id in str(cause)
    assert KEY.encode() in target.server.received()  # it was sent, so it could be echoed


def test_chat_error_chain_holds_no_key(runner_factory, target):
    run = runner_factory(provider=_with_key(target))
    target.server.reply(
        Reply.error(401, f"Incorrect API key provided: {KEY}. Request: SSN [US_SSN_1]")
    )
    with pytest.raises(AuthenticationError) as info:
        run.chat(f"my SSN is {SSN}")
    _check(info.value, target)


def test_stream_error_chain_holds_no_key(runner_factory, target):
    run = runner_factory(provider=_with_key(target))
    target.server.reply(
        Reply.error(401, f"Incorrect API key provided: {KEY}. Request: SSN [US_SSN_1]")
    )
    with pytest.raises(AuthenticationError) as info:
        run.stream(f"my SSN is {SSN}")
    _check(info.value, target)
