"""``privllm audit copy``: move an SQLite audit log into the configured PostgreSQL log."""

from __future__ import annotations

from pathlib import Path

import click

from privllm.audit.cli.log import LogLocation, log_command
from privllm.errors import ConfigError

__all__ = ["copy"]


@click.option("--from", "source", required=True, type=click.Path(dir_okay=False),
              help="The SQLite audit log to copy (it is only read).")  # fmt: skip
@log_command("copy")
def copy(log: LogLocation, source: str) -> None:
    """Copy an SQLite log into the PostgreSQL log of the config, then verify both.

    The copy keeps the log id, keys and chain, so it opens with the same master key and
    proves the same history. The PostgreSQL log must be new (empty); stop the writers of
    the SQLite log first, or their later records are not in the copy.
    """
    from privllm.audit.backend import open_store
    from privllm.audit.store import AuditStore

    config = log.config()
    if config.backend != "postgresql":
        raise ConfigError(
            'copy moves an SQLite log into PostgreSQL: set audit.backend = "postgresql" '
            "(and the DSN in audit.dsn_env) in the config",
            field="audit.backend",
        )
    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"no audit log at {path}", source=str(path))
    key = log.key(config)[0]
    with AuditStore(path, key, read_only=True) as lite, open_store(config, key) as target:
        # Imported once open_store has checked the postgres extra is installed.
        from privllm.audit.copy import copy_to_postgres
        from privllm.audit.store_postgres import PostgresAuditStore

        assert isinstance(target, PostgresAuditStore)  # backend == "postgresql"
        report = copy_to_postgres(lite, target)
        where = target.where
    span = f" (records {report.first_seq}..{report.last_seq})" if report.records else ""
    click.echo(f"copied {report.records} record(s) from {path} to {where}; both verify{span}")
