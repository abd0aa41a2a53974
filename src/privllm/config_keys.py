"""Key hygiene for settings: ``*_env`` values that are keys, and keys that cannot be sent.

Two slips this catches when config is resolved, each with a ``ConfigError`` that names the
setting or variable and never repeats the value:

- a key pasted where the *name* of its environment variable belongs
  (``api_key_env = "sk-proj-..."``, ``audit.key_env = "<base64 key>"``);
- a key that cannot travel in an HTTP header (a control character, a space inside it, a
  non-ASCII character), which would otherwise fail as a connection error and be retried.
  Whitespace at either end (the newline of ``echo $KEY > file``, a paste slip) is stripped:
  no provider issues keys with leading or trailing whitespace.

>>> check_env_name("OPENAI_API_KEY")
'OPENAI_API_KEY'
>>> clean_key("sk-abc123\\n", "env OPENAI_API_KEY")
'sk-abc123'
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from .errors import ConfigError

__all__ = ["EnvName", "check_env_name", "clean_key", "looks_like_env_name"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# Vendor key prefixes that can also be spelt with name characters only.
_KEY_PREFIXES = ("sk_", "rk_", "ghp_", "gho_", "ghs_", "github_pat_", "xox", "AIza", "AKIA")


def looks_like_env_name(value: str) -> bool:
    """Whether ``value`` is a plausible environment variable name, not a key.

    >>> looks_like_env_name("AZURE_OPENAI_API_KEY"), looks_like_env_name("sk-proj-abc")
    (True, False)
    >>> looks_like_env_name("AIzaSyD3mYq0b9TXk2LrV7cWp1nEoFj4gHs8uIa")
    False
    """
    if not _NAME.fullmatch(value):
        return False
    if value.startswith(_KEY_PREFIXES):
        return False
    # Random-looking: a long run mixing lower case, upper case and digits (names are words
    # joined by underscores: MyApp_OpenAI_Key2 passes).
    return not any(_random_looking(part) for part in value.split("_"))


def _random_looking(part: str) -> bool:
    return (
        len(part) >= 16
        and any(c.islower() for c in part)
        and any(c.isupper() for c in part)
        and any(c.isdigit() for c in part)
    )


def check_env_name(value: str) -> str:
    """``value`` if it is a plausible variable name (or empty: none), else ``ValueError``
    whose message does not repeat it (it may be the key itself)."""
    if value and not looks_like_env_name(value):
        raise ValueError(
            "takes the NAME of an environment variable (letters, digits and _, such as "
            "OPENAI_API_KEY); this value is not one and may be a key itself, so it is not "
            "shown: put the key in the variable and the variable's name here"
        )
    return value


#: A ``*_env`` setting: the name of an environment variable, never a key.
EnvName = Annotated[str, AfterValidator(check_env_name)]


def clean_key(key: str, where: str, field: str | None = None) -> str:
    """``key`` without surrounding whitespace; ``ConfigError`` naming ``where`` (the setting
    or variable) if what is left cannot be sent in an HTTP header. The key is never shown."""
    stripped = key.strip(" \t\r\n")
    if not stripped:
        raise ConfigError(f"{where}: the key is empty (only whitespace)", field=field)
    for position, char in enumerate(stripped, start=1):
        if not "!" <= char <= "~":
            what = (
                "a non-ASCII character"
                if ord(char) > 127
                else "a space"
                if char == " "
                else "a control character"
            )
            raise ConfigError(
                f"{where}: the key holds {what} (character {position} of {len(stripped)}), "
                "which cannot be sent in an HTTP header: copy the key again",
                field=field,
            )
    return stripped
