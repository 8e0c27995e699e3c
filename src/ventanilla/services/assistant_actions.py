"""Running the assistant's actions (order status, refund status, cancellation).

A status or refund question about several orders is answered for each in one reply; every
hand-off says why (``ActionOutcome.failures``), for the note the agent reads.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, select

from ventanilla.assistant import Decision
from ventanilla.assistant.state import ActionIntent
from ventanilla.assistant.summary import ActionFailed, ActionFailure
from ventanilla.services.store_connector import ConnectorConfig, OrderFacts, StoreConnector
from ventanilla.storage.models import ContactIdentity, Conversation, Inbox, Message

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container

HANDOFF = {
    "es": "te paso con una persona del equipo",
    "en": "I'm passing you to a person on our team",
}

TEXT = {
    "status_unknown": {
        "es": "Estado del pedido {order}: {status}.",
        "en": "Status of order {order}: {status}.",
    },
    "status_missing": {
        "es": "No me consta el estado del pedido {order}.",
        "en": "I don't have a status for order {order}.",
    },
    "eta": {"es": " Entrega prevista: {eta}", "en": " Expected delivery: {eta}"},
    "carrier": {"es": " Lo lleva {carrier}.", "en": " Carrier: {carrier}."},
    "refund_unknown": {
        "es": "Reembolso del pedido {order}: {refund_status}{amount}.",
        "en": "Refund for order {order}: {refund_status}{amount}.",
    },
    "no_refund": {
        "es": "No vemos ningún reembolso en el pedido {order}.",
        "en": "We see no refund on order {order}.",
    },
    "cancelled": {
        "es": "Hecho: el pedido {order} está cancelado.",
        "en": "Done: order {order} is cancelled.",
    },
    "already_cancelled": {
        "es": "El pedido {order} ya estaba cancelado.",
        "en": "Order {order} was already cancelled.",
    },
    "cancel_blocked": {
        "es": "No puedo cancelar el pedido {order} porque {reason}; {handoff}.",
        "en": "I can't cancel order {order} because {reason}; {handoff}.",
    },
    "cancel_refused": {
        "es": "El pedido {order} no se puede cancelar desde aquí; {handoff}.",
        "en": "Order {order} can't be cancelled from here; {handoff}.",
    },
    "not_cancelled": {
        "es": "No he podido cancelar el pedido {order}; {handoff}.",
        "en": "I couldn't cancel order {order}; {handoff}.",
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
    # The same, in a reply about several orders: it names the order it is about.
    "not_owner_named": {
        "es": "Por tu privacidad solo puedo dar datos del pedido {order} al correo o teléfono "
        "verificado con el que se hizo. Te paso con una persona del equipo.",
        "en": "For your privacy I can only share details of order {order} with the verified "
        "email or phone it was placed with. I'm passing you to a person on our team.",
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

# The order statuses stores commonly use, grouped by what they mean to the customer. A status
# not listed here is shown as the store gives it.
ORDER_STATUSES = {
    "pending": "pending new open placed received created submitted",
    "awaiting_payment": "pending_payment awaiting_payment payment_pending unpaid",
    "on_hold": "on_hold hold held payment_review",
    "processing": "processing confirmed paid accepted preparing in_preparation in_progress "
    "unfulfilled awaiting_fulfillment",
    "backordered": "backordered backorder awaiting_stock",
    "ready": "ready ready_to_ship packed awaiting_shipment",
    "ready_for_pickup": "ready_for_pickup awaiting_pickup",
    "partially_shipped": "partially_shipped partially_fulfilled",
    "shipped": "shipped fulfilled dispatched sent in_transit with_carrier",
    "out_for_delivery": "out_for_delivery",
    "delivered": "delivered",
    "completed": "completed complete",
    "cancelled": "cancelled canceled voided void",
    "returned": "returned return_received",
    "refunded": "refunded",
    "payment_failed": "failed payment_failed declined",
}
STATUS_TEXT = {
    "pending": {
        "es": "Hemos recibido tu pedido {order} y está pendiente de tramitar.",
        "en": "We've received your order {order} and it's waiting to be processed.",
    },
    "awaiting_payment": {
        "es": "Tu pedido {order} está pendiente de pago.",
        "en": "Your order {order} is awaiting payment.",
    },
    "on_hold": {"es": "Tu pedido {order} está en espera.", "en": "Your order {order} is on hold."},
    "processing": {
        "es": "Estamos preparando tu pedido {order}.",
        "en": "We're preparing your order {order}.",
    },
    "backordered": {
        "es": "Tu pedido {order} está a la espera de existencias.",
        "en": "Your order {order} is waiting for stock.",
    },
    "ready": {
        "es": "Tu pedido {order} ya está preparado para el envío.",
        "en": "Your order {order} is packed and ready to ship.",
    },
    "ready_for_pickup": {
        "es": "Tu pedido {order} ya está listo para recoger.",
        "en": "Your order {order} is ready for pickup.",
    },
    "partially_shipped": {
        "es": "Parte de tu pedido {order} ya está en camino.",
        "en": "Part of your order {order} has shipped.",
    },
    "shipped": {
        "es": "Tu pedido {order} ya está en camino.",
        "en": "Your order {order} has shipped.",
    },
    "out_for_delivery": {
        "es": "Tu pedido {order} está en reparto.",
        "en": "Your order {order} is out for delivery.",
    },
    "delivered": {
        "es": "Tu pedido {order} ya se ha entregado.",
        "en": "Your order {order} has been delivered.",
    },
    "completed": {
        "es": "Tu pedido {order} está completado.",
        "en": "Your order {order} is complete.",
    },
    "cancelled": {"es": "El pedido {order} está cancelado.", "en": "Order {order} is cancelled."},
    "returned": {
        "es": "El pedido {order} se ha devuelto.",
        "en": "Order {order} has been returned.",
    },
    "refunded": {
        "es": "El pedido {order} está reembolsado.",
        "en": "Order {order} has been refunded.",
    },
    "payment_failed": {
        "es": "El pago del pedido {order} no se completó.",
        "en": "The payment for order {order} didn't go through.",
    },
}
# Statuses after which a delivery date means nothing to the customer.
NO_DELIVERY_AHEAD = frozenset(
    {"delivered", "cancelled", "returned", "refunded", "payment_failed", "ready_for_pickup"}
)
# Why a store refuses to cancel an order in these statuses.
CANCEL_BLOCKED_BECAUSE = {
    "ready": {"es": "ya está preparado para el envío", "en": "it's already packed to ship"},
    "ready_for_pickup": {"es": "ya está listo para recoger", "en": "it's ready for pickup"},
    "partially_shipped": {
        "es": "parte de él ya está en camino",
        "en": "part of it has already shipped",
    },
    "shipped": {"es": "ya está en camino", "en": "it has already shipped"},
    "out_for_delivery": {"es": "ya está en reparto", "en": "it's already out for delivery"},
    "delivered": {"es": "ya se ha entregado", "en": "it has already been delivered"},
    "completed": {"es": "ya está completado", "en": "it's already complete"},
    "returned": {"es": "ya se ha devuelto", "en": "it has already been returned"},
    "refunded": {"es": "ya está reembolsado", "en": "it has already been refunded"},
}

REFUND_STATUSES = {
    "done": "issued refunded completed complete succeeded success paid processed done sent",
    "partial": "partially_refunded partial",
    "processing": "processing in_progress approved initiated",
    "pending": "pending requested open created submitted under_review",
    "failed": "failed error declined",
    "rejected": "rejected denied",
    "cancelled": "cancelled canceled voided void",
}
REFUND_TEXT = {
    "done": {
        "es": "Ya hemos hecho el reembolso{amount} del pedido {order}.",
        "en": "We've issued the refund{amount} for order {order}.",
    },
    "partial": {
        "es": "Ya hemos hecho un reembolso parcial{amount} del pedido {order}.",
        "en": "We've issued a partial refund{amount} for order {order}.",
    },
    "processing": {
        "es": "Estamos tramitando el reembolso{amount} del pedido {order}.",
        "en": "We're processing the refund{amount} for order {order}.",
    },
    "pending": {
        "es": "El reembolso{amount} del pedido {order} está solicitado y pendiente de tramitar.",
        "en": "The refund{amount} for order {order} has been requested and is waiting to be "
        "processed.",
    },
    "failed": {
        "es": "El reembolso{amount} del pedido {order} no se ha podido completar; {handoff}.",
        "en": "The refund{amount} for order {order} didn't go through; {handoff}.",
    },
    "rejected": {
        "es": "El reembolso del pedido {order} figura como rechazado; {handoff}.",
        "en": "The refund for order {order} shows as declined; {handoff}.",
    },
    "cancelled": {
        "es": "El reembolso del pedido {order} figura como anulado; {handoff}.",
        "en": "The refund for order {order} shows as cancelled; {handoff}.",
    },
}
REFUND_NEEDS_A_PERSON = frozenset({"failed", "rejected", "cancelled"})
# What happened to such a refund, for the agent's note ("El reembolso del pedido 10051 …").
REFUND_TROUBLE = {
    "failed": {"es": "no se ha podido completar", "en": "did not go through"},
    "rejected": {"es": "figura como rechazado", "en": "shows as declined"},
    "cancelled": {"es": "figura como anulado", "en": "shows as cancelled"},
}
# Orders one message may ask about at once; more are left for the next question.
MAX_ORDERS_PER_REPLY: Final = 5
AMOUNT = {"es": " de {amount}", "en": " of {amount}"}

MONTHS = {
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "en": "January February March April May June July August September October November December",
}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?")


def _grouped(groups: dict[str, str]) -> dict[str, str]:
    return {value: group for group, values in groups.items() for value in values.split()}


STATUS_GROUP = _grouped(ORDER_STATUSES)
REFUND_GROUP = _grouped(REFUND_STATUSES)


def group_of(value: str, groups: dict[str, str]) -> str | None:
    """The meaning of a store's status value ("Shipped", "in-transit"), if it is a known one."""
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    return groups.get(key.removeprefix("wc_"))


def readable_date(value: str, lang: str, today: date) -> str:
    """An ISO date as the customer says it ("30 de noviembre"); anything else as given."""
    if not ISO_DATE.fullmatch(value.strip()):
        return value
    try:
        day = datetime.fromisoformat(value.strip()).date()
    except ValueError:
        return value
    month = MONTHS[lang].split()[day.month - 1]
    text = f"{day.day} de {month}" if lang == "es" else f"{day.day} {month}"
    if day.year != today.year:
        text += f" de {day.year}" if lang == "es" else f" {day.year}"
    return text


@dataclass(frozen=True)
class ActionOutcome:
    reply: str
    handoff: bool
    # The reply gives the customer what they asked for (a status, a refund, a cancellation
    # done), so it counts towards "did this solve it?" like an answer from an article.
    settled: bool = False
    # Why it hands off (the order not the customer's, the store down or refusing, ...): one
    # cause per order it happened on, or one for every order.
    failures: tuple[ActionFailed, ...] = ()


def _handoff(
    reply: str, cause: ActionFailure, *orders: str, because: Mapping[str, str] | None = None
) -> ActionOutcome:
    """A reply that hands off, for ``cause`` on ``orders`` (every order when none)."""
    return ActionOutcome(reply, handoff=True, failures=(ActionFailed(cause, orders, because),))


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
    """None when the decision needs nothing run (e.g. it asks for the order number).

    Every order of the decision is looked up (a cancellation names one), and answered in
    one reply.
    """
    action = decision.action
    if action is None or not decision.order_numbers:
        return None
    lang = decision.language
    if await asyncio.to_thread(unauthenticated_email, container, conversation_id):
        return _handoff(TEXT["unverified_sender"][lang], ActionFailure.UNVERIFIED_SENDER)
    connector = connector_for(container)
    if connector is None:
        return _handoff(TEXT["unavailable"][lang], ActionFailure.STORE_UNAVAILABLE)
    orders = decision.order_numbers[:MAX_ORDERS_PER_REPLY]
    if action is ActionIntent.CANCEL_ORDER:
        orders = orders[:1]
    verified = await asyncio.to_thread(verified_identities, container, conversation_id)
    found = await asyncio.gather(*(connector.run(action, o, verified) for o in orders))
    several = len(orders) > 1
    return combined([compose(action, facts, lang, several=several) for facts in found])


def combined(outcomes: Sequence[ActionOutcome]) -> ActionOutcome:
    """One reply for the outcomes of an action on several orders, in the orders' order.

    It hands off when any of them does, and settles the question when all of them do.
    """
    if len(outcomes) == 1:
        return outcomes[0]
    replies: list[str] = []
    for outcome in outcomes:
        if outcome.reply not in replies:  # "I can't look up orders right now" once
            replies.append(outcome.reply)
    handoff = any(o.handoff for o in outcomes)
    failures: list[ActionFailed] = []
    for failed in (f for o in outcomes for f in o.failures):
        same = next(
            (i for i, f in enumerate(failures)
             if f.cause is failed.cause and f.because == failed.because),
            None,
        )
        if same is None:
            failures.append(failed)
        else:  # one sentence in the note for every order that failed the same way
            kept = failures[same]
            orders = kept.orders + tuple(o for o in failed.orders if o not in kept.orders)
            failures[same] = ActionFailed(kept.cause, orders, kept.because)
    return ActionOutcome(
        "\n".join(replies), handoff=handoff,
        settled=not handoff and all(o.settled for o in outcomes), failures=tuple(failures),
    )


def compose(
    action: ActionIntent, facts: OrderFacts, lang: str, today: date | None = None,
    *, several: bool = False,
) -> ActionOutcome:
    """The reply for ``action`` on one order; ``several``: the reply is one of several, one
    per order, so it names its order."""
    order = facts.order
    if facts.error and not facts.found:
        return _handoff(TEXT["unavailable"][lang], ActionFailure.STORE_UNAVAILABLE, order)
    if not facts.found:
        return ActionOutcome(TEXT["not_found"][lang].format(order=order), handoff=False)
    if not facts.owner_verified:
        reply = TEXT["not_owner_named" if several else "not_owner"][lang].format(order=order)
        return _handoff(reply, ActionFailure.NOT_OWNER, order)
    if action is ActionIntent.CANCEL_ORDER:
        return _cancellation(facts, lang)
    if action is ActionIntent.REFUND_STATUS:
        return _refund(facts, lang)
    return _order_status(facts, lang, today or datetime.now(UTC).date())


def _order_status(facts: OrderFacts, lang: str, today: date) -> ActionOutcome:
    order, status = facts.order, facts.facts.get("status")
    group = group_of(status, STATUS_GROUP) if status else None
    if group:
        reply = STATUS_TEXT[group][lang].format(order=order)
    elif status:
        reply = TEXT["status_unknown"][lang].format(order=order, status=status)
    else:
        reply = TEXT["status_missing"][lang].format(order=order)
    eta, carrier = facts.facts.get("eta"), facts.facts.get("carrier")
    if group not in NO_DELIVERY_AHEAD:
        if eta:
            reply += TEXT["eta"][lang].format(eta=readable_date(eta, lang, today))
            reply += f" ({carrier})." if carrier else "."
        elif carrier:
            reply += TEXT["carrier"][lang].format(carrier=carrier)
    return ActionOutcome(reply, handoff=False, settled=bool(status or eta))


def _refund(facts: OrderFacts, lang: str) -> ActionOutcome:
    order, status = facts.order, facts.facts.get("refund_status")
    if not status:
        return ActionOutcome(TEXT["no_refund"][lang].format(order=order), False, settled=True)
    money = facts.facts.get("refund_amount")
    amount = AMOUNT[lang].format(amount=money) if money else ""
    group = group_of(status, REFUND_GROUP)
    if group is None:
        amount = f" ({money})" if money else ""
        reply = TEXT["refund_unknown"][lang].format(
            order=order, refund_status=status, amount=amount
        )
        return ActionOutcome(reply, handoff=False, settled=True)
    reply = REFUND_TEXT[group][lang].format(order=order, amount=amount, handoff=HANDOFF[lang])
    if group in REFUND_NEEDS_A_PERSON:
        return _handoff(
            reply, ActionFailure.REFUND_PROBLEM, order, because=REFUND_TROUBLE[group]
        )
    return ActionOutcome(reply, handoff=False, settled=True)


def _cancellation(facts: OrderFacts, lang: str) -> ActionOutcome:
    order, handoff = facts.order, HANDOFF[lang]
    if facts.cancelled:
        return ActionOutcome(TEXT["cancelled"][lang].format(order=order), False, settled=True)
    status = facts.facts.get("status")
    group = group_of(status, STATUS_GROUP) if status else None
    if facts.refused and group == "cancelled":
        reply = TEXT["already_cancelled"][lang].format(order=order)
        return ActionOutcome(reply, handoff=False, settled=True)
    if facts.refused and group in CANCEL_BLOCKED_BECAUSE:
        because = CANCEL_BLOCKED_BECAUSE[group]
        reply = TEXT["cancel_blocked"][lang].format(
            order=order, reason=because[lang], handoff=handoff
        )
        return _handoff(reply, ActionFailure.NOT_CANCELLED, order, because=because)
    if facts.refused:
        reply = TEXT["cancel_refused"][lang].format(order=order, handoff=handoff)
        return _handoff(reply, ActionFailure.NOT_CANCELLED, order)
    # The store did not answer the cancellation (or cancelling is not connected).
    reply = TEXT["not_cancelled"][lang].format(order=order, handoff=handoff)
    return _handoff(reply, ActionFailure.STORE_UNAVAILABLE, order)
