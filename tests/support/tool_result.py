"""One tool round trip through a Runner: the model asks for a tool, the caller answers."""

from __future__ import annotations

import json
from typing import Any

from privllm import Message
from privllm.testing import Reply


def send_tool_result(run: Any, server: Any, ask: str, result: Any) -> None:
    """``ask`` makes the server call tool ``lookup``; ``result`` goes back as its JSON."""
    server.reply(Reply.tool_call("lookup", {"id": 7}))
    first = run.chat(ask, tools=[{"name": "lookup"}])
    conversation = [
        Message.user(ask),
        first.message,
        Message.tool(first.tool_calls[0].id, json.dumps(result)),
    ]
    run.chat(conversation, tools=[{"name": "lookup"}])
