"""The codec server answers every malformed request, never drops it: raw sockets send what
an HTTP client library would not (a Content-Length that is not a number, two of them, one
far over the limit with the body still coming, ciphertexts shorter than their nonce), and
each gets 400 with a one-line JSON error; the server answers the next request as before."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator

import pytest

from config.codec import KEY_ID_METADATA, NONCE_BYTES, EncryptionCodec, KeyRing
from config.codec_server import MAX_BODY, CodecServer, answers

TOKEN = "t0ken-for-the-codec-server-tests"


@pytest.fixture(scope="module")
def server() -> Iterator[CodecServer]:
    running = CodecServer(EncryptionCodec(KeyRing.generate("k1")), TOKEN, [], port=0)
    running.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()


def exchange(server: CodecServer, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send a request as raw bytes and read the whole answer (the server closes after it)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(head + b"\r\n" + body)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1."), answer  # an answer, not a dropped connection
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def post(length_headers: str) -> bytes:
    return (
        f"POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n{length_headers}"
    ).encode()


def one_line_error(body: bytes) -> str:
    assert b"\n" not in body
    message = json.loads(body)["error"]
    assert isinstance(message, str) and message
    return message


@pytest.mark.parametrize(
    "length",
    ["Content-Length: abc\r\n", "Content-Length: -5\r\n", "Content-Length: 1e3\r\n", "Content-Length: ٣\r\n",
     "Content-Length: 2\r\nContent-Length: 2\r\n", "Content-Length: 99999999999999999999\r\n", ""],
)  # fmt: skip
def test_a_malformed_content_length_is_answered_400(server: CodecServer, length: str) -> None:
    status, body = exchange(server, post(length), b"{}")

    assert status == 400
    assert one_line_error(body) in (
        "Content-Length must be given once, as a number of bytes",
        f"a body of 1 to {MAX_BODY} bytes is required",
    )
    assert answers(server.port)


def test_an_oversize_body_still_being_sent_is_answered_not_reset(server: CodecServer) -> None:
    status, body = exchange(server, post(f"Content-Length: {MAX_BODY + 1}\r\n"), b"x" * 800_000)

    assert status == 400
    assert one_line_error(body) == f"a body of 1 to {MAX_BODY} bytes is required"


@pytest.mark.parametrize("size", [0, 4, 7, 8, NONCE_BYTES - 1])
def test_a_ciphertext_shorter_than_its_nonce_is_answered_400(server: CodecServer, size: int) -> None:
    payload = {
        "metadata": {
            "encoding": base64.b64encode(b"binary/encrypted").decode(),
            KEY_ID_METADATA: base64.b64encode(b"k1").decode(),
        },
        "data": base64.b64encode(b"\x01" * size).decode(),
    }
    request = json.dumps({"payloads": [payload]}).encode()

    status, body = exchange(server, post(f"Content-Length: {len(request)}\r\n"), request)

    assert status == 400
    assert one_line_error(body) == f"payload 1 is {size} bytes, shorter than its nonce"
    assert answers(server.port)
