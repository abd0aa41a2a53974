"""``privllm audit`` commands for keys and retention: keygen, rotate-key, purge, erase."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from privllm.audit.cli.log import LogLocation, as_duration, log_command
from privllm.errors import ConfigError

if TYPE_CHECKING:
    from privllm.audit.backend import AuditLog

__all__ = ["KEY_COMMANDS"]


@click.command("keygen")
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
@log_command("rotate-key")
def rotate_key(log: LogLocation, new_key_file: str | None, new_key_env: str | None) -> None:
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
        with log.open(write=True) as store:
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


@click.option("--older-than", callback=as_duration, required=True, help="An age: 30d, 12w, 48h.")
@log_command("purge")
def purge(log: LogLocation, older_than: timedelta) -> None:
    """Delete (crypto-shred) every UTC day of records older than the given age."""
    with log.open(write=True) as store:
        report = store.purge(older_than)
    days = ", ".join(report.periods) or "none"
    click.echo(f"purged {report.records} record(s); day keys destroyed: {days}")


@click.option("--call", "call_id", required=True,
              help="The call id, or a unique prefix of it (as `audit show` prints).")  # fmt: skip
@log_command("erase")
def erase(log: LogLocation, call_id: str) -> None:
    """Destroy the key of one call's placeholder map: its real values become unreadable.

    The record, its metadata and placeholder-form content stay, and the log still verifies.
    """
    with log.open(write=True) as store:
        call_id = _one_call(store, call_id)
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


_MIN_PREFIX = 4  # as git: shorter prefixes are too easy to give by mistake


def _one_call(store: AuditLog, given: str) -> str:
    """The whole call id that ``given`` (an id, or a unique prefix of 4+ characters) names."""
    if store.get(given, decrypt=False) is not None or len(given) < _MIN_PREFIX:
        return given  # an exact id, or too short to expand: reported as not found
    found = store.call_ids_starting(given, limit=4)
    if len(found) > 1:
        shown = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
        click.echo(f"error: call id {given} is ambiguous ({shown}): give more of it", err=True)
        sys.exit(1)
    return found[0] if found else given


#: The commands ``audit_group`` adds from here.
KEY_COMMANDS: list[click.Command] = [keygen, rotate_key, purge, erase]
