"""The machinery behind :func:`privllm.config.load_config`: sources, merging, provenance.

Reads the TOML file, turns ``PRIVLLM_*`` variables into a layer, merges the layers in order
while remembering which source set each leaf, and turns a pydantic ``ValidationError`` into a
``ConfigError`` that names that source. It knows the config schema only through what the
caller passes in, so ``config`` imports this module and never the reverse (no import cycle).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = ["ENV_PREFIX", "FieldError", "config_error", "merge_sources"]

ENV_PREFIX = "PRIVLLM_"
# Below these, env var segments are type names (EMAIL, PERSON), which are upper-case; every
# other segment is a field or profile name, which are lower-case.
_TYPE_TABLES = {("redaction", "actions"), ("redaction", "terms"), ("redaction", "terms_files")}


class FieldError(ValueError):
    """A model validator's error about one field below the model: ``loc`` is its path."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def merge_sources(
    path: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
    overrides: Mapping[str, Any],
    sections: Collection[str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The file, ``PRIVLLM_*`` variables and overrides merged in that order, and the source
    of each leaf (``"env PRIVLLM_..."``, the file path, or ``"argument"``).

    ``sections`` are the top-level field names: only variables below one are config.
    """
    layers: list[tuple[str, Mapping[str, Any]]] = []
    file_path = path if path is not None else environ.get("PRIVLLM_CONFIG")
    if file_path:
        layers.append((str(file_path), _read_toml(Path(file_path))))
    env_layer, env_names = _env_layer(environ, sections)
    if env_layer:
        layers.append(("env", env_layer))
    if overrides:
        layers.append(("argument", overrides))

    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for label, data in layers:
        _deep_merge(merged, data)
        for leaf in _leaves(data):
            # A JSON table in one variable sets several leaves: each is that variable's.
            sources[leaf] = f"env {_env_name(leaf, env_names)}" if label == "env" else label
    return merged, sources


def config_error(exc: ValidationError, sources: Mapping[str, str]) -> ConfigError:
    """One ``ConfigError`` listing every problem as ``source: field: reason``."""
    problems = []
    first_field = first_source = None
    for err in exc.errors(include_input=False, include_url=False):
        loc = err["loc"]
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            loc = (*loc, *cause.loc)
        field = ".".join(str(p) for p in loc)
        source = sources.get(field) or _nearest_source(field, sources) or "default"
        first_field = first_field or field
        first_source = first_source or source
        problems.append(f"{source}: {field}: {err['msg']}")
    message = "invalid config: " + "; ".join(problems)
    return ConfigError(message, source=first_source, field=first_field)


def _nearest_source(field: str, sources: Mapping[str, str]) -> str | None:
    # An unknown key below a section: attribute it to whatever set something under that key.
    for leaf, source in sources.items():
        if leaf.startswith(field + ".") or field.startswith(leaf + "."):
            return source
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found", source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", source=str(path)) from None
    except UnicodeDecodeError as exc:
        # TOML is UTF-8 only; the bytes are not echoed (they may be anything).
        raise ConfigError(
            f"{path}: not valid UTF-8 (byte {exc.start}); save the file as UTF-8",
            source=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}", source=str(path)) from None


def _env_layer(
    environ: Mapping[str, str], sections: Collection[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    layer: dict[str, Any] = {}
    names: dict[str, str] = {}
    for name, raw in sorted(environ.items()):
        keys = _env_keys(name, sections)
        if keys is None:
            continue
        node = layer
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(
                    f"env {name}: conflicts with another PRIVLLM_ variable", source=name
                )
            node = child
        value = _env_value(raw)
        if isinstance(value, dict) and isinstance(node.get(keys[-1]), dict):
            # PRIVLLM_PROVIDER='{...}' beside PRIVLLM_PROVIDER__NAME: the longer name wins.
            _deep_merge(value, node[keys[-1]])
        node[keys[-1]] = value
        names[".".join(keys)] = name
    return layer, names


def _env_keys(name: str, sections: Collection[str]) -> list[str] | None:
    """The config path ``name`` sets, or ``None`` when it is not a config variable.

    Only names whose first segment is a top-level field count, so PRIVLLM_CONFIG and secrets
    such as PRIVLLM_AUDIT_KEY or PRIVLLM_AUDIT_KEY_NEW are left to whoever reads them.
    """
    if not name.startswith(ENV_PREFIX):
        return None
    keys = [k for k in name[len(ENV_PREFIX) :].split("__") if k]
    if not keys or keys[0].lower() not in sections:
        return None
    out: list[str] = []
    for key in keys:
        table = tuple(out[-2:]) in _TYPE_TABLES
        out.append(key.upper() if table else key.lower())
    return out


def _env_name(leaf: str, names: Mapping[str, str]) -> str:
    # The variable that set ``leaf``: its own, else the one holding the JSON table above it.
    path = leaf
    while path not in names and "." in path:
        path = path.rsplit(".", 1)[0]
    return names[path]


def _env_value(raw: str) -> Any:
    # Lists and tables come as JSON; scalars stay strings and pydantic coerces them.
    stripped = raw.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return raw
    return raw


def _set_fields(model: BaseModel) -> dict[str, Any]:
    # Not model_dump: it drops fields marked exclude=True, such as the audit key.
    return {name: getattr(model, name) for name in model.model_fields_set}


def _deep_merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, BaseModel):
            value = _set_fields(value)
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        elif isinstance(value, Mapping):
            into[key] = {}
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _leaves(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in data.items():
        if isinstance(value, BaseModel):
            value = _set_fields(value)
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.extend(_leaves(value, path + "."))
        else:
            out.append(path)
    return out
