"""Settings read from the environment, with defaults that point at the embedded dev stack.

Every variable is optional. Where ``DATABASE_URL`` or ``TEMPORAL_ADDRESS`` is set the
engine uses that real server; otherwise it uses the embedded stack that
``mandates dev up`` runs on 127.0.0.1.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    @classmethod
    def load(cls) -> Settings:
        """Read the environment, turning a bad value into one line naming the variable."""
        try:
            return cls()
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "?"
            raise SettingsInvalid(f"invalid setting {_variable(field)}: {first['msg']}") from None

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
        return self.database_url_override or (
            f"postgresql://{APP_ROLE}@{LOOPBACK}:{self.postgres_port}/{EMBEDDED_DATABASE}"
        )

    @property
    def database_admin_url(self) -> str:
        """Where migrations run: the owner of the schema."""
        if self.database_admin_url_override:
            return self.database_admin_url_override
        if self.database_url_override:
            return self.database_url_override
        return f"postgresql://{EMBEDDED_SUPERUSER}@{LOOPBACK}:{self.postgres_port}/{EMBEDDED_DATABASE}"

    @cached_property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()


_VARIABLES = {
    name: (info.validation_alias.choices[0] if isinstance(info.validation_alias, AliasChoices) else name)
    for name, info in Settings.model_fields.items()
}


def _variable(field: str) -> str:
    return str(_VARIABLES.get(field, field.upper()))
