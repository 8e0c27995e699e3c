"""Running the assistant's actions (order status, refund status, cancellation)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from ventanilla.assistant import Decision
from ventanilla.assistant.state import ActionIntent
from ventanilla.services.store_connector import ConnectorConfig, OrderFacts, StoreConnector
from ventanilla.storage.models import ContactIdentity, Conversation, Inbox, Message

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container

TEXT = {
    "status": {
        "es": "Tu pedido {order} está: {status}.",
        "en": "Your order {order} is: {status}.",
    },
    "eta": {"es": " Entrega prevista: {eta} ({carrier}).", "en": " Expected: {eta} ({carrier})."},
    "refund": {
        "es": "Reembolso del pedido {order}: {refund_status} {refund_amount}.",
        "en": "Refund for order {order}: {refund_status} {refund_amount}.",
    },
    "no_refund": {
        "es": "No vemos ningún reembolso en el pedido {order}.",
        "en": "We see no refund on order {order}.",
    },
    "cancelled": {
        "es": "Hecho: el pedido {order} está cancelado.",
        "en": "Done: order {order} is cancelled.",
    },
    "not_cancelled": {
        "es": "No he podido cancelar el pedido {order}; te paso con una persona del equipo.",
        "en": "I couldn't cancel order {order}; I'm passing you to a person on our team.",
    },
    "not_found": {
        "es": "No encuentro el pedido {order}. ¿Puedes revisar el número?",
        "en": "I can't find order {order}. Could you check the number?",
    },
    "not_owner": {
        "es": "Por tu privacidad solo puedo dar datos de un pedido al correo o teléfono "
        "verificado con el que se hizo. Te paso con una persona del equipo.",
        "en": "For your privacy I can only share order details with the verified email or "
        "phone it was placed with. I'm passing you to a person on our team.",
    },
    "unverified_sender": {
        "es": "No puedo comprobar que este correo venga de verdad de tu dirección, así que "
        "no puedo dar datos de pedidos por aquí. Te paso con una persona del equipo.",
        "en": "I can't confirm that this email really comes from your address, so I can't "
        "share order details here. I'm passing you to a person on our team.",
    },
    "unavailable": {
        "es": "Ahora mismo no puedo consultar los pedidos; te paso con una persona del equipo.",
        "en": "I can't look up orders right now; I'm passing you to a person on our team.",
    },
}


@dataclass(frozen=True)
class ActionOutcome:
    reply: str
    handoff: bool
    # The reply gives the customer what they asked for (a status, a refund, a cancellation
    # done), so it counts towards "did this solve it?" like an answer from an article.
    settled: bool = False


def connector_for(container: Container) -> StoreConnector | None:
    s = container.settings
    if not s.store_order_url:
        return None
    config = ConnectorConfig(
        s.store_order_url, s.store_cancel_url, s.store_auth_header, s.store_fields
    )
    return StoreConnector(config, container.http)


def verified_identities(container: Container, conversation_id: int) -> dict[str, set[str]]:
    with container.uow() as uow:
        conv = uow.session.get(Conversation, conversation_id)
        if conv is None:
            return {}
        rows = uow.session.scalars(
            select(ContactIdentity).where(
                ContactIdentity.contact_id == conv.contact_id, ContactIdentity.verified
            )
        ).all()
    found: dict[str, set[str]] = {}
    for r in rows:
        kind = "phone" if r.kind in ("phone", "whatsapp") else r.kind
        found.setdefault(kind, set()).add(r.address)
    return found


def unauthenticated_email(container: Container, conversation_id: int) -> bool:
    """Whether the customer's latest messages include an email whose sender is not proven.

    The latest messages are the inbound ones after our last public answer (the request being
    acted on may span several). The email parser records ``sender_auth`` on every mail; a
    mail whose From could not be authenticated proves nothing about who asks, whatever the
    contact's verified identities are, so no order action runs on it.
    """
    with container.uow() as uow:
        s = uow.session
        last_answer = (
            select(func.coalesce(func.max(Message.id), 0))
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == "outbound",
                Message.private.is_(False),
            )
            .scalar_subquery()
        )
        metas = s.scalars(
            select(Message.meta)
            .join(Inbox, Inbox.id == Message.inbox_id)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == "inbound",
                Message.id > last_answer,
                Inbox.channel == "email",
            )
        ).all()
    return any((meta or {}).get("sender_auth", "pass") != "pass" for meta in metas)


async def run_action(
    container: Container, conversation_id: int, decision: Decision
) -> ActionOutcome | None:
    """None when the decision needs nothing run (e.g. it asks for the order number)."""
    if decision.action is None or not decision.order_numbers:
        return None
    lang = decision.language
    if await asyncio.to_thread(unauthenticated_email, container, conversation_id):
        return ActionOutcome(TEXT["unverified_sender"][lang], handoff=True)
    connector = connector_for(container)
    order = decision.order_numbers[0]
    if connector is None:
        return ActionOutcome(TEXT["unavailable"][lang], handoff=True)
    verified = await asyncio.to_thread(verified_identities, container, conversation_id)
    facts = await connector.run(decision.action, order, verified)
    return compose(decision.action, facts, lang)


def compose(action: ActionIntent, facts: OrderFacts, lang: str) -> ActionOutcome:
    f = {"order": facts.order, **{k: v for k, v in facts.facts.items()}}
    if facts.error and not facts.found:
        return ActionOutcome(TEXT["unavailable"][lang], handoff=True)
    if not facts.found:
        return ActionOutcome(TEXT["not_found"][lang].format(**f), handoff=False)
    if not facts.owner_verified:
        return ActionOutcome(TEXT["not_owner"][lang], handoff=True)
    if action is ActionIntent.CANCEL_ORDER:
        key = "cancelled" if facts.cancelled else "not_cancelled"
        return ActionOutcome(
            TEXT[key][lang].format(**f), handoff=not facts.cancelled, settled=facts.cancelled
        )
    if action is ActionIntent.REFUND_STATUS:
        if "refund_status" not in f:
            return ActionOutcome(TEXT["no_refund"][lang].format(**f), handoff=False, settled=True)
        f.setdefault("refund_amount", "")
        reply = TEXT["refund"][lang].format(**f).replace(" .", ".")
        return ActionOutcome(reply, handoff=False, settled=True)
    reply = TEXT["status"][lang].format(order=facts.order, status=f.get("status", "?"))
    if "eta" in f:
        reply += TEXT["eta"][lang].format(eta=f["eta"], carrier=f.get("carrier", ""))
    return ActionOutcome(reply, handoff=False, settled=True)
