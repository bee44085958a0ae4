"""How the CLI speaks: one-line errors, plain tables, JSON for scripts."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NoReturn, TypeVar

import typer

from domain.errors import DomainError
from usecases import BadInput, Engine, failure_message, open_engine

T = TypeVar("T")


def run(use_case: Callable[[Engine], Awaitable[T]]) -> T:
    """Run one use case with an engine opened for this command, and closed after it; a
    refusal or a server that cannot be reached is one line (exit 2 for bad input, else 1)."""

    async def main() -> T:
        async with open_engine() as engine:
            return await use_case(engine)

    try:
        return asyncio.run(main())
    except BadInput as exc:
        fail(str(exc), code=2)
    except DomainError as exc:
        fail(str(exc))
    except Exception as exc:
        message = failure_message(exc)
        if message is None:
            raise
        fail(message)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=False))
    sys.stdout.write("\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain, aligned text table."""
    body = [[("" if cell is None else str(cell)) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)
