"""The codec server: decodes for a caller with the token (header or path), refuses the rest,
answers browsers only from the Web UI's origin, and never logs the token."""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from config.codec import EncryptionCodec, KeyRing
from config.codec_server import CodecServer, answers

TOKEN = "t0ken-for-the-codec-server-tests"
UI = "http://127.0.0.1:8233"
SECRET = "the delegation's position on article 12"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: dict


@pytest.fixture(scope="module")
def codec() -> EncryptionCodec:
    return EncryptionCodec(KeyRing.generate("k1"))


@pytest.fixture(scope="module")
def server(codec: EncryptionCodec) -> Iterator[CodecServer]:
    running = CodecServer(codec, TOKEN, [UI], port=0)
    running.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()


def call(server: CodecServer, method: str, path: str, body: bytes | None = None, **headers: str) -> Response:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}",
        data=body,
        method=method,
        headers={"Content-Type": "application/json", **{k.replace("_", "-"): v for k, v in headers.items()}},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            status, head, raw = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        status, head, raw = refused.code, dict(refused.headers), refused.read()
    return Response(status, head, json.loads(raw) if raw else {})


def payloads_json(payloads: list[Payload]) -> bytes:
    return json_format.MessageToJson(Payloads(payloads=payloads)).encode()


def texts(body: dict) -> list[str]:
    return [base64.b64decode(p["data"]).decode() for p in body["payloads"]]


@pytest.fixture
def sealed(codec: EncryptionCodec) -> bytes:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(SECRET).encode())
    return payloads_json(codec.encode_sync([plain]))


def test_decode_with_the_bearer_token(server: CodecServer, sealed: bytes) -> None:
    answer = call(server, "POST", "/decode", sealed, Authorization=f"Bearer {TOKEN}", X_Namespace="default")
    assert answer.status == 200
    assert texts(answer.body) == [json.dumps(SECRET)]


def test_decode_with_the_token_as_the_endpoints_first_segment(server: CodecServer, sealed: bytes) -> None:
    # What the Web UI calls: its codec endpoint is http://127.0.0.1:<port>/<token>.
    answer = call(server, "POST", f"/{TOKEN}/decode", sealed, Origin=UI)
    assert answer.status == 200
    assert texts(answer.body) == [json.dumps(SECRET)]
    assert answer.headers["Access-Control-Allow-Origin"] == UI


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/decode", {}),
        ("/decode", {"Authorization": "Bearer wrong-token-of-some-length"}),
        ("/decode", {"Authorization": f"Basic {TOKEN}"}),
        ("/wrong-token-of-some-length/decode", {}),
        (f"/{TOKEN}x/decode", {}),
    ],
)
def test_decode_without_the_token_is_refused(
    server: CodecServer, sealed: bytes, path: str, headers: dict[str, str]
) -> None:
    answer = call(server, "POST", path, sealed, **headers)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert SECRET not in json.dumps(answer.body)


def test_encode_needs_the_token_too(server: CodecServer, codec: EncryptionCodec) -> None:
    plain = payloads_json([Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')])
    assert call(server, "POST", "/encode", plain).status == 401
    answer = call(server, "POST", "/encode", plain, Authorization=f"Bearer {TOKEN}")
    assert answer.status == 200
    [encoded] = json_format.Parse(json.dumps(answer.body), Payloads()).payloads
    assert codec.decode_sync([encoded])[0].data == b'"x"'


def test_cors_preflight_answers_only_the_web_ui(server: CodecServer, sealed: bytes) -> None:
    preflight = call(server, "OPTIONS", f"/{TOKEN}/decode", Origin=UI, Access_Control_Request_Method="POST")
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == UI
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "x-namespace" in preflight.headers["Access-Control-Allow-Headers"]

    elsewhere = "http://evil.example"
    assert call(server, "OPTIONS", "/decode", Origin=elsewhere).status == 403
    refused = call(server, "POST", f"/{TOKEN}/decode", sealed, Origin=elsewhere)
    assert refused.status == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_bad_bodies_and_foreign_payloads_are_client_errors(server: CodecServer, sealed: bytes) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert call(server, "POST", "/decode", b"not json", **auth).status == 400
    other = EncryptionCodec(KeyRing.generate("k1"))  # same key id, another key
    foreign = payloads_json(other.encode_sync([Payload(data=b"x")]))
    assert call(server, "POST", "/decode", foreign, **auth).status == 422
    assert call(server, "POST", "/other", sealed, **auth).status == 404


def test_health_answers_and_the_log_never_holds_the_token(
    server: CodecServer, sealed: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    assert answers(server.port)
    with caplog.at_level(logging.INFO, logger="codec-server"):
        call(server, "POST", f"/{TOKEN}/decode", sealed)
        call(server, "POST", "/decode", sealed, Authorization="Bearer nope")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "decode -> 200" in logged and "decode -> 401" in logged
    assert TOKEN not in logged and SECRET not in logged
