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
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

try:  # typer carries its own copy of click since 0.23
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover (an older typer, on click)
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from config.commands import mandates_command, with_command
from domain.errors import DomainError
from usecases import BadInput, Engine, failure_message, open_engine

T = TypeVar("T")


def first_sentence(text: str | None) -> str:
    """The first sentence of a help text, whole and on one line."""
    flat = " ".join((text or "").split())
    return re.split(r"(?<=[.!?])\s+(?=[A-Z`])", flat, maxsplit=1)[0]


class _Commands(TyperGroup):
    """The command tree: bad usage (a missing or unknown option, a bad value) is one line
    naming the command's help, exit 2, like every other error of the CLI; a command's line
    in its group's help is its first sentence, whole."""

    def get_short_help_str(self, limit: int = 45) -> str:
        return first_sentence(self.short_help or self.help)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        prog_name = prog_name or mandates_command()
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:  # a group named alone: its help, as before
            if not standalone_mode:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except ClickException as exc:
            if not standalone_mode:
                raise
            echo(f"error: {usage_line(exc)}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            echo("error: aborted", err=True)
            sys.exit(1)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


def usage_line(exc: ClickException) -> str:
    """Click's message on one line: "missing option '--as' (see `mandates approve --help`)"."""
    message = " ".join(exc.format_message().split()).rstrip(".").replace("Value error, ", "")
    message = message[:1].lower() + message[1:]
    context = getattr(exc, "ctx", None)
    if isinstance(exc, UsageError) and context is not None:
        message += f" (see `{context.command_path} --help`)"
    return printable(message, keep="")


_VALUE_NAMES = {"str": "TEXT", "int": "INTEGER", "int range": "INTEGER", "float": "NUMBER",
                "float range": "NUMBER", "path": "PATH", "file": "FILE"}  # fmt: skip


class _Option(TyperOption):
    """An option as click writes it: ``--outcome TEXT`` (or its metavar), not ``<str>``."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        label = (super().display_type_rich(ctx) or "").strip("<>")
        return _VALUE_NAMES.get(label, f"[{label}]" if "|" in label else label.upper())


class _Argument(TyperArgument):
    """An argument by its name alone: ``ID``, not ``ID <str>`` (nor ``{ID}`` in the usage)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"


class _Command(TyperCommand):
    """A command whose help reads as plain text: value names, no type tags."""

    def get_short_help_str(self, limit: int = 45) -> str:
        return first_sentence(self.short_help or self.help)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperOption:
                param.__class__ = _Option
            elif type(param) is TyperArgument:
                param.__class__ = _Argument


class _Typer(typer.Typer):
    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", _Command)
        return super().command(*args, **kwargs)


def commands(**options: Any) -> typer.Typer:
    """A group of commands: plain help (value names, no boxes or type tags) and one-line
    usage errors."""
    return _Typer(
        cls=_Commands,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
        **options,
    )


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
    """Print ``message`` as the one line of an error (its commands runnable from here), and
    leave with ``code``."""
    echo(f"error: {printable(with_command(message), keep='')}", err=True)
    raise typer.Exit(code)


def fail_each(problems: Sequence[str], code: int = 1) -> NoReturn:
    """Print each problem on a line of its own (``error: ...``), then exit."""
    for problem in problems:
        echo(f"error: {printable(str(problem), keep='')}", err=True)
    raise typer.Exit(code)


def hint(text: str) -> str:
    """``text`` with the commands it quotes (```mandates list```) as they run from here."""
    return with_command(text)


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
