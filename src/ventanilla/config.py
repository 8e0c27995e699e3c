"""One Settings object, configured by environment variables only."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VENTANILLA_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/ventanilla.db"
    redis_url: str | None = None
    redis_channel: str = "ventanilla:events"
    secret_key: str = DEV_SECRET
    public_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_attachment_bytes: int = Field(default=10 * 1_048_576, ge=1024)
    allowed_attachment_types: tuple[str, ...] = (
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
    )
    run_jobs_in_process: bool = True
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_receiver_port: int | None = None
    mail_domain: str = "ventanilla.local"

    @model_validator(mode="after")
    def _refuse_dev_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("VENTANILLA_SECRET_KEY must be set in production")
        if len(self.secret_key) < 16:
            raise ValueError("VENTANILLA_SECRET_KEY must be at least 16 characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
