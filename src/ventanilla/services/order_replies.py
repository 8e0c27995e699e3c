"""What the customer reads about their orders: the wording of order replies.

The replies' sentences in each language, the store statuses and refund statuses grouped by
what they mean to the customer, and dates as the customer says them.
"""

from __future__ import annotations

import re
from datetime import date, datetime

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
