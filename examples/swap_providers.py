"""Swap providers by config: the same application code against OpenAI, Azure OpenAI or Vertex.

    python examples/swap_providers.py examples/configs/openai.toml
    python examples/swap_providers.py examples/configs/azure.toml examples/configs/vertex.toml

Nothing below names a provider: ``Client(path)`` reads the provider, its host, auth and
residency from the file (and ``PRIVLLM_*`` overrides), and every call goes through the same
redaction, policy and audit chain. Keys come from the env vars the files name.
"""

import sys
from typing import Literal

from pydantic import BaseModel

from privllm import Client, Message


class Triage(BaseModel):
    """How to route a support ticket."""

    category: Literal["billing", "bug", "account", "other"]
    urgent: bool


TICKET = (
    "Hi, this is Jane Doe (jane.doe@example.com). My card was charged twice for order 88231 "
    "and I need the refund before Friday."
)


def triage(client: Client, ticket: str) -> Triage:
    """Application code: classify a ticket into a typed result."""
    response = client.chat(
        [Message.system("Classify the support ticket."), Message.user(ticket)],
        response_format=Triage,
        temperature=0,
    )
    return response.parsed


def draft_reply(client: Client, ticket: str, result: Triage) -> str:
    """Application code: stream a short reply, printing it as it arrives."""
    prompt = f"Draft a two-sentence reply to this {result.category} ticket:\n{ticket}"
    parts = []
    with client.stream(prompt, max_tokens=120) as stream:
        for chunk in stream:
            print(chunk.text, end="", flush=True)
            parts.append(chunk.text)
    print()
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print(__doc__)
        return 2
    for path in paths:
        with Client(path) as client:
            endpoint = client.provider.endpoint
            print(f"== {path}: {endpoint.provider} at {endpoint.host} ({endpoint.kind})")
            result = triage(client, TICKET)
            print(f"triage: {result.category}, urgent={result.urgent}")
            draft_reply(client, TICKET, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
