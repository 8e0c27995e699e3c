"""Errors the domain and services raise; the web layer maps them to 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base error with a stable code and a human message."""

    code = "error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class InvalidInput(DomainError):
    code = "invalid"
    status = 422


class SignatureError(DomainError):
    """A provider payload whose signature does not verify."""

    code = "bad_signature"
    status = 401


class PayloadError(DomainError):
    """A provider payload that cannot be parsed."""

    code = "bad_payload"
    status = 400


class TooLarge(DomainError):
    code = "too_large"
    status = 413
