"""The one Temporal client factory: the worker, the CLI and the tests all connect through it.

Every client it makes encrypts payloads with the engine's codec (``config/codec.py``)
and encodes failure messages and stack traces too, speaks TLS when configured
(mTLS certificate and key, or an API key), signs updates with the caller's token
when ``MANDATES_IDENTITY_TOKEN_FILE`` is set (``config/identity.py``), and traces
when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (``config/telemetry.py``).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import TLSConfig

from config.codec import EncryptionCodec, KeyRing
from config.identity import CallerSigning, TokenBook, load_directory, load_token
from config.settings import Settings, SettingsInvalid
from config.telemetry import tracing_interceptors
from domain.errors import DomainError


class TemporalUnreachable(DomainError):
    """The Temporal frontend cannot be reached."""

    code = "temporal_unreachable"


def build_data_converter(ring: KeyRing, *, strict: bool = True) -> DataConverter:
    """The pydantic data converter, with payloads encrypted under ``ring`` and failures
    (message and stack trace) encoded too. Strict: a payload that arrives unencrypted is
    refused (``EncryptionCodec``), so no message forged without the key changes anything
    (``strict=False``: histories recorded in the clear, replayed in tests)."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(ring, strict=strict),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    """The data converter for the configured keys (``MANDATES_CODEC_KEYS``, or the dev key file)."""
    return build_data_converter(settings.key_ring())


def tls_config(settings: Settings) -> TLSConfig | bool | None:
    """TLS for the Temporal connection: mTLS, a custom CA or server name, or plain TLS with an
    API key; None (no TLS) otherwise."""
    cert, key, ca = settings.temporal_tls_cert, settings.temporal_tls_key, settings.temporal_tls_ca
    if cert is None and ca is None and settings.temporal_tls_server_name is None:
        return True if settings.temporal_api_key is not None else None

    def read(path: Any, variable: str) -> bytes | None:
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError as exc:
            raise SettingsInvalid(f"invalid setting {variable}: cannot read {path}: {exc.strerror}") from None

    return TLSConfig(
        client_cert=read(cert, "TEMPORAL_TLS_CLIENT_CERT_PATH"),
        client_private_key=read(key, "TEMPORAL_TLS_CLIENT_KEY_PATH"),
        server_root_ca_cert=read(ca, "TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
        domain=settings.temporal_tls_server_name,
    )


def client_interceptors(settings: Settings) -> list[Any]:
    """Signing with the caller's token (``MANDATES_IDENTITY_TOKEN_FILE``), or with the token of
    whoever acts, from an identities file this caller can read (the dev stack's); then
    tracing (when configured)."""
    interceptors: list[Any] = []
    if settings.identity_token_file is not None:
        interceptors.append(CallerSigning(load_token(settings.identity_token_file)))
    else:
        book = settings.identities_file or settings.dev_identities_file
        if book.is_file() and os.access(book, os.R_OK):
            interceptors.append(CallerSigning(TokenBook(load_directory(book), settings.acting_person())))
    return interceptors + tracing_interceptors(settings)


async def connect_temporal(settings: Settings | None = None, *, delegate_token: str | None = None) -> Client:
    """Connect to the configured Temporal frontend with the engine's data converter.

    Raises:
        SettingsInvalid: a key, certificate or token setting cannot be used.
        TemporalUnreachable: nothing answers at the configured address.
    """
    settings = settings or Settings.load()
    converter = data_converter(settings)
    tls = tls_config(settings)
    if delegate_token is not None:  # the console: it signs for whoever it acts for (ON_BEHALF_OF)
        interceptors = [CallerSigning(delegate_token, delegate=True), *tracing_interceptors(settings)]
    else:
        interceptors = client_interceptors(settings)
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=converter,
            tls=tls,
            api_key=api_key,
            interceptors=interceptors,
        )
    except RuntimeError as exc:  # the SDK reports a failed connection as RuntimeError
        hint = " (is the dev stack up? `mandates dev up`)" if settings.uses_embedded_temporal else ""
        text = str(exc)
        first = (
            "connection refused" if "Connection refused" in text else (text.splitlines() or ["no answer"])[0]
        )
        raise TemporalUnreachable(
            f"cannot reach Temporal at {settings.temporal_address}: {first}{hint}"
        ) from None
