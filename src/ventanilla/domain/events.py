"""Domain events, released to realtime, webhooks and jobs only after commit."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    name: ClassVar[str] = "event"
    conversation_id: int
    contact_id: int

    def payload(self) -> dict[str, Any]:
        """A new dict per call; nested values (a message view) are shared, not deep-copied:
        this runs for every event on the hot path and nobody mutates them."""
        out: dict[str, Any] = {"event": self.name}
        for f in fields(self):
            out[f.name] = getattr(self, f.name)
        return out


@dataclass(frozen=True)
class MessageCreated(Event):
    name: ClassVar[str] = "message.created"
    message_id: int = 0
    private: bool = False
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MessageUpdated(Event):
    name: ClassVar[str] = "message.updated"
    message_id: int = 0
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConversationStatusChanged(Event):
    name: ClassVar[str] = "conversation.status_changed"
    old_status: str = ""
    new_status: str = ""


@dataclass(frozen=True)
class ConversationAssigned(Event):
    name: ClassVar[str] = "conversation.assigned"
    assignee_id: int | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class Typing(Event):
    name: ClassVar[str] = "conversation.typing"
    author: str = "customer"
    on: bool = True


WEBHOOK_EVENTS = frozenset(
    {MessageCreated.name, ConversationStatusChanged.name, ConversationAssigned.name}
)
