"""Contacts and identities: find or create by identity, merge, keep history."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ventanilla.domain.enums import IdentityKind
from ventanilla.domain.errors import Conflict, InvalidInput, NotFound
from ventanilla.domain.identity import normalize_address
from ventanilla.services import audit
from ventanilla.storage.models import Contact, ContactIdentity, Conversation

# Built once: this runs for every inbound message.
_IDENTITY_AND_CONTACT = (
    select(ContactIdentity, Contact)
    .join(Contact, Contact.id == ContactIdentity.contact_id)
    .where(
        ContactIdentity.kind == bindparam("kind"), ContactIdentity.address == bindparam("address")
    )
)


def canonical(session: Session, contact_id: int) -> Contact:
    """The contact an id points to, following merges."""
    contact = session.get(Contact, contact_id)
    hops = 0
    while contact is not None and contact.merged_into_id is not None and hops < 32:
        contact = session.get(Contact, contact.merged_into_id)
        hops += 1
    if contact is None:
        raise NotFound(f"contact {contact_id} not found")
    return contact


def find_identity(session: Session, kind: IdentityKind, address: str) -> ContactIdentity | None:
    norm = normalize_address(kind, address)
    return session.scalars(
        select(ContactIdentity).where(
            ContactIdentity.kind == kind.value, ContactIdentity.address == norm
        )
    ).first()


def resolve(
    session: Session,
    kind: IdentityKind,
    address: str,
    name: str | None = None,
    verified: bool = False,
) -> Contact:
    """Find the contact behind an identity, creating both when new."""
    norm = normalize_address(kind, address)
    found = session.execute(_IDENTITY_AND_CONTACT, {"kind": kind.value, "address": norm}).first()
    if found is not None:
        ident: ContactIdentity = found[0]
        contact: Contact = found[1]
        if verified and not ident.verified:
            ident.verified = True
        if contact.merged_into_id is not None:
            contact = canonical(session, contact.merged_into_id)
        if name and not contact.name:
            contact.name = name
        return contact
    contact = Contact(name=name)
    session.add(contact)
    session.add(ContactIdentity(contact=contact, kind=kind.value, address=norm, verified=verified))
    session.flush()  # one flush: the contact, then its identity
    return contact


def add_identity(
    session: Session,
    contact: Contact,
    kind: IdentityKind,
    address: str,
    verified: bool,
    actor_id: int | None = None,
) -> Contact:
    """Attach an identity. A verified identity already owned by another contact merges them."""
    existing = find_identity(session, kind, address)
    if existing is None:
        ident = ContactIdentity(
            contact_id=contact.id,
            kind=kind.value,
            address=normalize_address(kind, address),
            verified=verified,
        )
        session.add(ident)
        session.flush()
        audit.record(
            session,
            actor_id,
            "identity.added",
            "contact",
            contact.id,
            {"kind": kind.value, "address": ident.address},
        )
        return contact
    owner = canonical(session, existing.contact_id)
    if owner.id == contact.id:
        existing.verified = existing.verified or verified
        return contact
    if not verified:
        raise Conflict(f"{kind.value} {existing.address} belongs to contact {owner.id}")
    # A verified identity proves both records are the same person.
    existing.verified = True
    return merge(session, keep=owner, drop=contact, actor_id=actor_id, automatic=True)


def merge(
    session: Session,
    keep: Contact,
    drop: Contact,
    actor_id: int | None = None,
    automatic: bool = False,
) -> Contact:
    """Move identities and conversations of `drop` into `keep`; `drop` stays as a pointer."""
    if keep.id == drop.id:
        raise InvalidInput("cannot merge a contact into itself")
    if drop.merged_into_id is not None or keep.merged_into_id is not None:
        raise Conflict("one of these contacts was already merged")
    session.execute(
        update(ContactIdentity)
        .where(ContactIdentity.contact_id == drop.id)
        .values(contact_id=keep.id)
    )
    session.execute(
        update(Conversation).where(Conversation.contact_id == drop.id).values(contact_id=keep.id)
    )
    drop.merged_into_id = keep.id
    keep.name = keep.name or drop.name
    keep.language = keep.language or drop.language
    keep.attributes = {**(drop.attributes or {}), **(keep.attributes or {})}
    session.flush()
    session.expire(keep, ["identities"])
    audit.record(
        session,
        actor_id,
        "contact.merged",
        "contact",
        keep.id,
        {"merged": drop.id, "automatic": automatic},
    )
    return keep


def list_page(session: Session, cursor_id: int | None, limit: int, q: str | None) -> list[Contact]:
    stmt = select(Contact).where(Contact.merged_into_id.is_(None))
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            Contact.id.in_(
                select(ContactIdentity.contact_id).where(ContactIdentity.address.like(like))
            )
            | Contact.name.ilike(like)
        )
    if cursor_id is not None:
        stmt = stmt.where(Contact.id < cursor_id)
    return list(session.scalars(stmt.order_by(Contact.id.desc()).limit(limit + 1)).all())


def create(
    session: Session,
    name: str | None,
    language: str | None,
    identities: list[tuple[IdentityKind, str, bool]],
    actor_id: int | None,
) -> Contact:
    for kind, address, _ in identities:
        if find_identity(session, kind, address) is not None:
            raise Conflict(f"{kind.value} {address} already belongs to a contact")
    contact = Contact(name=name, language=language)
    session.add(contact)
    session.flush()
    for kind, address, verified in identities:
        session.add(
            ContactIdentity(
                contact_id=contact.id,
                kind=kind.value,
                address=normalize_address(kind, address),
                verified=verified,
            )
        )
    session.flush()
    session.refresh(contact, ["identities"])
    audit.record(session, actor_id, "contact.created", "contact", contact.id)
    return contact
