"""Mail in and out through real SMTP on loopback, stored in a real database."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from email_dkim import FakeDns
from email_servers import OutsideWorld
from sqlalchemy import select
from tests.helpers import make_inbox

from ventanilla.bootstrap import Container
from ventanilla.channels.email.receiver import SmtpReceiver
from ventanilla.domain.enums import ConversationStatus
from ventanilla.jobs.runner import OutboxRunner
from ventanilla.services import outbound
from ventanilla.services.email_ingest import receive_raw_email, start_smtp_receiver
from ventanilla.storage.models import Conversation, Message, RawEvent

SUPPORT = "soporte@tienda.example"


@dataclass
class Mail:
    container: Container
    inbox_id: int
    receiver: SmtpReceiver
    world: OutsideWorld

    async def send_in(self, msg: EmailMessage, mail_from: str = "ana@example.com") -> None:
        def go() -> None:
            with smtplib.SMTP("127.0.0.1", self.receiver.port, timeout=10) as client:
                client.send_message(msg, from_addr=mail_from, to_addrs=[SUPPORT])

        await asyncio.to_thread(go)

    def messages(self) -> list[Message]:
        with self.container.uow() as uow:
            return list(uow.session.scalars(select(Message).order_by(Message.id)))

    def conversation(self, conversation_id: int) -> Conversation:
        with self.container.uow() as uow:
            conv = uow.session.get(Conversation, conversation_id)
            assert conv is not None
            return conv

    async def agent_replies(self, conversation_id: int, text: str) -> Message:
        with self.container.uow() as uow:
            msg = outbound.post(uow, conversation_id, outbound.Reply(text=text))
            uow.commit()
        await OutboxRunner(self.container).run_once()
        with self.container.uow() as uow:
            sent = uow.session.get(Message, msg.id)
            assert sent is not None
            return sent


@pytest.fixture
async def mail(container: Container) -> AsyncIterator[Mail]:
    async with OutsideWorld() as world:
        settings = {"address": SUPPORT, "from_name": "Soporte", "smtp_host": "127.0.0.1",
                    "smtp_port": world.port}
        inbox_id = make_inbox(container, "email", settings)
        receiver = await start_smtp_receiver(container, port=0, dns=FakeDns())
        try:
            yield Mail(container, inbox_id, receiver, world)
        finally:
            await receiver.stop()


def customer_mail(text: str, subject: str = "Mi pedido", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ana Pérez <ana@example.com>"
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.com")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    return msg


async def test_mail_sent_to_our_smtp_receiver_opens_a_conversation(mail: Mail) -> None:
    await mail.send_in(customer_mail("¿Dónde está mi pedido?\n\n-- \nAna"))
    (msg,) = mail.messages()
    assert msg.text == "¿Dónde está mi pedido?"
    assert msg.direction == "inbound"
    conv = mail.conversation(msg.conversation_id)
    assert conv.subject == "Mi pedido"
    assert conv.status == ConversationStatus.OPEN.value


async def test_the_same_mail_delivered_twice_is_stored_once(mail: Mail) -> None:
    first = customer_mail("Hola")
    await mail.send_in(first)
    await mail.send_in(first)
    assert len(mail.messages()) == 1
    with mail.container.uow() as uow:
        assert len(list(uow.session.scalars(select(RawEvent.id)))) == 1


async def test_our_reply_threads_and_the_customer_answer_joins_the_conversation(
    mail: Mail,
) -> None:
    question = customer_mail("¿Dónde está mi pedido?")
    await mail.send_in(question)
    (inbound,) = mail.messages()
    ours = await mail.agent_replies(inbound.conversation_id, "Sale hoy.")
    assert ours.delivery_status == "sent"

    (sent,) = mail.world.handler.received
    received = sent.message
    assert sent.rcpt_tos == ["ana@example.com"]
    assert received["Message-ID"] == f"<{ours.external_id}>"
    assert received["In-Reply-To"] == question["Message-ID"]
    assert received["References"] == question["Message-ID"]
    assert received["Subject"] == "Re: Mi pedido"
    assert "Auto-Submitted" not in received

    with mail.container.uow() as uow:  # the agent resolved it meanwhile
        conv = uow.session.get(Conversation, inbound.conversation_id)
        assert conv is not None
        conv.status = ConversationStatus.RESOLVED.value
        uow.commit()
    answer = customer_mail(
        "Gracias, llegó.\n\nEl lun, 3 jun 2024, Soporte escribió:\n> Sale hoy.",
        subject="Re: Mi pedido",
        In_Reply_To=received["Message-ID"],
        References=f"{question['Message-ID']} {received['Message-ID']}",
    )
    await mail.send_in(answer)
    latest = mail.messages()[-1]
    assert latest.text == "Gracias, llegó."
    assert latest.conversation_id == inbound.conversation_id
    assert mail.conversation(inbound.conversation_id).status == ConversationStatus.OPEN.value


async def test_an_auto_reply_is_stored_but_flagged_automatic(mail: Mail) -> None:
    await mail.send_in(customer_mail("Hola"))
    (first,) = mail.messages()
    with mail.container.uow() as uow:
        conv = uow.session.get(Conversation, first.conversation_id)
        assert conv is not None
        conv.status = ConversationStatus.PENDING.value
        uow.commit()
    vacation = customer_mail("Estoy de vacaciones.", subject="Auto: Mi pedido",
                             Auto_Submitted="auto-replied")
    await mail.send_in(vacation, mail_from="")
    auto = mail.messages()[-1]
    assert auto.text == "Estoy de vacaciones."
    assert auto.meta["automatic"] == "1"
    # a machine's answer does not reopen a conversation waiting on the customer
    assert mail.conversation(first.conversation_id).status == ConversationStatus.PENDING.value


def bounce_for(message_id: str, recipient: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        f"To: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\nMessage-ID: <bounce-1@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: mailbox unavailable\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SUPPORT}\r\nTo: {recipient}\r\nMessage-ID: <{message_id}>\r\n"
        "--B--\r\n"
    ).encode()


async def test_a_bounce_marks_our_message_failed_with_the_reason(mail: Mail) -> None:
    await mail.send_in(customer_mail("Hola"))
    (inbound,) = mail.messages()
    ours = await mail.agent_replies(inbound.conversation_id, "Hola Ana")
    assert ours.external_id
    bounce = bounce_for(ours.external_id, "ana@example.com")
    await receive_raw_email(mail.container, mail.inbox_id, bounce, dns=FakeDns())
    failed = next(m for m in mail.messages() if m.id == ours.id)
    assert failed.delivery_status == "failed"
    assert failed.delivery_error == (
        "ana@example.com: 550 5.1.1 <ana@example.com>: mailbox unavailable"
    )
    assert len(mail.messages()) == 2  # the report itself is not a customer message
