"""``mandates password-hash``: a console password as the identities file keeps it."""

from __future__ import annotations

import subprocess

from config.identity import check_password
from tests.support.cli import MANDATES


def hashed(password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MANDATES, "password-hash"], input=password + "\n", capture_output=True, text=True, timeout=60
    )


def test_the_hash_printed_is_the_one_the_console_checks_sign_ins_against() -> None:
    done = hashed("a long enough password")
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("scrypt$") and "a long enough password" not in line
    assert check_password(line, "a long enough password") and not check_password(line, "another one at that")
    assert hashed("a long enough password").stdout != done.stdout  # salted


def test_a_short_password_is_refused_in_one_line() -> None:
    done = hashed("short")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "error: a console password needs at least 12 characters"
