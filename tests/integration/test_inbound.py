"""The one inbound pipeline: dedupe, identity, one conversation across channels."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.helpers import make_inbox, make_user
from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.domain.enums import ChannelKind, ConversationStatus, IdentityKind, Role
from ventanilla.domain.errors import InvalidInput, NotFound
from ventanilla.services import contacts, conversations, inbound
from ventanilla.services.auth import Principal
from ventanilla.storage.models import AuditEntry, Contact, Conversation, Message


def admin(container: Container) -> Principal:
    uid, _ = make_user(container, Role.ADMIN)
    return Principal(uid, Role.ADMIN, "admin")


def api_msg(ext: str, sender: str, text: str = "hola", **kw: object) -> InboundMessage:
    return InboundMessage(
        channel=ChannelKind.API,
        external_id=ext,
        sender=SenderIdentity(IdentityKind.EXTERNAL, sender),
        text=text,
        **kw,  # type: ignore[arg-type]
    )


def email_msg(
    ext: str, addr: str, text: str = "hello", refs: tuple[str, ...] = ()
) -> InboundMessage:
    return InboundMessage(
        channel=ChannelKind.EMAIL,
        external_id=ext,
        sender=SenderIdentity(IdentityKind.EMAIL, addr, verified=True),
        text=text,
        thread_refs=refs,
    )


def count(container: Container, model: type) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_same_delivery_twice_is_stored_once(container: Container) -> None:
    inbox = make_inbox(container, "api")
    first = inbound.receive(container.uow, inbox, api_msg("m1", "u1"))
    again = inbound.receive(container.uow, inbox, api_msg("m1", "u1"))
    assert not first.duplicate and again.duplicate
    assert again.message_id == first.message_id
    assert count(container, Message) == 1


def test_a_customer_switching_channels_stays_in_one_conversation(container: Container) -> None:
    email_inbox = make_inbox(container, "email")
    api_inbox = make_inbox(container, "api")
    by_mail = inbound.receive(container.uow, email_inbox, email_msg("a@x", "Maria@Example.com"))
    proof = SenderIdentity(IdentityKind.EMAIL, "maria@example.com", verified=True)
    by_app = inbound.receive(
        container.uow, api_inbox, api_msg("m1", "app-42", other_identities=(proof,))
    )
    assert by_app.conversation_id == by_mail.conversation_id
    assert by_app.contact_id == by_mail.contact_id
    with container.uow() as uow:
        conv = uow.session.get(Conversation, by_mail.conversation_id)
        assert conv is not None and conv.last_inbox_id == api_inbox  # reply where they last wrote
        kinds = {i.kind for i in contacts.canonical(uow.session, by_mail.contact_id).identities}
    assert kinds == {"email", "external"}


def test_a_verified_identity_merges_two_contacts_and_keeps_both_histories(
    container: Container,
) -> None:
    api_inbox = make_inbox(container, "api")
    email_inbox = make_inbox(container, "email")
    app = inbound.receive(container.uow, api_inbox, api_msg("m1", "app-7", "desde la app"))
    mail = inbound.receive(container.uow, email_inbox, email_msg("b@x", "pepe@example.com"))
    assert app.contact_id != mail.contact_id
    with container.uow() as uow:
        keep = contacts.canonical(uow.session, app.contact_id)
        merged = contacts.add_identity(
            uow.session, keep, IdentityKind.EMAIL, "pepe@example.com", verified=True
        )
        uow.commit()
        survivor = merged.id
    with container.uow() as uow:
        owners = set(uow.session.scalars(select(Conversation.contact_id)).all())
        dropped = uow.session.get(
            Contact, mail.contact_id if survivor == app.contact_id else app.contact_id
        )
        audit = uow.session.scalars(select(AuditEntry.action)).all()
    assert owners == {survivor}
    assert dropped is not None and dropped.merged_into_id == survivor
    assert "contact.merged" in audit
    assert count(container, Message) == 2


def test_an_unverified_claim_on_someone_elses_address_is_refused(container: Container) -> None:
    email_inbox = make_inbox(container, "email")
    inbound.receive(container.uow, email_inbox, email_msg("c@x", "ana@example.com"))
    with container.uow() as uow:
        stranger = contacts.resolve(uow.session, IdentityKind.EXTERNAL, "someone")
        with pytest.raises(Exception, match="belongs to contact"):
            contacts.add_identity(
                uow.session, stranger, IdentityKind.EMAIL, "ana@example.com", verified=False
            )


def test_writing_after_resolution_opens_a_new_conversation(container: Container) -> None:
    inbox = make_inbox(container, "api")
    first = inbound.receive(container.uow, inbox, api_msg("m1", "u1"))
    with container.uow() as uow:
        conversations.change_status(
            uow, admin(container), first.conversation_id, ConversationStatus.RESOLVED
        )
        uow.commit()
    second = inbound.receive(container.uow, inbox, api_msg("m2", "u1"))
    assert second.conversation_id != first.conversation_id
    assert second.contact_id == first.contact_id


def test_an_email_reply_in_a_resolved_thread_reopens_it(container: Container) -> None:
    inbox = make_inbox(container, "email")
    first = inbound.receive(container.uow, inbox, email_msg("t1@x", "leo@example.com"))
    with container.uow() as uow:
        conversations.change_status(
            uow, admin(container), first.conversation_id, ConversationStatus.RESOLVED
        )
        uow.commit()
    reply = inbound.receive(
        container.uow, inbox, email_msg("t2@x", "leo@example.com", refs=("t1@x",))
    )
    assert reply.conversation_id == first.conversation_id
    with container.uow() as uow:
        conv = uow.session.get(Conversation, first.conversation_id)
        assert conv is not None and conv.status == "open"


def test_a_pipeline_error_stores_nothing(container: Container) -> None:
    inbox = make_inbox(container, "api")
    with pytest.raises(InvalidInput):
        inbound.receive(container.uow, inbox, api_msg("m1", "u1", "x" * 100_001))
    with pytest.raises(NotFound):
        inbound.receive(container.uow, 9999, api_msg("m1", "u1"))
    with pytest.raises(InvalidInput, match="api inbox"):
        inbound.receive(container.uow, inbox, email_msg("e@x", "a@example.com"))
    assert count(container, Message) == 0
    assert count(container, Contact) == 0
