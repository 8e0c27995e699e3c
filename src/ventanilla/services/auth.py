"""Users, hashed personal API tokens and passwords."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ventanilla.domain.enums import Role
from ventanilla.domain.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from ventanilla.services import audit
from ventanilla.storage.models import ApiToken, User

TOKEN_PREFIX = "vt_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: Role
    name: str

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this action needs one of these roles: {allowed}")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    actor_id: int | None = None,
    language: str = "es",
) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput("email is not valid")
    if session.scalars(select(User).where(User.email == email)).first() is not None:
        raise Conflict(f"a user with email {email} exists")
    user = User(email=email, name=name.strip() or email, role=role.value, language=language)
    if password is not None:
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    audit.record(session, actor_id, "user.created", "user", user.id, {"role": role.value})
    return user


def issue_token(session: Session, user: User, name: str = "default") -> str:
    """Create a token; the plain value is returned once and only its hash is stored."""
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{secret}"
    session.add(
        ApiToken(user_id=user.id, name=name, prefix=token[:10], token_hash=hash_token(token))
    )
    session.flush()
    return token


def authenticate(session: Session, token: str | None) -> Principal:
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthorized("missing or malformed API token")
    row = session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)
        )
    ).first()
    if row is None or not row.user.active:
        raise Unauthorized("invalid API token")
    return Principal(row.user.id, Role(row.user.role), row.user.name)


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("password must have at least 8 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(stored: str | None, password: str) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_hex, digest_hex = stored.split("$", 2)
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)


def login(session: Session, email: str, password: str) -> User:
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active or not check_password(user.password_hash, password):
        raise Unauthorized("wrong email or password")
    return user
