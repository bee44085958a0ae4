"""Settings read from the environment, with defaults that point at the embedded dev stack.

Every variable is optional. Where ``DATABASE_URL`` or ``TEMPORAL_ADDRESS`` is set the
engine uses that real server; otherwise it uses the embedded stack that
``mandates dev up`` runs on 127.0.0.1.

The embedded Postgres authenticates every connection with a password (scram-sha-256):
``mandates dev up`` makes one for its superuser and one for the application role, each
in a file of the data folder readable by its owner only (``postgres-admin-password``,
``postgres-app-password``), and the embedded URLs carry them.
"""

from __future__ import annotations

import getpass
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import (
    AliasChoices,
    Field,
    FilePath,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.codec import KeyRing, load_key_ring, load_or_create_secret, parse_keys
from domain.errors import DomainError

LOOPBACK = "127.0.0.1"
APP_ROLE = "mandates_app"
EMBEDDED_DATABASE = "mandates"
EMBEDDED_SUPERUSER = "postgres"


class SettingsInvalid(DomainError):
    """An environment variable holds a value the engine cannot use."""

    code = "settings_invalid"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """What the worker, the CLI and the dev stack need to know about their surroundings."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    temporal_address_override: str | None = Field(None, validation_alias=_env("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field("default", validation_alias=_env("TEMPORAL_NAMESPACE"))
    task_queue: str = Field("mandates", validation_alias=_env("MANDATES_TASK_QUEUE"))
    database_url_override: str | None = Field(None, validation_alias=_env("DATABASE_URL"))
    database_admin_url_override: str | None = Field(None, validation_alias=_env("DATABASE_ADMIN_URL"))
    data_dir: Path = Field(Path(".data"), validation_alias=_env("MANDATES_DATA_DIR"))
    temporal_port: int = Field(7233, ge=1, le=65535, validation_alias=_env("MANDATES_TEMPORAL_PORT"))
    temporal_ui_port: int = Field(8233, ge=1, le=65535, validation_alias=_env("MANDATES_UI_PORT"))
    postgres_port: int = Field(55432, ge=1, le=65535, validation_alias=_env("MANDATES_PG_PORT"))
    log_format: Literal["console", "json"] = Field("console", validation_alias=_env("LOG_FORMAT"))
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", validation_alias=_env("LOG_LEVEL")
    )
    projector: Literal["worker", "off"] = Field("worker", validation_alias=_env("MANDATES_PROJECTOR"))
    checkpoint_seconds: int = Field(300, ge=0, validation_alias=_env("MANDATES_CHECKPOINT_SECONDS"))
    # Mail delivery: a real SMTP server when MANDATES_SMTP_HOST is set, else the dev stack's sink.
    smtp_host_override: str | None = Field(None, validation_alias=_env("MANDATES_SMTP_HOST"))
    smtp_port: int = Field(8025, ge=1, le=65535, validation_alias=_env("MANDATES_SMTP_PORT"))
    smtp_starttls: bool = Field(False, validation_alias=_env("MANDATES_SMTP_STARTTLS"))
    smtp_tls: bool = Field(False, validation_alias=_env("MANDATES_SMTP_TLS"))
    smtp_user: str | None = Field(None, validation_alias=_env("MANDATES_SMTP_USER"))
    smtp_password: SecretStr | None = Field(None, validation_alias=_env("MANDATES_SMTP_PASSWORD"))
    smtp_timeout: float = Field(30.0, gt=0, le=600, validation_alias=_env("MANDATES_SMTP_TIMEOUT"))
    mail_from: str = Field(
        "Mandate Engine <mandates@mandates.local>", min_length=3, validation_alias=_env("MANDATES_MAIL_FROM")
    )
    mail_digest: Literal["off", "daily"] = Field("off", validation_alias=_env("MANDATES_MAIL_DIGEST"))
    mail_digest_hour: int = Field(8, ge=0, le=23, validation_alias=_env("MANDATES_MAIL_DIGEST_HOUR"))
    mail_max_attempts: int = Field(8, ge=1, le=100, validation_alias=_env("MANDATES_MAIL_MAX_ATTEMPTS"))
    mail_retry_seconds: float = Field(60.0, gt=0, validation_alias=_env("MANDATES_MAIL_RETRY_SECONDS"))
    mail_poll_seconds: float = Field(5.0, gt=0, le=3600, validation_alias=_env("MANDATES_MAIL_POLL_SECONDS"))
    # Connections: TLS to Temporal, mTLS or an API key (the names the Temporal CLI reads too);
    # TLS to Postgres is sslmode=... in DATABASE_URL.
    temporal_api_key: SecretStr | None = Field(None, validation_alias=_env("TEMPORAL_API_KEY"))
    temporal_tls_cert: FilePath | None = Field(None, validation_alias=_env("TEMPORAL_TLS_CLIENT_CERT_PATH"))
    temporal_tls_key: FilePath | None = Field(
        None, validate_default=True, validation_alias=_env("TEMPORAL_TLS_CLIENT_KEY_PATH")
    )
    temporal_tls_ca: FilePath | None = Field(None, validation_alias=_env("TEMPORAL_TLS_SERVER_CA_CERT_PATH"))
    temporal_tls_server_name: str | None = Field(None, validation_alias=_env("TEMPORAL_TLS_SERVER_NAME"))
    # Confidentiality: the payload codec's keys (config/codec.py) and the codec server.
    codec_keys: SecretStr | None = Field(None, validation_alias=_env("MANDATES_CODEC_KEYS"))
    codec_key_id: str | None = Field(
        None, validate_default=True, validation_alias=_env("MANDATES_CODEC_KEY_ID")
    )
    codec_token: SecretStr | None = Field(None, validation_alias=_env("MANDATES_CODEC_TOKEN"))
    codec_port: int = Field(8234, ge=1, le=65535, validation_alias=_env("MANDATES_CODEC_PORT"))
    codec_origins: str | None = Field(None, validation_alias=_env("MANDATES_CODEC_ORIGINS"))
    # Access: who may act (config/identity.py), and the key the workers seal their own
    # messages to each other with (workflows/sealing.py).
    worker_keys: SecretStr | None = Field(None, validation_alias=_env("MANDATES_WORKER_KEYS"))
    identities_file: FilePath | None = Field(None, validation_alias=_env("MANDATES_IDENTITIES"))
    insecure: bool = Field(False, validation_alias=_env("MANDATES_INSECURE"))
    user: str | None = Field(None, validation_alias=_env("MANDATES_USER"))
    # The web console (web/): where it listens, the address parties' links point to, the secret
    # its sessions, forms and party links are signed with, and an optional header of a
    # signing-in proxy (OIDC) that names the person.
    web_port: int = Field(8080, ge=1, le=65535, validation_alias=_env("MANDATES_WEB_PORT"))
    web_host: str = Field(LOOPBACK, min_length=1, validation_alias=_env("MANDATES_WEB_HOST"))
    web_url_override: str | None = Field(None, validation_alias=_env("MANDATES_WEB_URL"))
    web_secret: SecretStr | None = Field(None, validation_alias=_env("MANDATES_WEB_SECRET"))
    web_auth_header: str | None = Field(None, validation_alias=_env("MANDATES_WEB_AUTH_HEADER"))
    web_trusted_proxies: str = Field(
        LOOPBACK, min_length=1, validation_alias=_env("MANDATES_WEB_TRUSTED_PROXIES")
    )
    # The currency of a cost given without one (`--cost 1500`); without it a cost names its own.
    currency: str | None = Field(None, validation_alias=_env("MANDATES_CURRENCY"))
    identity_token_file: FilePath | None = Field(None, validation_alias=_env("MANDATES_IDENTITY_TOKEN_FILE"))
    # The audit log's signatures (store/signing.py): the key the processes that append sign with,
    # and the public keys `mandates audit verify` accepts (config/audit_keys.py).
    audit_signing_key_file: FilePath | None = Field(
        None, validation_alias=_env("MANDATES_AUDIT_SIGNING_KEY_FILE")
    )
    audit_public_key_file: FilePath | None = Field(
        None, validation_alias=_env("MANDATES_AUDIT_PUBLIC_KEY_FILE")
    )
    # Observability (config/telemetry.py): Prometheus metrics off unless a port is set.
    metrics_port: int | None = Field(None, ge=1, le=65535, validation_alias=_env("MANDATES_METRICS_PORT"))
    metrics_host: str = Field(LOOPBACK, min_length=1, validation_alias=_env("MANDATES_METRICS_HOST"))
    otel_endpoint: str | None = Field(None, validation_alias=_env("OTEL_EXPORTER_OTLP_ENDPOINT"))

    @field_validator("smtp_tls")
    @classmethod
    def _one_tls_mode(cls, tls: bool, info: ValidationInfo) -> bool:
        if tls and info.data.get("smtp_starttls"):
            raise ValueError("set MANDATES_SMTP_TLS or MANDATES_SMTP_STARTTLS, not both")
        return tls

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, code: str | None) -> str | None:
        if code is None or not code.strip():
            return None
        code = code.strip().upper()
        if not (len(code) == 3 and code.isascii() and code.isalpha()):
            raise ValueError(f"{code!r} is not a three-letter currency code (e.g. USD, EUR)")
        return code

    @field_validator("database_url_override", "database_admin_url_override")
    @classmethod
    def _known_sslmode(cls, url: str | None) -> str | None:
        modes = parse_qs(urlsplit(url).query).get("sslmode", []) if url else []
        for mode in modes:
            if mode not in _SSLMODES:
                raise ValueError(f"sslmode={mode!r} is not one of {', '.join(_SSLMODES)}")
        return url

    @field_validator("temporal_tls_key")
    @classmethod
    def _cert_and_key(cls, key: Path | None, info: ValidationInfo) -> Path | None:
        if "temporal_tls_cert" not in info.data:  # the certificate itself was refused
            return key
        cert = info.data["temporal_tls_cert"]
        if key is None and cert is not None:
            raise ValueError("required with TEMPORAL_TLS_CLIENT_CERT_PATH (mTLS needs both)")
        if key is not None and cert is None:
            raise ValueError("set TEMPORAL_TLS_CLIENT_CERT_PATH too (mTLS needs both)")
        return key

    @field_validator("codec_keys")
    @classmethod
    def _parsable_keys(cls, keys: SecretStr | None) -> SecretStr | None:
        if keys is not None:
            parse_keys(keys.get_secret_value())  # ValueError says what is wrong, never the key
        return keys

    @field_validator("worker_keys")
    @classmethod
    def _parsable_worker_keys(cls, keys: SecretStr | None) -> SecretStr | None:
        if keys is not None:
            parse_keys(keys.get_secret_value())  # ValueError says what is wrong, never the key
        return keys

    @field_validator("codec_key_id")
    @classmethod
    def _active_key_exists(cls, kid: str | None, info: ValidationInfo) -> str | None:
        if "codec_keys" not in info.data:  # the keys themselves were refused
            return kid
        secret = info.data["codec_keys"]
        keys = parse_keys(secret.get_secret_value()) if secret is not None else {}
        if kid is not None and secret is None:
            raise ValueError(f"no key with id {kid!r}: MANDATES_CODEC_KEYS is not set")
        if kid is not None and kid not in keys:
            raise ValueError(f"no key with id {kid!r} in MANDATES_CODEC_KEYS ({', '.join(keys)})")
        if kid is None and len(keys) > 1:
            raise ValueError(f"required: MANDATES_CODEC_KEYS holds {len(keys)} keys; name the active one")
        return kid

    @field_validator("codec_token")
    @classmethod
    def _long_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value().strip()) < 16:
            raise ValueError("too short: use at least 16 random characters")
        return token

    @classmethod
    def load(cls) -> Settings:
        """Read the environment, turning a bad value into one line naming the variable."""
        try:
            return cls()
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "?"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise SettingsInvalid(f"invalid setting {_variable(field)}: {message}") from None

    # The effective endpoints.

    @property
    def uses_embedded_temporal(self) -> bool:
        return self.temporal_address_override is None

    @property
    def uses_embedded_postgres(self) -> bool:
        return self.database_url_override is None

    @property
    def temporal_address(self) -> str:
        return self.temporal_address_override or f"{LOOPBACK}:{self.temporal_port}"

    @property
    def temporal_ui_url(self) -> str:
        return f"http://{LOOPBACK}:{self.temporal_ui_port}"

    @property
    def database_url(self) -> str:
        """Where the application connects: a role that does not own the audit tables."""
        return self.database_url_override or self._embedded_url(APP_ROLE, self.app_password_path)

    @property
    def database_admin_url(self) -> str:
        """Where migrations run: the owner of the schema."""
        if self.database_admin_url_override:
            return self.database_admin_url_override
        if self.database_url_override:
            return self.database_url_override
        return self._embedded_url(EMBEDDED_SUPERUSER, self.postgres_password_path)

    @property
    def postgres_password_path(self) -> Path:
        """The embedded Postgres superuser's password (made by ``mandates dev up``, mode 0600)."""
        return self.data_path / "postgres-admin-password"

    @property
    def app_password_path(self) -> Path:
        """The application role's password on the embedded Postgres (mode 0600)."""
        return self.data_path / "postgres-app-password"

    def _embedded_url(self, user: str, password_file: Path) -> str:
        password = _read_secret(password_file)
        credentials = f"{user}:{quote(password, safe='')}" if password else user
        return f"postgresql://{credentials}@{LOOPBACK}:{self.postgres_port}/{EMBEDDED_DATABASE}"

    @property
    def uses_embedded_mail(self) -> bool:
        """Whether mail goes to the dev stack's local sink (no MANDATES_SMTP_HOST)."""
        return self.smtp_host_override is None

    @property
    def smtp_host(self) -> str:
        return self.smtp_host_override or LOOPBACK

    @cached_property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def checkpoint_file(self) -> Path:
        """Signed audit checkpoints, kept outside the database."""
        return self.data_path / "checkpoints" / "audit.jsonl"

    @property
    def checkpoint_key_file(self) -> Path:
        return self.data_path / "checkpoint.key"

    @property
    def audit_dev_signing_key_path(self) -> Path:
        """The dev stack's audit signing key, used when MANDATES_AUDIT_SIGNING_KEY_FILE is not set."""
        return self.data_path / "audit-signing.key"

    @property
    def audit_dev_public_key_path(self) -> Path:
        """Its public key, which verify reads when MANDATES_AUDIT_PUBLIC_KEY_FILE is not set."""
        return self.data_path / "audit-signing.pub"

    @property
    def mail_path(self) -> Path:
        """Where the dev stack's mail sink stores the messages it receives."""
        return self.data_path / "mail"

    def acting_person(self) -> str:
        """Who acts when no name is given: ``MANDATES_USER``, else the login name."""
        return self.user or getpass.getuser()

    @property
    def console_password_file(self) -> Path:
        """The dev stack's person's console password (``make demo`` prints it)."""
        return self.data_path / "console-password"

    @property
    def dev_identities_file(self) -> Path:
        """The identities the dev stack makes for its people (``mandates dev up``)."""
        return self.data_path / "identities.json"

    @property
    def web_url(self) -> str:
        """Where the console is reached: the address party links in e-mails point to."""
        return (self.web_url_override or f"http://{LOOPBACK}:{self.web_port}").rstrip("/")

    def web_secret_bytes(self) -> bytes:
        """The console's signing secret: ``MANDATES_WEB_SECRET``, or the dev file (made for the
        embedded stack; required with ``TEMPORAL_ADDRESS``: every replica and the dispatcher
        must share it)."""
        if self.web_secret is not None:
            return self.web_secret.get_secret_value().encode()
        path = self.data_path / "web-secret"
        if not path.exists() and not self.uses_embedded_temporal:
            raise SettingsInvalid("invalid setting MANDATES_WEB_SECRET: required with TEMPORAL_ADDRESS")
        return load_or_create_secret(path, lambda: secrets.token_urlsafe(48)).strip().encode()

    def worker_key_ring(self) -> KeyRing:
        """The workers' sealing keys: ``MANDATES_WORKER_KEYS`` (the last listed seals, all
        are accepted), or the dev key file (made for the embedded stack; required to exist
        with ``TEMPORAL_ADDRESS``). Only workers hold them: clients never need them."""
        keys = self.worker_keys.get_secret_value() if self.worker_keys is not None else None
        active = list(parse_keys(keys))[-1] if keys is not None else None
        return load_key_ring(
            keys,
            active,
            self.data_path / "worker-keys",
            may_create=self.uses_embedded_temporal,
            variable="MANDATES_WORKER_KEYS",
        )

    def key_ring(self) -> KeyRing:
        """The payload keys: ``MANDATES_CODEC_KEYS``, or the dev key file (made for the
        embedded stack; required to exist with ``TEMPORAL_ADDRESS``)."""
        keys = self.codec_keys.get_secret_value() if self.codec_keys is not None else None
        return load_key_ring(
            keys, self.codec_key_id, self.codec_keys_path, may_create=self.uses_embedded_temporal
        )

    @property
    def codec_keys_path(self) -> Path:
        """The dev stack's payload key file, used when MANDATES_CODEC_KEYS is not set."""
        return self.data_path / "codec-keys"

    @property
    def codec_token_path(self) -> Path:
        """The dev stack's codec server token, used when MANDATES_CODEC_TOKEN is not set."""
        return self.data_path / "codec-token"

    @property
    def codec_allowed_origins(self) -> list[str]:
        """The Web UI origins the codec server answers (CORS)."""
        if self.codec_origins:
            return [o.strip().rstrip("/") for o in self.codec_origins.split(",") if o.strip()]
        return [self.temporal_ui_url, f"http://localhost:{self.temporal_ui_port}"]


_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _read_secret(path: Path) -> str | None:
    """The password a file of the data folder holds (None before the dev stack made it).

    Raises:
        SettingsInvalid: the file can be read by others, or not by its owner.
    """
    try:
        if path.stat().st_mode & 0o077:
            raise SettingsInvalid(f"password file {path} is readable by others: chmod 600 {path}")
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsInvalid(f"cannot read password file {path}: {exc.strerror or exc}") from None


_VARIABLES = {
    name: (info.validation_alias.choices[0] if isinstance(info.validation_alias, AliasChoices) else name)
    for name, info in Settings.model_fields.items()
}


def _variable(field: str) -> str:
    return str(_VARIABLES.get(field, field.upper()))
