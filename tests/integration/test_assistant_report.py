"""The assistant's outcome report, read from what is stored, on every database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import make_inbox
from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.domain.enums import AuthorType, ChannelKind, IdentityKind
from ventanilla.domain.errors import InvalidInput
from ventanilla.services import inbound, outbound, resolutions
from ventanilla.storage.models import Conversation, Resolution


def conversation(
    c: Container, inbox: int, who: str, *, assistant: bool = True, **state: object
) -> int:
    got = inbound.receive(
        c.uow, inbox,
        InboundMessage(ChannelKind.WEBCHAT, f"m-{who}", SenderIdentity(IdentityKind.VISITOR, who),
                       text="hola"),
    )
    with c.uow() as uow:
        if assistant:
            outbound.post(uow, got.conversation_id, outbound.Reply("…", AuthorType.ASSISTANT))
        conv = uow.session.get(Conversation, got.conversation_id)
        assert conv is not None
        conv.assistant_state = dict(state)
        uow.commit()
    return got.conversation_id


def resolution(c: Container, conversation_id: int, status: str, **where: str) -> None:
    with c.uow() as uow:
        uow.session.add(Resolution(conversation_id=conversation_id, status=status, **where))
        uow.commit()


def read(c: Container, since: datetime, until: datetime) -> dict[str, Any]:
    with c.uow() as uow:
        return resolutions.report(uow.session, since, until)


def test_each_conversation_has_one_outcome(container: Container) -> None:
    c = container
    inbox = make_inbox(c, "webchat")
    thanked = conversation(c, inbox, "a")
    resolution(c, thanked, "cancelled", article_slug="returns")  # asked on, then thanked
    resolution(c, thanked, "confirmed", article_slug="returns")
    silent = conversation(c, inbox, "b")
    resolution(c, silent, "assumed", action="order_status")
    came_back = conversation(c, inbox, "c")
    resolution(c, came_back, "cancelled", article_slug="returns")
    handed = conversation(c, inbox, "d", handed_off=True, _handoff_reason="frustration")
    resolution(c, handed, "cancelled", article_slug="invoice")
    conversation(c, inbox, "e")  # clarified, then the customer left
    conversation(c, inbox, "f", assistant=False)  # the assistant never spoke: not counted
    now = datetime.now(UTC)
    report = read(c, now - timedelta(hours=1), now + timedelta(1))
    assert report["conversations"] == 5
    assert report["outcomes"] == {
        "confirmed": 1, "assumed": 1, "awaiting": 0, "handed_off": 1,
        "not_resolved": 1, "unanswered": 1,
    }
    assert report["resolution_rate"] == 40.0
    assert report["handoff_reasons"] == {"frustration": 1}
    assert report["answers"][0] == {
        "article": "returns", "action": None, "answered": 3,
        "confirmed": 1, "assumed": 0, "awaiting": 0, "not_resolved": 2,
    }
    later = read(c, now + timedelta(1), now + timedelta(2))
    assert later["conversations"] == 0 and later["answers"] == []


@pytest.mark.parametrize(
    ("since", "until", "problem"),
    [
        (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), "before"),
        (datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), "366 days"),
        (datetime(2026, 1, 1), datetime(2026, 2, 1), "time zone"),
    ],
)
def test_a_bad_period_is_refused(
    container: Container, since: datetime, until: datetime, problem: str
) -> None:
    with pytest.raises(InvalidInput, match=problem):
        read(container, since, until)
