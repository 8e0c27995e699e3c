"""The email channel: RFC 5322 parsing, threading, RFC 3834 and RFC 3464, SMTP and IMAP."""

from ventanilla.channels.email.adapter import EmailAdapter, build_adapter
from ventanilla.channels.email.builder import build_email, message_id_for
from ventanilla.channels.email.parser import parse_email
from ventanilla.channels.email.settings import EmailSettings, parse_settings

__all__ = [
    "EmailAdapter",
    "EmailSettings",
    "build_adapter",
    "build_email",
    "message_id_for",
    "parse_email",
    "parse_settings",
]
