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
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import signal
import sys
import threading
import urllib.request
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from config.codec import EncryptionCodec, PayloadUndecryptable, load_or_create_secret
from config.settings import LOOPBACK, Settings, SettingsInvalid
from domain.errors import DomainError

log = logging.getLogger("codec-server")

MAX_BODY = 16 * 1024 * 1024
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
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            self._send(HTTPStatus.BAD_REQUEST, {"error": f"a body of 1 to {MAX_BODY} bytes is required"})
            return
        try:
            payloads = json_format.Parse(self.rfile.read(length), Payloads())
            codec = self.server.codec
            apply = codec.encode_sync if action == "encode" else codec.decode_sync
            result = Payloads(payloads=apply(payloads.payloads))
        except json_format.ParseError:
            self._send(HTTPStatus.BAD_REQUEST, {"error": "the body is not a Payloads message in JSON"})
            return
        except PayloadUndecryptable as exc:
            self._send(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(exc)})
            return
        self._send(HTTPStatus.OK, json.loads(json_format.MessageToJson(result)))

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
