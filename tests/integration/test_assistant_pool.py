"""The assistant's turns computed in a child process: same answers, KB changes, crashes."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import make_inbox
from ventanilla.assistant import AssistantState
from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.config import Settings
from ventanilla.domain.enums import ChannelKind, IdentityKind, Role
from ventanilla.jobs.runner import OutboxRunner
from ventanilla.services import auth, inbound, knowledge
from ventanilla.services.assistant_pool import (
    AssistantPool,
    PoolBroken,
    note_for_readers,
    release,
    shared_pool,
)
from ventanilla.services.assistant_runtime import AssistantRuntime
from ventanilla.services.demo_kb import ARTICLES
from ventanilla.storage.models import Conversation, Inbox, Message, Team, TeamMember

SHIPPING_ES = "¿Cuánto cuesta el envío?"


@pytest.fixture(scope="module", autouse=True)
def one_child_for_the_module() -> Iterator[None]:
    """Hold the process's pool between tests so that each does not start a new child."""
    held = shared_pool(1)  # the size the test settings ask for
    yield
    release(held)


@pytest.fixture
def bot(settings: Settings) -> Iterator[Container]:
    c = Container(settings.model_copy(update={"assistant_enabled": True, "assistant_processes": 1}))
    with c.uow() as uow:
        knowledge.upsert_many(uow.session, ARTICLES, None)
        uow.commit()
    yield c
    asyncio.run(c.aclose())


def runtime(c: Container) -> AssistantRuntime:
    assert c.assistant is not None
    return c.assistant


def pool(c: Container) -> AssistantPool:
    p = runtime(c).pool
    assert p is not None
    return p


class Customer:
    """A widget visitor writing on one inbox; each message runs the outbox jobs."""

    def __init__(self, c: Container, inbox: int, name: str) -> None:
        self.c, self.inbox, self.name, self.n = c, inbox, name, 0

    def send(self, text: str) -> int:
        self.n += 1
        got = inbound.receive(
            self.c.uow,
            self.inbox,
            InboundMessage(
                channel=ChannelKind.WEBCHAT,
                external_id=f"{self.name}-{self.n}",
                sender=SenderIdentity(IdentityKind.VISITOR, self.name),
                text=text,
            ),
        )
        return got.message_id

    def say(self, text: str) -> str:
        """Send, run the jobs, return what the assistant answered."""
        message_id = self.send(text)
        asyncio.run(drain(self.c))
        return replies(self.c, message_id)


async def drain(c: Container) -> None:
    runner = OutboxRunner(c)
    for _ in range(10):
        if not await runner.run_once():
            return


def replies(c: Container, after_message_id: int) -> str:
    with c.uow() as uow:
        conv_id = uow.session.get(Message, after_message_id).conversation_id  # type: ignore[union-attr]
        rows = uow.session.scalars(
            select(Message.text).where(
                Message.conversation_id == conv_id,
                Message.id > after_message_id,
                Message.author_type == "assistant",
            )
        ).all()
        return "\n".join(rows)


def gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def wait_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_the_answer_is_computed_in_a_child_process(bot: Container) -> None:
    inbox = make_inbox(bot, "webchat")
    assert "4,90" in Customer(bot, inbox, "v1").say(SHIPPING_ES)
    english = Customer(bot, inbox, "v2").say("How much does shipping cost?")
    assert "4.90" in english and "free" in english
    (child,) = pool(bot).pids()
    assert child != os.getpid()
    assert not runtime(bot).built_here  # this process never built an engine


def test_a_hand_off_note_comes_from_the_child(bot: Container) -> None:
    inbox = make_inbox(bot, "webchat")
    customer = Customer(bot, inbox, "v1")
    message_id = customer.send("Quiero hablar con una persona, por favor")
    asyncio.run(drain(bot))
    with bot.uow() as uow:
        notes = uow.session.scalars(
            select(Message.text).where(Message.id > message_id, Message.private)
        ).all()
    assert len(notes) == 1 and "Quiero hablar con una persona" in notes[0]
    assert not runtime(bot).built_here


def notes_after(c: Container, message_id: int) -> list[str]:
    with c.uow() as uow:
        return list(
            uow.session.scalars(
                select(Message.text).where(Message.id > message_id, Message.private)
            )
        )


def test_an_english_hand_off_note_is_written_in_english(bot: Container) -> None:
    inbox = make_inbox(bot, "webchat")
    message_id = Customer(bot, inbox, "v1").send(
        "I want to talk to a person, my order 10023 has not arrived"
    )
    asyncio.run(drain(bot))
    [note] = notes_after(bot, message_id)
    assert "Wants: I want to talk to a person, my order 10023 has not arrived" in note
    assert "Language: English" in note and "Orders: 10023" in note
    assert "Hand-off reason: The customer asked to talk to a person." in note
    assert "asked_for_human" not in note and "Qué quiere" not in note


def test_the_note_is_labelled_for_the_people_who_will_read_it(bot: Container) -> None:
    with bot.uow() as uow:
        s = uow.session
        team = Team(name="Support in English")
        s.add(team)
        s.flush()
        for n in range(2):
            user = auth.create_user(
                s, f"en{n}@example.test", f"Agent {n}", Role.AGENT, language="en"
            )
            s.add(TeamMember(team_id=team.id, user_id=user.id))
        auth.create_user(s, "es@example.test", "Agente", Role.AGENT, language="es")
        inbox = Inbox(name="web", channel="webchat", settings={}, team_id=team.id)
        s.add(inbox)
        uow.commit()
        inbox_id = inbox.id
    text = "Quiero hablar con una persona, mi pedido 10023 no llega"
    message_id = Customer(bot, inbox_id, "v1").send(text)
    computed = asyncio.run(runtime(bot).compute(bot.uow, AssistantState(), text))
    assert computed is not None and computed.note is not None
    with bot.uow() as uow:
        conv = uow.session.get(Conversation, uow.session.get(Message, message_id).conversation_id)  # type: ignore[union-attr]
        assert conv is not None and conv.team_id is not None
        for_team = note_for_readers(uow.session, conv.id, computed.note)
        conv.team_id = None  # now every agent may take it, and one of them reads Spanish
        uow.session.flush()
        for_everyone = note_for_readers(uow.session, conv.id, computed.note)
    assert f"Wants: {text}" in for_team and "Language: Spanish" in for_team
    assert "Hand-off reason: The customer asked to talk to a person." in for_team
    assert f"Qué quiere: {text}" in for_everyone and "Idioma: español" in for_everyone


def test_a_new_article_reaches_the_child(bot: Container) -> None:
    inbox = make_inbox(bot, "webchat")
    question = "¿Puedo pagar con bitcoin?"
    answer = "Sí: aceptamos bitcoin y otras criptomonedas al pagar el pedido."
    assert answer not in Customer(bot, inbox, "v1").say(question)
    (child,) = pool(bot).pids()
    with bot.uow() as uow:
        knowledge.upsert_many(
            uow.session,
            [
                knowledge.ArticleInput(
                    title="Pago con criptomonedas",
                    language="es",
                    category="pagos",
                    short_answer=answer,
                    examples=("puedo pagar con bitcoin", "aceptáis criptomonedas"),
                )
            ],
            None,
        )
        uow.commit()
    assert answer in Customer(bot, inbox, "v2").say(question)
    assert pool(bot).pids() == [child]  # the same child, with the new knowledge base
    assert not runtime(bot).built_here


def test_a_killed_child_is_replaced_and_the_turn_still_answered(bot: Container) -> None:
    inbox = make_inbox(bot, "webchat")
    assert "4,90" in Customer(bot, inbox, "v1").say(SHIPPING_ES)
    (first,) = pool(bot).pids()
    os.kill(first, signal.SIGKILL)
    assert "4,90" in Customer(bot, inbox, "v2").say(SHIPPING_ES)
    (second,) = pool(bot).pids()
    assert second != first and wait_gone(first)

    # Now the child dies while a turn is waiting for it: the turn goes to a new child.
    customer = Customer(bot, inbox, "v3")

    async def scenario() -> int:
        busy = asyncio.ensure_future(pool(bot).call(time.sleep, 30))
        await asyncio.sleep(0.5)  # the child is sleeping; the next turn waits behind it
        message_id = await asyncio.to_thread(customer.send, SHIPPING_ES)
        jobs = asyncio.ensure_future(drain(bot))
        await asyncio.sleep(0.5)
        os.kill(second, signal.SIGKILL)
        await asyncio.wait_for(jobs, timeout=60)
        with pytest.raises(PoolBroken):
            await busy
        return message_id

    message_id = asyncio.run(scenario())
    assert "4,90" in replies(bot, message_id)
    (third,) = pool(bot).pids()
    assert third not in (first, second)
    assert not runtime(bot).built_here  # answered by the new child, not in this process


def test_nothing_is_started_when_the_assistant_is_off(container: Container) -> None:
    before = len(multiprocessing.active_children())
    inbox = make_inbox(container, "webchat")
    message_id = Customer(container, inbox, "v1").send(SHIPPING_ES)
    asyncio.run(drain(container))
    assert container.assistant is None
    assert replies(container, message_id) == ""
    assert len(multiprocessing.active_children()) == before


CHILD_OF_A_KILLED_PARENT = """
import asyncio, os, sys, time
from ventanilla.services.assistant_pool import AssistantPool

pool = AssistantPool(1)
print(asyncio.run(pool.call(os.getpid)), flush=True)
time.sleep(60)
"""


def test_the_child_dies_with_its_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD_OF_A_KILLED_PARENT], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    with parent.stdout:
        try:
            child = int(parent.stdout.readline())
            assert child != parent.pid and not gone(child)
        finally:
            parent.kill()
            parent.wait()
    assert wait_gone(child)
