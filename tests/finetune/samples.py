"""Training lines with known values (every raw value listed in ``RAW``)."""

from __future__ import annotations

import json
from pathlib import Path

PERSON = "Jane Doe"
ORG = "Acme Corp"
EMAIL = "jane.doe@acme-corp.com"
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
SSN = "536-22-1847"
PHONE = "+44 20 8359 1164"  # not in a fiction range: a surrogate replaces it
IP = "10.1.2.3"
SECRET = "sk-proj-" + "A1b2C3d4E5f6G7h8" * 3
#: Every raw value, and the compact forms of the numbers: none may appear in any output.
RAW = [PERSON, ORG, EMAIL, CARD, IBAN, SSN, PHONE, IP, SECRET, "4111111111111111",
       "DE89370400440532013000", "83591164"]  # fmt: skip
TERMS = {"PERSON": [PERSON, "John Roe"], "ORGANIZATION": [ORG]}


def chat(*turns: str, system: str | None = None) -> dict[str, object]:
    """An OpenAI-format line: alternating user / assistant turns."""
    messages: list[dict[str, object]] = [{"role": "system", "content": system}] if system else []
    for i, text in enumerate(turns):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return {"messages": messages}


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def sample_records() -> list[object]:
    """Every value type, on several lines, in messages, tool calls, tool results and tools."""
    tool_call = {
        "messages": [
            {"role": "user", "content": f"Look up {EMAIL}, IBAN {IBAN}"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "lookup",
                            "arguments": json.dumps({"email": EMAIL, "ip": IP}),
                        },
                    }
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "call_1",
                "content": json.dumps({"owner": PERSON, "ssn": SSN}),
            },
            {"role": "assistant", "content": f"{PERSON} owns it; call {PHONE}."},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "lookup",
                    "description": f"Find a customer of {ORG}",
                    "parameters": {
                        "type": "object",
                        "properties": {"email": {"type": "string"}},
                        "required": ["email"],
                    },
                },
            }
        ],
    }
    return [
        chat(f"I'm {PERSON}, mail {EMAIL}, card {CARD}.", f"Thanks {PERSON}.", system=f"{ORG} bot"),
        chat(f"JANE DOE here, key {SECRET}", "Noted.", system=f"{ORG} bot"),
        tool_call,
        chat("Nothing personal here.", "Fine."),
    ]
