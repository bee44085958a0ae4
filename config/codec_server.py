"""The codec server: ``POST .../encode`` and ``POST .../decode`` for the Temporal Web UI and CLI.

It speaks Temporal's remote codec protocol (a ``Payloads`` message as protobuf JSON
in, the same out; only the last path segment says which), with the engine's
keys (``config/codec.py``). A caller must present the token
(``MANDATES_CODEC_TOKEN``; for the dev stack, ``<data folder>/codec-token``, made
once with mode 0600) in one of two ways:

- ``Authorization: Bearer <token>``: the Temporal CLI
  (``--codec-endpoint http://127.0.0.1:8234 --codec-auth "Bearer <token>"``);
- as the first path segment, ``http://127.0.0.1:8234/<token>/decode``: the Web UI,
  which cannot send a header of its own, is given ``http://127.0.0.1:8234/<token>``
  as its codec endpoint (the dev stack does this with ``--ui-codec-endpoint``).

Anything else gets 401 and nothing decoded. Browsers are answered (CORS) only for
the Web UI's origins (``MANDATES_CODEC_ORIGINS``; default the dev stack's UI).
It binds to 127.0.0.1; it logs requests without their path (which may hold the
token) and never logs payloads.

A malformed request is answered, never dropped: 400 with a one-line JSON error for a
``Content-Length`` that is not one number of digits, a body over ``MAX_BODY`` or none, a
body that is not a ``Payloads`` message, or an encrypted payload shorter than its nonce.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import signal
import socket
import sys
import threading
import urllib.request
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from config.codec import ENCODING, NONCE_BYTES, EncryptionCodec, PayloadUndecryptable, load_or_create_secret
from config.settings import LOOPBACK, Settings, SettingsInvalid
from domain.errors import DomainError

log = logging.getLogger("codec-server")

MAX_BODY = 16 * 1024 * 1024
_LENGTH = re.compile(r"[0-9]{1,12}")
_DRAIN = 1024 * 1024
"""Bytes of an unread body taken in before a refusal closes the connection (so that the
caller reads the answer rather than a reset)."""


class _Malformed(Exception):
    """A request the server answers with 400 and the message (``unread``: its body was not
    read)."""

    def __init__(self, message: str, unread: bool = False) -> None:
        super().__init__(message)
        self.unread = unread


_ALLOWED_HEADERS = "authorization, content-type, x-namespace"


def load_token(settings: Settings) -> str:
    """The codec server's token: ``MANDATES_CODEC_TOKEN``, or the dev stack's token file.

    Raises:
        SettingsInvalid: no token for a real Temporal server.
        CodecKeysInvalid: the token file cannot be read or is readable by others.
    """
    if settings.codec_token is not None:
        return settings.codec_token.get_secret_value().strip()
    path = settings.codec_token_path
    if not path.exists() and not settings.uses_embedded_temporal:
        raise SettingsInvalid("invalid setting MANDATES_CODEC_TOKEN: required with TEMPORAL_ADDRESS")
    return load_or_create_secret(path, lambda: secrets.token_urlsafe(32)).strip()


def ui_endpoint(settings: Settings) -> str:
    """What the Web UI is given as its codec endpoint (the token as the first path segment)."""
    return f"http://{LOOPBACK}:{settings.codec_port}/{load_token(settings)}"


def answers(port: int, timeout: float = 1.0) -> bool:
    """Whether a codec server answers its health check on 127.0.0.1:``port``."""
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


class CodecServer(ThreadingHTTPServer):
    """An HTTP server for one codec, one token and the allowed browser origins."""

    daemon_threads = True

    def __init__(self, codec: EncryptionCodec, token: str, origins: Sequence[str], port: int) -> None:
        self.codec = codec
        self.token = token.encode()
        self.origins = frozenset(origins)
        super().__init__((LOOPBACK, port), _Handler)

    @classmethod
    def from_settings(cls, settings: Settings, port: int | None = None) -> CodecServer:
        """The server the settings describe (their keys, token, origins and port).

        Raises:
            SettingsInvalid: the port is taken, or the keys or token are unusable.
        """
        codec = EncryptionCodec(settings.key_ring())
        port = settings.codec_port if port is None else port
        try:
            return cls(codec, load_token(settings), settings.codec_allowed_origins, port)
        except OSError as exc:
            raise SettingsInvalid(
                f"invalid setting MANDATES_CODEC_PORT: cannot listen on {LOOPBACK}:{port}: {exc.strerror}"
            ) from None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> threading.Thread:
        """Serve on a background thread (tests, embedding); ``shutdown()`` stops it."""
        thread = threading.Thread(target=self.serve_forever, name="codec-server", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: CodecServer
    server_version = "mandates-codec"
    sys_version = ""

    # --- routing -------------------------------------------------------------------

    def do_GET(self) -> None:
        if self._segments() == ["health"]:
            self._send(HTTPStatus.OK, {"status": "ok"})
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_OPTIONS(self) -> None:
        if self._origin_allowed() is False:
            self._send(HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
            return
        self.send_response(HTTPStatus.NO_CONTENT)
        self._cors()
        self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", _ALLOWED_HEADERS)
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        segments = self._segments()
        action = segments[-1] if segments else ""
        if action not in ("encode", "decode"):
            self._send(HTTPStatus.NOT_FOUND, {"error": "POST .../encode or .../decode"})
            return
        if self._origin_allowed() is False:
            self._send(HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
            return
        if not self._authorised(segments[:-1]):
            self._send(HTTPStatus.UNAUTHORIZED, {"error": "a valid codec token is required"}, bearer=True)
            return
        try:
            length = self._content_length()
            payloads = self._payloads(self.rfile.read(length))
            if action == "decode":
                _check_sealed(payloads)
        except _Malformed as exc:
            self._refuse(str(exc), drain=exc.unread)
            return
        codec = self.server.codec
        apply = codec.encode_sync if action == "encode" else codec.decode_sync
        try:
            result = Payloads(payloads=apply(payloads.payloads))
        except PayloadUndecryptable as exc:
            self._send(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(exc)})
            return
        except ValueError:  # (what the cipher or protobuf refuse of a payload)
            self._send(HTTPStatus.BAD_REQUEST, {"error": "a payload cannot be decoded"})
            return
        self._send(HTTPStatus.OK, json.loads(json_format.MessageToJson(result)))

    def _content_length(self) -> int:
        """The body's length: one Content-Length, digits only, 1 to ``MAX_BODY``."""
        given = self.headers.get_all("Content-Length") or []
        if len(given) != 1 or not _LENGTH.fullmatch(given[0].strip()):
            raise _Malformed("Content-Length must be given once, as a number of bytes", unread=True)
        length = int(given[0])
        if length <= 0 or length > MAX_BODY:
            raise _Malformed(f"a body of 1 to {MAX_BODY} bytes is required", unread=True)
        return length

    @staticmethod
    def _payloads(body: bytes) -> Payloads:
        try:
            return json_format.Parse(body, Payloads())
        except (json_format.ParseError, ValueError):
            raise _Malformed("the body is not a Payloads message in JSON") from None

    def _refuse(self, message: str, drain: bool) -> None:
        """400 with ``message``, and the connection closed; with ``drain``, what the caller
        still sends of its unread body is taken in first (up to ``_DRAIN``), so that it
        reads this answer rather than a reset connection."""
        self.close_connection = True
        self._send(HTTPStatus.BAD_REQUEST, {"error": message})
        if drain:
            self.wfile.flush()
            _drain(self.connection)

    # --- helpers -------------------------------------------------------------------

    def _segments(self) -> list[str]:
        path = self.path.split("?", 1)[0]
        return [s for s in path.split("/") if s]

    def _origin_allowed(self) -> bool | None:
        """None without an Origin header (not a browser), else whether it is allowed."""
        origin = self.headers.get("Origin")
        if origin is None:
            return None
        return origin.rstrip("/") in self.server.origins

    def _authorised(self, prefix: list[str]) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, credential = header.partition(" ")
        candidates = [credential.strip()] if scheme.lower() == "bearer" else []
        if len(prefix) == 1:
            candidates.append(prefix[0])
        return any(hmac.compare_digest(c.encode(), self.server.token) for c in candidates)

    def _cors(self) -> None:
        if self._origin_allowed():
            self.send_header("Access-Control-Allow-Origin", self.headers["Origin"])
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Vary", "Origin")

    def _send(self, status: HTTPStatus, body: dict[str, Any], bearer: bool = False) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        if self.close_connection:
            self.send_header("Connection", "close")
        self._cors()
        if bearer:
            self.send_header("WWW-Authenticate", 'Bearer realm="mandates-codec"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        action = (self._segments() or ["/"])[-1]  # never the path: it may hold the token
        log.info("%s %s -> %s", self.command, action, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.warning("codec server: refused a malformed request")  # its text may hold the token


def _check_sealed(payloads: Payloads) -> None:
    """Every encrypted payload holds at least its nonce (the cipher refuses a shorter one
    with an error of its own, not as a failed authentication)."""
    for number, payload in enumerate(payloads.payloads, start=1):
        if payload.metadata.get("encoding") == ENCODING and len(payload.data) < NONCE_BYTES:
            raise _Malformed(f"payload {number} is {len(payload.data)} bytes, shorter than its nonce")


def _drain(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_WR)
        connection.settimeout(1.0)
        taken = 0
        while taken < _DRAIN:
            chunk = connection.recv(65536)
            if not chunk:
                return
            taken += len(chunk)
    except OSError:
        return


def main() -> None:
    """``python -m config.codec_server``: serve in the foreground until SIGINT or SIGTERM."""
    from config.logging import configure_logging

    try:
        settings = Settings.load()
        configure_logging(settings.log_format, settings.log_level)
        server = CodecServer.from_settings(settings)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    log.info("codec server started on http://%s:%s", LOOPBACK, server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    log.info("codec server stopped")


if __name__ == "__main__":
    main()
