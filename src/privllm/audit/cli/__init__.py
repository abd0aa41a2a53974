"""``privllm audit``: read, check and maintain the audit log from a shell.

privllm audit show [--since 2h --provider azure --status blocked --json]
privllm audit verify                     the hash chain, signed head and keys (exit 1 if bad)
privllm audit export --format jsonl      decrypted records, to stdout or --output FILE (0600)
privllm audit stats                      calls, tokens and findings per provider and day
privllm audit keygen                     a new master key
privllm audit rotate-key                 re-wrap the log's keys under a new master key
privllm audit purge --older-than 30d     crypto-shred whole days past retention
privllm audit erase --call ID            destroy one call's placeholder map for good
privllm audit copy --from audit.db       move an SQLite log into the PostgreSQL log (config)

The log and its key are found as the client finds them (``[audit]`` config,
``PRIVLLM_AUDIT_KEY``, the key file); ``--path`` and ``--key-file`` override. Only ``keygen``
and ``rotate-key`` ever write a key; no command creates a log.

The reading commands are here; ``keys`` has the key and retention commands, ``log``
what they all share.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from privllm.audit.cli.log import (
    LogLocation,
    counts,
    log_command,
    parse_duration,
    print_table,
    since_option,
)
from privllm.errors import ConfigError, TamperedLogError

if TYPE_CHECKING:
    from privllm.audit.record import AuditRecord

__all__ = ["audit_group", "parse_duration"]

_NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV)
_PROGRESS_FROM = 1000  # records; smaller exports end before a bar would be readable


@click.group("audit")
def audit_group() -> None:
    """Read, verify and maintain the encrypted audit log."""


# -- reading -------------------------------------------------------------------------------


@click.option("--full", is_flag=True, help="Whole call ids (default: the shortest unique prefix).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="The newest N matching calls; 0 for all.")  # fmt: skip
@click.option(
    "--status",
    type=click.Choice(["ok", "error", "blocked", "cancelled"]),
    help="Only this status.",
)
@click.option("--provider", help="Only this provider (openai, azure, google).")
@since_option
@log_command("show")
def show(
    log: LogLocation,
    since: datetime | None,
    provider: str | None,
    status: str | None,
    limit: int,
    as_json: bool,
    full: bool,
) -> None:
    """List calls: metadata only, no content is decrypted.

    Call ids are shortened like git's (the shortest prefix no other call shares, at least
    8 characters); commands that take a call id accept such a prefix.
    """
    from privllm.cli_output import Column

    with log.open() as store:
        found = store.iter_records(since=since, provider=provider, status=status, decrypt=False)
        records = list(deque(found, maxlen=limit) if limit else found)
        width = None if full or as_json else store.short_id_length(r.call_id for r in records)
    if as_json:
        for r in records:
            click.echo(r.model_dump_json(exclude={"payload", "placeholder_map"}))
        return
    # Dropped first when the terminal is narrow: the highest ``keep`` (see cli_output).
    columns = [
        Column("time (UTC)", wrap=False), Column("call", wrap=False),
        Column("provider", keep=1), Column("model", keep=2), Column("host", keep=3),
        Column("status", wrap=False), Column("rule", keep=4),
        Column("ms", keep=6, justify="right", wrap=False),
        Column("tokens", keep=5, justify="right", wrap=False), Column("findings", keep=2),
    ]  # fmt: skip
    rows = [
        [r.time.strftime("%Y-%m-%d %H:%M:%S"), r.call_id[:width], r.provider, r.model,
         r.endpoint_host or "-", r.status, r.rule or "-",
         "-" if r.latency_ms is None else f"{r.latency_ms:.0f}",
         "-" if r.total_tokens is None else str(r.total_tokens), counts(r.findings)]
        for r in records
    ]  # fmt: skip
    if not any(r.rule for r in records):  # a column of dashes says nothing
        del columns[6]
        for row in rows:
            del row[6]
    print_table(f"{len(records)} call(s)", columns, rows, more="--json has every field")


@log_command("verify")
def verify(log: LogLocation) -> None:
    """Check every record against the hash chain and the signed head; exit 1 if any fails."""
    try:
        with log.open() as store:
            report = store.verify()
    except TamperedLogError as exc:  # e.g. the signed head was deleted: nothing to check
        click.echo(f"FAILED: {exc}", err=True)
        sys.exit(1)
    if report.ok:
        span = f" (records {report.first_seq}..{report.last_seq})" if report.records else ""
        click.echo(f"ok: {report.records} record(s) verify{span}")
        return
    click.echo(f"FAILED: {report.problem}", err=True)
    if report.bad_seq is not None:
        click.echo(f"first bad record: {report.bad_seq} (call {report.bad_call_id})", err=True)
    sys.exit(1)


@since_option
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write to this file (created 0600) instead of stdout.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@log_command("export")
def export(
    log: LogLocation, fmt: str, output: str | None, force: bool, since: datetime | None
) -> None:
    """Write records with their content decrypted, one JSON object per line.

    The output holds the payloads (and, for ``full`` records, the real values) in clear:
    protect it like the key.
    """
    with log.open() as store:
        total = store.count(since=since)  # for the progress bar
        records = store.iter_records(since=since, decrypt=True)
        if output is None:
            count = _export(records, sys.stdout, total)
        else:
            with _private_file(Path(output), force, "pass --force to overwrite it") as fh:
                count = _export(records, fh, total)
    click.echo(f"exported {count} record(s)" + (f" to {output}" if output else ""), err=True)


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
    """A new 0600 file in ``path``'s folder that becomes ``path`` only if the block succeeds.

    A failed export (a record that does not decrypt, Ctrl-C) removes its partial, decrypted
    output and leaves an earlier file at ``path`` as it was, even with ``force``.
    """
    if not force and os.path.lexists(path):
        raise ConfigError(f"{path} exists; {hint}", source=str(path))
    try:
        # mkstemp creates the file 0600 with O_EXCL, in the same folder so the rename is atomic.
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}", source=str(path)) from exc
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _move_into_place(tmp, path, force, hint)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _move_into_place(tmp: Path, path: Path, force: bool, hint: str) -> None:
    try:
        if force:
            os.replace(tmp, path)
            return
        # link() refuses an existing target, so a file made meanwhile is not overwritten.
        try:
            os.link(tmp, path)
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS or os.path.lexists(path):
                raise
            os.replace(tmp, path)  # a file system without hard links: checked just above
            return
    except FileExistsError:
        raise ConfigError(f"{path} exists; {hint}", source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}", source=str(path)) from exc
    tmp.unlink()


@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@log_command("stats")
def stats(log: LogLocation, as_json: bool) -> None:
    """Calls, errors, blocked calls, tokens and findings per provider and UTC day."""
    with log.open() as store:
        rows = store.stats()
    if as_json:
        for row in rows:
            click.echo(json.dumps({**row.__dict__, "day": row.day.isoformat()}, sort_keys=True))
        return
    from privllm.cli_output import Column

    print_table(
        "audit log usage",
        [Column("day", wrap=False), Column("provider"),
         Column("calls", justify="right", wrap=False),
         Column("errors", keep=1, justify="right", wrap=False),
         Column("blocked", keep=1, justify="right", wrap=False),
         Column("prompt", keep=3, justify="right", wrap=False),
         Column("completion", keep=3, justify="right", wrap=False),
         Column("total tokens", keep=2, justify="right", wrap=False),
         Column("findings", keep=2)],
        [[row.day.isoformat(), row.provider, str(row.calls), str(row.errors), str(row.blocked),
          str(row.prompt_tokens), str(row.completion_tokens), str(row.total_tokens),
          counts(row.findings)] for row in rows],
        more="--json has every field",
    )  # fmt: skip


def _add_commands() -> None:
    # The reading commands above; keygen / rotate-key / purge / erase are in keys.py,
    # copy (SQLite to PostgreSQL) in copying.py.
    from privllm.audit.cli.copying import copy
    from privllm.audit.cli.keys import KEY_COMMANDS

    for command in (show, verify, export, stats, *KEY_COMMANDS, copy):
        audit_group.add_command(command)


_add_commands()
