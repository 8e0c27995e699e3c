"""The adapter interface every channel implements, and the channel-neutral message shapes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from ventanilla.domain.enums import ChannelKind, IdentityKind


@dataclass(frozen=True)
class SenderIdentity:
    kind: IdentityKind
    address: str
    name: str | None = None
    verified: bool = False


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMessage:
    """A customer message as any channel delivers it, before it is stored."""

    channel: ChannelKind
    external_id: str
    sender: SenderIdentity
    text: str
    html: str | None = None
    subject: str | None = None
    sent_at: datetime | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    # Provider ids of earlier messages this one answers (email In-Reply-To and References).
    thread_refs: tuple[str, ...] = ()
    # Other identities the payload proves (e.g. a phone number shared in a contact card).
    other_identities: tuple[SenderIdentity, ...] = ()
    # Sent by a machine (RFC 3834 Auto-Submitted, Precedence, bounce): store, never auto-reply.
    automatic: bool = False
    meta: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryReport:
    """The provider's word on a message we sent earlier."""

    channel: ChannelKind
    external_id: str  # provider id of our outbound message
    status: str  # one of DeliveryStatus values
    reason: str | None = None
    event_id: str | None = None


InboundEvent = InboundMessage | DeliveryReport


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutboundMessage:
    """What the outbound pipeline hands an adapter to deliver."""

    recipient: str
    text: str
    idempotency_key: str
    html: str | None = None
    subject: str | None = None
    recipient_name: str | None = None
    attachments: tuple[OutboundAttachment, ...] = ()
    # Provider ids of the thread this message continues (email: In-Reply-To/References).
    thread_refs: tuple[str, ...] = ()
    automatic: bool = False
    settings: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    external_id: str


class TransientSendError(Exception):
    """A send that may succeed if retried later (timeouts, 429, 5xx)."""


class PermanentSendError(Exception):
    """A send that will never succeed (bad address, refused content)."""


@runtime_checkable
class ChannelAdapter(Protocol):
    name: ChannelKind

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise SignatureError unless the payload comes from the provider."""

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[InboundEvent]:
        """Turn a verified payload into channel-neutral events; raise PayloadError if malformed."""

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one message; raise TransientSendError or PermanentSendError."""
