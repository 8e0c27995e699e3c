"""A bilingual demo: a small coffee shop with agents, a team, inboxes and customers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.domain.enums import AuthorType, ChannelKind, IdentityKind, Role
from ventanilla.services import auth, contacts, inbound, knowledge, outbound, outbox
from ventanilla.services.demo_kb import ARTICLES
from ventanilla.services.uow import UowFactory
from ventanilla.storage.models import Inbox, Team, TeamMember, User

DEMO_IDENTITY_SECRET = "demo-identity-secret-0001"  # noqa: S105 - public demo data
DEMO_PASSWORD = "demo-ventanilla"  # noqa: S105 - public demo data, printed on start

USERS = [
    ("admin@tienda-demo.test", "Ana Admin", Role.ADMIN, "es"),
    ("lucia@tienda-demo.test", "Lucía Gómez", Role.AGENT, "es"),
    ("tom@tienda-demo.test", "Tom Baker", Role.AGENT, "en"),
    ("experta@tienda-demo.test", "Carmen Ruiz (experta)", Role.EXPERT, "es"),
]

HISTORY = [
    (
        "maria@example.com",
        "María López",
        ChannelKind.EMAIL,
        "Hola, mi pedido 10023 no ha llegado todavía. ¿Podéis mirarlo?",
        "Hola María, lo revisamos: sale hoy por mensajería. ¡Perdona el retraso!",
    ),
    (
        "john@example.com",
        "John Smith",
        ChannelKind.EMAIL,
        "Hi, can I change the grind size on my subscription?",
        "Hi John, sure: tell us which grind you prefer and we update it.",
    ),
]


@dataclass
class DemoInfo:
    created: bool
    tokens: dict[str, str] = field(default_factory=dict)


def load(uow_factory: UowFactory) -> DemoInfo:
    """Create the demo once; later calls only issue fresh tokens."""
    with uow_factory() as uow:
        s = uow.session
        created = (s.scalar(select(func.count()).select_from(User)) or 0) == 0
        if created:
            _people(s)
            _inboxes(s)
            knowledge.upsert_many(s, ARTICLES, None)
        tokens = {}
        for user in s.scalars(select(User).where(User.role.in_(["admin", "agent"]))).all():
            tokens[user.email] = auth.issue_token(s, user, "demo")
        uow.commit()
    if created:
        _history(uow_factory)
    return DemoInfo(created, tokens)


def _people(s: Session) -> None:
    users = [auth.create_user(s, e, n, r, DEMO_PASSWORD, language=lang) for e, n, r, lang in USERS]
    team = Team(name="Soporte / Support")
    s.add(team)
    s.flush()
    for u in users[1:3]:
        s.add(TeamMember(team_id=team.id, user_id=u.id))


def _inboxes(s: Session) -> None:
    team_id = s.scalars(select(Team.id)).first()
    s.add_all(
        [
            Inbox(
                name="Chat web / Web chat",
                channel=ChannelKind.WEBCHAT.value,
                team_id=team_id,
                secret=DEMO_IDENTITY_SECRET,
            ),
            Inbox(
                name="Correo / Email",
                channel=ChannelKind.EMAIL.value,
                team_id=team_id,
                settings={
                    "address": "hola@tienda-demo.test",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": 2525,
                },
            ),
            Inbox(name="API", channel=ChannelKind.API.value, team_id=team_id),
        ]
    )
    s.flush()


def _history(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        email_inbox = uow.session.scalars(
            select(Inbox.id).where(Inbox.channel == ChannelKind.EMAIL.value)
        ).one()
        agent_id = uow.session.scalars(select(User.id).where(User.role == "agent")).first()
    for n, (addr, name, channel, question, answer) in enumerate(HISTORY):
        got = inbound.receive(
            uow_factory,
            email_inbox,
            InboundMessage(
                channel=channel,
                external_id=f"demo-{n}@tienda-demo.test",
                sender=SenderIdentity(IdentityKind.EMAIL, addr, name, verified=True),
                text=question,
                subject=question[:60],
            ),
        )
        with uow_factory() as uow:
            contacts.canonical(uow.session, got.contact_id).language = "es" if n == 0 else "en"
            reply = outbound.Reply(answer, AuthorType.AGENT, agent_id)
            msg = outbound.post(uow, got.conversation_id, reply)
            msg.delivery_status = "sent"  # history: already delivered
            uow.session.flush()
            outbox.cancel(uow.session, f"deliver:{msg.id}")
            uow.commit()


DEMO_STORE_KEY = "demo-store-key-0001"

# The demo store's orders, served by web/demo_store.py to the assistant's connector.
ORDERS: dict[str, dict[str, Any]] = {
    "10023": {
        "id": "10023",
        "status": "shipped",
        "customer": {"email": "maria@example.com", "phone": "+34600111222"},
        "delivery": {"carrier": "SEUR", "eta": "2026-11-27"},
    },
    "10045": {
        "id": "10045",
        "status": "processing",
        "customer": {"email": "john@example.com"},
        "delivery": {"carrier": "Correos Express", "eta": "2026-11-30"},
    },
    "10051": {
        "id": "10051",
        "status": "returned",
        "customer": {"email": "maria@example.com"},
        "refund": {"status": "issued", "amount": "24,00 €"},
    },
}
