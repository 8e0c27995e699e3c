"""Active webhook subscriptions are read once a second, and at once after a local change."""

from __future__ import annotations

from sqlalchemy import event, func, select

from tests.helpers import make_inbox
from tests.integration.test_inbound import api_msg
from ventanilla.bootstrap import Container
from ventanilla.services import inbound, webhooks
from ventanilla.storage.models import OutboxJob

HOOK = "https://crm.example.com/hooks/ventanilla"


def webhook_rows(container: Container) -> int:
    with container.uow() as uow:
        stmt = select(func.count()).select_from(OutboxJob).where(OutboxJob.kind == "webhook")
        return int(uow.session.scalar(stmt) or 0)


def test_subscriptions_are_read_once_for_a_burst(container: Container) -> None:
    inbox = make_inbox(container, "api")
    reads: list[str] = []

    def seen(_conn: object, _cur: object, sql: str, *_: object) -> None:
        if "webhook_subscriptions" in sql:
            reads.append(sql)

    event.listen(container.engine, "before_cursor_execute", seen)
    for i in range(5):
        inbound.receive(container.uow, inbox, api_msg(f"m{i}", "u1"))
    assert len(reads) <= 1


def test_a_subscription_created_here_applies_to_the_next_message(container: Container) -> None:
    inbox = make_inbox(container, "api")
    inbound.receive(container.uow, inbox, api_msg("m1", "u1"))  # caches "no subscriptions"
    with container.uow() as uow:
        sub_id = webhooks.create_subscription(uow.session, HOOK, ["message.created"]).id
        uow.commit()
    inbound.receive(container.uow, inbox, api_msg("m2", "u1"))
    assert webhook_rows(container) == 1
    with container.uow() as uow:
        webhooks.delete_subscription(uow.session, sub_id)
        uow.commit()
    inbound.receive(container.uow, inbox, api_msg("m3", "u1"))
    assert webhook_rows(container) == 1


def test_a_rolled_back_subscription_is_never_used(container: Container) -> None:
    inbox = make_inbox(container, "api")
    with container.uow() as uow:
        webhooks.create_subscription(uow.session, HOOK, ["message.created"])  # flushed
    inbound.receive(container.uow, inbox, api_msg("m1", "u1"))
    assert webhook_rows(container) == 0
