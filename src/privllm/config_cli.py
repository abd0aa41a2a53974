"""``privllm config show``: what is set, and where each value came from.

By default only what a person needs: the provider in use, its key (whether the variable is
set, masked), and every setting given by a file, the environment or code. ``--all`` adds
the defaults, ``--json`` prints every setting for machines. Secrets are masked either way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import click
from pydantic import SecretStr

from privllm.config import LoadedConfig, mask_secret

__all__ = ["describe", "rows", "show_text"]


def rows(config: LoadedConfig) -> Iterator[tuple[str, Any, str]]:
    """``(setting, value, source)`` for every setting, in the config's order."""
    for key, value in _flatten(config.model_dump()):
        yield key, value, config.sources.get(key, "default")


def _essential(key: str, config: LoadedConfig) -> bool:
    """What is shown even at its default: the provider in use, and how it authenticates."""
    p = config.provider
    if key in ("provider.name", "provider.model"):
        return True
    section = f"provider.{p.name}."
    if not key.startswith(section):
        return False
    leaf = key[len(section) :]
    if p.name == "google" and p.google.mode == "vertex":
        return leaf in ("mode", "project", "location")
    if p.name == "google":
        return leaf in ("mode", "api_key_env", "tier")
    if p.name == "azure":
        wanted = {"endpoint", "deployment", "auth", "region", "data_zone"}
        return leaf in wanted or (leaf == "api_key_env" and p.azure.auth == "api_key")
    return leaf in ("api_key_env", "base_url")


def describe(key: str, value: Any) -> str:
    """A value as shown to a person: secrets masked, URL passwords hidden, term lists counted,
    an ``*_env`` variable with whether it is set."""
    from privllm.config_keys import looks_like_env_name

    if isinstance(value, SecretStr):
        return mask_secret(value.get_secret_value())
    if key.endswith("_env") and isinstance(value, str) and not looks_like_env_name(value or "_"):
        # Validation refuses a key here; a config built without it still never shows one.
        return mask_secret(value)
    if key.endswith("_env") and value:
        held = os.environ.get(value)
        return f"{value} ({'set: ' + mask_secret(held) if held else 'not set'})"
    if value is None:
        return "-"
    if key.startswith("redaction.terms.") and isinstance(value, list):
        # The terms are the very names redaction hides: show how many, not which.
        return f"{len(value)} term{'' if len(value) == 1 else 's'}"
    if isinstance(value, str) and "@" in value and "://" in value:
        return _mask_userinfo(value)
    return str(value)


def show_text(config: LoadedConfig, *, show_all: bool) -> None:
    """The table a person reads (fitted to the terminal)."""
    from privllm.cli_output import Column, print_table

    chosen = [
        (key, describe(key, value), source)
        for key, value, source in rows(config)
        if show_all or source != "default" or _essential(key, config)
    ]
    print_table(
        None,
        [Column("setting", wrap=False), Column("value"), Column("source")],
        [list(row) for row in chosen],
    )
    hidden = sum(1 for _ in rows(config)) - len(chosen)
    if hidden:
        click.echo(f"({hidden} more settings at their defaults: --all shows them)")


def show_json(config: LoadedConfig) -> None:
    """Every setting as ``{"setting": {"value": ..., "source": ...}}``, secrets masked."""
    out: dict[str, dict[str, Any]] = {}
    for key, value, source in rows(config):
        entry: dict[str, Any] = {"source": source}
        if isinstance(value, SecretStr) or key.startswith("redaction.terms."):
            entry["value"] = describe(key, value)
        elif key.endswith("_env") and isinstance(value, str):
            shown = describe(key, value)
            entry["value"] = shown.split(" (", 1)[0] if value and " (" in shown else shown
            entry["set"] = bool(value and os.environ.get(value))
        elif isinstance(value, str) and "@" in value and "://" in value:
            entry["value"] = _mask_userinfo(value)
        else:
            entry["value"] = value if _plain_json(value) else str(value)
        out[key] = entry
    click.echo(json.dumps(out, indent=2))


def _plain_json(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, list):
        return all(_plain_json(v) for v in value)
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    return False


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, path + ".")
        else:
            yield path, value


def _mask_userinfo(url: str) -> str:
    """``https://user:***@host``; a lone user name is masked too (it is often a token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, sep, _ = userinfo.partition(":")
    masked = f"{user}:***" if sep else "***"
    return parts._replace(netloc=f"{masked}@{host}").geturl()
