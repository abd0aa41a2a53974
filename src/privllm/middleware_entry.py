"""Naming a middleware in config or code: an import path, a class with options, or an
instance, and where in the chain it runs (Starlette's ``Middleware(cls, **kwargs)``).

>>> entry = MiddlewareEntry.of({"use": "privllm.pipeline:Middleware", "place": "inside_redaction"})
>>> mw = entry.build()
>>> entry.placed(mw)
'inside_redaction'

A bad entry raises :class:`~privllm.errors.ConfigError` naming it (``middleware[1].options``)
and never an option's value, which may be a secret.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .config_load import FieldError
from .errors import ConfigError
from .pipeline import PLACES, Middleware, Place

__all__ = ["MiddlewareEntry", "MiddlewareLike", "entry_problem", "load_middleware"]


#: What ``Client(middleware=[...])`` takes: an instance, an import path, an entry, or a
#: mapping of an entry's fields (the config file's ``{use = ..., options = ..., place = ...}``).
MiddlewareLike = Union[Middleware, str, "MiddlewareEntry", Mapping[str, Any]]


class MiddlewareEntry(BaseModel):
    """One middleware, with the options to build it with and its place in the chain
    (Starlette's ``Middleware(cls, **kwargs)``).

    ``use`` is an import path (``"myapp.mw:AuditLog"``), a :class:`Middleware` subclass, or
    an instance (which takes no ``options``). ``place`` (:data:`Place`) overrides the class's
    own. In a config file::

        middleware = [
            "myapp.mw:Tagger",
            { use = "myapp.mw:AuditLog", options = { level = "info" }, place = "inside_redaction" },
        ]

    Option values may be secrets: they are never shown, in a repr, ``privllm config show`` or
    an error, which names the entry and the option instead.

    >>> MiddlewareEntry("myapp.mw:Log", options={"token": "s3cret"}, place="inside_redaction")
    MiddlewareEntry('myapp.mw:Log', options=['token'], place='inside_redaction')
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, hide_input_in_errors=True
    )

    use: str | type[Middleware] | Middleware
    options: dict[str, Any] = Field(default_factory=dict)
    place: Place | None = None

    def __init__(
        self, use: str | type[Middleware] | Middleware | None = None, /, **data: Any
    ) -> None:
        if use is not None:
            data["use"] = use
        super().__init__(**data)

    @field_validator("use")
    @classmethod
    def _path_shape(cls, use: object) -> object:
        if isinstance(use, str):
            module, sep, attr = use.partition(":")
            if not (sep and module and attr):
                raise PydanticCustomError(
                    "middleware_path", "must look like 'package.module:ClassName'"
                )
        return use

    @model_validator(mode="after")
    def _options_need_a_class(self) -> MiddlewareEntry:
        if self.options and isinstance(self.use, Middleware):
            raise FieldError(
                ("options",),
                "given with a middleware instance: pass the class or its import path, and "
                "privllm builds it with these options",
            )
        return self

    @field_serializer("use")
    def _use_path(self, use: str | type[Middleware] | Middleware) -> str:
        if isinstance(use, str):
            return use
        cls = use if isinstance(use, type) else type(use)
        return f"{cls.__module__}:{cls.__qualname__}"

    @field_serializer("options")
    def _option_names(self, options: dict[str, Any]) -> dict[str, str]:
        return dict.fromkeys(options, "***")  # the values may be secrets

    def __repr__(self) -> str:
        parts = [repr(self._use_path(self.use))]
        if self.options:
            parts.append(f"options={sorted(self.options)}")
        if self.place is not None:
            parts.append(f"place={self.place!r}")
        return f"MiddlewareEntry({', '.join(parts)})"

    @classmethod
    def of(cls, item: MiddlewareLike, field: str = "middleware") -> MiddlewareEntry:
        """The entry for anything ``middleware=`` takes; a bad one raises ConfigError naming
        ``field`` (``middleware[2].place``), never an option's value."""
        if isinstance(item, MiddlewareEntry):
            return item
        if isinstance(item, (str, Middleware)):
            data: Mapping[str, Any] = {"use": item}
        elif isinstance(item, Mapping):
            data = item
        else:
            raise ConfigError(
                f"{field}: must be a Middleware, an import path 'package.module:ClassName' or "
                f"{{use = ..., options = ..., place = ...}}, not {type(item).__name__}",
                field=field,
            )
        problem = None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problem = entry_problem(exc)
        where = ".".join(filter(None, (field, problem[0])))
        raise ConfigError(f"{where}: {problem[1]}", field=where)

    def build(self, field: str = "middleware") -> Middleware:
        """The middleware instance: imported and built with ``options`` if need be."""
        target: object = self.use
        if isinstance(target, str):
            target = _import(target, field)
        if isinstance(target, type):
            target = _construct(target, self.options, field)
        elif self.options:
            raise ConfigError(
                f"{field}.options: {self._use_path(self.use)} is not a class, so it takes no "
                "options",
                field=f"{field}.options",
            )
        if not isinstance(target, Middleware):
            raise ConfigError(
                f"{field}: {self._use_path(self.use)} is not a privllm.pipeline.Middleware",
                field=field,
            )
        return target

    def placed(self, middleware: Middleware, field: str = "middleware") -> Place:
        """Where ``middleware`` (built from this entry) runs. A class whose own ``place`` is
        misspelt is refused: run outside by mistake, a logger would see raw values."""
        place = self.place or middleware.place
        if place not in PLACES:
            name = type(middleware).__qualname__
            raise ConfigError(
                f"{field}: {name}.place is {place!r}, not one of {', '.join(PLACES)}",
                field=f"{field}.place",
            )
        return place


def entry_problem(exc: ValidationError) -> tuple[str, str]:
    """An entry's first validation error: its field (``use``, ``options`` or ``place``) and
    the reason, without the input (it may be a secret)."""
    err = exc.errors(include_input=False, include_url=False)[0]
    loc = [str(p) for p in err["loc"]]
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, FieldError):
        loc += cause.loc
    message = str(cause) if isinstance(cause, FieldError) else err["msg"]
    return ".".join(loc[:1]), message  # the entry's own field: use, options or place


def _import(path: str, field: str) -> object:
    module_name, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"{field}: middleware {path!r} cannot be imported: {exc}", field=f"{field}.use"
        ) from exc


def _construct(cls: type, options: Mapping[str, Any], field: str) -> object:
    name = f"{cls.__module__}:{cls.__qualname__}"
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):  # no signature to read (a C type): let the call decide
        signature = None
    if signature is not None:
        try:
            signature.bind(**options)
        except TypeError as exc:  # names the parameter, never a value
            raise ConfigError(
                f"{field}.options: {name} does not take these options: {exc}",
                field=f"{field}.options",
            ) from None
    failure = None
    try:
        return cls(**options)
    except Exception as exc:  # the message may quote an option's value: name its type only
        failure = type(exc).__name__
    raise ConfigError(
        f"{field}: building {name} with options {sorted(options)} raised {failure} "
        "(its message is not shown: it may quote an option's value)",
        field=f"{field}.options",
    )


def load_middleware(path: str) -> Middleware:
    """Instantiate a middleware named ``"package.module:ClassName"`` (no arguments)."""
    return MiddlewareEntry.of(path).build()
