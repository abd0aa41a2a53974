"""How the ``privllm`` commands print for a person: tables that fit the terminal (or 80
columns, as plain text, when piped), and hints on stderr.

A table too wide for the terminal drops its least needed columns, in an order each command
chooses, and says which were left out, rather than folding every cell into a tower of
two-letter lines; the columns that remain are wrapped between words where they must be.

    >>> from io import StringIO
    >>> from rich.console import Console
    >>> out = Console(file=StringIO(), width=40)
    >>> print_table(None, [Column("name"), Column("note", keep=1)],
    ...             [["alpha", "a rather long note that will not fit"]], console=out)
    >>> for line in out.file.getvalue().splitlines():
    ...     print(line.rstrip())
    name
    alpha
    (not shown at 40 columns: note)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["Column", "console", "print_table", "progress_bar", "stdin_hint"]


@dataclass(frozen=True)
class Column:
    """A table column. ``keep`` 0 is always shown; when the table does not fit, the
    columns with the highest ``keep`` go first, together. ``wrap=False`` never breaks the
    cell (ids, times, numbers)."""

    header: str
    keep: int = 0
    justify: Literal["left", "right"] = "left"
    wrap: bool = True


def console(*, stderr: bool = False) -> Console:
    """A Rich console: the terminal's width, else ``$COLUMNS`` or 80, colour only on a
    terminal, no guessing of highlights in user data."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def print_table(
    title: str | None,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    console: Console | None = None,
    more: str = "",
) -> None:
    """Print ``rows`` as a table fitted to the console; cells are text, never markup.

    ``more`` says where the hidden columns can be seen (``"--json has every field"``).
    """
    from rich.measure import Measurement

    out = console or globals()["console"]()
    unbounded = out.options.update(max_width=1 << 16)  # the natural width, nothing wrapped
    shown = list(range(len(columns)))
    while True:
        table = _table(
            title, [columns[i] for i in shown], [[r[i] for i in shown] for r in rows], out
        )
        droppable = [i for i in shown if columns[i].keep > 0]
        width = Measurement.get(out, unbounded, table).maximum
        if width <= out.width or not droppable:
            break
        worst = max(columns[i].keep for i in droppable)
        shown = [i for i in shown if columns[i].keep != worst]
    out.print(table)
    hidden = [c.header for i, c in enumerate(columns) if i not in shown]
    if hidden:
        where = f"; {more}" if more else ""
        out.print(f"(not shown at {out.width} columns: {', '.join(hidden)}{where})", style="dim")


def _table(
    title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]], out: Console
) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    # Lines only on a terminal: piped, the table is plain text for grep, cut and friends.
    # Two spaces between columns either way (the head's box puts a space between them).
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD if out.is_terminal else None,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0) if out.is_terminal else (0, 2, 0, 0),
    )
    for column in columns:
        table.add_column(
            column.header,
            justify=column.justify,
            no_wrap=not column.wrap,
            overflow="fold",
        )
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def stdin_hint(what: str) -> None:
    """Say on stderr that the command waits for ``what`` typed at the terminal (and how to
    end it), so a forgotten argument does not look like a hang. Silent when stdin is a
    pipe or a file."""
    try:
        interactive = sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        interactive = False
    if interactive:
        end = "Ctrl-Z then Enter" if sys.platform == "win32" else "Ctrl-D"
        print(
            f"reading {what} from the terminal; end with {end} (or pass a file)",
            file=sys.stderr,
            flush=True,
        )


@contextmanager
def progress_bar(path: Path, wanted: bool | None) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich bar (bytes, lines, speed) for reading ``path``, on stderr; by default
    (``wanted`` None) only when stderr is a terminal. Yields ``tick(bytes_done, lines)``, or
    None when there is no bar."""
    if wanted is False or (wanted is None and not sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[lines]:,} lines"),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    # No auto-refresh: its thread would be running when the detector workers are forked.
    # ``--progress`` into a pipe or a CI log still draws (Rich would draw only the end).
    out = Console(stderr=True, force_terminal=True if wanted else None)
    bar = Progress(*columns, console=out, transient=True, auto_refresh=False)
    with bar:
        task = bar.add_task(path.name, total=path.stat().st_size, lines=0)
        last = 0.0

        def tick(done: int, lines: int) -> None:
            nonlocal last
            bar.update(task, completed=done, lines=lines)
            now = time.monotonic()
            if now - last >= 0.1:
                last = now
                bar.refresh()

        yield tick
