"""Running the assistant's actions (order status, refund status, cancellation).

A status or refund question about several orders is answered for each in one reply; every
hand-off says why (``ActionOutcome.failures``), for the note the agent reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, select

from ventanilla.assistant import Decision
from ventanilla.assistant.state import ActionIntent
from ventanilla.assistant.summary_text import ActionFailed, ActionFailure
from ventanilla.services.order_replies import (
    AMOUNT,
    CANCEL_BLOCKED_BECAUSE,
    HANDOFF,
    NO_DELIVERY_AHEAD,
    REFUND_GROUP,
    REFUND_NEEDS_A_PERSON,
    REFUND_TEXT,
    REFUND_TROUBLE,
    STATUS_GROUP,
    STATUS_TEXT,
    TEXT,
    group_of,
    readable_date,
)
from ventanilla.services.store_connector import ConnectorConfig, OrderFacts, StoreConnector
from ventanilla.storage.models import ContactIdentity, Conversation, Inbox, Message

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container

# Orders one message may ask about at once; more are left for the next question.
MAX_ORDERS_PER_REPLY: Final = 5


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
