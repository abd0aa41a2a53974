"""One worker process of a fleet: continues a conversation by its id and prints the answer.

Run as ``python vault_worker.py CONFIG_JSON CONVERSATION_ID MESSAGES_JSON``; the Redis URL
and the vault key come from the environment, as in production.
"""

from __future__ import annotations

import json
import sys

from privllm import Client, Conversation


def main() -> None:
    config, conversation, messages = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
    with Client(**config) as client:
        answer = client.chat(Conversation(json.loads(messages), id=conversation))
    print(json.dumps({"text": answer.text}))


if __name__ == "__main__":
    main()
