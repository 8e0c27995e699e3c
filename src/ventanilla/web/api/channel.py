"""The generic API channel: the company's systems post customer messages here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ventanilla.bootstrap import Container
from ventanilla.channels.api import ApiChannel
from ventanilla.channels.base import InboundMessage
from ventanilla.domain.enums import Role
from ventanilla.services.inbound_batch import GroupCommit, writers_for
from ventanilla.web.deps import get_container, get_principal

router = APIRouter(tags=["api channel"])


def _group_commit(request: Request, container: Container) -> GroupCommit:
    """One group committer per application: messages posted together share a transaction."""
    state = request.app.state
    committer: GroupCommit | None = getattr(state, "inbound_group_commit", None)
    if committer is None:
        writers = writers_for(container.engine.dialect.name)
        committer = state.inbound_group_commit = GroupCommit(container.uow, writers=writers)
    return committer


@router.post("/inboxes/{inbox_id}/messages", status_code=201, response_class=JSONResponse)
async def receive_message(inbox_id: int, request: Request) -> JSONResponse:
    """Body: {"external_id": "...", "sender": {"id": "...", "name"?, "email"?, "phone"?,
    "verified"?}, "text": "..."}. The same external_id twice is stored once. The answer comes
    after the message is committed."""
    # The same checks as ContainerDep and PrincipalDep, called directly: resolving them as
    # dependencies costs a noticeable share of this hot path.
    container = await get_container(request)
    who = await get_principal(request, container)
    who.require(Role.ADMIN, Role.AGENT)
    body = await request.body()
    msg = ApiChannel(None, None, container.http).parse(request.headers, body)[0]
    assert isinstance(msg, InboundMessage)
    got = await _group_commit(request, container).receive(inbox_id, msg)
    out = {
        "id": got.message_id,
        "conversation_id": got.conversation_id,
        "contact_id": got.contact_id,
        "duplicate": got.duplicate,
    }
    return JSONResponse(out, status_code=201)  # built directly: this is the hot path
