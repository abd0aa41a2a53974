"""Where training data may go, and what may be in it: the refusals before anything is sent.

Sans-IO: :class:`~privllm.finetune.FinetuneJobs` records a refusal in the inventory and
raises it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from privllm.errors import PolicyViolation, UnpreparedFileError

if TYPE_CHECKING:
    from privllm.config import PolicyConfig
    from privllm.types import Endpoint

__all__ = ["UnpreparedFileError", "check_storage_endpoint", "check_training_endpoint"]

_TRAINING_KINDS = frozenset({"enterprise_api", "self_hosted"})


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


def check_storage_endpoint(storage: Endpoint, policy: PolicyConfig, bucket: str) -> Endpoint:
    """``storage`` (see :func:`privllm.finetune.jobs.gcs.storage_endpoint`), if the Vertex training
    file may go to ``bucket`` there: the ``[policy]`` destination rules, with the bucket's
    declared ``gcs_location`` as its region, then ``finetune.endpoint_kind``.

    The storage host is classified by :mod:`privllm.finetune.jobs.gcs`, not by the policy host
    tables: it is an enterprise API for training files only, never for chat calls.

    >>> from privllm.config import PolicyConfig
    >>> from privllm.finetune.jobs.gcs import storage_endpoint
    >>> from privllm.finetune.settings import FinetuneConfig
    >>> where = storage_endpoint(FinetuneConfig(gcs_location="us"), ())
    >>> check_storage_endpoint(where, PolicyConfig(allowed_regions=["eu"]),
    ...                        "acme")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    privllm.errors.PolicyViolation: refused by policy rule allowed_regions: bucket acme is in us;...
    """
    from privllm.policy.rules import PolicyEngine

    engine = PolicyEngine(policy)
    refused = engine.refusal(engine.check_endpoint(storage))
    if refused is not None and refused.rule == "allowed_regions":
        where = storage.region or "a location not declared (set finetune.gcs_location)"
        raise PolicyViolation(
            f"refused by policy rule allowed_regions: bucket {bucket} is in {where}; "
            f"policy.allowed_regions is {sorted(r.lower() for r in policy.allowed_regions)}",
            rule="allowed_regions",
            host=storage.host,
        )
    if refused is not None:
        engine.raise_for(refused)
    if storage.kind not in _TRAINING_KINDS:
        raise PolicyViolation(
            f"refused by policy rule finetune.endpoint_kind: Cloud Storage training files go "
            f"to storage.googleapis.com or a self-hosted host; {storage.host} is {storage.kind}",
            rule="finetune.endpoint_kind",
            host=storage.host,
        )
    return storage
