"""Locate the shared email payloads (repo_root/../shared); skip outside CI when missing."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import SHARED, need

EMAIL_PAYLOADS = SHARED / "payloads" / "email"


def email_payloads_dir() -> Path:
    need(
        EMAIL_PAYLOADS.is_dir() and any(EMAIL_PAYLOADS.glob("*.eml")),
        f"shared email payloads not found at {EMAIL_PAYLOADS}",
    )
    return EMAIL_PAYLOADS


def eml_names() -> list[str]:
    """Collected at import time; none found still yields one test, which skips or fails."""
    if not EMAIL_PAYLOADS.is_dir():
        return ["<missing>"]
    return sorted(p.name for p in EMAIL_PAYLOADS.glob("*.eml")) or ["<missing>"]


def read_eml(name: str) -> bytes:
    return (email_payloads_dir() / name).read_bytes()
