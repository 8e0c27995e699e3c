"""Enumerations shared by every layer."""

from __future__ import annotations

from enum import StrEnum


class ChannelKind(StrEnum):
    EMAIL = "email"
    WEBCHAT = "webchat"
    API = "api"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    SMS = "sms"
    VOICE = "voice"


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    VISITOR = "visitor"
    EXTERNAL = "external"


# The identity a channel addresses its customers by.
CHANNEL_IDENTITY: dict[ChannelKind, IdentityKind] = {
    ChannelKind.EMAIL: IdentityKind.EMAIL,
    ChannelKind.WEBCHAT: IdentityKind.VISITOR,
    ChannelKind.API: IdentityKind.EXTERNAL,
    ChannelKind.WHATSAPP: IdentityKind.WHATSAPP,
    ChannelKind.TELEGRAM: IdentityKind.TELEGRAM,
    ChannelKind.MESSENGER: IdentityKind.MESSENGER,
    ChannelKind.INSTAGRAM: IdentityKind.INSTAGRAM,
    ChannelKind.SMS: IdentityKind.PHONE,
    ChannelKind.VOICE: IdentityKind.PHONE,
}


class ConversationStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class AuthorType(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class DeliveryStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    EXPERT = "expert"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    DEAD = "dead"
