"""Background processes the dev stack starts, recorded in pid files so that exactly
those processes can be found and stopped later."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from domain.errors import DomainError

LOOPBACK = "127.0.0.1"


class DevStackError(DomainError):
    """A part of the dev stack cannot start or be reached."""

    code = "dev_stack_error"


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether nothing listens on ``host:port`` and it can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_HANDED_OUT: set[int] = set()


def _ephemeral_low() -> int:
    """The lowest port the kernel hands out as the local end of a client's connection."""
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # (Linux's default, and the IANA range starts at 49152)


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` that nothing listens on, for a server of a stack started for a
    test, a benchmark or a fault run (never the same one twice in a process).

    Chosen below the kernel's ephemeral range: a port from that range ("bind to 0") can be
    taken, between this call and the server's own bind, as the local end of a connection
    some client opens meanwhile (a stack's Postgres and Temporal open many), and the
    server then finds its port busy."""
    rng = random.SystemRandom()
    low = _ephemeral_low()
    for _ in range(200 if low > 11024 else 0):
        port = rng.randrange(10000, low)
        if port not in _HANDED_OUT and port_is_free(port, host):
            _HANDED_OUT.add(port)
            return port
    with socket.socket() as probe:  # (a kernel whose ephemeral range starts low)
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_answers(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_free_ports(part: str, ports: dict[str, int]) -> None:
    """Fail with one line if a port is taken; ``ports`` maps the setting's variable to its port."""
    for variable, port in ports.items():
        if not port_is_free(port):
            raise DevStackError(
                f"port {port} on {LOOPBACK} ({part}) is busy: stop what uses it or set {variable}"
            )


def as_account(account: str | None) -> dict[str, object]:
    """subprocess keyword arguments that drop to ``account`` (its group too), or nothing."""
    if account is None:
        return {}
    return {"user": account, "group": account, "extra_groups": []}


@dataclass(frozen=True)
class ManagedProcess:
    """One process of the stack: how to start it and where its pid file and log live."""

    name: str
    run_dir: Path
    log_dir: Path

    @property
    def pidfile(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(
        self, command: Sequence[str], env: dict[str, str] | None = None, account: str | None = None
    ) -> psutil.Process:
        """Start the command in its own session, logging to the part's log file."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as log:
            child = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                **as_account(account),
            )
        process = psutil.Process(child.pid)
        record = {"pid": child.pid, "started": process.create_time(), "command": list(command)}
        self.pidfile.write_text(json.dumps(record))
        return process

    def running(self) -> psutil.Process | None:
        """The process this part's pid file names, if it is still that process and alive."""
        try:
            record = json.loads(self.pidfile.read_text())
            process = psutil.Process(int(record["pid"]))
            same = abs(process.create_time() - float(record["started"])) < 0.01
            alive = process.status() != psutil.STATUS_ZOMBIE
        except (FileNotFoundError, ValueError, KeyError, psutil.Error):
            return None
        return process if same and alive else None

    def stop(self, sig: int = signal.SIGTERM, group: bool = True, timeout: float = 15.0) -> bool:
        """Stop the recorded process (``sig``, then SIGKILL); return whether one was running.

        With ``group`` the signal goes to the process group the part was started in.
        """
        process = self.running()
        if process is None:
            self.pidfile.unlink(missing_ok=True)
            return False
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
        try:
            process.wait(timeout)
        except psutil.TimeoutExpired:
            with contextlib.suppress(psutil.Error, ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(psutil.Error):
                process.wait(5)
        self.pidfile.unlink(missing_ok=True)
        return True

    def exited_early(self, process: psutil.Process) -> str | None:
        """If the process has died, the last line of its log explaining why."""
        if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
            return None
        return self.last_log_line() or "exited without a message"

    def last_log_line(self) -> str:
        try:
            lines = [ln for ln in self.logfile.read_text(errors="replace").splitlines() if ln.strip()]
        except FileNotFoundError:
            return ""
        return lines[-1][:300] if lines else ""


def wait_until(
    check,
    what: str,
    process: ManagedProcess | None = None,
    started: psutil.Process | None = None,
    timeout: float = 60.0,
) -> None:
    """Poll ``check()`` until it is true; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and started is not None:
            reason = process.exited_early(started)
            if reason is not None:
                raise DevStackError(f"{what} exited while starting: {reason} (log: {process.logfile})")
        time.sleep(0.2)
    where = f" (log: {process.logfile})" if process is not None else ""
    raise DevStackError(f"{what} did not answer within {timeout:.0f}s{where}")
