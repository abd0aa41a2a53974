"""Automatic function calling as google-genai runs it: the Python functions given as tools
are called with the (restored) arguments, their results go back to the model (redacted by
privllm on the way out), and the answer carries ``automatic_function_calling_history``.

The rules are the SDK's (``google.genai.models.Models.generate_content`` and
``generate_content_stream``): ``maximum_remote_calls`` counts requests, so functions run
after every answer but the last one allowed; a result is ``{"result": value}`` or, when the
function raised, ``{"error": str(exc)}``; the history is the caller's contents followed by
each round's model output and a ``user`` turn of function responses, and an answer carries
it unless ``ignore_call_history`` is set (a plain call: an empty list; stream chunks: only
once a round has run).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from google.genai import types as gt

from privllm.types import ChatResponse, Message, ToolCall

from ._request import ChatCall

__all__ = ["Rounds", "arun", "run"]

_Function = Callable[..., Any]


def run(fn: Callable[..., Any], args: dict[str, Any]) -> dict[str, Any]:
    """A function's answer to the model, as the SDK's automatic function calling gives it."""
    try:
        return {"result": fn(**args)}
    except Exception as exc:  # the model is told, as the SDK tells it
        return {"error": str(exc)}


async def arun(fn: Callable[..., Any], args: dict[str, Any]) -> dict[str, Any]:
    """The async twin of :func:`run` (a coroutine function is awaited)."""
    try:
        value = fn(**args)
        if inspect.isawaitable(value):
            value = await value
        return {"result": value}
    except Exception as exc:
        return {"error": str(exc)}


class Rounds:
    """The automatic-function-calling rounds of one ``generate_content`` call."""

    __slots__ = ("_call", "_done", "history")

    def __init__(self, call: ChatCall) -> None:
        self._call = call
        self._done = 0
        self.history: list[gt.Content] = []

    @property
    def shown(self) -> list[gt.Content] | None:
        """The history an answer carries, or None when the caller asked for none."""
        return self.history if self._call.history else None

    def calls(
        self, response: ChatResponse[Any] | None
    ) -> list[tuple[ToolCall, Callable[..., Any]]]:
        """The functions to run for ``response`` (none: the answer goes to the caller)."""
        call = self._call
        if (
            response is None
            or not response.tool_calls
            or self._done >= call.max_remote_calls - 1  # no request left to send results
            or any(c.name not in call.functions for c in response.tool_calls)
        ):
            return []
        return [(c, call.functions[c.name]) for c in response.tool_calls]

    def record(
        self,
        response: ChatResponse[Any],
        results: list[dict[str, Any]],
        model_output: list[gt.Content],
    ) -> None:
        """One round done: the history grows as the SDK grows it, and the next request
        carries the model's calls and the functions' results."""
        call = self._call
        if not self.history:
            self.history.extend(call.contents)
        self.history.extend(model_output)
        parts = [
            gt.Part.from_function_response(name=c.name, response=r)
            for c, r in zip(response.tool_calls, results, strict=True)
        ]
        self.history.append(gt.Content(role="user", parts=parts))
        answers = [
            Message(role="tool", tool_call_id=c.id, name=c.name, content=json.dumps(r, default=str))
            for c, r in zip(response.tool_calls, results, strict=True)
        ]
        call.args["messages"] = [*call.args["messages"], response.message, *answers]
        self._done += 1
