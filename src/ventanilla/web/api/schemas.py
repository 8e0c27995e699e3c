"""Request bodies (responses are plain dicts from services.views)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ventanilla.domain.enums import ConversationStatus, IdentityKind, Priority, Role


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusIn(Strict):
    status: ConversationStatus
    snoozed_until: datetime | None = None


class AssignIn(Strict):
    assignee_id: int | None = None
    team_id: int | None = None


class ConversationPatch(Strict):
    priority: Priority | None = None
    tags: list[str] | None = Field(default=None, max_length=50)


class MessageIn(Strict):
    text: str = Field(min_length=1, max_length=20_000)
    private: bool = False
    inbox_id: int | None = None


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=20_000)


class OfferIn(Strict):
    user_id: int


class IdentityIn(Strict):
    kind: IdentityKind
    address: str = Field(min_length=1, max_length=320)
    verified: bool = False


class ContactIn(Strict):
    name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=8)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)


class MergeIn(Strict):
    merge_id: int


class InboxIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    channel: str
    settings: dict[str, Any] = Field(default_factory=dict)
    secret: str | None = Field(default=None, max_length=200)


class UserIn(Strict):
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    language: str = "es"


class TeamIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    member_ids: list[int] = Field(default_factory=list)


class WebhookIn(Strict):
    url: str = Field(min_length=8, max_length=500)
    events: list[str]
