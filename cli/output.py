"""How the CLI speaks: one-line errors, plain tables, JSON for scripts.

Everything the CLI prints goes through ``echo`` (or ``print_json``), and so through
``printable``: text a person or a party wrote (an outcome, a comment, a reason, a name, a
report) never reaches the terminal with a control character in it. An escape sequence
could clear the screen, rewrite what was printed before or set the window title; it is
shown as its code instead (``\\x1b``), as are the other C0 and C1 controls and the
characters that reorder text (bidirectional overrides).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NoReturn, TypeVar

import typer

from domain.errors import DomainError
from usecases import BadInput, Engine, failure_message, open_engine

T = TypeVar("T")


def run(use_case: Callable[[Engine], Awaitable[T]], *, timeout: float | None = None) -> T:
    """Run one use case with an engine opened for this command, and closed after it; a
    refusal or a server that cannot be reached is one line (exit 2 for bad input, else 1)."""

    async def main() -> T:
        options = {"wait_seconds": timeout} if timeout is not None else {}
        async with open_engine(**options) as engine:
            return await use_case(engine)

    try:
        return asyncio.run(main())
    except BadInput as exc:
        fail(str(exc), code=2)
    except DomainError as exc:
        problems = getattr(exc, "problems", None)
        if problems:  # a file or a form with several problems: one line each
            fail_each(problems)
        fail(str(exc))
    except Exception as exc:
        message = failure_message(exc)
        if message is None:
            raise
        fail(message)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _code(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, keep: str = "\n\t") -> str:
    """``text`` safe for a terminal: every control or reordering character but those in
    ``keep`` is shown as its code (ESC as ``\\x1b``)."""
    return _UNPRINTABLE.sub(lambda m: m.group() if m.group() in keep else _code(m.group()), text)


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print ``text`` (``printable``) to stdout, or stderr with ``err``."""
    typer.echo(printable(text), err=err, nl=nl)


def fail(message: str, code: int = 1) -> NoReturn:
    echo(f"error: {printable(message, keep='')}", err=True)
    raise typer.Exit(code)


def fail_each(problems: Sequence[str], code: int = 1) -> NoReturn:
    """Print each problem on a line of its own (``error: ...``), then exit."""
    for problem in problems:
        echo(f"error: {printable(str(problem), keep='')}", err=True)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    """``value`` as JSON; JSON escapes C0 controls itself, the others are escaped here."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=False)
    sys.stdout.write(
        _UNPRINTABLE.sub(lambda m: m.group() if m.group() == "\n" else f"\\u{ord(m.group()):04x}", text)
    )
    sys.stdout.write("\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain, aligned text table; each cell one line (``printable``, line breaks shown too)."""
    body = [[("" if cell is None else printable(str(cell), keep="")) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)
