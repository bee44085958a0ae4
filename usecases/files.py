"""Files a person hands to a use case, or asks it to write: read with a limit, written whole.

A file is read only up to its limit (so a symbolic link to an endless device is refused,
not read until memory runs out), and written to a temporary file beside its place and
then renamed, so that a failure never leaves half a file where a whole one was.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from usecases.errors import BadInput, Refused

MEGABYTE = 1024 * 1024
RESOLUTION_LIMIT = 5 * MEGABYTE
"""A resolution document (the longest in the examples is some 40 kB)."""
PLAN_LIMIT = MEGABYTE
CONTACTS_LIMIT = 5 * MEGABYTE
RESPONSE_LIMIT = MEGABYTE
"""A response given as a file (its text is bounded again: ``domain.values.MAX_TEXT``)."""


def read_limited(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of ``path``, or ``BadInput`` (cannot read it) or ``Refused`` (over ``limit``)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder, not a {what}") from None
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise Refused(f"{path} is larger than {_size(limit)}, too large for a {what}")
    return data


def _size(limit: int) -> str:
    return f"{limit // MEGABYTE} MB" if limit >= MEGABYTE else f"{limit} bytes"


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def write_file(path: Path, data: bytes) -> None:
    """``write_whole`` off the event loop."""
    await asyncio.to_thread(write_whole, path, data)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
