"""/api/v1/contacts: one customer record with many identities."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from ventanilla.domain.enums import Role
from ventanilla.services import contacts
from ventanilla.services.paging import decode_cursor, encode_cursor
from ventanilla.services.views import contact_view
from ventanilla.web.api.schemas import ContactIn, IdentityIn, MergeIn
from ventanilla.web.deps import PrincipalDep, UowDep

router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.get("")
def list_contacts(
    uow: UowDep,
    who: PrincipalDep,
    q: str | None = Query(None, max_length=200),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    who.require(Role.ADMIN, Role.AGENT)
    rows = contacts.list_page(uow.session, decode_cursor(cursor), limit, q)
    nxt = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return {"items": [contact_view(c) for c in rows[:limit]], "next_cursor": nxt}


@router.post("", status_code=201)
def create_contact(body: ContactIn, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    who.require(Role.ADMIN, Role.AGENT)
    idents = [(i.kind, i.address, i.verified) for i in body.identities]
    contact = contacts.create(uow.session, body.name, body.language, idents, who.user_id)
    uow.commit()
    return contact_view(contact)


@router.get("/{contact_id}")
def get_contact(contact_id: int, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    who.require(Role.ADMIN, Role.AGENT)
    return contact_view(contacts.canonical(uow.session, contact_id))


@router.post("/{contact_id}/identities", status_code=201)
def add_identity(
    contact_id: int, body: IdentityIn, uow: UowDep, who: PrincipalDep
) -> dict[str, Any]:
    who.require(Role.ADMIN, Role.AGENT)
    contact = contacts.canonical(uow.session, contact_id)
    result = contacts.add_identity(
        uow.session, contact, body.kind, body.address, body.verified, who.user_id
    )
    uow.commit()
    uow.session.refresh(result, ["identities"])
    return contact_view(result)


@router.post("/{contact_id}/merge")
def merge_contacts(
    contact_id: int, body: MergeIn, uow: UowDep, who: PrincipalDep
) -> dict[str, Any]:
    """Merge contact `merge_id` into this one; both histories are kept."""
    who.require(Role.ADMIN, Role.AGENT)
    keep = contacts.canonical(uow.session, contact_id)
    drop = contacts.canonical(uow.session, body.merge_id)
    merged = contacts.merge(uow.session, keep, drop, who.user_id)
    uow.commit()
    uow.session.refresh(merged, ["identities"])
    return contact_view(merged)
