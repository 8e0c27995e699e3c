"""The web chat page's language: the assistant's fallback when a message is too short to tell."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.helpers import make_inbox
from ventanilla.assistant.knowledge import Language
from ventanilla.assistant.messages import CATALOG
from ventanilla.bootstrap import Container
from ventanilla.config import Settings
from ventanilla.jobs.runner import OutboxRunner
from ventanilla.services import knowledge, webchat
from ventanilla.services.demo_kb import ARTICLES
from ventanilla.storage.models import Conversation, Message

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def bot(settings: Settings) -> Iterator[Container]:
    c = Container(settings.model_copy(update={"assistant_enabled": True}))
    with c.uow() as uow:
        knowledge.upsert_many(uow.session, ARTICLES, None)
        uow.commit()
    yield c
    c.engine.dispose()


class Visitor:
    """A visitor of the store, writing from a page in one language or another."""

    def __init__(self, container: Container) -> None:
        self.c = container
        self.inbox = make_inbox(container, "webchat")
        self.token: str | None = None
        self.n = 0
        self.conversation_id = 0

    def open_page(self, language: str | None) -> None:
        """Load a store page: the widget opens (or renews) its session with the page's language."""
        self.token, _ = webchat.start_session(
            self.c.uow, self.c.settings.secret_key, self.inbox, self.token, language=language
        )

    def say(self, text: str) -> str:
        """Send a message from the widget; returns what the assistant answered."""
        assert self.token is not None
        self.n += 1
        visitor = webchat.visitor_from_token(self.c.uow, self.c.settings.secret_key, self.token)
        got = webchat.post(self.c.uow, visitor, text, f"c{self.n}")
        self.conversation_id = got.conversation_id
        asyncio.run(drain(self.c))
        with self.c.uow() as uow:
            rows = uow.session.scalars(
                select(Message.text).where(
                    Message.conversation_id == got.conversation_id,
                    Message.id > got.message_id,
                    Message.author_type == "assistant",
                )
            ).all()
            return "\n".join(rows)

    def conversation_language(self) -> str | None:
        with self.c.uow() as uow:
            conv = uow.session.get(Conversation, self.conversation_id)
            assert conv is not None
            return conv.language


def small_talk(language: Language) -> set[str]:
    """The assistant's own sentences without blanks to fill in (greetings, hand-offs…)."""
    return {texts[language] for texts in CATALOG.values() if "{" not in texts[language]}


async def drain(container: Container) -> None:
    runner = OutboxRunner(container)
    for _ in range(10):
        if not await runner.run_once():
            return


@SQLITE
def test_hi_on_the_english_page_gets_an_english_greeting(bot: Container) -> None:
    visitor = Visitor(bot)
    visitor.open_page("en-US")
    assert visitor.say("hi") == "Hi! How can I help you?"
    assert visitor.conversation_language() == "en"


@SQLITE
def test_without_a_page_language_the_greeting_is_in_spanish_as_before(bot: Container) -> None:
    visitor = Visitor(bot)
    visitor.open_page(None)
    assert visitor.say("hi") == "¡Hola! ¿En qué puedo ayudarte?"


@SQLITE
def test_a_clearly_spanish_message_on_the_english_page_gets_a_spanish_answer(
    bot: Container,
) -> None:
    visitor = Visitor(bot)
    visitor.open_page("en")
    reply = visitor.say("¿Aceptáis PayPal?")
    assert "Aceptamos tarjeta, PayPal y Bizum." in reply
    assert "Más información: /help/es/payment-methods" in reply  # the widget's own host
    assert visitor.conversation_language() == "es"
    # From then on the conversation is held in Spanish, even for a short word.
    assert visitor.say("hi") in small_talk("es")
    assert visitor.conversation_language() == "es"


@SQLITE
def test_moving_to_a_page_in_another_language_moves_the_fallback(bot: Container) -> None:
    visitor = Visitor(bot)
    visitor.open_page("es")
    assert visitor.say("hi") == "¡Hola! ¿En qué puedo ayudarte?"
    visitor.open_page("en")  # the visitor switches the store to English
    assert visitor.say("hi") in small_talk("en")
    assert visitor.conversation_language() == "en"


@SQLITE
def test_languages_other_than_spanish_and_english_are_not_taken(bot: Container) -> None:
    visitor = Visitor(bot)
    visitor.open_page("fr-FR")
    visitor.say("hi")
    with bot.uow() as uow:
        meta = uow.session.scalars(select(Message.meta).where(Message.direction == "inbound"))
        assert "page_language" not in meta.one()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("EN_gb", "en"),
        ("es", "es"),
        ("es-419", "es"),
        ("fr", None),
        ("", None),
        (None, None),
        (7, None),
        ("english", None),
    ],
)
def test_page_language_reads_language_tags(tag: object, expected: str | None) -> None:
    assert webchat.page_language(tag) == expected
