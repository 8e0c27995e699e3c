"""The assistant answering first in real conversations, with the demo knowledge base."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.helpers import make_inbox, make_user
from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.config import Settings
from ventanilla.domain.enums import ChannelKind, IdentityKind, Role
from ventanilla.jobs.runner import OutboxRunner
from ventanilla.services import auth, inbound, knowledge, resolutions, webchat
from ventanilla.services.demo_kb import ARTICLES
from ventanilla.services.views import message_view
from ventanilla.storage.models import Conversation, Message, Resolution
from ventanilla.web.app import create_app

ORDERS = {
    "10023": {
        "status": "shipped",
        "customer": {"email": "maria@example.com"},
        "delivery": {"carrier": "SEUR", "eta": "2026-11-27"},
    },
    "10045": {"status": "processing", "customer": {"email": "john@example.com"}},
    "10051": {
        "status": "returned",
        "customer": {"email": "maria@example.com"},
        "refund": {"status": "issued", "amount": "24,00 €"},
    },
}
BROKEN_ORDER = "50000"  # the store fails to answer for it


def store(request: httpx.Request) -> httpx.Response:
    if request.headers.get("x-store-key") != "k":
        return httpx.Response(401)
    path = request.url.path.removesuffix("/cancel")
    order = path.rsplit("/", 1)[-1]
    if order == BROKEN_ORDER:
        return httpx.Response(503)
    if order not in ORDERS:
        return httpx.Response(404)
    if request.method == "POST":  # a cancellation: only before the order leaves
        if ORDERS[order]["status"] != "processing":
            return httpx.Response(409)
        return httpx.Response(200, json={"ok": True})
    return httpx.Response(200, content=json.dumps(ORDERS[order]))


@pytest.fixture
def bot(settings: Settings) -> Iterator[Container]:
    s = settings.model_copy(
        update={
            "assistant_enabled": True,
            "store_order_url": "http://store.test/orders/{order}",
            "store_cancel_url": "http://store.test/orders/{order}/cancel",
            "store_auth_header": "x-store-key: k",
        }
    )
    c = Container(s, http=httpx.AsyncClient(transport=httpx.MockTransport(store)))
    with c.uow() as uow:
        knowledge.upsert_many(uow.session, ARTICLES, None)
        uow.commit()
    yield c
    c.engine.dispose()


class Chat:
    def __init__(self, container: Container, channel: str, sender: SenderIdentity) -> None:
        self.c = container
        self.inbox = make_inbox(container, channel)
        self.sender = sender
        self.channel = ChannelKind(channel)
        self.n = 0
        self.conversation_id = 0

    def say(self, text: str, meta: dict[str, str] | None = None) -> str:
        """Send a customer message, run the jobs, return what the assistant answered."""
        self.n += 1
        got = inbound.receive(
            self.c.uow,
            self.inbox,
            InboundMessage(
                channel=self.channel, external_id=f"m{self.n}", sender=self.sender, text=text,
                meta=meta or {},
            ),
        )
        self.conversation_id = got.conversation_id
        asyncio.run(drain(self.c))
        with self.c.uow() as uow:
            rows = uow.session.scalars(
                select(Message).where(
                    Message.conversation_id == got.conversation_id,
                    Message.id > got.message_id,
                    Message.author_type == "assistant",
                )
            ).all()
            return "\n".join(m.text for m in rows)

    def conversation(self) -> Conversation:
        with self.c.uow() as uow:
            conv = uow.session.get(Conversation, self.conversation_id)
            assert conv is not None
            return conv

    def notes(self) -> list[str]:
        with self.c.uow() as uow:
            return list(
                uow.session.scalars(
                    select(Message.text).where(
                        Message.conversation_id == self.conversation_id, Message.private
                    )
                ).all()
            )


async def drain(container: Container) -> None:
    runner = OutboxRunner(container)
    for _ in range(10):
        if not await runner.run_once():
            return


def visitor(name: str = "v1") -> SenderIdentity:
    return SenderIdentity(IdentityKind.VISITOR, name)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_it_answers_in_the_customers_language_from_the_knowledge_base(bot: Container) -> None:
    chat = Chat(bot, "webchat", visitor())
    assert "4,90" in chat.say("¿Cuánto cuesta el envío?")
    english = Chat(bot, "webchat", visitor("v2"))
    reply = english.say("How much does shipping cost?")
    assert "4.90" in reply and "free" in reply


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_english_question_about_a_spanish_only_article_says_so(bot: Container) -> None:
    chat = Chat(bot, "webchat", visitor())
    reply = chat.say("Do you have a discount for coffee shops?")
    assert "15 %" in reply
    assert "only available in Spanish" in reply


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_asking_for_a_person_hands_off_with_a_summary_and_the_bot_steps_back(
    bot: Container,
) -> None:
    chat = Chat(bot, "webchat", visitor())
    reply = chat.say("Quiero hablar con una persona, mi pedido 10023 no llega")
    assert "persona" in reply
    conv = chat.conversation()
    assert "handoff" in conv.tags and conv.status == "open" and conv.assignee_id is None
    [summary] = chat.notes()
    assert "10023" in summary
    with bot.uow() as uow:
        first = uow.session.scalars(
            select(Message)
            .where(Message.conversation_id == chat.conversation_id)
            .order_by(Message.id)
        ).first()
        assert first is not None and first.meta["language"] == "es"
        assert first.meta["sentiment"] in ("negative", "neutral", "positive")
    assert chat.say("¿Hola?") == ""  # a person has it now: the assistant stays quiet


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_order_status_is_only_revealed_to_the_verified_owner(bot: Container) -> None:
    owner = Chat(
        bot, "email", SenderIdentity(IdentityKind.EMAIL, "maria@example.com", verified=True)
    )
    reply = owner.say("¿Dónde está mi pedido 10023?")
    assert "ya está en camino" in reply and "SEUR" in reply
    stranger = Chat(bot, "webchat", visitor("nosy"))
    reply = stranger.say("¿Dónde está mi pedido 10023?")
    assert "en camino" not in reply and "privacidad" in reply
    assert "handoff" in stranger.conversation().tags


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_confirmed_answer_counts_as_resolved_and_silence_is_assumed(bot: Container) -> None:
    chat = Chat(bot, "webchat", visitor())
    chat.say("¿Aceptáis PayPal?")
    chat.say("Sí, gracias, era eso")
    silent = Chat(bot, "webchat", visitor("v9"))
    silent.say("¿Cómo cambio la molienda de mi suscripción?")
    with bot.uow() as uow:
        assert resolutions.sweep_assumed(uow, timedelta(seconds=-1)) == 1
        uow.commit()
    with bot.uow() as uow:
        states = {r.conversation_id: r.status for r in uow.session.scalars(select(Resolution))}
    assert states == {chat.conversation_id: "confirmed", silent.conversation_id: "assumed"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_automatic_mail_never_gets_an_assistant_reply(bot: Container) -> None:
    inbox = make_inbox(bot, "email")
    got = inbound.receive(
        bot.uow,
        inbox,
        InboundMessage(
            channel=ChannelKind.EMAIL,
            external_id="auto-1",
            text="Estoy fuera de la oficina",
            sender=SenderIdentity(IdentityKind.EMAIL, "away@example.com"),
            automatic=True,
        ),
    )
    asyncio.run(drain(bot))
    with bot.uow() as uow:
        authors = uow.session.scalars(
            select(Message.author_type).where(Message.conversation_id == got.conversation_id)
        ).all()
    assert list(authors) == ["customer"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_configured_language_model_rewords_the_answer_with_its_source(
    settings: Settings,
) -> None:
    prompts: list[str] = []
    reworded = "El envío te cuesta 4,90 € y es gratis si tu compra supera los 40 € [1]."

    def endpoints(request: httpx.Request) -> httpx.Response:
        if request.url.host != "llm.test":
            return store(request)
        body = json.loads(request.content)
        prompts.append("\n".join(m["content"] for m in body["messages"]))
        choice = {"index": 0, "message": {"role": "assistant", "content": reworded}}
        return httpx.Response(200, json={"choices": [{**choice, "finish_reason": "stop"}]})

    s = settings.model_copy(
        update={"assistant_enabled": True, "llm_url": "http://llm.test/v1", "llm_model": "m"}
    )
    c = Container(s, http=httpx.AsyncClient(transport=httpx.MockTransport(endpoints)))
    with c.uow() as uow:
        knowledge.upsert_many(uow.session, ARTICLES, None)
        uow.commit()
    try:
        chat = Chat(c, "webchat", visitor())
        answer = chat.say("Hola, ¿cuánto cuesta el envío a mi casa?")
    finally:
        c.engine.dispose()

    assert answer == f"{reworded}\n\nFuentes:\n[1] Gastos de envío: /help/es/shipping-costs"
    [prompt] = prompts
    assert "4,90" in prompt  # grounded in the article's own text


def resolution_states(container: Container) -> dict[int, list[str]]:
    with container.uow() as uow:
        rows = uow.session.scalars(select(Resolution).order_by(Resolution.id)).all()
        found: dict[int, list[str]] = {}
        for r in rows:
            found.setdefault(r.conversation_id, []).append(r.status)
        return found


def age_resolutions(container: Container, conversation_id: int, days: int) -> None:
    with container.uow() as uow:
        for r in uow.session.scalars(
            select(Resolution).where(Resolution.conversation_id == conversation_id)
        ):
            r.answered_at = r.answered_at - timedelta(days=days)
            if r.resolved_at is not None:
                r.resolved_at = r.resolved_at - timedelta(days=days)
        uow.commit()


def customer(address: str) -> SenderIdentity:
    return SenderIdentity(IdentityKind.EMAIL, address, verified=True)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_coming_back_within_seven_days_reopens_a_resolution(bot: Container) -> None:
    recent = Chat(bot, "email", customer("ana@example.com"))
    recent.say("¿Aceptáis PayPal?")
    recent.say("Sí, gracias, era eso")
    older = Chat(bot, "email", customer("luis@example.com"))
    older.say("¿Aceptáis PayPal?")
    older.say("Sí, gracias, era eso")
    assert resolution_states(bot) == {
        recent.conversation_id: ["confirmed"], older.conversation_id: ["confirmed"]
    }
    age_resolutions(bot, recent.conversation_id, days=3)
    age_resolutions(bot, older.conversation_id, days=8)
    # Both write again (the answer starts a new wait for "did this solve it?").
    for chat in (recent, older):
        assert "Bizum" in chat.say("Otra cosa: ¿qué formas de pago aceptáis?")
    states = resolution_states(bot)
    assert states[recent.conversation_id] == ["cancelled", "awaiting"]  # 3 days: it came back
    assert states[older.conversation_id] == ["confirmed", "awaiting"]  # 8 days: a new problem


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_order_status_given_by_the_assistant_can_be_confirmed(bot: Container) -> None:
    owner = Chat(bot, "email", customer("maria@example.com"))
    assert "en camino" in owner.say("¿Dónde está mi pedido 10023?")
    owner.say("Perfecto, gracias")
    with bot.uow() as uow:
        rows = uow.session.scalars(select(Resolution)).all()
        assert [(r.action, r.article_slug, r.status) for r in rows] == [
            ("order_status", None, "confirmed")
        ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_clarification_carries_its_quick_replies_to_the_widget_and_the_api(
    bot: Container,
) -> None:
    chat = Chat(bot, "webchat", visitor())
    reply = chat.say("envío")
    assert "1. Gastos de envío" in reply  # channels without buttons read them in the text
    with bot.uow() as uow:
        msgs = uow.session.scalars(
            select(Message).where(Message.conversation_id == chat.conversation_id)
        ).all()
        views = [message_view(m) for m in msgs]
    assert [v["quick_replies"] for v in views] == [
        [], ["Gastos de envío", "Plazos de envío", "Ninguna de estas"]
    ]
    assert webchat.public_view(views[1])["quick_replies"] == views[1]["quick_replies"]
    assert "2 a 4 días" in chat.say("Plazos de envío")  # the tapped title picks it
    with bot.uow() as uow:
        last = uow.session.scalars(
            select(Message).where(Message.conversation_id == chat.conversation_id)
            .order_by(Message.id.desc())
        ).first()
        assert last is not None
        assert "2 a 4 días" in last.text
        assert message_view(last)["quick_replies"] == []  # an answer offers none


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_assistant_signs_its_emails_as_a_virtual_assistant(bot: Container) -> None:
    mail = Chat(bot, "email", customer("ana@example.com"))
    assert mail.say("¿Aceptáis PayPal?").endswith(
        "Asistente virtual (respuesta automática). Si prefieres que te atienda alguien del "
        "equipo, dilo en tu respuesta."
    )
    mail.say("Sí, gracias, era eso")
    assert resolution_states(bot) == {mail.conversation_id: ["confirmed"]}
    chat = Chat(bot, "webchat", visitor())
    assert "Asistente virtual" not in chat.say("¿Aceptáis PayPal?")  # the widget labels it


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sarcastic_thanks_for_an_order_status_is_not_a_resolution(bot: Container) -> None:
    owner = Chat(bot, "email", customer("maria@example.com"))
    assert "en camino" in owner.say("¿Dónde está mi pedido 10023?")
    owner.say("Genial, otro retraso. Gracias por nada.")
    with bot.uow() as uow:
        statuses = [r.status for r in uow.session.scalars(select(Resolution))]
    assert "confirmed" not in statuses
    assert owner.conversation().assistant_state.get("_handoff_reason") == "frustration"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_report_says_what_the_assistant_resolved_and_handed_off(bot: Container) -> None:
    started = datetime.now(UTC) - timedelta(minutes=1)
    paypal = Chat(bot, "webchat", visitor("a"))
    paypal.say("¿Aceptáis PayPal?")
    paypal.say("Sí, gracias")
    Chat(bot, "webchat", visitor("b")).say("¿Cómo cambio la molienda de mi suscripción?")
    with bot.uow() as uow:
        assert resolutions.sweep_assumed(uow, timedelta(seconds=-1)) == 1
        uow.commit()
    person = Chat(bot, "webchat", visitor("c"))
    person.say("Quiero hablar con una persona")
    order = Chat(bot, "email", customer("maria@example.com"))
    order.say("¿Dónde está mi pedido 10023?")
    order.say("Perfecto, gracias")
    Chat(bot, "webchat", visitor("d")).say("How much does shipping cost?")
    Chat(bot, "webchat", visitor("e")).say("hola")
    _, admin = make_user(bot, Role.ADMIN)
    _, agent = make_user(bot, Role.AGENT)
    with TestClient(create_app(container=bot)) as client:

        def get(token: str | None, **params: str) -> httpx.Response:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            return client.get("/api/v1/assistant/report", headers=headers, params=params)

        report = get(admin).json()
        assert report["conversations"] == 6
        assert report["outcomes"] == {
            "confirmed": 2, "assumed": 1, "awaiting": 1, "handed_off": 1,
            "not_resolved": 0, "unanswered": 1,
        }
        assert report["resolution_rate"] == 50.0 and report["handoff_rate"] == 16.7
        assert report["handoff_reasons"] == {"asked_for_human": 1}
        assert report["languages"]["en"] == {
            "conversations": 1, "resolved": 0, "resolution_rate": 0.0
        }
        answers = {(a["article"], a["action"]): a for a in report["answers"]}
        assert answers[("payment-methods", None)]["confirmed"] == 1
        assert answers[(None, "order_status")]["confirmed"] == 1
        assert answers[("subscription", None)]["assumed"] == 1
        # The period is the conversations' start: none started before these.
        earlier = {"until": started.isoformat(), "since": (started - timedelta(days=1)).isoformat()}
        empty = get(admin, **earlier).json()
        assert empty["conversations"] == 0 and empty["resolution_rate"] is None
        assert get(agent).status_code == 403
        assert get(None).status_code == 401
        backwards = get(admin, since=started.isoformat(), until=earlier["since"])
        assert backwards.status_code == 422 and "before" in backwards.json()["error"]["message"]
        assert get(admin, since="yesterday").status_code == 422


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_coming_back_to_a_person_also_reopens_a_resolution(bot: Container) -> None:
    chat = Chat(bot, "email", customer("ana@example.com"))
    chat.say("¿Aceptáis PayPal?")
    chat.say("Sí, gracias, era eso")
    age_resolutions(bot, chat.conversation_id, days=2)
    agent, _ = make_user(bot, Role.AGENT)
    with bot.uow() as uow:
        conv = uow.session.get(Conversation, chat.conversation_id)
        assert conv is not None
        conv.assignee_id = agent
        uow.commit()
    assert chat.say("El pago con PayPal me sigue fallando") == ""  # the person answers
    assert resolution_states(bot) == {chat.conversation_id: ["cancelled"]}


def note_lines(chat: Chat) -> dict[str, str]:
    """The hand-off note the agent reads, by label."""
    [note] = chat.notes()
    return dict(line.split(": ", 1) for line in note.splitlines())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_question_about_several_orders_answers_each_in_one_reply(bot: Container) -> None:
    owner = Chat(bot, "email", customer("maria@example.com"))
    reply = owner.say("Hola, mi pedido 10023 y el 10051, ¿cómo van?")
    lines = reply.split("\n\n")[0].splitlines()  # the signature comes after a blank line
    assert len(lines) == 2
    assert lines[0].startswith("Tu pedido 10023 ya está en camino. Entrega prevista: 27 de")
    assert lines[1] == "El pedido 10051 se ha devuelto."
    assert owner.notes() == [] and "handoff" not in owner.conversation().tags
    reply = owner.say("And the refunds for orders 10051 and 10023?")
    assert reply.split("\n\n")[0].splitlines() == [
        "We've issued the refund of 24,00 € for order 10051.",
        "We see no refund on order 10023.",
    ]
    owner.say("Quiero hablar con una persona")
    note = note_lines(owner)
    assert note["Qué se intentó"] == (
        "consulta del estado de los pedidos 10023 y 10051; consulta del reembolso de los "
        "pedidos 10051 y 10023"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_order_not_the_customers_among_several_is_the_reason_for_the_hand_off(
    bot: Container,
) -> None:
    owner = Chat(bot, "email", customer("maria@example.com"))
    reply = owner.say("¿Cómo van mis pedidos 10023 y 10045?")
    assert "Tu pedido 10023 ya está en camino" in reply
    assert "Por tu privacidad solo puedo dar datos del pedido 10045" in reply
    assert "preparando" not in reply  # nothing about someone else's order
    note = note_lines(owner)
    assert note["Qué se intentó"] == "consulta del estado del pedido 10023"
    assert note["Motivo del traspaso"] == (
        "El pedido no está a nombre de ningún correo o teléfono verificado del cliente, así "
        "que no se hizo la consulta del estado del pedido 10045."
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_refused_cancellation_tells_the_agent_why(bot: Container) -> None:
    owner = Chat(bot, "email", customer("maria@example.com"))
    assert "10023" in owner.say("¿Dónde está mi pedido 10023?")
    owner.say("Quiero cancelar el pedido 10023")
    reply = owner.say("Sí")
    assert reply.startswith("No puedo cancelar el pedido 10023 porque ya está en camino")
    note = note_lines(owner)
    assert note["Qué se intentó"] == "consulta del estado del pedido 10023"
    assert note["Motivo del traspaso"] == (
        "La tienda no aceptó la cancelación del pedido 10023 porque ya está en camino."
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_store_that_does_not_answer_is_the_reason_for_the_hand_off(bot: Container) -> None:
    owner = Chat(bot, "email", customer("maria@example.com"))
    reply = owner.say(f"Where is my order {BROKEN_ORDER}?")
    assert reply == "I can't look up orders right now; I'm passing you to a person on our team."
    assert note_lines(owner)["Hand-off reason"] == (
        f"The store could not be reached for the status check of order {BROKEN_ORDER}."
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_email_from_an_unproven_sender_is_the_reason_for_the_hand_off(
    bot: Container,
) -> None:
    mail = Chat(bot, "email", customer("maria@example.com"))
    reply = mail.say("¿Dónde está mi pedido 10023?", {"sender_auth": "fail"})
    assert "en camino" not in reply and "No puedo comprobar que este correo" in reply
    assert note_lines(mail)["Motivo del traspaso"] == (
        "No se pudo comprobar que el correo venga de verdad de la dirección del cliente, así "
        "que no se hizo la consulta del estado del pedido 10023."
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_agents_read_the_note_in_their_own_language(bot: Container) -> None:
    with bot.uow() as uow:
        auth.create_user(uow.session, "ann@example.test", "Ann", Role.AGENT, language="en")
        uow.commit()
    stranger = Chat(bot, "webchat", visitor("nosy"))
    reply = stranger.say("¿Dónde está mi pedido 10023?")
    assert "privacidad" in reply  # the customer is answered in their language
    note = note_lines(stranger)
    assert note["Wants"] == "¿Dónde está mi pedido 10023?"
    assert note["Language"] == "Spanish"
    assert note["Hand-off reason"] == (
        "The order is not under any of the customer's verified email addresses or phones, "
        "so the status check of order 10023 was not done."
    )
