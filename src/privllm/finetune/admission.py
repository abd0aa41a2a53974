"""Where training data may go, and what may be in it: the refusals before anything is sent.

Sans-IO: :class:`~privllm.finetune.jobs.FinetuneJobs` records a refusal in the inventory and
raises it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from privllm.errors import PolicyViolation

if TYPE_CHECKING:
    from privllm.config import PolicyConfig
    from privllm.types import Endpoint

__all__ = ["UnpreparedFileError", "check_training_endpoint"]

_TRAINING_KINDS = frozenset({"enterprise_api", "self_hosted"})


class UnpreparedFileError(PolicyViolation):
    """The file still holds values the configured detectors find. Counts per type only."""

    def __init__(self, message: str, *, findings: Mapping[str, int]) -> None:
        super().__init__(message, rule="finetune.unredacted")
        self.findings = dict(findings)


def check_training_endpoint(endpoint: Endpoint, policy: PolicyConfig) -> Endpoint:
    """``endpoint`` as policy classifies it, if training data may go there; else raise
    :class:`~privllm.errors.PolicyViolation` (every ``[policy]`` rule, then
    ``finetune.endpoint_kind``).

    >>> from privllm.config import PolicyConfig
    >>> from privllm.policy.endpoints import classify
    >>> check_training_endpoint(classify("https://chatgpt.com", provider="openai"),
    ...                         PolicyConfig())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    privllm.errors.PolicyViolation: refused by policy rule deny_consumer_endpoints: ...
    """
    from privllm.policy.rules import PolicyEngine

    engine = PolicyEngine(policy)
    endpoint = engine.classify(endpoint)
    refused = engine.refusal(engine.check_endpoint(endpoint))
    if refused is not None:
        engine.raise_for(refused)
    if endpoint.kind not in _TRAINING_KINDS:
        raise PolicyViolation(
            f"refused by policy rule finetune.endpoint_kind: training data goes only to "
            f"enterprise API or self-hosted endpoints; {endpoint.host} is {endpoint.kind}",
            rule="finetune.endpoint_kind",
            host=endpoint.host,
        )
    return endpoint
