"""Package surfaces whose names load on first use (PEP 562 module ``__getattr__``).

A package lists what users import and where each name lives; nothing is imported until a
name is asked for, so ``import privllm`` (which reads the packages' settings modules)
stays light. Each package also imports the names under ``TYPE_CHECKING``, so a user's type
checker sees the real classes, not ``Any``.

>>> getattr_, dir_ = surface("privllm.policy", {"geography": "regions"}, ["geography"])
>>> getattr_("geography")("google", "europe-west4")
'eu'
>>> dir_()
['geography']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["surface"]


def surface(
    package: str, where: Mapping[str, str], listed: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``where`` maps each name to the
    module that defines it, relative to the package; ``listed`` is its ``__all__``."""
    shown = sorted(listed)

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return list(shown)

    return __getattr__, __dir__
