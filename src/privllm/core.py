"""Kept so that imports from ``privllm.core`` keep working; the shared client core lives in
:mod:`privllm._core` (:class:`~privllm._core.ClientCore`), the per-call timeout in
:mod:`privllm._calls`. Import ``USE_CLIENT_DEFAULT`` and the errors from ``privllm``.
"""

from __future__ import annotations

from ._calls import USE_CLIENT_DEFAULT, TimeoutLike, UseClientDefault
from ._core import (
    ClientCore,
    MessagesLike,
    ResponseFormatLike,
    ToolChoiceLike,
    ToolLike,
    parse_structured,
)
from .errors import StructuredOutputError
from .types import message_from_dict

__all__ = [
    "USE_CLIENT_DEFAULT",
    "ClientCore",
    "MessagesLike",
    "ResponseFormatLike",
    "StructuredOutputError",
    "TimeoutLike",
    "ToolChoiceLike",
    "ToolLike",
    "UseClientDefault",
    "message_from_dict",
    "parse_structured",
]
