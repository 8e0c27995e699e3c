"""One Settings object, configured by environment variables only."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, HttpUrl, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VENTANILLA_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/ventanilla.db"
    redis_url: str | None = None
    redis_channel: str = "ventanilla:events"
    secret_key: str = DEV_SECRET
    # The address customers reach this server at (scheme, host and any path prefix): links
    # to our own pages in mail, messaging apps and SMS are built on it.
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
    # Serve the demo store's order API (public demo data) for the assistant's connector.
    demo: bool = False
    # Outbox: a job whose worker dies is retried once its lease runs out.
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_sweep_seconds: float = Field(default=1.0, gt=0)
    worker_concurrency: int = Field(default=20, ge=1, le=1000)
    job_queue_name: str = "ventanilla:jobs"
    # The virtual assistant answers first on inboxes that enable it.
    assistant_enabled: bool = True
    # Child processes computing the assistant's turns off the serving process's interpreter
    # lock (0: compute in a thread of the process running the job).
    assistant_processes: int = Field(default=1, ge=0, le=16)
    # Minutes of silence after an answer before the problem counts as solved.
    assistant_assume_resolved_minutes: int = Field(default=60, ge=1)
    # The store's backend, for order actions: URL templates with {order}.
    store_order_url: str | None = None
    store_cancel_url: str | None = None
    store_auth_header: str | None = None  # "Name: value", a secret
    # Optional OpenAI-compatible endpoint (base URL) that rewords knowledge-base answers.
    llm_url: HttpUrl | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=4.0, gt=0, le=60)
    # Where each fact lives in the store's JSON answer (dotted paths).
    store_fields: dict[str, str] = Field(
        default_factory=lambda: {
            "status": "status",
            "email": "customer.email",
            "phone": "customer.phone",
            "eta": "delivery.eta",
            "carrier": "delivery.carrier",
            "refund_status": "refund.status",
            "refund_amount": "refund.amount",
        }
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_receiver_port: int | None = None
    smtp_receiver_host: str = "127.0.0.1"
    imap_poll_seconds: int = Field(default=60, ge=5)
    mail_domain: str = "ventanilla.local"
    # Inbound mail: authserv-ids whose Authentication-Results we believe (comma-separated).
    email_trusted_authserv_ids: str = ""
    # Mail handed to our SMTP receiver from loopback counts as authenticated (None: demo only).
    email_trust_loopback: bool | None = None

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
