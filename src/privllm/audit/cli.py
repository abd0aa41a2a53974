"""``privllm audit``: read, check and maintain the audit log from a shell.

privllm audit show [--since 2h --provider azure --status blocked --json]
privllm audit verify                     the hash chain, signed head and keys (exit 1 if bad)
privllm audit export --format jsonl      decrypted records, to stdout or --output FILE (0600)
privllm audit stats                      calls, tokens and findings per provider and day
privllm audit keygen                     a new master key
privllm audit rotate-key                 re-wrap the log's keys under a new master key
privllm audit purge --older-than 30d     crypto-shred whole days past retention
privllm audit erase --call ID            destroy one call's placeholder map for good

The log and its key are found as the client finds them (``[audit]`` config,
``PRIVLLM_AUDIT_KEY``, the key file); ``--path`` and ``--key-file`` override. Only ``keygen``
and ``rotate-key`` ever write a key; no command creates a log.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from privllm.config import AuditConfig, load_config
from privllm.errors import ConfigError, PrivllmError

if TYPE_CHECKING:
    from privllm.audit.crypto import MasterKey
    from privllm.audit.record import AuditRecord
    from privllm.audit.store import AuditStore

__all__ = ["audit_group", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_PROGRESS_FROM = 1000  # records; smaller exports end before a bar would be readable


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"15m"``, ``"2h"``, ``"30d"``, ``"1w"`` -> a timedelta.

    >>> parse_duration("2h")
    datetime.timedelta(seconds=7200)
    """
    m = _DURATION.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a duration like 90s, 15m, 2h, 30d or 1w")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    try:
        return None if value is None else parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """A duration back from now (``2h``) or a moment (``2025-03-01``, ISO; naive means UTC)."""
    if value is None:
        return None
    try:
        return datetime.now(timezone.utc) - parse_duration(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a duration (2h, 30d) nor an ISO date (2025-03-01)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# -- finding the log and its key ------------------------------------------------------------


@dataclass(frozen=True)
class _Log:
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
    def open(self) -> Iterator[AuditStore]:
        from privllm.audit.keys import audit_paths
        from privllm.audit.store import AuditStore

        config = self.config()
        db, _ = audit_paths(config)
        if not db.is_file():
            raise ConfigError(
                f"no audit log at {db} (set audit.path in the config, or pass --path)",
                field="audit.path",
            )
        with AuditStore(db, self.key(config)[0], content_mode=config.content) as store:
            yield store


def _command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """An ``audit`` subcommand taking --config/--path/--key-file as ``log``; privllm errors
    become one ``error: ...`` line and exit status 1 (2 for configuration)."""

    def decorate(fn: Callable[..., None]) -> click.Command:
        @functools.wraps(fn)
        def run(config_path: str | None, path: str | None, key_file: str | None, **kw: Any) -> None:
            try:
                fn(log=_Log(config_path, path, key_file), **kw)
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
        return audit_group.command(name)(run)

    return decorate


@click.group("audit")
def audit_group() -> None:
    """Read, verify and maintain the encrypted audit log."""


_since_option = click.option(
    "--since", callback=_since, help="Calls since a duration ago (2h, 30d) or an ISO date."
)


# -- reading -------------------------------------------------------------------------------


@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="The newest N matching calls; 0 for all.")  # fmt: skip
@click.option(
    "--status",
    type=click.Choice(["ok", "error", "blocked", "cancelled"]),
    help="Only this status.",
)
@click.option("--provider", help="Only this provider (openai, azure, google).")
@_since_option
@_command("show")
def show(
    log: _Log,
    since: datetime | None,
    provider: str | None,
    status: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List calls: metadata only, no content is decrypted."""
    with log.open() as store:
        found = store.iter_records(since=since, provider=provider, status=status, decrypt=False)
        records = list(deque(found, maxlen=limit) if limit else found)
    if as_json:
        for r in records:
            click.echo(r.model_dump_json(exclude={"payload", "placeholder_map"}))
        return
    _table(
        f"{len(records)} call(s)",
        ("time (UTC)", "call", "provider", "model", "host", "status", "rule", "ms", "tokens",
         "findings"),
        ([r.time.strftime("%Y-%m-%d %H:%M:%S"), r.call_id, r.provider, r.model,
          r.endpoint_host or "-", r.status, r.rule or "-",
          "-" if r.latency_ms is None else f"{r.latency_ms:.0f}",
          "-" if r.total_tokens is None else str(r.total_tokens), _counts(r.findings)]
         for r in records),
    )  # fmt: skip


def _counts(findings: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(findings.items())) or "-"


def _table(title: str, columns: Iterable[str], rows: Iterable[list[str]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))  # model names may hold [brackets]
    Console().print(table)


@_command("verify")
def verify(log: _Log) -> None:
    """Check every record against the hash chain and the signed head; exit 1 if any fails."""
    with log.open() as store:
        report = store.verify()
    if report.ok:
        span = f" (records {report.first_seq}..{report.last_seq})" if report.records else ""
        click.echo(f"ok: {report.records} record(s) verify{span}")
        return
    click.echo(f"FAILED: {report.problem}", err=True)
    if report.bad_seq is not None:
        click.echo(f"first bad record: {report.bad_seq} (call {report.bad_call_id})", err=True)
    sys.exit(1)


@_since_option
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write to this file (created 0600) instead of stdout.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@_command("export")
def export(log: _Log, fmt: str, output: str | None, force: bool, since: datetime | None) -> None:
    """Write records with their content decrypted, one JSON object per line.

    The output holds the payloads (and, for ``full`` records, the real values) in clear:
    protect it like the key.
    """
    with log.open() as store:
        total = _count(store, since)
        records = store.iter_records(since=since, decrypt=True)
        if output is None:
            count = _export(records, sys.stdout, total)
        else:
            with _private_file(Path(output), force, "pass --force to overwrite it") as fh:
                count = _export(records, fh, total)
    click.echo(f"exported {count} record(s)" + (f" to {output}" if output else ""), err=True)


def _count(store: AuditStore, since: datetime | None) -> int:
    # One COUNT on a read-only connection gives the bar its total without a second pass.
    from privllm.audit.rows import filters

    where, args = filters(since, None, None)
    uri = f"{store.path.resolve().as_uri()}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            query = f"SELECT COUNT(*) FROM records WHERE 1 = 1{where}"  # noqa: S608 - constant
            return int(conn.execute(query, args).fetchone()[0])
    except sqlite3.Error:
        return 0  # only the progress bar needs it


def _export(records: Iterator[AuditRecord], out: TextIO, total: int) -> int:
    count = 0
    if total < _PROGRESS_FROM:
        for record in records:
            out.write(record.model_dump_json() + "\n")
            count += 1
        return count
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("exporting", total=total)
        for record in records:
            out.write(record.model_dump_json() + "\n")
            count += 1
            progress.advance(task)
    return count


@contextmanager
def _private_file(path: Path, force: bool, hint: str) -> Iterator[TextIO]:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
        os.chmod(path, 0o600)  # a file overwritten with --force keeps its old mode otherwise
    except FileExistsError:
        raise ConfigError(f"{path} exists; {hint}", source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}", source=str(path)) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yield fh


@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@_command("stats")
def stats(log: _Log, as_json: bool) -> None:
    """Calls, errors, blocked calls, tokens and findings per provider and UTC day."""
    with log.open() as store:
        rows = store.stats()
    if as_json:
        for row in rows:
            click.echo(json.dumps({**row.__dict__, "day": row.day.isoformat()}, sort_keys=True))
        return
    _table(
        "audit log usage",
        ("day", "provider", "calls", "errors", "blocked", "prompt", "completion", "total tokens",
         "findings"),
        ([row.day.isoformat(), row.provider, str(row.calls), str(row.errors), str(row.blocked),
          str(row.prompt_tokens), str(row.completion_tokens), str(row.total_tokens),
          _counts(row.findings)] for row in rows),
    )  # fmt: skip


# -- keys and retention ----------------------------------------------------------------------


@audit_group.command("keygen")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the key to this new file (0600) and print only its id.")  # fmt: skip
def keygen(output: str | None) -> None:
    """Make a new master key: base64 of 32 random bytes.

    Without --output the key is printed on stdout (for a secret store or PRIVLLM_AUDIT_KEY)
    and its id on stderr.
    """
    from privllm.audit.crypto import MasterKey, generate_key
    from privllm.audit.keys import write_key_file

    if output is None:
        text = generate_key()
        click.echo(text)
        click.echo(f"key id {MasterKey.from_base64(text).key_id}", err=True)
        return
    try:
        key = write_key_file(Path(output))
    except FileExistsError:
        click.echo(f"error: {output} exists; a key file is never overwritten", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"error: cannot write {output}: {exc.strerror}", err=True)
        sys.exit(1)
    click.echo(f"wrote key id {key.key_id} to {output}")


@click.option("--new-key-env", metavar="VAR", help="The new key, in this environment variable.")
@click.option("--new-key-file", type=click.Path(exists=True, dir_okay=False),
              help="The new key, in a 0600 file (e.g. from `keygen --output`).")  # fmt: skip
@_command("rotate-key")
def rotate_key(log: _Log, new_key_file: str | None, new_key_env: str | None) -> None:
    """Re-wrap the log's keys under a new master key; records are not rewritten.

    With neither --new-key-* option and the current key in a key file, a new key is made
    and replaces that file once the log is rotated: the old key is gone afterwards.
    """
    from privllm.audit.crypto import MasterKey
    from privllm.audit.keys import write_key_file

    if new_key_file and new_key_env:
        raise click.UsageError("give --new-key-file or --new-key-env, not both")
    config = log.config()
    _, current = log.key(config)
    pending: Path | None = None
    if new_key_file:
        new_key = MasterKey.from_file(new_key_file)
    elif new_key_env:
        new_key = MasterKey.from_env(new_key_env)
    elif current is None:
        raise ConfigError(
            f"the current key comes from {config.key_env}: put a new key in another variable "
            "and pass --new-key-env VAR (or --new-key-file FILE)"
        )
    else:
        # On disk before the log depends on it; it replaces the old file only once the
        # rotation has committed.
        pending = current.with_name(current.name + ".new")
        try:
            new_key = write_key_file(pending)
        except OSError as exc:
            raise ConfigError(
                f"cannot write {pending}: {exc.strerror or exc} (left by an interrupted "
                "rotation? check which key opens the log, then remove it)"
            ) from exc
    try:
        with log.open() as store:
            old_id = store.key_id
            store.rotate_key(new_key)
    except BaseException:
        if pending is not None:
            pending.unlink(missing_ok=True)
        raise
    if pending is not None and current is not None:
        try:
            os.replace(pending, current)
        except OSError as exc:
            click.echo(
                f"error: the log now opens with key id {new_key.key_id}, kept in {pending}; "
                f"moving it over {current} failed ({exc.strerror}): move it by hand",
                err=True,
            )
            sys.exit(1)
    click.echo(f"rotated: key id {old_id} -> {new_key.key_id}")
    if pending is None and current is not None:
        click.echo(f"point audit.key_file (or {config.key_env}) at the new key: {current} is stale")


@click.option("--older-than", callback=_duration, required=True, help="An age: 30d, 12w, 48h.")
@_command("purge")
def purge(log: _Log, older_than: timedelta) -> None:
    """Delete (crypto-shred) every UTC day of records older than the given age."""
    with log.open() as store:
        report = store.purge(older_than)
    days = ", ".join(report.periods) or "none"
    click.echo(f"purged {report.records} record(s); day keys destroyed: {days}")


@click.option("--call", "call_id", required=True, help="The call id (see `audit show`).")
@_command("erase")
def erase(log: _Log, call_id: str) -> None:
    """Destroy the key of one call's placeholder map: its real values become unreadable.

    The record, its metadata and placeholder-form content stay, and the log still verifies.
    """
    with log.open() as store:
        record = store.get(call_id, decrypt=False)
        erased = record is not None and store.erase(call_id)
    if record is None:
        click.echo(f"error: no record for call {call_id}", err=True)
        sys.exit(1)
    if not erased:
        click.echo(
            f"error: call {call_id} has no placeholder map to erase (content mode "
            f"{record.content_mode}, or erased already)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"erased: the real values of call {call_id} can no longer be decrypted")
