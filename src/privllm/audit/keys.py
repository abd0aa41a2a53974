"""Where the audit log lives and which master key opens it, resolved from ``AuditConfig``.

The log defaults to ``$XDG_DATA_HOME/privllm/audit.db`` (else ``~/.local/share/privllm/``).
The master key comes from the first source that has one:

1. ``audit.key`` given in code: a ``MasterKey``, or a callable returning the key (a KMS);
2. the environment variable named by ``audit.key_env`` (``PRIVLLM_AUDIT_KEY``);
3. ``audit.key_file`` (default ``audit.key`` next to the log), refused if group or others
   can read it;
4. with ``audit.create_key`` (the default) and no log yet: a new random key written to that
   key file, mode 0600, announced once through the ``privllm.audit`` logger (the key itself
   is never printed).

An existing log with no key found is an error, never a new key (which could not open it).

    >>> from privllm.config import AuditConfig
    >>> from privllm.audit.crypto import MasterKey, generate_key
    >>> cfg = AuditConfig(path="/tmp/x/audit.db", key=MasterKey.from_base64(generate_key()))
    >>> audit_paths(cfg)[0].name, resolve_key(cfg).key_id == cfg.key.key_id
    ('audit.db', True)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from privllm.audit.crypto import MasterKey, generate_key
from privllm.errors import ConfigError

if TYPE_CHECKING:
    from privllm.config import AuditConfig

__all__ = ["audit_paths", "default_audit_path", "key_source", "resolve_key", "write_key_file"]

_log = logging.getLogger("privllm.audit")


def default_audit_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/privllm/audit.db``, else ``~/.local/share/privllm/audit.db``.

    Read from the process environment (like the home directory), not from config.
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "privllm" / "audit.db"


def audit_paths(config: AuditConfig, environ: Mapping[str, str] | None = None) -> tuple[Path, Path]:
    """The log file and the key file ``config`` names (defaults filled in, ``~`` expanded)."""
    db = Path(config.path).expanduser() if config.path else default_audit_path(environ)
    key_file = Path(config.key_file).expanduser() if config.key_file else db.with_name("audit.key")
    return db, key_file


def resolve_key(
    config: AuditConfig,
    environ: Mapping[str, str] | None = None,
    *,
    create: bool | None = None,
) -> MasterKey:
    """The master key for ``config``'s log, from the sources in the module docstring.

    ``create`` overrides ``config.create_key`` (the CLI never creates a key for reading).
    Raises ``ConfigError`` saying where a key was looked for; never shows key material.
    """
    env = os.environ if environ is None else environ
    if config.key is not None:
        if isinstance(config.key, MasterKey):
            return config.key
        return MasterKey.from_callable(config.key)
    if env.get(config.key_env):
        return MasterKey.from_env(config.key_env, environ=env)
    db, key_file = audit_paths(config, env)
    if key_file.exists():
        return MasterKey.from_file(key_file)
    may_create = config.create_key if create is None else create
    if config.backend == "postgresql":
        # One log for many hosts: a key made here would differ from every other host's.
        raise ConfigError(
            f"no audit key: a postgresql audit log is shared by every instance, so each needs "
            f"the same key: set {config.key_env} or audit.key_file (`privllm audit keygen`); "
            "none is created",
            field="audit.key_env",
        )
    if _has_log(db):
        raise ConfigError(
            f"the audit log {db} exists but no key was found: set {config.key_env}, or put "
            f"the key in {key_file} (audit.key_file)",
            field="audit.key_file",
        )
    if not may_create:
        raise ConfigError(
            f"no audit key: set {config.key_env} or create {key_file} "
            "(`privllm audit keygen --output FILE`), or set audit.create_key = true",
            field="audit.key_file",
        )
    return _create_key_file(key_file)


def _has_log(db: Path) -> bool:
    try:
        return db.stat().st_size > 0
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ConfigError(f"cannot read audit log {db}: {exc.strerror}") from exc


def key_source(config: AuditConfig, environ: Mapping[str, str] | None = None) -> Path | None:
    """The key file ``resolve_key`` reads for ``config``; None when the key is not in a file."""
    env = os.environ if environ is None else environ
    if config.key is not None or env.get(config.key_env):
        return None
    return audit_paths(config, env)[1]


def write_key_file(path: Path) -> MasterKey:
    """A new random key, written to the new file ``path`` (0600; folder made 0700).

    Raises ``FileExistsError`` if ``path`` exists: a key file is never overwritten.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = generate_key()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text + "\n")
        # link() refuses to replace an existing file, and the file appears whole: when two
        # processes start at once, exactly one key wins and the other reads all of it.
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return MasterKey.from_base64(text, source=f"key file {path}")


def _create_key_file(path: Path) -> MasterKey:
    try:
        key = write_key_file(path)
    except FileExistsError:
        return MasterKey.from_file(path)  # another process made it first
    except OSError as exc:
        raise ConfigError(
            f"cannot create audit key file {path}: {exc.strerror}", source=str(path)
        ) from exc
    _log.warning(
        "privllm: created the audit log key %s (key id %s). Back it up: the audit log "
        "cannot be read without it. Set audit.enabled = false to turn the log off.",
        path,
        key.key_id,
    )
    return key
