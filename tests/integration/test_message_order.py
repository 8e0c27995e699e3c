"""A widget that resumes from the last id it saw never skips a message that committed late."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.helpers import make_inbox
from ventanilla.bootstrap import Container
from ventanilla.domain.enums import AuthorType, ConversationStatus
from ventanilla.services import outbound, webchat
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
