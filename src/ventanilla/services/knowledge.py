"""Knowledge-base articles: create, update with versions, learn from hand-offs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ventanilla.assistant.knowledge import Article, slugify
from ventanilla.domain.clock import utcnow
from ventanilla.domain.errors import Conflict, InvalidInput, NotFound
from ventanilla.services import audit
from ventanilla.storage.models import KbArticle, KbArticleVersion

LANGS = ("es", "en")
AUDIENCES = ("public", "internal")


@dataclass(frozen=True)
class ArticleInput:
    title: str
    language: str
    body: str = ""
    category: str = ""
    audience: str = "public"
    examples: tuple[str, ...] = ()
    short_answer: str = ""
    human_only: bool = False
    tags: tuple[str, ...] = ()
    slug: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        if not self.title.strip():
            raise InvalidInput("title must not be empty")
        if self.language not in LANGS:
            raise InvalidInput(f"language must be one of {LANGS}")
        if self.audience not in AUDIENCES:
            raise InvalidInput(f"audience must be one of {AUDIENCES}")
        if len(self.examples) > 500:
            raise InvalidInput("at most 500 example questions per article")


def to_article(row: KbArticle) -> Article:
    return Article(
        id=str(row.id),
        title=row.title,
        body=row.body,
        language=row.language,  # type: ignore[arg-type]
        category=row.category,
        audience=row.audience,  # type: ignore[arg-type]
        examples=tuple(row.examples or ()),
        short_answer=row.short_answer,
        human_only=row.human_only,
        slug=row.slug,
        version=row.version,
        tags=tuple(row.tags or ()),
    )


def article_view(row: KbArticle) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "language": row.language,
        "title": row.title,
        "body": row.body,
        "category": row.category,
        "audience": row.audience,
        "examples": list(row.examples or []),
        "short_answer": row.short_answer,
        "human_only": row.human_only,
        "tags": list(row.tags or []),
        "version": row.version,
        "updated_at": row.updated_at.isoformat(),
    }


def _snapshot(row: KbArticle) -> dict[str, Any]:
    view = article_view(row)
    view.pop("updated_at")
    return view


def create(session: Session, data: ArticleInput, actor_id: int | None = None) -> KbArticle:
    data.check()
    slug = slugify(data.slug or data.title)
    exists = session.scalars(
        select(KbArticle).where(KbArticle.slug == slug, KbArticle.language == data.language)
    ).first()
    if exists is not None:
        raise Conflict(f"an article {slug!r} in {data.language} exists (id {exists.id})")
    row = KbArticle(slug=slug, language=data.language)
    _apply(row, data)
    session.add(row)
    session.flush()
    _version(session, row, actor_id)
    audit.record(session, actor_id, "article.created", "article", row.id)
    return row


def update(
    session: Session, article_id: int, data: ArticleInput, actor_id: int | None
) -> KbArticle:
    data.check()
    row = get(session, article_id)
    _apply(row, data)
    row.version += 1
    row.updated_at = utcnow()
    session.flush()
    _version(session, row, actor_id)
    audit.record(session, actor_id, "article.updated", "article", row.id, {"version": row.version})
    return row


def add_example(
    session: Session, article_id: int, question: str, actor_id: int | None
) -> KbArticle:
    """Teach the assistant: a real customer question becomes an example of the article."""
    row = get(session, article_id)
    clean = " ".join(question.split())[:500]
    if not clean:
        raise InvalidInput("question must not be empty")
    if clean in (row.examples or []):
        return row
    row.examples = [*(row.examples or []), clean]
    row.version += 1
    row.updated_at = utcnow()
    session.flush()
    _version(session, row, actor_id)
    audit.record(session, actor_id, "article.example_added", "article", row.id)
    return row


def get(session: Session, article_id: int) -> KbArticle:
    row = session.get(KbArticle, article_id)
    if row is None:
        raise NotFound(f"article {article_id} not found")
    return row


def versions(session: Session, article_id: int) -> list[dict[str, Any]]:
    get(session, article_id)
    rows = session.scalars(
        select(KbArticleVersion)
        .where(KbArticleVersion.article_id == article_id)
        .order_by(KbArticleVersion.version)
    ).all()
    return [
        {
            "version": v.version,
            "author_user_id": v.author_user_id,
            "created_at": v.created_at.isoformat(),
            "snapshot": v.snapshot,
        }
        for v in rows
    ]


def all_articles(session: Session) -> list[Article]:
    rows = session.scalars(select(KbArticle).order_by(KbArticle.id)).all()
    return [to_article(r) for r in rows]


def fingerprint(session: Session) -> tuple[int, int]:
    """Changes whenever an article is added or edited: (count, sum of versions)."""
    count, total = session.execute(
        select(func.count(KbArticle.id), func.coalesce(func.sum(KbArticle.version), 0))
    ).one()
    return int(count), int(total)


def upsert_many(session: Session, items: Iterable[ArticleInput], actor_id: int | None) -> int:
    """Import: create new articles, update changed ones (matched by slug and language)."""
    changed = 0
    for data in items:
        data.check()
        slug = slugify(data.slug or data.title)
        row = session.scalars(
            select(KbArticle).where(KbArticle.slug == slug, KbArticle.language == data.language)
        ).first()
        if row is None:
            create(session, data, actor_id)
            changed += 1
        elif _snapshot_of(data, slug) != {
            k: v for k, v in _snapshot(row).items() if k not in ("id", "version")
        }:
            update(session, row.id, data, actor_id)
            changed += 1
    return changed


def _snapshot_of(data: ArticleInput, slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "language": data.language,
        "title": data.title.strip(),
        "body": data.body,
        "category": data.category,
        "audience": data.audience,
        "examples": list(data.examples),
        "short_answer": data.short_answer,
        "human_only": data.human_only,
        "tags": list(data.tags),
    }


def _apply(row: KbArticle, data: ArticleInput) -> None:
    row.title = data.title.strip()[:300]
    row.body = data.body
    row.category = data.category[:100]
    row.audience = data.audience
    row.examples = list(dict.fromkeys(e.strip() for e in data.examples if e.strip()))
    row.short_answer = data.short_answer
    row.human_only = data.human_only
    row.tags = list(data.tags)


def _version(session: Session, row: KbArticle, actor_id: int | None) -> None:
    session.add(
        KbArticleVersion(
            article_id=row.id, version=row.version, snapshot=_snapshot(row), author_user_id=actor_id
        )
    )
    session.flush()


def input_from_article(article: Article) -> ArticleInput:
    return ArticleInput(
        title=article.title,
        language=article.language,
        body=article.body,
        category=article.category,
        audience=article.audience,
        examples=article.examples,
        short_answer=article.short_answer,
        human_only=article.human_only,
        tags=article.tags,
        slug=article.slug,
    )
