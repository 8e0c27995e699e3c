"""Group commit: messages posted together share a transaction, yet each one stands alone."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from concurrent.futures import Future

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text

from tests.helpers import make_inbox, make_user, need_redis
from tests.integration.test_inbound import api_msg
from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.domain.enums import ChannelKind, IdentityKind, Role
from ventanilla.domain.errors import InvalidInput, NotFound
from ventanilla.realtime.redis_bus import RedisBus
from ventanilla.services import contacts, inbound, inbound_batch, webhooks
from ventanilla.services.inbound_batch import GroupCommit
from ventanilla.services.views import message_view
from ventanilla.storage import ordering
from ventanilla.storage.models import (
    Contact,
    ContactIdentity,
    Conversation,
    Inbox,
    Message,
    OutboxJob,
)
from ventanilla.web.app import create_app

HOOK = "https://crm.example.com/hooks/ventanilla"


def outbox_rows(container: Container, kind: str) -> int:
    with container.uow() as uow:
        stmt = select(func.count()).select_from(OutboxJob).where(OutboxJob.kind == kind)
        return int(uow.session.scalar(stmt) or 0)


def stored(container: Container) -> list[str]:
    with container.uow() as uow:
        return sorted(str(e) for e in uow.session.scalars(select(Message.external_id)))


def commits(container: Container) -> list[int]:
    seen: list[int] = []
    event.listen(container.engine, "commit", lambda _conn: seen.append(1))
    return seen


def submit_while_blocked(
    container: Container, committer: GroupCommit, inbox: int, msgs: list[tuple[int, InboundMessage]]
) -> list[Future[inbound.Received]]:
    """Hold the inbox row (and on SQLite the write lock) so the writer waits: every message
    submitted meanwhile lands in the same batch."""
    with container.uow() as uow:
        uow.session.get(Inbox, inbox, with_for_update=True)
        first = committer.submit(inbox, api_msg("warm-up", "cust-0"))
        futures = [committer.submit(inbox_id, msg) for inbox_id, msg in msgs]
        uow.commit()
    first.result(timeout=30)
    return futures


def test_one_bad_message_in_a_batch_spoils_nothing_else(container: Container) -> None:
    inbox = make_inbox(container, "api", settings={"assistant": True})
    with container.uow() as uow:
        webhooks.create_subscription(uow.session, HOOK, ["message.created"])
        uow.commit()
    committer = GroupCommit(container.uow)
    seen = commits(container)
    good = [(inbox, api_msg(f"m{i}", f"cust-{i % 7}", f"hola {i}")) for i in range(30)]
    bad = [
        (inbox, api_msg("too-long", "cust-bad-1", "x" * (inbound.MAX_TEXT + 1))),
        (424242, api_msg("no-inbox", "cust-bad-2")),
        # Fails after its contact and conversation were written: they must roll back too.
        (inbox, api_msg("bad-meta", "cust-bad-3", meta={"x": object()})),
        (inbox, api_msg("m3", "cust-3", "the same delivery again")),
    ]
    msgs = good[:15] + bad + good[15:]
    futures = submit_while_blocked(container, committer, inbox, msgs)

    results = {}
    for (_, msg), fut in zip(msgs, futures, strict=True):
        error = fut.exception(timeout=30)
        results[msg.external_id, msg.text[:20]] = error or fut.result()
    assert isinstance(results["too-long", "x" * 20], InvalidInput)
    assert isinstance(results["no-inbox", "hola"], NotFound)
    assert isinstance(results["bad-meta", "hola"], Exception)
    again = results["m3", "the same delivery ag"]
    first = results["m3", "hola 3"]
    assert isinstance(again, inbound.Received) and isinstance(first, inbound.Received)
    assert again.duplicate and again.message_id == first.message_id
    assert not first.duplicate

    assert stored(container) == sorted(["warm-up", *(f"m{i}" for i in range(30))])
    with container.uow() as uow:
        addresses = set(uow.session.scalars(select(ContactIdentity.address)))
    assert "cust-bad-3" not in addresses and "cust-bad-1" not in addresses
    # One webhook delivery and one assistant turn per stored message, none for the others.
    assert outbox_rows(container, "webhook") == 31
    assert outbox_rows(container, "assistant_turn") == 31
    assert len(seen) <= 3  # the warm-up, then the rest together (not one commit each)


def test_a_lone_writer_under_load_waits_for_as_many_messages_as_its_last_batch(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbound_batch, "WRITER_LINGER_S", 30.0)  # the writer stays up
    monkeypatch.setattr(inbound_batch, "SOLE_WRITER_WAIT_S", 5.0)  # however slow this machine
    inbox = make_inbox(container, "api")
    committer = GroupCommit(container.uow)
    burst = [(inbox, api_msg(f"b{i}", f"cust-{i}")) for i in range(8)]
    for fut in submit_while_blocked(container, committer, inbox, burst):
        fut.result(timeout=30)  # a batch of 8: the writer now expects company
    seen = commits(container)
    futures = [committer.submit(inbox, api_msg(f"n{i}", f"cust-{i}")) for i in range(8)]
    for fut in futures:
        fut.result(timeout=30)
    # Taken the moment the first arrived, the first would have gone alone.
    assert len(seen) == 1


def test_a_message_that_comes_alone_is_not_held_back(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbound_batch, "SOLE_WRITER_WAIT_S", 60.0)
    monkeypatch.setattr(inbound_batch, "WRITER_LINGER_S", 0.05)
    inbox = make_inbox(container, "api")
    committer = GroupCommit(container.uow)
    for i in range(3):  # one at a time, each answered well before the wait would end
        assert not committer.submit(inbox, api_msg(f"s{i}", "cust-1")).result(timeout=10).duplicate
    burst = [(inbox, api_msg(f"b{i}", f"cust-{i}")) for i in range(4)]
    for fut in submit_while_blocked(container, committer, inbox, burst):
        fut.result(timeout=30)
    time.sleep(0.2)  # quiet for longer than the writer lingers: the load is over
    assert committer.submit(inbox, api_msg("later", "cust-1")).result(timeout=10).message_id


def test_a_contact_and_conversation_are_shared_within_a_batch(container: Container) -> None:
    inbox = make_inbox(container, "api")
    committer = GroupCommit(container.uow)
    msgs = [(inbox, api_msg(f"m{i}", "cust-new", f"mensaje {i}")) for i in range(5)]
    futures = submit_while_blocked(container, committer, inbox, msgs)
    got = [f.result(timeout=30) for f in futures]
    assert len({r.contact_id for r in got}) == 1
    assert len({r.conversation_id for r in got}) == 1
    assert [r.message_id for r in got] == sorted(r.message_id for r in got)


@pytest.mark.parametrize("writers", [1, 2])
def test_concurrent_callers_each_get_their_own_answer(container: Container, writers: int) -> None:
    threads = 16
    inbox = make_inbox(container, "api")
    committer = GroupCommit(container.uow, writers=writers)
    start = threading.Barrier(threads)
    answers: dict[int, list[inbound.Received]] = {}

    def post(n: int) -> None:
        start.wait()
        # Every external id is sent twice, by two different callers.
        answers[n] = [
            committer.submit(inbox, api_msg(f"m{(n + k) % threads}", f"cust-{n % 3}")).result(30)
            for k in range(4)
        ]

    workers = [threading.Thread(target=post, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert stored(container) == sorted(f"m{i}" for i in range(threads))
    by_ext: dict[int, set[int]] = {}
    for n, got in answers.items():
        for k, r in enumerate(got):
            by_ext.setdefault((n + k) % threads, set()).add(r.message_id)
    assert all(len(ids) == 1 for ids in by_ext.values())  # every caller saw the one stored


def test_the_event_of_a_batched_message_shows_the_stored_message(container: Container) -> None:
    inbox = make_inbox(container, "api")
    with container.uow() as uow:
        webhooks.create_subscription(uow.session, HOOK, ["message.created"])
        uow.commit()
    got = GroupCommit(container.uow).submit(inbox, api_msg("m1", "cust-1", "¿Y mi pedido?"))
    message_id = got.result(timeout=30).message_id
    with container.uow() as uow:
        job = uow.session.scalars(select(OutboxJob).where(OutboxJob.kind == "webhook")).one()
        message = uow.session.get(Message, message_id)
        assert message is not None
        expected = json.loads(json.dumps(message_view(message)))
    assert job.payload["body"]["data"] == expected


def test_plain_and_general_paths_write_the_same_rows(container: Container) -> None:
    """A plain message is written with plain statements, one with an extra identity through
    the session: the rows they leave (defaults included) must not differ."""
    inbox = make_inbox(container, "api")
    extra = SenderIdentity(IdentityKind.EMAIL, "ana@example.test")
    plain = inbound.receive(container.uow, inbox, api_msg("m1", "cust-1"))
    general = inbound.receive(
        container.uow, inbox, api_msg("m2", "cust-2", other_identities=(extra,))
    )
    skip = {"id", "contact_id", "conversation_id", "address", "external_id"}
    skip |= {"created_at", "updated_at", "last_message_at"}

    def row(model: type, **where: object) -> dict[str, object]:
        with container.uow() as uow:
            obj = uow.session.scalars(select(model).filter_by(**where)).one()
            return {c.key: getattr(obj, c.key) for c in model.__table__.columns} | {
                k: None for k in skip
            }

    for model, key in ((Contact, "id"), (Conversation, "contact_id")):
        assert row(model, **{key: plain.contact_id}) == row(model, **{key: general.contact_id})
    assert row(Message, id=plain.message_id) == row(Message, id=general.message_id)
    assert row(ContactIdentity, address="cust-1") == row(ContactIdentity, address="cust-2")


def test_an_inbox_changed_here_applies_to_the_next_message(container: Container) -> None:
    inbox = make_inbox(container, "api")
    inbound.receive(container.uow, inbox, api_msg("m1", "cust-1"))  # the inbox is now cached
    assert outbox_rows(container, "assistant_turn") == 0
    with container.uow() as uow:
        uow.session.get_one(Inbox, inbox).settings = {"assistant": True}
        uow.commit()
    inbound.receive(container.uow, inbox, api_msg("m2", "cust-1"))
    assert outbox_rows(container, "assistant_turn") == 1


def test_the_api_channel_answers_after_the_commit_and_refuses_bad_ids(
    container: Container,
) -> None:
    inbox = make_inbox(container, "api")
    _, token = make_user(container, Role.AGENT)
    headers = {"authorization": f"Bearer {token}"}
    body = {"external_id": "m1", "sender": {"id": "cust-1"}, "text": "hola"}
    with TestClient(create_app(container=container)) as client:
        first = client.post(f"/api/v1/inboxes/{inbox}/messages", json=body, headers=headers)
        assert first.status_code == 201, first.text
        assert stored(container) == ["m1"]  # stored before the answer
        again = client.post(f"/api/v1/inboxes/{inbox}/messages", json=body, headers=headers)
        assert again.json() == {**first.json(), "duplicate": True}
        bad = client.post("/api/v1/inboxes/abc/messages", json=body, headers=headers)
        assert bad.status_code == 422 and "inbox_id" in bad.json()["error"]["message"]
        anonymous = client.post(f"/api/v1/inboxes/{inbox}/messages", json=body)
        assert anonymous.status_code == 401


def test_a_batch_wakes_a_pending_conversation_once(container: Container) -> None:
    inbox = make_inbox(container, "api")
    first = inbound.receive(container.uow, inbox, api_msg("m0", "cust-1"))
    with container.uow() as uow:
        uow.session.get_one(Conversation, first.conversation_id).status = "pending"
        webhooks.create_subscription(uow.session, HOOK, ["conversation.status_changed"])
        uow.commit()
    committer = GroupCommit(container.uow)
    msgs = [(inbox, api_msg(f"m{i}", "cust-1")) for i in range(1, 5)]
    got = [f.result(timeout=30) for f in submit_while_blocked(container, committer, inbox, msgs)]
    assert {r.conversation_id for r in got} == {first.conversation_id}
    with container.uow() as uow:
        assert uow.session.get_one(Conversation, first.conversation_id).status == "open"
    assert outbox_rows(container, "webhook") == 1  # one status change, not one per message


def written_in_one_go(caplog: pytest.LogCaptureFixture) -> bool:
    """Nothing fell back to one savepoint (or one transaction) per message."""
    return not [r for r in caplog.records if r.name.startswith("ventanilla.services.inbound")]


def test_a_batch_of_plain_messages_is_written_at_once_with_the_same_outcomes(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    """On SQLite a batch of plain messages is decided in memory and written with a few
    statements; each message still gets exactly what it would get on its own."""
    inbox = make_inbox(container, "api", settings={"assistant": True})
    other = make_inbox(container, "webchat")
    before = inbound.receive(container.uow, inbox, api_msg("old", "cust-known"))
    with container.uow() as uow:
        uow.session.get_one(Conversation, before.conversation_id).status = "snoozed"
        webhooks.create_subscription(
            uow.session, HOOK, ["message.created", "conversation.status_changed"]
        )
        uow.commit()
    committer = GroupCommit(container.uow)
    msgs = [
        (inbox, api_msg("k1", "cust-known", "sigo esperando")),
        (inbox, api_msg("n1", "cust-new", "primera vez")),
        (inbox, api_msg("old", "cust-known", "la misma entrega otra vez")),
        (other, api_msg("wrong-channel", "cust-new")),
        (inbox, api_msg("n1", "cust-new", "repetido en el mismo lote")),
        (inbox, api_msg("k2", "cust-known", "¿hola?")),
        (inbox, api_msg("n2", "cust-new", "segunda vez")),
    ]
    caplog.set_level(logging.INFO)
    futures = submit_while_blocked(container, committer, inbox, msgs)
    out = [f.exception(timeout=30) or f.result() for f in futures]
    assert written_in_one_go(caplog)

    k1, n1, old, wrong, n1_again, k2, n2 = out
    assert isinstance(wrong, InvalidInput)
    assert isinstance(old, inbound.Received) and old.duplicate
    assert old.message_id == before.message_id
    assert isinstance(n1_again, inbound.Received) and n1_again.duplicate
    assert isinstance(n1, inbound.Received) and n1_again.message_id == n1.message_id
    for got in (k1, k2):
        assert isinstance(got, inbound.Received) and not got.duplicate
        assert got.conversation_id == before.conversation_id
    assert isinstance(n2, inbound.Received) and n2.conversation_id == n1.conversation_id
    assert n1.contact_id != before.contact_id
    assert k1.message_id < k2.message_id and n1.message_id < n2.message_id  # one sender's order
    assert stored(container) == sorted(["warm-up", "old", "k1", "n1", "k2", "n2"])
    with container.uow() as uow:
        conv = uow.session.get_one(Conversation, before.conversation_id)
        assert conv.status == "open" and conv.snoozed_until is None
        assert conv.last_message_at is not None and conv.last_message_at > conv.created_at
        texts = [
            m.text
            for m in uow.session.scalars(
                select(Message)
                .where(Message.conversation_id == n1.conversation_id)
                .order_by(Message.id)
            )
        ]
        assert texts == ["primera vez", "segunda vez"]
    # One assistant turn and one webhook per new message (the warm-up's too; "old" came
    # before the subscription), and one webhook for the one wake-up.
    assert outbox_rows(container, "assistant_turn") == 1 + 1 + 4
    assert outbox_rows(container, "webhook") == 1 + 4 + 1


def test_a_batch_follows_a_merged_contact_and_fills_a_missing_name(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = make_inbox(container, "api")
    keep = inbound.receive(container.uow, inbox, api_msg("a", "cust-keep"))
    drop = inbound.receive(container.uow, inbox, api_msg("b", "cust-drop"))
    with container.uow() as uow:
        s = uow.session
        contacts.merge(s, s.get_one(Contact, keep.contact_id), s.get_one(Contact, drop.contact_id))
        uow.commit()
    named = SenderIdentity(IdentityKind.EXTERNAL, "cust-keep", name="Ana Pérez")
    msgs = [
        (inbox, api_msg("c", "cust-drop", "escribo desde la cuenta antigua")),
        (inbox, InboundMessage(ChannelKind.API, "d", named, "ahora con nombre")),
        (inbox, api_msg("e", "cust-drop", "otra vez la antigua")),
    ]
    caplog.set_level(logging.INFO)
    got = [
        f.result(timeout=30)
        for f in submit_while_blocked(container, GroupCommit(container.uow), inbox, msgs)
    ]
    assert written_in_one_go(caplog)
    assert {r.contact_id for r in got} == {keep.contact_id}
    with container.uow() as uow:
        assert uow.session.get_one(Contact, keep.contact_id).name == "Ana Pérez"
        open_convs = uow.session.scalars(
            select(Conversation.id).where(Conversation.contact_id == keep.contact_id)
        ).all()
    assert {r.conversation_id for r in got} <= set(open_convs)
    assert len({r.conversation_id for r in got}) == 1


def test_batched_and_single_messages_leave_the_same_rows(container: Container) -> None:
    inbox = make_inbox(container, "api")
    single = inbound.receive(container.uow, inbox, api_msg("m1", "cust-1", "hola"))
    batched = GroupCommit(container.uow).submit(inbox, api_msg("m2", "cust-2", "hola"))
    got = batched.result(timeout=30)
    skip = {"id", "contact_id", "conversation_id", "external_id", "created_at"}
    with container.uow() as uow:
        rows = [uow.session.get_one(Message, i) for i in (single.message_id, got.message_id)]
        a, b = ({c.key: getattr(m, c.key) for c in Message.__table__.columns} for m in rows)
    assert {k: v for k, v in a.items() if k not in skip} == {
        k: v for k, v in b.items() if k not in skip
    }
    assert b["created_at"].tzinfo is not None


async def test_a_batch_of_events_reaches_other_processes_in_order() -> None:
    url = need_redis()
    channel = f"vt-test:{uuid.uuid4().hex}"
    sender, listener = RedisBus(url, channel), RedisBus(url, channel)
    try:
        await listener.start()
        async with listener.subscribe(["a", "b"]) as sub:
            items = [("a", {"n": 1}), ("b", {"n": 2}), ("a", {"n": 3})]
            await asyncio.to_thread(sender.publish_many, items)
            async with asyncio.timeout(10):
                assert [await sub.get() for _ in items] == [p for _, p in items]
    finally:
        await sender.stop()
        await listener.stop()


async def test_without_redis_a_batch_of_events_is_still_heard_here() -> None:
    bus = RedisBus("redis://127.0.0.1:9/0", "vt-test:down")  # nothing listens on port 9
    async with bus.subscribe(["a"]) as sub:
        await asyncio.to_thread(bus.publish_many, [("a", {"n": 1}), ("a", {"n": 2})])
        async with asyncio.timeout(5):
            assert [await sub.get(), await sub.get()] == [{"n": 1}, {"n": 2}]
    await bus.stop()


def test_a_batch_stores_what_the_customer_wrote_exactly(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    """The batch's rows travel to the database in one document: quotes, backslashes,
    placeholders, line breaks and characters beyond the basic plane arrive unchanged."""
    inbox = make_inbox(container, "api")
    texts = [
        'Dijo "hola" y \\ luego %s y %(x)s; DROP TABLE messages;--',
        "Línea 1\nLínea 2\r\n\ttabulada \u2028 separador",
        "Pedido 🚚 nº 123 — ¿llegó? " + "ñ" * 5000,
        '{"not": "json"} [1, 2] \'simple\' `tilde`',
    ]
    name = 'Zoë "Z" O\'Brien'
    msgs = [
        (
            inbox,
            InboundMessage(
                ChannelKind.API,
                f"t{i}",
                SenderIdentity(IdentityKind.EXTERNAL, f"cust-{i % 2}", name=name),
                text,
            ),
        )
        for i, text in enumerate(texts)
    ]
    caplog.set_level(logging.INFO)
    got = [
        f.result(timeout=30)
        for f in submit_while_blocked(container, GroupCommit(container.uow), inbox, msgs)
    ]
    assert written_in_one_go(caplog)
    with container.uow() as uow:
        s = uow.session
        assert [s.get_one(Message, r.message_id).text for r in got] == texts
        assert {s.get_one(Contact, r.contact_id).name for r in got} == {name}
        metas = {json.dumps(s.get_one(Message, r.message_id).meta) for r in got}
    assert metas == {"{}"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no such locks
def test_a_batch_locks_each_sender_as_a_single_message_does(container: Container) -> None:
    """On PostgreSQL a batch locks its senders' contacts with the key every other writer of
    that contact's messages uses, ids past 32 bits included: while it holds them, an agent's
    reply to the same customer waits."""
    big = [2**31 + 5, 2**32 + 7, 3]
    with container.uow() as uow:
        s = uow.session
        for n, contact_id in enumerate(big):
            s.add(Contact(id=contact_id, name=f"C{n}"))
            s.flush()
            s.add(ContactIdentity(contact_id=contact_id, kind="external", address=f"big-{n}"))
        uow.commit()
    keys = [("external", f"big-{n}") for n in range(len(big))]
    with container.engine.connect() as holder, container.engine.connect() as other:
        taken = holder.execute(ordering.LOCK_IDENTITIES, ordering.lock_identities_params(keys))
        assert sorted(int(r[0]) for r in taken) == sorted(ordering._key(c) for c in big)
        for contact_id in big:
            free = other.execute(
                text("SELECT pg_try_advisory_xact_lock(:ns, :k)"),
                {"ns": ordering._NAMESPACE, "k": ordering._key(contact_id)},
            ).scalar()
            assert free is False
        holder.rollback()
        other.rollback()
