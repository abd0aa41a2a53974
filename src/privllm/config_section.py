"""What every config section shares: strict fields, and a master key given in code only.

The feature settings modules (``providers/settings.py``, ``policy/settings.py``,
``redaction/settings.py``, ``finetune/settings.py``, ``integrations/settings.py``) build
their sections on :class:`Section`; ``config.py`` composes them into ``Config``. This
module needs nothing but pydantic, as ``import privllm`` loads it.

>>> class Demo(Section):
...     size: int = 1
>>> Demo(size=2).size
2
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Section", "master_key_in_code"]


class Section(BaseModel):
    """A config section: unknown fields are errors, assignments are validated."""

    # hide_input_in_errors: a ValidationError from code building a section directly must not
    # quote a value either (it may be a key typed into the wrong setting).
    model_config = ConfigDict(extra="forbid", validate_assignment=True, hide_input_in_errors=True)


def master_key_in_code(value: Any, instead: str) -> Any:
    """``value`` if it is unset, a ``MasterKey`` or a callable; else a ``ValueError`` that
    says where a key belongs (``instead``), never echoing the value."""
    if value is None or callable(value):
        return value
    from privllm.audit.crypto import MasterKey  # only when a key is given: no import cost

    if isinstance(value, MasterKey):
        return value
    # The value is not echoed: it may be a key typed into the wrong place.
    raise ValueError(
        f"takes a MasterKey or a callable, in code only; put a base64 key in the {instead} instead"
    )
