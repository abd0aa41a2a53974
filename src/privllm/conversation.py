"""A multi-turn conversation whose turns share per-conversation state (the redaction vault).

>>> from privllm.conversation import Conversation
>>> conv = Conversation()
>>> conv.system("Be brief.").user("Hello")
Conversation(2 messages)

Pass it where messages go (``client.chat(conv)``) and add each answer with
``conv.add(response)``: the same customer name then keeps the same placeholder on every turn.

Give it an ``id`` to keep that placeholder map beyond this object: every ``Conversation``
with the same id, in this client or (``[redaction.vault] backend = "redis"``) in any worker,
continues the same map (see docs/vault.md).

>>> Conversation(id="ticket-4711").id
'ticket-4711'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from privllm.errors import InvalidRequestError
from privllm.types import ChatResponse, Message, validate_messages

__all__ = ["Conversation"]


class Conversation:
    """Messages plus ``state`` shared by every call made with this conversation."""

    __slots__ = ("id", "messages", "state")

    def __init__(
        self, messages: Iterable[Message | Mapping[str, Any]] = (), *, id: str | None = None
    ) -> None:
        if id is not None and (not isinstance(id, str) or not id):
            raise InvalidRequestError("conversation id: must be a non-empty string")
        #: Names the conversation in the client's vault store (shared across workers).
        self.id = id
        # Dicts are read as client.chat reads them (OpenAI's shapes included); one it cannot
        # take raises InvalidRequestError naming messages[i] and the field, never the value.
        self.messages: list[Message] = validate_messages(messages, "conversation")
        # Holds secrets (the placeholder map): never printed, never serialised by privllm.
        self.state: dict[str, Any] = {}

    def add(self, item: Message | ChatResponse | Mapping[str, Any]) -> Conversation:
        """Append a message, an OpenAI-style message dict, or an answer (as its assistant
        message)."""
        if isinstance(item, ChatResponse):
            self.messages.append(item.message)
        else:
            self.messages.extend(validate_messages([item], "message", start=len(self)))
        return self

    def user(self, text: str) -> Conversation:
        return self.add(Message.user(text))

    def system(self, text: str) -> Conversation:
        return self.add(Message.system(text))

    def tool(self, tool_call_id: str, content: str) -> Conversation:
        return self.add(Message.tool(tool_call_id, content))

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)

    def __repr__(self) -> str:
        return f"Conversation({len(self.messages)} messages)"
