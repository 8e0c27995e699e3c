"""Read side of the public help center."""

from __future__ import annotations

from sqlalchemy import select

from ventanilla.domain.errors import NotFound
from ventanilla.services.uow import UnitOfWork
from ventanilla.storage.models import KbArticle


def public_articles(uow: UnitOfWork, language: str) -> list[KbArticle]:
    return list(
        uow.session.scalars(
            select(KbArticle)
            .where(KbArticle.language == language, KbArticle.audience == "public")
            .order_by(KbArticle.category, KbArticle.title)
        ).all()
    )


def public_article(uow: UnitOfWork, language: str, slug: str) -> tuple[KbArticle, list[str]]:
    """The article and the languages it is also available in."""
    rows = uow.session.scalars(
        select(KbArticle).where(KbArticle.slug == slug, KbArticle.audience == "public")
    ).all()
    chosen = next((r for r in rows if r.language == language), None)
    if chosen is None:
        raise NotFound(f"no article {slug!r} in {language}")
    return chosen, sorted(r.language for r in rows if r.language != language)
