"""Input models whose validation errors name fields, never values.

pydantic's ``ValidationError`` on user input is turned into :class:`InvalidRequestError`.

pydantic's text quotes the input (``input_value={'content': 'SSN 536-22-1847'}``), and the
input is a prompt: that text would reach logs, tracebacks and error trackers. The error
built here names the field (``messages[2].content[0].type``) and what was expected, from
the schema only, never from the value.

>>> from pydantic import BaseModel, ValidationError
>>> class M(BaseModel):
...     role: str
>>> try:
...     M.model_validate({"content": "SSN 536-22-1847"})
... except ValidationError as exc:
...     print(input_error(exc, "message"))
invalid message: role: required
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError
from typing_extensions import Self

from privllm.errors import InvalidRequestError

__all__ = ["CUSTOM_ERROR", "InputModel", "input_error", "refuse", "where"]

#: The error type of privllm's own validators (``PydanticCustomError``): their message
#: templates are written here, name no value, and are used as they are.
CUSTOM_ERROR = "privllm_input"

# pydantic error types whose message comes from the schema alone (expected type, allowed
# literals, bounds), never from the input. Any other type gets a generic reason.
_SAFE_PREFIXES = (
    "literal_error",
    "greater_than",
    "less_than",
    "multiple_of",
    "finite_number",
    "too_short",
    "too_long",
    "string_too_short",
    "string_too_long",
    "is_subclass_of",
    "is_instance_of",
    "model_type",
    "model_attributes_type",
    "dataclass_type",
    "enum",
)
_MAX_SHOWN = 5


class InputModel(BaseModel):
    """A model built from the caller's input. Its validation errors are
    :class:`~privllm.errors.InvalidRequestError`: they name fields, never values (pydantic's
    own error quotes the input, which is a prompt)."""

    # Belt and braces: a ValidationError from the model's own validator that escapes these
    # wrappers (``Message.__pydantic_validator__`` called directly) prints no input either.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    #: How errors name this model ("invalid chat request: ...").
    _what: ClassVar[str] = "input"

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
            return
        except ValidationError as exc:
            error = input_error(exc, self._what)
        # Raised outside the except block, from None: pydantic's text is neither the cause
        # nor the context, so no traceback or logging.exception() prints it.
        raise error from None

    # pydantic's marker for "validates like BaseModel.__init__": without it pydantic calls
    # this __init__ for nested input too, and a message's error would lose its path
    # (``messages[2].role``) inside the request's.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            error = input_error(exc, cls._what)
        raise error from None

    @classmethod
    def model_validate_json(
        cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any
    ) -> Self:
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            error = input_error(exc, cls._what)
        raise error from None


def refuse(message: str) -> PydanticCustomError:
    """A validation failure whose message privllm wrote (so it names no input value)."""
    return PydanticCustomError(CUSTOM_ERROR, message)


def input_error(
    exc: ValidationError, what: str = "request", *, root: tuple[str | int, ...] = ()
) -> InvalidRequestError:
    """An :class:`InvalidRequestError` for ``exc``; ``root`` prefixes every field path."""
    found: dict[str, list[str]] = {}
    custom: set[str] = set()
    # include_input=False: the values never enter this function's output, even by accident.
    details = exc.errors(include_input=False, include_url=False, include_context=True)
    paths = [_path(root + tuple(d["loc"])) for d in details]
    for d, path in zip(details, paths, strict=True):
        # A union reports one error per member: keep the member that got furthest (the one
        # whose path goes deeper), as it is the shape the caller meant.
        if any(other != path and _inside(other, path) for other in paths):
            continue
        reason = _reason(d)
        if d["type"] == CUSTOM_ERROR:
            if path not in custom:  # privllm's own reason says more than a union's others
                found[path] = []
                custom.add(path)
        elif path in custom:
            continue
        reasons = found.setdefault(path, [])
        if reason not in reasons:
            reasons.append(reason)
    fields = tuple(found)
    shown = [f"{where(f)}{_join(found[f])}" for f in fields[:_MAX_SHOWN]]
    more = len(fields) - _MAX_SHOWN
    if more > 0:
        shown.append(f"and {more} more")
    return InvalidRequestError(f"invalid {what}: " + "; ".join(shown), fields=fields)


def where(path: str) -> str:
    return f"{path}: " if path else ""


def _inside(deeper: str, path: str) -> bool:
    if not path:
        return True
    return deeper.startswith(path) and deeper[len(path)] in ".["


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _is_field(part):
            out += f".{part}" if out else part
        # else: a union member's tag (``str``, ``list[TextPart]``...), not a place in the input
    return out


def _is_field(part: str) -> bool:
    # Field names are lower-case identifiers; pydantic's union tags are type reprs
    # (``list[TextPart]``, a model's class name, ``str``: no privllm field has those names).
    return part.isidentifier() and not part[0].isupper() and part not in _TYPE_TAGS


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "none", "list", "dict", "bytes"})


def _reason(d: ErrorDetails) -> str:
    kind = d["type"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "not accepted here (unknown field)"
    if kind == CUSTOM_ERROR:
        return d["msg"]
    if kind.endswith(("_type", "_parsing")) or kind.startswith(_SAFE_PREFIXES):
        return _must(d["msg"])
    return "invalid value"


def _must(msg: str) -> str:
    # "Input should be a valid string, unable to ..." -> "must be a valid string"
    head = msg.split(",", 1)[0] if msg.startswith("Input should be a valid") else msg
    return head.replace("Input should be", "must be", 1)


def _join(reasons: list[str]) -> str:
    if len(reasons) == 1:
        return reasons[0]
    first, *rest = reasons
    return " or ".join([first, *(r.removeprefix("must be ") for r in rest)])
