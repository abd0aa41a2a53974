"""SDK response models filled from values privllm has already validated, without pydantic's
per-field work.

The drop-ins build the SDKs' own types (openai's ``ChatCompletionChunk``, google-genai's
``GenerateContentResponse``), one per stream chunk. Their constructors validate every field,
and ``model_construct`` still computes every default: ~100-200 us per chunk on a loaded
2-core machine, against a few us here. The instance is what ``model_construct`` makes:
defaults filled in (computed once per class), ``model_fields_set`` the given ones, extra
fields empty where the class allows them.

:func:`construct` makes one object; a :class:`Skeleton` makes many of one shape (a stream's
text chunks), its fixed fields prepared once.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

__all__ = ["Skeleton", "construct", "defaults"]

_M = TypeVar("_M", bound=BaseModel)
_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}
_PRIVATE: dict[type[BaseModel], dict[str, Any] | None] = {}

# BaseModel's slots, set directly: pydantic's __setattr__ would validate, and
# object.__setattr__ looks each name up on every call. (The SDKs' models have no __new__.)
_SLOTS = BaseModel.__dict__
_SET_DICT = _SLOTS["__dict__"].__set__
_SET_FIELDS_SET = _SLOTS["__pydantic_fields_set__"].__set__
_SET_EXTRA = _SLOTS["__pydantic_extra__"].__set__
_SET_PRIVATE = _SLOTS["__pydantic_private__"].__set__
_NEW = object.__new__


def defaults(cls: type[BaseModel]) -> dict[str, Any]:
    """The defaults of ``cls``'s optional fields, computed once per class (shared: only for
    models whose defaults are immutable or never mutated by the caller)."""
    found = _DEFAULTS.get(cls)
    if found is None:
        found = _DEFAULTS[cls] = {
            name: info.get_default(call_default_factory=True)
            for name, info in cls.model_fields.items()
            if not info.is_required()
        }
    return found


def _private(cls: type[BaseModel]) -> dict[str, Any] | None:
    # What model_construct sets: the private attributes' defaults, or None when there are
    # none (google-genai's usage metadata has one, ``_initial_prompt_token_count``).
    if cls not in _PRIVATE:
        _PRIVATE[cls] = {
            name: attr.get_default() for name, attr in cls.__private_attributes__.items()
        } or None
    return _PRIVATE[cls]


def _extra(cls: type[BaseModel]) -> bool:
    return cls.model_config.get("extra") == "allow"


def construct(cls: type[_M], **fields: Any) -> _M:
    """``cls.model_construct(**fields)``, its defaults computed once per class.

    Only for values that are already valid for ``cls`` (nothing is checked).

    >>> class Part(BaseModel):
    ...     text: str | None = None
    ...     thought: bool | None = None
    >>> part = construct(Part, text="hi")
    >>> part.text, part.thought, part.model_fields_set
    ('hi', None, {'text'})
    """
    obj: _M = _NEW(cls)
    values = obj.__dict__
    values.update(_DEFAULTS.get(cls) or defaults(cls))
    values.update(fields)
    _SET_FIELDS_SET(obj, set(fields))
    _SET_EXTRA(obj, {} if _extra(cls) else None)
    private = _private(cls)
    _SET_PRIVATE(obj, None if private is None else dict(private))
    return obj


class Skeleton(Generic[_M]):
    """Objects of one type and shape that differ in one field: the other fields' values
    (fixed ones and defaults) prepared once, ``model_fields_set`` the fixed ones and
    ``field``. What ``construct`` makes, with less per call: a stream's text chunks.

    >>> class Part(BaseModel):
    ...     text: str | None = None
    ...     thought: bool | None = None
    >>> text_part = Skeleton(Part, "text")
    >>> part = text_part("hi")
    >>> part.text, part.thought, part.model_fields_set
    ('hi', None, {'text'})
    """

    __slots__ = ("_cls", "_extra", "_field", "_private", "_set", "_values")

    def __init__(self, cls: type[_M], field: str, /, **fixed: Any) -> None:
        self._cls = cls
        self._field = field
        self._values = {**defaults(cls), **fixed, field: None}
        self._set = frozenset({field, *fixed})
        self._extra = _extra(cls)
        self._private = _private(cls)

    def __call__(self, value: Any) -> _M:
        obj: _M = _NEW(self._cls)
        values = self._values.copy()
        values[self._field] = value
        _SET_DICT(obj, values)
        _SET_FIELDS_SET(obj, set(self._set))
        _SET_EXTRA(obj, {} if self._extra else None)
        _SET_PRIVATE(obj, None if self._private is None else dict(self._private))
        return obj
