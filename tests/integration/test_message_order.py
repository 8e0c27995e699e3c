"""A widget that resumes from the last id it saw never skips a message that committed late."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import event

from tests.helpers import make_inbox
from tests.integration.test_inbound import api_msg
from ventanilla.bootstrap import Container
from ventanilla.domain.enums import AuthorType, ConversationStatus
from ventanilla.services import inbound, outbound, webchat
from ventanilla.services.inbound_batch import GroupCommit, writers_for
from ventanilla.storage.models import Conversation

WAIT_S = 20.0


def _thread(target: Callable[[], None]) -> threading.Thread:
    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t


def test_resume_sees_a_slow_transaction_s_message_before_a_later_one(
    container: Container,
) -> None:
    inbox = make_inbox(container, "webchat")
    _, visitor = webchat.start_session(container.uow, container.settings.secret_key, inbox)
    # Two conversations of the same customer: an earlier one, resolved, and the current one.
    old_id = webchat.post(container.uow, visitor, "¿Tienen café en grano?", "c1").conversation_id
    with container.uow() as uow:
        uow.session.get_one(Conversation, old_id).status = ConversationStatus.RESOLVED.value
        uow.commit()
    conv_id = webchat.post(container.uow, visitor, "¿Y molido?", "c2").conversation_id
    assert conv_id != old_id
    cursor = webchat.history(container.uow, visitor, 0)[-1]["id"]

    posted, release = threading.Event(), threading.Event()
    ids: dict[str, int] = {}

    def slow_agent() -> None:
        # An agent's follow-up in the earlier conversation, whose transaction stays open a
        # while before it commits.
        with container.uow() as uow:
            ids["agent"] = outbound.post(uow, old_id, outbound.Reply("Sí, de Colombia.")).id
            posted.set()
            release.wait(WAIT_S)
            uow.commit()

    def quick_assistant() -> None:
        with container.uow() as uow:
            reply = outbound.Reply("Te paso con una persona.", AuthorType.ASSISTANT)
            ids["assistant"] = outbound.post(uow, conv_id, reply).id
            uow.commit()

    first_read: list[dict[str, object]] = []

    def widget_resumes() -> None:
        first_read.extend(webchat.history(container.uow, visitor, cursor))

    agent = _thread(slow_agent)
    assert posted.wait(WAIT_S)
    assistant = _thread(quick_assistant)
    assistant.join(1.0)  # with nothing to stop it, the quick transaction commits here
    reader = _thread(widget_resumes)
    reader.join(1.0)
    release.set()
    for t in (agent, assistant, reader):
        t.join(WAIT_S)
        assert not t.is_alive()

    # The widget resumes again from the last id it got.
    seen = [m["id"] for m in first_read]
    after = max([cursor, *(int(str(i)) for i in seen)])
    second_read = webchat.history(container.uow, visitor, after)
    delivered = seen + [m["id"] for m in second_read]

    assert delivered == [ids["agent"], ids["assistant"]]
    assert [m["text"] for m in first_read + second_read] == [
        "Sí, de Colombia.",
        "Te paso con una persona.",
    ]


def test_a_batch_s_messages_commit_in_the_order_of_their_ids(container: Container) -> None:
    """The group commit writes many customers' messages at once. If its transaction is slow
    after numbering a customer's message, an agent's reply to that customer must wait for
    it: committing first with a higher id would let a resuming widget skip the message."""
    inbox = make_inbox(container, "api")
    first = inbound.receive(container.uow, inbox, api_msg("m1", "cust-1", "¿Llegó mi pedido?"))
    agent_done = threading.Event()
    commits: list[str] = []
    ids: dict[str, int] = {}
    stalled: list[bool] = []

    def stall_the_batch(_conn: object, _cur: object, statement: str, *_args: object) -> None:
        # On PostgreSQL the batch numbers its messages, then touches the conversations.
        in_writer = threading.current_thread().name == "inbound-group-commit"
        if in_writer and statement.startswith("UPDATE conversations") and not stalled:
            stalled.append(True)
            agent_done.wait(1.5)  # with the customer's lock held, the agent cannot finish

    def committed(_conn: object) -> None:
        commits.append(threading.current_thread().name)

    event.listen(container.engine, "before_cursor_execute", stall_the_batch)
    event.listen(container.engine, "commit", committed)

    def agent() -> None:
        while not stalled and not ids.get("batch"):
            time.sleep(0.01)
        with container.uow() as uow:
            reply = outbound.Reply("Lo reviso ahora mismo.")
            ids["agent"] = outbound.post(uow, first.conversation_id, reply).id
            uow.commit()
        agent_done.set()

    committer = GroupCommit(container.uow, writers=writers_for(container.engine.dialect.name))
    helper = _thread(agent)
    ids["batch"] = (
        committer.submit(inbox, api_msg("m2", "cust-1", "¿Hola?")).result(WAIT_S).message_id
    )
    helper.join(WAIT_S)
    assert not helper.is_alive()
    by_id = sorted(ids, key=ids.__getitem__)
    by_commit = ["batch" if c == "inbound-group-commit" else "agent" for c in commits]
    assert by_commit[-2:] == by_id
