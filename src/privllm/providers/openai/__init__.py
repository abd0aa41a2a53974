"""OpenAI, and any OpenAI-compatible server (vLLM, Ollama, llama.cpp, LM Studio).

The official ``openai`` SDK does the wire work over an ``httpx2`` client privllm builds
(``trust_env=False``, no redirects, privllm's transport inside). Every value is passed
explicitly, so ``OPENAI_BASE_URL`` and friends in the environment cannot redirect traffic.

Modules: ``provider`` (:class:`OpenAIProvider`, the SDK clients and calls), ``mapping``
(privllm types <-> the SDK's parameters and results), ``streams`` and ``errors``.
"""

from __future__ import annotations

from .provider import OpenAIProvider, without_env_headers

__all__ = ["OpenAIProvider", "without_env_headers"]
