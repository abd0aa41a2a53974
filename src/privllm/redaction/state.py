"""``ctx.state`` keys the redaction middleware sets, for policy and audit to read.

Kept apart from the middleware so readers do not import the detectors.
"""

VAULT = "redaction.vault"  # the Vault of this call (or conversation)
FINDINGS = "redaction.findings"  # Counter[type]: what this call redacted
CONVERSATION = "conversation.id"  # the Conversation's id, when it has one (shared vault)

__all__ = ["CONVERSATION", "FINDINGS", "VAULT"]
