"""The ``privllm`` command.

privllm demo                 a whole call against a local server, no API key needed
privllm chat "prompt"        one chat with the configured provider
privllm config show          what is set and where it came from (--all, --json)
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from privllm.audit.cli import audit_group
from privllm.config import LoadedConfig, load_config
from privllm.errors import ConfigError, PrivllmError
from privllm.finetune.cli import finetune_group

if TYPE_CHECKING:
    from privllm.redaction.redactor import Redactor
    from privllm.redaction.vault import Vault

__all__ = ["main"]


def _config_path(explicit: str | None) -> str | None:
    """``--config``, else ``PRIVLLM_CONFIG``, else ``./privllm.toml`` when it exists."""
    if explicit:
        return explicit
    if os.environ.get("PRIVLLM_CONFIG"):
        return None  # load_config reads it and names it as the source
    local = Path("privllm.toml")
    return str(local) if local.is_file() else None


def _load(path: str | None) -> LoadedConfig:
    return load_config(_config_path(path))


def _fail(exc: PrivllmError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, ConfigError) else 1)


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: $PRIVLLM_CONFIG, else ./privllm.toml if present).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="privllm")
def main() -> None:
    """privllm: use hosted LLMs on confidential data without leaking it."""


@main.command()
@click.option("--prompt", default=None, help="Prompt to send (default: one with PII and a key).")
@click.option(
    "--provider",
    type=click.Choice(["openai", "azure", "google"]),
    default="openai",
    show_default=True,
    help="Which provider's wire protocol the local server speaks.",
)
@click.option(
    "--ner-model",
    default=None,
    help="Find names with this installed spaCy model instead of the demo's term lists.",
)
def demo(prompt: str | None, provider: str, ner_model: str | None) -> None:
    """Show what the app sent, what the provider received, and what the app got back."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from privllm.demo import DEFAULT_PROMPT, run_demo

    try:
        result = run_demo(prompt or DEFAULT_PROMPT, provider=provider, ner_model=ner_model)
    except PrivllmError as exc:
        _fail(exc)
        return
    console = Console()
    table = Table(
        title=f"privllm demo: one chat through a local {result.provider} wire server",
        show_lines=True,
        expand=True,
    )
    for title in ("the app sent", "the provider received", "the app got back"):
        table.add_column(title, ratio=1, overflow="fold")
    # The texts are the user's: printed as text, never as rich markup.
    table.add_row(
        escape(result.app_sent), escape(result.provider_received), escape(result.app_received)
    )
    console.print(table)
    console.print(f"streamed answer: {escape(result.streamed)}")
    found = ", ".join(f"{kind} {count}" for kind, count in result.found.items())
    model = f" (names: spaCy model {ner_model})" if ner_model else ""
    console.print(escape(f"found: {found or 'nothing'}{model}"))
    console.print(
        f"audit log: {result.audit_records} encrypted record(s) written; detected values in "
        f"the log file: {'[red]FOUND[/red]' if result.audit_log_has_values else 'none'}"
    )
    console.print(
        "The local server echoes the user message, so the middle column is exactly what "
        "would have left this process."
    )


@main.command()
@click.argument("prompt")
@config_option
@click.option("--model", default=None, help="Override provider.model.")
@click.option("--no-stream", is_flag=True, help="Wait for the whole answer.")
def chat(prompt: str, config_path: str | None, model: str | None, no_stream: bool) -> None:
    """Send PROMPT ('-' reads stdin) to the configured provider and print the answer."""
    from privllm.client import Client

    if prompt == "-":
        from privllm.cli_output import stdin_hint

        stdin_hint("the prompt")
    text = _read_text(sys.stdin.buffer, "<stdin>") if prompt == "-" else prompt
    try:
        with Client(_load(config_path)) as client:
            if no_stream:
                click.echo(client.chat(text, model=model).text)
                return
            with client.stream(text, model=model) as stream:
                for chunk in stream:
                    click.echo(chunk.text, nl=False)
            click.echo()
    except ConfigError as exc:
        if exc.field == "provider.model" and model is None:
            # The client's message speaks to code (model=...); here the flag is --model.
            exc = ConfigError("no model: pass --model or set provider.model", field=exc.field)
        _fail(exc)
    except PrivllmError as exc:
        _fail(exc)


@main.command()
@click.argument("source", default="-", type=click.File("rb"))
@config_option
@click.option("--jsonl", is_flag=True, help="Input is JSON Lines: redact every string value.")
@click.option("--report", is_flag=True, help="Print counts per type to stderr.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr for a file (default: when stderr is a terminal "
              "and stdout is not).")  # fmt: skip
def redact(
    source: Any, config_path: str | None, jsonl: bool, report: bool, progress: bool | None
) -> None:
    """Redact SOURCE (a file, or '-' for stdin) with the configured detectors, to stdout.

    One placeholder map serves the whole input, so a value gets the same placeholder on
    every line. The map itself is not written anywhere.
    """
    from collections import Counter

    from privllm.cli_output import progress_bar, stdin_hint
    from privllm.redaction.redactor import Redacted, Redactor, blocked_error
    from privllm.redaction.vault import Vault

    name = _stream_name(source)
    path = None if name == "<stdin>" else Path(name)
    if path is None:
        stdin_hint("the text to redact")
    elif progress is None and sys.stdout.isatty():
        progress = False  # the bar would be drawn over the redacted text
    read = [0]
    try:
        redactor = Redactor.from_config(_load(config_path).redaction)
        vault = Vault()
        totals: Counter[str] = Counter()

        def one(line: str, vault: Vault) -> Redacted:
            return (
                redactor.redact_json(line.rstrip("\n"), vault)
                if jsonl
                else redactor.redact(line, vault)
            )

        with progress_bar(path, progress) if path else _no_bar() as tick:
            lines = _text_lines(_counted(source, read), name)
            for number, line in _batched(redactor, enumerate(lines, start=1), one):
                result = one(line, vault)
                if result.blocked:
                    raise blocked_error(result.blocked, f"line {number}")
                totals.update(result.counts)
                click.echo(result.text + ("\n" if jsonl else ""), nl=False)
                if tick is not None and number % 512 == 0:
                    tick(read[0], number)
    except PrivllmError as exc:
        _fail(exc)
        return
    if report:
        for model in redactor.models:  # what it could find, even where it found nothing
            for kind in model.types - totals.keys():
                totals[kind] = 0
        for kind, count in sorted(totals.items()):
            click.echo(f"{kind}\t{count}", err=True)
        click.echo(f"total\t{sum(totals.values())}", err=True)


def _batched(
    redactor: Redactor, numbered: Iterator[tuple[int, str]], one: Callable[[str, Vault], object]
) -> Iterator[tuple[int, str]]:
    """``numbered`` as it is; with a named-entity model, read in chunks whose model work is
    done in one batch first (``Redactor.prefetched``)."""
    from privllm.redaction.vault import Vault

    if not redactor.models:
        yield from numbered
        return
    size = max(m.batch_size for m in redactor.models) * 4
    while chunk := list(itertools.islice(numbered, size)):
        with redactor.prefetched(lambda: [one(line, Vault()) for _, line in chunk]):
            yield from chunk


@main.command()
@click.argument("prompt", required=False)
@click.option("--file", "file_", type=click.File("rb"), help="Read the prompt.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plan(prompt: str | None, file_: Any, config_path: str | None, as_json: bool) -> None:
    """Dry run for PROMPT ('-' or none: stdin): sends nothing; exits 1 if it would be refused."""
    import json as jsonlib

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from privllm.plan import check_credentials, plan_call

    if file_ is not None:
        text = _read_text(file_, _stream_name(file_))
    elif prompt in (None, "-"):
        from privllm.cli_output import stdin_hint

        stdin_hint("the prompt to plan")
        text = _read_text(sys.stdin.buffer, "<stdin>")
    else:
        text = prompt
    try:
        config = _load(config_path)
        result = plan_call(config, text or "", env=dict(os.environ))
    except PrivllmError as exc:
        _fail(exc)
        return
    # The plan holds, but the call itself would fail: said on stderr, or in the JSON.
    warnings = check_credentials(config, env=dict(os.environ))
    if not as_json:
        for issue in warnings:
            click.echo(str(issue), err=True)
    if as_json:
        click.echo(
            jsonlib.dumps(
                {
                    "allowed": result.allowed,
                    "refused": result.refused,
                    "endpoint": result.endpoint.model_dump(),
                    "route": result.route,
                    "findings": result.findings,
                    "decisions": [d.as_dict() for d in result.decisions],
                    "payload": result.payload,
                    "warnings": [{"field": w.field, "message": w.message} for w in warnings],
                },
                indent=2,
            )
        )
        sys.exit(0 if result.allowed else 1)
    console = Console()
    findings = Table(title="findings")
    for column in ("type", "position", "action"):
        findings.add_column(column)
    for f in result.findings:
        findings.add_row(escape(f["type"]), f"{f['start']}-{f['end']}", f["action"])
    console.print(findings if result.findings else "findings: none")
    ep = result.endpoint
    console.print(
        escape(
            f"endpoint: {ep.provider} {ep.host} kind={ep.kind} region={ep.region or '-'} "
            f"data_zone={ep.data_zone or '-'} trains_on_data={ep.trains_on_data}"
            + (f" (routed to profile {result.route})" if result.route else "")
        )
    )
    rules = Table(title="rules checked")
    for column in ("rule", "outcome", "reason"):
        rules.add_column(column, overflow="fold")
    for d in result.decisions:
        rules.add_row(
            escape(d.rule), "allowed" if d.allowed else "[red]refused[/red]", escape(d.reason)
        )
    console.print(rules)
    if result.refused:
        console.print(f"[red]refused:[/red] {escape(result.refused)}")
        sys.exit(1)
    console.print("payload that would be sent:")
    console.print_json(jsonlib.dumps(result.payload))


@main.group("policy")
def policy_group() -> None:
    """Inspect the routing policy."""


@policy_group.command("check")
@config_option
def policy_check(config_path: str | None) -> None:
    """Lint the policy: unknown hosts, contradictions, profiles that do not exist."""
    from privllm.plan import check_policy

    try:
        issues = check_policy(_load(config_path), env=dict(os.environ))
    except PrivllmError as exc:
        _fail(exc)
        return
    for issue in issues:
        click.echo(str(issue), err=issue.level == "error")
    errors = sum(1 for i in issues if i.level == "error")
    click.echo(f"{errors} error(s), {len(issues) - errors} warning(s)")
    sys.exit(1 if errors else 0)


@main.group("config")
def config_group() -> None:
    """Inspect configuration."""


@config_group.command("show")
@config_option
@click.option("--all", "show_all", is_flag=True, help="Every setting, defaults included.")
@click.option("--json", "as_json", is_flag=True,
              help="Every setting as JSON {setting: {value, source}}, masked.")  # fmt: skip
def config_show(config_path: str | None, show_all: bool, as_json: bool) -> None:
    """What is set and where it came from (file, environment, code), secrets masked.

    By default: the provider in use, its key variable (set or not), and every setting not
    at its default. --all adds the defaults.
    """
    from privllm.config_cli import show_json, show_text

    try:
        config = _load(config_path)
    except PrivllmError as exc:
        _fail(exc)
        return
    if as_json:
        show_json(config)
    else:
        show_text(config, show_all=show_all)


@contextmanager
def _no_bar() -> Iterator[Callable[[int, int], None] | None]:
    yield None


def _counted(stream: Iterable[bytes], read: list[int]) -> Iterator[bytes]:
    """``stream``'s chunks, adding their sizes to ``read[0]`` (for the progress bar)."""
    for raw in stream:
        read[0] += len(raw)
        yield raw


def _stream_name(stream: IO[bytes]) -> str:
    name = getattr(stream, "name", None)
    return name if isinstance(name, str) and name not in ("", "-") else "<stdin>"


def _not_utf8(where: str, exc: UnicodeDecodeError, offset: int, line: int | None) -> None:
    # The bytes are not echoed: the input may be anything, secrets included.
    at = f"line {line}, byte {offset + exc.start}" if line else f"byte {offset + exc.start}"
    click.echo(f"error: {where}: not valid UTF-8 ({at})", err=True)
    sys.exit(1)


def _universal_newlines(text: str) -> str:
    # What text mode did before input was read as bytes: \r\n and \r become \n.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_text(stream: IO[bytes], where: str) -> str:
    """All of ``stream`` as UTF-8; invalid input exits 1 naming ``where`` and the byte."""
    data = stream.read()
    try:
        return _universal_newlines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        _not_utf8(where, exc, 0, None)
        raise  # pragma: no cover - _not_utf8 exits


def _text_lines(stream: Iterable[bytes], where: str) -> Iterator[str]:
    """Lines of ``stream`` as UTF-8 text, read line by line (input may be large).

    A bad byte exits 1 naming ``where``, the line and the byte offset in the input.
    """
    offset = number = 0
    for raw in stream:
        try:
            text = _universal_newlines(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            before = _universal_newlines(raw[: exc.start].decode("utf-8"))
            _not_utf8(where, exc, offset, number + 1 + before.count("\n"))
            raise  # pragma: no cover - _not_utf8 exits
        offset += len(raw)
        *complete, rest = text.split("\n")
        for line in complete:
            number += 1
            yield line + "\n"
        if rest:
            number += 1
            yield rest


main.add_command(audit_group)
main.add_command(finetune_group)


if __name__ == "__main__":  # pragma: no cover
    main()
