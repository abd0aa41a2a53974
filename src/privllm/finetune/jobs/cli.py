"""``privllm finetune`` commands for uploads, jobs and retention (see ``lifecycle``).

privllm finetune upload FILE [--allow-unredacted] [--map MAP]   check, upload, record; print the id
                                                      (Vertex: the object in [finetune] gcs_bucket)
privllm finetune create-job TRAINING --model BASE     start a job (file id; or gs:// on Vertex)
privllm finetune status JOB [--wait] [--events]       the job now; a tuned model is recorded
privllm finetune inventory [--all] [--json] [--verify]   what of ours sits where, since when
privllm finetune purge [--older-than DAYS] [--models] [--dry-run] [--yes]

Each takes ``--config`` (default: ``$PRIVLLM_CONFIG``, else ``./privllm.toml``) and
``--profile NAME`` (a ``[providers.NAME]`` section instead of ``[provider]``). Exit status:
0 done, 1 refused or failed, 2 bad configuration.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from privllm.errors import ConfigError, PrivllmError

if TYPE_CHECKING:
    from privllm.finetune.jobs.lifecycle import FinetuneJobs, JobStatus

__all__ = ["JOB_COMMANDS"]


def _fail(exc: PrivllmError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, ConfigError) else 1)


@contextmanager
def _jobs(config_path: str | None, profile: str | None) -> Iterator[FinetuneJobs]:
    """The configured ``FinetuneJobs``; privllm errors end the command with a message."""
    from privllm.config import load_config
    from privllm.finetune.jobs.lifecycle import FinetuneJobs

    try:
        # The rule every privllm command follows: --config, else PRIVLLM_CONFIG, else a
        # privllm.toml in the current folder.
        if config_path is None and not os.environ.get("PRIVLLM_CONFIG"):
            local = Path("privllm.toml")
            config_path = str(local) if local.is_file() else None
        jobs = FinetuneJobs(load_config(config_path), profile=profile)
    except PrivllmError as exc:
        _fail(exc)
    try:
        yield jobs
    except PrivllmError as exc:
        _fail(exc)
    finally:
        jobs.close()


def _options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--profile", help="Use the [providers.NAME] section instead of [provider].")(
        fn
    )
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Config file (default: $PRIVLLM_CONFIG, else ./privllm.toml if present).",
    )(fn)


@click.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--allow-unredacted", is_flag=True,
              help="Upload even if the detectors find values (recorded as such).")  # fmt: skip
@click.option("--map", "map_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The value map that prepared PATH (with --surrogates): the names it "
              "issued are not findings. Opened with --key-file or the audit key.")  # fmt: skip
@click.option("--key-file", type=click.Path(dir_okay=False),
              help="Master key file for --map (default: PRIVLLM_AUDIT_KEY, else the audit "
              "key file).")  # fmt: skip
@_options
def upload(
    path: Path,
    allow_unredacted: bool,
    map_path: Path | None,
    key_file: str | None,
    config_path: str | None,
    profile: str | None,
) -> None:
    """Upload the prepared training file PATH; print its file id.

    Refused, before any byte is sent, if policy refuses the endpoint or the configured
    detectors still find values in PATH (run `privllm finetune prepare` first). On Vertex AI
    the file goes to the Cloud Storage bucket [finetune] gcs_bucket names.
    """
    with _jobs(config_path, profile) as jobs:
        vmap = None
        if map_path is not None:
            from privllm.finetune.cli import _keyring
            from privllm.finetune.prepare.valuemap import ValueMap

            vmap = ValueMap.load(map_path, _keyring(jobs.config, key_file))
        item = jobs.upload(path, allow_unredacted=allow_unredacted, value_map=vmap)
    click.echo(item.remote_id)
    expires = item.expires_at.strftime("%Y-%m-%d") if item.expires_at else "never (no retention)"
    click.echo(
        f"uploaded {item.bytes:,} bytes (sha256 {item.sha256}) to {item.provider} at "
        f"{item.endpoint}; purge deletes it from {expires}",
        err=True,
    )


@click.command("create-job")
@click.argument("training")
@click.option("--model", required=True, help="The base model to tune.")
@click.option("--validation", help="A validation file id (or a gs:// URI on Vertex AI).")
@click.option("--suffix", help="Suffix (OpenAI, Azure) or display name (Vertex) of the model.")
@click.option("--epochs", type=click.IntRange(min=1), help="Training epochs.")
@_options
def create_job(
    training: str,
    model: str,
    validation: str | None,
    suffix: str | None,
    epochs: int | None,
    config_path: str | None,
    profile: str | None,
) -> None:
    """Start tuning --model on TRAINING (a file id from upload; or a gs:// URI on Vertex AI);
    print the job id."""
    with _jobs(config_path, profile) as jobs:
        job = jobs.create_job(
            training, model=model, validation=validation, suffix=suffix, epochs=epochs
        )
    click.echo(job.job_id)
    click.echo(f"status: {job.state} ({job.provider_status})", err=True)


@click.command("status")
@click.argument("job_id")
@click.option("--wait", is_flag=True, help="Poll until the job has finished.")
@click.option("--interval", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds between polls with --wait.")  # fmt: skip
@click.option("--events", "show_events", is_flag=True, help="Print the job's events too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_options
def status(
    job_id: str,
    wait: bool,
    interval: float,
    show_events: bool,
    as_json: bool,
    config_path: str | None,
    profile: str | None,
) -> None:
    """Print the status of JOB_ID; a finished job's model joins the inventory.

    Exit status 1 if the job failed or was cancelled.
    """
    with _jobs(config_path, profile) as jobs:
        job = jobs.status(job_id)
        while wait and not job.done:
            time.sleep(interval)
            job = jobs.status(job_id)
        events = jobs.events(job_id) if show_events else []
    if as_json:
        click.echo(json.dumps({**_job_dict(job), "events": events}, indent=2))
    else:
        click.echo(f"{job.job_id}: {job.state} ({job.provider_status})")
        if job.fine_tuned_model:
            click.echo(f"tuned model: {job.fine_tuned_model}")
        if job.error:
            click.echo(f"error: {job.error}")
        for line in events:
            click.echo(f"  {line}")
    sys.exit(1 if job.state in ("failed", "cancelled") else 0)


def _job_dict(job: JobStatus) -> dict[str, Any]:
    import dataclasses

    return {
        k: v.isoformat() if hasattr(v, "isoformat") else v
        for k, v in dataclasses.asdict(job).items()
    }


@click.command("inventory")
@click.option("--all", "include_deleted", is_flag=True, help="Include deleted items.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.option("--verify", is_flag=True,
              help="Check each row against its audit records (exit 1 on a problem).")  # fmt: skip
@_options
def inventory(
    include_deleted: bool,
    as_json: bool,
    verify: bool,
    config_path: str | None,
    profile: str | None,
) -> None:
    """List the training files, jobs and tuned models of ours at each provider."""
    with _jobs(config_path, profile) as jobs:
        items = jobs.inventory(include_deleted=include_deleted)
        check = jobs.verify() if verify else None
    if as_json:
        for item in items:
            click.echo(json.dumps(item.as_dict()))
    else:
        _table(items)
    if check is not None:
        for line in check.problems:
            click.echo(f"problem: {line}", err=True)
        for line in check.unverifiable:
            click.echo(f"unverifiable: {line}", err=True)
        click.echo(f"verify: {'ok' if check.ok else 'FAILED'} ({check.rows} rows)", err=True)
        if not check.ok:
            sys.exit(1)


def _table(items: list[Any]) -> None:
    from privllm.cli_output import Column, console, print_table

    if not items:
        console().print("nothing recorded")
        return
    # Fitted to the terminal (80 columns piped, plain text): the least needed columns go first.
    print_table(
        None,
        [Column("provider"), Column("host", keep=3), Column("kind"), Column("id"),
         Column("bytes", keep=4, justify="right", wrap=False), Column("sha256", keep=5),
         Column("since", keep=2), Column("expires", keep=1), Column("state")],
        [[i.provider, i.host, i.kind, i.remote_id,
          "" if i.bytes is None else f"{i.bytes:,}", (i.sha256 or "")[:12],
          _day(i.created_at), _day(i.expires_at) or "-",
          f"deleted {_day(i.deleted_at)}" if i.deleted_at else (i.status or "present")]
         for i in items],
        more="--json shows every field, sha256 whole",
    )  # fmt: skip


def _day(when: Any) -> str:
    return when.strftime("%Y-%m-%d %H:%M") if when is not None else ""


@click.command("purge")
@click.option("--older-than", "older_than", metavar="DAYS",
              type=click.IntRange(min=0, max=timedelta.max.days),
              help="Delete what was created DAYS ago or more, whatever its expiry.")  # fmt: skip
@click.option("--models/--no-models", default=None,
              help="Delete expired tuned models too (default: delete_models).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_options
def purge(
    older_than: int | None,
    models: bool | None,
    dry_run: bool,
    yes: bool,
    config_path: str | None,
    profile: str | None,
) -> None:
    """Delete expired training files (and tuned models) at the provider; record each deletion.

    Exit status 1 if a deletion failed (the item stays in the inventory).
    """
    age = None if older_than is None else timedelta(days=older_than)
    with _jobs(config_path, profile) as jobs:
        planned = jobs.purge(older_than=age, models=models, dry_run=True)
        due = [o for o in planned if o.action == "would_delete"]
        for outcome in planned:
            _echo(outcome)
        if dry_run or not due:
            click.echo(f"{len(due)} item(s) due" + (" (dry run)" if dry_run else ""))
            return
        if not yes and not _confirmed(f"delete {len(due)} item(s) at the provider?"):
            click.echo("nothing deleted")
            return
        done = jobs.purge(older_than=age, models=models)
    failed = [o for o in done if o.action == "failed"]
    for outcome in done:
        if outcome.action != "kept":
            _echo(outcome)
    sys.exit(1 if failed else 0)


def _confirmed(question: str) -> bool:
    try:
        return click.confirm(question)
    except click.Abort:
        if sys.stdin.isatty():
            raise  # Ctrl-C or Ctrl-D at the prompt: click's "Aborted!"
        # No terminal (cron, CI, a pipe that ended): say how to confirm instead.
        click.echo(
            "error: nothing deleted: no answer to confirm with (stdin is not a terminal); "
            "pass --yes to delete without asking",
            err=True,
        )
        sys.exit(1)


def _echo(outcome: Any) -> None:
    item = outcome.item
    note = f": {outcome.note}" if outcome.note else ""
    click.echo(f"{outcome.action:>12}  {item.provider} {item.kind} {item.remote_id}{note}")


#: The commands the ``finetune`` group adds (``for c in JOB_COMMANDS: group.add_command(c)``).
JOB_COMMANDS: list[click.Command] = [upload, create_job, status, inventory, purge]
