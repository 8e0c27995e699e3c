"""Knowledge-base articles: create, update with versions, learn from hand-offs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ventanilla.assistant.kb_io import article_slug, normalise_body, unstorable_character
from ventanilla.assistant.knowledge import Article
from ventanilla.domain.clock import utcnow
from ventanilla.domain.errors import Conflict, InvalidInput, NotFound
from ventanilla.services import audit
from ventanilla.storage.models import KbArticle, KbArticleVersion

LANGS = ("es", "en")
AUDIENCES = ("public", "internal")
# The same limits as the API and the database columns.
TITLE_MAX = 300
CATEGORY_MAX = 100
BODY_MAX = 100_000
SHORT_ANSWER_MAX = 5_000
SLUG_MAX = 200
EXAMPLES_MAX = 500
TAGS_MAX = 50


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

    def normalised(self) -> ArticleInput:
        """The article as it is stored, so that comparing an import with what is stored
        ignores what storing would change anyway: white space around the title, the
        category and list items, line ends, repeated examples or tags."""
        return replace(
            self,
            title=_one_line(self.title),
            category=_one_line(self.category),
            body=normalise_body(self.body),
            short_answer=normalise_body(self.short_answer),
            examples=_items(self.examples),
            tags=_items(self.tags),
            slug=self.slug.strip(),
        )

    def check(self) -> None:
        """Refuse what cannot be stored as given; nothing is cut silently."""
        data = self.normalised()
        if not data.title:
            raise InvalidInput("title must not be empty")
        if data.language not in LANGS:
            raise InvalidInput(f"language must be one of {LANGS}")
        if data.audience not in AUDIENCES:
            raise InvalidInput(f"audience must be one of {AUDIENCES}")
        for name, value, limit in (
            ("title", data.title, TITLE_MAX),
            ("category", data.category, CATEGORY_MAX),
            ("body", data.body, BODY_MAX),
            ("short_answer", data.short_answer, SHORT_ANSWER_MAX),
            ("slug", data.slug, SLUG_MAX),
        ):
            if len(value) > limit:
                raise InvalidInput(
                    f"{name} has {len(value)} characters, at most {limit} are allowed"
                )
        if len(data.examples) > EXAMPLES_MAX:
            raise InvalidInput(f"at most {EXAMPLES_MAX} example questions per article")
        if len(data.tags) > TAGS_MAX:
            raise InvalidInput(f"at most {TAGS_MAX} tags per article")
        for name, values in (
            ("title", [data.title]), ("category", [data.category]), ("body", [data.body]),
            ("short_answer", [data.short_answer]), ("slug", [data.slug]),
            ("examples", data.examples), ("tags", data.tags),
        ):
            for value in values:
                bad = unstorable_character(value)
                if bad:
                    raise InvalidInput(f"{name} holds a character that cannot be stored ({bad})")

    @property
    def key_slug(self) -> str:
        """The slug the article is stored under (with its language, its identity)."""
        return article_slug(self.slug.strip() or self.title)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _items(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in (_one_line(x) for x in values) if v))


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


def _find(session: Session, slug: str, language: str) -> KbArticle | None:
    return session.scalars(
        select(KbArticle).where(KbArticle.slug == slug, KbArticle.language == language)
    ).first()


def create(session: Session, data: ArticleInput, actor_id: int | None = None) -> KbArticle:
    data.check()
    data = data.normalised()
    slug = data.key_slug
    exists = _find(session, slug, data.language)
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
    """Replace the article's content; a new version only when something changed.

    The language cannot change: a translation is another article with the same slug. The
    slug changes only when one is given (an empty slug keeps the current one, so editing
    the title does not break links to the article)."""
    data.check()
    data = data.normalised()
    row = get(session, article_id)
    if data.language != row.language:
        raise InvalidInput(
            f"language cannot be changed (article {row.id} is in {row.language}); "
            "create the translation as a new article with the same slug"
        )
    if data.slug:
        slug = data.key_slug
        other = _find(session, slug, row.language) if slug != row.slug else None
        if other is not None:
            raise Conflict(f"an article {slug!r} in {row.language} exists (id {other.id})")
        data = replace(data, slug=slug)
    else:
        data = replace(data, slug=row.slug)
    if _snapshot_of(data, data.slug) == _stored(row):
        return row
    row.slug = data.slug
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
    clean = _one_line(question)[:500]
    if not clean:
        raise InvalidInput("question must not be empty")
    bad = unstorable_character(clean)
    if bad:
        raise InvalidInput(f"question holds a character that cannot be stored ({bad})")
    if clean in (row.examples or []):
        return row
    if len(row.examples or []) >= EXAMPLES_MAX:
        raise InvalidInput(f"at most {EXAMPLES_MAX} example questions per article")
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
    """Import: create new articles, update changed ones (matched by slug and language).

    Two items for the same slug and language are refused: one would silently replace the
    other."""
    batch = [data.normalised() for data in items]
    seen: dict[tuple[str, str], int] = {}
    for number, data in enumerate(batch, start=1):
        data.check()
        key = (data.key_slug, data.language)
        if key in seen:
            raise InvalidInput(
                f"articles {seen[key]} and {number} are both {key[0]!r} in {key[1]}"
            )
        seen[key] = number
    changed = 0
    for data in batch:
        slug = data.key_slug
        row = _find(session, slug, data.language)
        if row is None:
            create(session, data, actor_id)
            changed += 1
        elif _snapshot_of(data, slug) != _stored(row):
            update(session, row.id, replace(data, slug=slug), actor_id)
            changed += 1
    return changed


def _stored(row: KbArticle) -> dict[str, Any]:
    return {k: v for k, v in _snapshot(row).items() if k not in ("id", "version")}


def _snapshot_of(data: ArticleInput, slug: str) -> dict[str, Any]:
    """What ``_stored`` reads back once ``data`` (normalised) is stored under ``slug``."""
    return {
        "slug": slug,
        "language": data.language,
        "title": data.title,
        "body": data.body,
        "category": data.category,
        "audience": data.audience,
        "examples": list(data.examples),
        "short_answer": data.short_answer,
        "human_only": data.human_only,
        "tags": list(data.tags),
    }


def _apply(row: KbArticle, data: ArticleInput) -> None:
    """Copy a checked, normalised input onto the row."""
    row.title = data.title
    row.body = data.body
    row.category = data.category
    row.audience = data.audience
    row.examples = list(data.examples)
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
