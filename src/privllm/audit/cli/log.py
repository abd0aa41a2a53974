"""What every ``privllm audit`` command shares: where the log and its key are
(``--config``/``--path``/``--key-file``), errors as exit statuses, durations and tables."""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from privllm.config import AuditConfig, load_config
from privllm.errors import ConfigError, PrivllmError

if TYPE_CHECKING:
    from privllm.audit.backend import AuditLog
    from privllm.audit.crypto import MasterKey
    from privllm.cli_output import Column

__all__ = [
    "LogLocation",
    "as_duration",
    "counts",
    "log_command",
    "parse_duration",
    "print_table",
    "since_option",
]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"15m"``, ``"2h"``, ``"30d"``, ``"1w"`` -> a timedelta.

    >>> parse_duration("2h")
    datetime.timedelta(seconds=7200)
    """
    m = _DURATION.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a duration like 90s, 15m, 2h, 30d or 1w")
    try:
        return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration (at most 999999999d)") from None


def as_duration(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    """A click callback: the option's duration text as a timedelta."""
    try:
        return None if value is None else parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """A duration back from now (``2h``) or a moment (``2025-03-01``, ISO; naive means UTC)."""
    if value is None:
        return None
    if _DURATION.match(value):
        try:
            ago = parse_duration(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        try:
            return datetime.now(timezone.utc) - ago
        except OverflowError:
            return None  # back before year 1: every call
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a duration (2h, 30d) nor an ISO date (2025-03-01)"
        ) from None
    try:
        return (
            moment.astimezone(timezone.utc)
            if moment.tzinfo
            else moment.replace(tzinfo=timezone.utc)
        )
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00, before year 1 in UTC
        return None


@dataclass(frozen=True)
class LogLocation:
    """Where the log and its key are, from config and the --config/--path/--key-file options."""

    config_path: str | None
    path: str | None
    key_file: str | None

    def config(self) -> AuditConfig:
        explicit = self.config_path
        if not explicit and not os.environ.get("PRIVLLM_CONFIG") and Path("privllm.toml").is_file():
            explicit = "privllm.toml"  # the rule of every privllm command
        section = load_config(explicit).audit
        update: dict[str, Path] = {}
        if self.path:
            update["path"] = Path(self.path)
        if self.key_file:
            update["key_file"] = Path(self.key_file)
        return section.model_copy(update=update)

    def key(self, config: AuditConfig) -> tuple[MasterKey, Path | None]:
        """The log's key, and the key file it came from (None: from the environment)."""
        from privllm.audit.crypto import MasterKey
        from privllm.audit.keys import key_source, resolve_key

        if self.key_file:  # an explicit --key-file wins over the environment
            return MasterKey.from_file(self.key_file), Path(self.key_file)
        return resolve_key(config, create=False), key_source(config)

    @contextmanager
    def open(self, *, write: bool = False) -> Iterator[AuditLog]:
        """The log ``[audit] backend`` names, read-only unless ``write``: reading never
        changes it (nor needs to). No command creates a log."""
        from privllm.audit.backend import open_store
        from privllm.audit.keys import audit_paths

        config = self.config()
        if config.backend == "sqlite":
            db, _ = audit_paths(config)
            if not db.is_file():  # before the key: "no log" is the more useful error
                raise ConfigError(
                    f"no audit log at {db} (set audit.path in the config, or pass --path)",
                    field="audit.path",
                )
        key = self.key(config)[0]
        if config.backend == "sqlite" and not write and db.stat().st_size == 0:
            # An empty file is a log with no records yet: the client starts its chain there,
            # so reading it shows none (read from a new log elsewhere: reading never writes).
            from privllm.audit.store import AuditStore

            with (
                tempfile.TemporaryDirectory(prefix="privllm-empty-") as folder,
                AuditStore(Path(folder) / db.name, key, content_mode=config.content) as store,
            ):
                yield store
            return
        with open_store(config, key, create=False, read_only=not write) as store:
            yield store


def log_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """An ``audit`` subcommand (for ``audit_group.add_command``) taking --config/--path/
    --key-file as ``log``; privllm errors become one ``error: ...`` line and exit status 1
    (2 for configuration)."""

    def decorate(fn: Callable[..., None]) -> click.Command:
        @functools.wraps(fn)
        def run(config_path: str | None, path: str | None, key_file: str | None, **kw: Any) -> None:
            try:
                fn(log=LogLocation(config_path, path, key_file), **kw)
            except PrivllmError as exc:
                click.echo(f"error: {exc}", err=True)
                sys.exit(2 if isinstance(exc, ConfigError) else 1)

        for option in (
            click.option("--key-file", type=click.Path(dir_okay=False),
                         help="Key file (default: $PRIVLLM_AUDIT_KEY, else audit.key_file)."),
            click.option("--path", type=click.Path(dir_okay=False),
                         help="The audit log (default: audit.path)."),
            click.option("--config", "config_path", type=click.Path(dir_okay=False),
                         help="Config file (default: $PRIVLLM_CONFIG, else ./privllm.toml)."),
        ):  # fmt: skip
            run = option(run)
        return click.command(name)(run)

    return decorate


since_option = click.option(
    "--since", callback=_since, help="Calls since a duration ago (2h, 30d) or an ISO date."
)


def counts(findings: dict[str, int]) -> str:
    """Finding counts as ``"EMAIL 2, PERSON 1"`` (``-`` for none)."""
    return ", ".join(f"{k} {v}" for k, v in sorted(findings.items())) or "-"


def print_table(
    title: str, columns: Iterable[Column], rows: Iterable[list[str]], *, more: str = ""
) -> None:
    """Print a table fitted to the terminal (80 columns piped); cells are text, never markup."""
    from privllm.cli_output import print_table as fitted

    fitted(title, list(columns), list(rows), more=more)
