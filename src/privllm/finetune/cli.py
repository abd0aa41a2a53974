"""``privllm finetune``: prepare training files so a tuned model learns structure, not identities.

privllm finetune prepare IN.jsonl -o OUT.jsonl     validate, redact, write; seal the value map
privllm finetune prepare IN.jsonl --dry-run        what would change (counts, masked examples)
privllm finetune scan FILE                         findings still in a file (exit 1 if any)
privllm finetune reidentify --map MAP TEXT|-       put the real values back into model output

The value map is sealed with the audit master key: ``--key-file``, else the variable named by
``audit.key_env`` (``PRIVLLM_AUDIT_KEY``), else the audit key file. These commands never
create a key (``privllm audit keygen --output FILE`` does).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from privllm.cli_output import progress_bar
from privllm.config import Config, LoadedConfig, load_config
from privllm.errors import ConfigError, PrivllmError

if TYPE_CHECKING:
    from rich.console import Console

    from privllm.audit.crypto import KeyRing
    from privllm.finetune.prepare.dataset import PrepareReport
    from privllm.finetune.prepare.valuemap import Mode, ValueMap

__all__ = ["finetune_group"]


def _config(explicit: str | None) -> LoadedConfig:
    # The rule every privllm command follows (privllm.cli is not imported: it imports us).
    if explicit:
        return load_config(explicit)
    if os.environ.get("PRIVLLM_CONFIG"):
        return load_config()
    local = Path("privllm.toml")
    return load_config(local if local.is_file() else None)


def _keyring(config: Config, key_file: str | None) -> KeyRing:
    from privllm.audit.crypto import KeyRing, MasterKey
    from privllm.audit.keys import audit_paths

    if key_file:
        return KeyRing(MasterKey.from_file(key_file))
    audit = config.audit
    if os.environ.get(audit.key_env):
        return KeyRing(MasterKey.from_env(audit.key_env))
    path = audit_paths(audit)[1]
    if path.is_file():
        return KeyRing(MasterKey.from_file(path))
    raise ConfigError(
        f"no key to seal the value map: pass --key-file, set {audit.key_env}, or create "
        f"{path} with `privllm audit keygen --output {path}`",
        field="audit.key_file",
    )


def _fail(exc: PrivllmError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, ConfigError) else 1)


_workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes running the detectors (default: one per CPU, up to 8; 1 for small files).",
)
_SMALL_FILE = 4_000_000  # bytes: forking workers costs more than it saves below this


def _workers(wanted: int | None, path: Path) -> int:
    from privllm.finetune.prepare.parallel import available_workers

    if wanted is not None:
        return wanted
    return 1 if path.stat().st_size < _SMALL_FILE else min(available_workers(), 8)


_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: $PRIVLLM_CONFIG, else ./privllm.toml if present).",
)


def _common(fn: Any) -> Any:
    fn = click.option(
        "--key-file",
        type=click.Path(dir_okay=False),
        help="Master key file (default: PRIVLLM_AUDIT_KEY, else the audit key file).",
    )(fn)
    return _config_option(fn)


@click.group("finetune")
def finetune_group() -> None:
    """Prepare fine-tuning data: validate, redact consistently, re-identify model output."""


@finetune_group.command("prepare")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The prepared file (required unless --dry-run).")  # fmt: skip
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The sealed value map (default: OUTPUT.map). An existing map is opened "
              "and extended, so files prepared one after another share stand-ins.")  # fmt: skip
@click.option("--surrogates", is_flag=True,
              help="Realistic stand-ins (fake names, test cards), not [EMAIL_1].")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["auto", "openai", "gemini"]),
              default="auto", show_default=True,
              help="Line format: OpenAI/Azure 'messages' or Gemini/Vertex 'contents'.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@_workers_option
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")  # fmt: skip
@click.option("--max-errors", type=click.IntRange(min=1), default=100, show_default=True,
              help="Problems listed before the rest are only counted.")  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@_common
def prepare(
    source: Path,
    output: Path | None,
    map_path: Path | None,
    surrogates: bool,
    fmt: str,
    dry_run: bool,
    workers: int | None,
    progress: bool | None,
    max_errors: int,
    force: bool,
    key_file: str | None,
    config_path: str | None,
) -> None:
    """Validate and redact the training file SOURCE (JSONL) into OUTPUT, line by line.

    Values found by the configured detectors and term lists ([redaction] config) get the
    same stand-in on every line. The map from stand-ins back to values is sealed with the
    audit master key into --map, for `privllm finetune reidentify`.
    """
    from privllm.finetune.prepare.dataset import DatasetError, prepare_file
    from privllm.finetune.prepare.staging import sigterm_unwinds
    from privllm.redaction.redactor import Redactor

    if output is None and not dry_run:
        raise click.UsageError("give -o OUTPUT, or --dry-run")
    if output is not None and output.resolve() == source.resolve():
        raise click.UsageError("OUTPUT must not be SOURCE")
    if output is not None and not dry_run and output.exists() and not force:
        raise click.UsageError(f"{output} exists; pass --force to overwrite it")
    if map_path is None and output is not None and not dry_run:
        map_path = output.with_name(output.name + ".map")
    if map_path is not None:
        # The map is sealed before the output is renamed into place: one path for both
        # would leave the data where the only map was.
        if map_path.resolve() == source.resolve():
            raise click.UsageError("--map must not be SOURCE")
        if output is not None and map_path.resolve() == output.resolve():
            raise click.UsageError("--map must not be OUTPUT")
    console = _console()
    try:
        if not dry_run:
            for path in (output, map_path):
                if path is not None and not path.parent.is_dir():
                    raise ConfigError(f"cannot write {path}: {path.parent} is not a directory")
        config = _config(config_path)
        redactor = Redactor.from_config(config.redaction)
        # The key is checked before the work, not after ten minutes of it. A dry run needs
        # one only to continue an existing map's numbering.
        needs_key = not dry_run or (map_path is not None and map_path.exists())
        ring = _keyring(config, key_file) if needs_key else None
        vmap = _open_map(map_path, ring, surrogates)
        # Written under a temporary name and renamed once the map is sealed: a prepared
        # file never exists without the map that re-identifies it.
        staged = None if dry_run or output is None else output.with_name(f".{output.name}.new")
        # SIGTERM unwinds like Ctrl-C: the finally blocks remove the staged files, then the
        # process dies of the signal.
        with sigterm_unwinds():
            try:
                with progress_bar(source, progress) as tick:
                    report = prepare_file(
                        source,
                        staged,
                        redactor,
                        vmap,
                        format=fmt,  # type: ignore[arg-type]  # click.Choice guarantees the literal
                        workers=_workers(workers, source),
                        max_issues=max_errors,
                        progress=tick,
                    )
                if staged is not None and output is not None and map_path and ring is not None:
                    try:
                        vmap.save(map_path, ring)
                    except OSError as exc:
                        raise ConfigError(f"cannot write {map_path}: {exc.strerror}") from exc
                    try:
                        os.replace(staged, output)
                    except OSError as exc:
                        raise ConfigError(f"cannot write {output}: {exc.strerror}") from exc
            finally:
                if staged is not None:
                    staged.unlink(missing_ok=True)
    except DatasetError as exc:
        for issue in exc.issues:
            click.echo(str(issue), err=True)
        if exc.more:
            click.echo(f"... and {exc.more} more", err=True)
        _summary(console, exc.report, None, redactor)
        click.echo(f"error: {exc.report.source}: nothing written", err=True)
        sys.exit(1)
    except PrivllmError as exc:
        _fail(exc)
        return
    _summary(console, report, vmap, redactor)
    if dry_run:
        _examples(console, report)
        console.print("dry run: nothing written")
        return
    assert ring is not None  # not a dry run: the key was required above
    console.print(f"wrote {output} and the sealed value map {map_path} (key id {ring.key_id})")
    if report.lookalikes:
        console.print(
            f"[yellow]warning:[/yellow] {report.lookalikes} placeholder look-alike(s) in the "
            "data were already issued to values by this map; reidentify will replace them"
        )


def _open_map(path: Path | None, ring: KeyRing | None, surrogates: bool) -> ValueMap:
    from privllm.finetune.prepare.valuemap import ValueMap

    mode: Mode = "surrogate" if surrogates else "placeholder"
    if path is None or not path.exists() or ring is None:
        return ValueMap(mode)
    try:
        vmap = ValueMap.load(path, ring)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    if vmap.mode != mode:
        flag = "without --surrogates" if vmap.mode == "placeholder" else "with --surrogates"
        raise ConfigError(f"{path} was made {flag}; run the same way, or give a new --map")
    return vmap


@finetune_group.command("scan")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--map", "map_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The value map that prepared PATH: the name surrogates it issued are not "
              "findings.")  # fmt: skip
@_workers_option
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")  # fmt: skip
@_common
def scan(
    path: Path,
    map_path: Path | None,
    workers: int | None,
    progress: bool | None,
    key_file: str | None,
    config_path: str | None,
) -> None:
    """Count findings still in PATH; exit 1 if there are any (placeholders do not count),
    or if a line has a repeated key or is nested too deeply."""
    from rich.table import Table

    from privllm.finetune.prepare.dataset import scan_file
    from privllm.finetune.prepare.staging import sigterm_unwinds
    from privllm.finetune.prepare.valuemap import ValueMap
    from privllm.redaction.redactor import Redactor

    try:
        config = _config(config_path)
        redactor = Redactor.from_config(config.redaction)
        vmap = None if map_path is None else ValueMap.load(map_path, _keyring(config, key_file))
        with sigterm_unwinds(), progress_bar(path, progress) as tick:
            result = scan_file(
                path, redactor, workers=_workers(workers, path), progress=tick, value_map=vmap
            )
    except PrivllmError as exc:
        _fail(exc)
        return
    for issue in result.issues:
        click.echo(f"{issue}; the provider may read what was not scanned", err=True)
    if result.more_issues:
        click.echo(f"... and {result.more_issues} more", err=True)
    console = _console()
    table = Table(title=f"{path}: {result.lines} lines")
    for column in ("type", "findings", "action"):
        table.add_column(column)
    for kind in sorted(result.findings | result.allowed):
        count = result.findings[kind] or result.allowed[kind]
        table.add_row(kind, str(count), redactor.action(kind))
    if result.findings or result.allowed:
        console.print(table)
    elif result.issues:
        console.print(f"{path}: no findings, {result.problems} line(s) that cannot be checked")
    else:
        console.print(f"{path}: no findings")
    sys.exit(0 if result.clean else 1)


@finetune_group.command("reidentify")
@click.argument("text")
@click.option("--map", "map_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The sealed value map that prepare wrote.")  # fmt: skip
@_common
def reidentify(text: str, map_path: Path, key_file: str | None, config_path: str | None) -> None:
    """Print TEXT ('-' reads stdin) with the map's stand-ins replaced by the real values.

    The output holds real values: run it where they may be seen.
    """
    from privllm.finetune.prepare.valuemap import ValueMap

    raw = sys.stdin.read() if text == "-" else text
    try:
        vmap = ValueMap.load(map_path, _keyring(_config(config_path), key_file))
    except PrivllmError as exc:
        _fail(exc)
        return
    click.echo(vmap.reidentify(raw), nl=not raw.endswith("\n"))


# -- output ---------------------------------------------------------------------------------


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _summary(console: Console, report: PrepareReport, vmap: ValueMap | None, redactor: Any) -> None:
    from rich.table import Table

    seconds = max(report.seconds, 1e-9)
    mb = report.bytes_read / 1e6
    workers = f", {report.workers} workers" if report.workers > 1 else ""
    title = (
        f"{report.source}: {report.lines:,} lines ({report.format or 'unknown'} format), "
        f"{report.changed_lines:,} changed, {mb:,.1f} MB in {seconds:.1f} s "
        f"({mb / seconds:.1f} MB/s{workers})"
    )
    console.print(title)
    table = Table()
    for column in ("type", "found", "distinct values in map", "action"):
        table.add_column(column, justify="left" if column in ("type", "action") else "right")
    distinct = vmap.distinct() if vmap is not None else {}
    for kind in sorted(set(report.findings) | set(distinct)):
        table.add_row(
            kind, f"{report.findings[kind]:,}", f"{distinct.get(kind, 0):,}", redactor.action(kind)
        )
    console.print(table if table.row_count else "no findings")


def _examples(console: Console, report: PrepareReport) -> None:
    from rich.text import Text

    if not report.examples:
        return
    console.print("examples (stand-ins in bold; nothing else changes):")
    for example in report.examples:
        line = Text(f"  line {example.line} {example.field}: ", style="dim")
        for text, is_new in example.parts:
            line.append(text, style="bold" if is_new else None)
        console.print(line, soft_wrap=True)


def _add_job_commands() -> None:
    # upload / create-job / status / inventory / purge live in jobs_cli.py (provider IO).
    from privllm.finetune.jobs.cli import JOB_COMMANDS

    for command in JOB_COMMANDS:
        finetune_group.add_command(command)


_add_job_commands()
