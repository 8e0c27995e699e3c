"""Knowledge base articles: the unit the assistant answers from."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

Language = Literal["es", "en"]
Audience = Literal["public", "internal"]
LANGUAGES: tuple[Language, ...] = ("es", "en")


def slugify(text: str) -> str:
    """A URL-safe slug: lower case ASCII words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "article"


@dataclass(frozen=True)
class Article:
    """One help-center article.

    Articles that translate each other share the same ``slug`` and differ in ``language``.
    """

    id: str
    title: str
    body: str = ""
    language: Language = "en"
    category: str = ""
    audience: Audience = "public"
    examples: tuple[str, ...] = ()
    short_answer: str = ""
    human_only: bool = False
    slug: str = ""
    version: int = 1
    tags: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValueError("an article needs an id")
        if self.language not in LANGUAGES:
            raise ValueError(f"article {self.id}: language must be one of {LANGUAGES}")
        if self.audience not in ("public", "internal"):
            raise ValueError(f"article {self.id}: audience must be public or internal")
        if not self.slug:
            object.__setattr__(self, "slug", slugify(self.title or self.id))

    @property
    def answer_text(self) -> str:
        """What the assistant says: the short answer, or the body's first paragraph."""
        if self.short_answer.strip():
            return self.short_answer.strip()
        for paragraph in self.body.split("\n\n"):
            if paragraph.strip() and not paragraph.lstrip().startswith("#"):
                return paragraph.strip()
        return self.title

    @property
    def link(self) -> str:
        """Help-center path of the article."""
        return f"/help/{self.language}/{self.slug}"

    def with_example(self, question: str) -> Article:
        """A new version of the article that also lists ``question`` as an example."""
        question = question.strip()
        if not question or question in self.examples:
            return self
        return Article(
            id=self.id, title=self.title, body=self.body, language=self.language,
            category=self.category, audience=self.audience,
            examples=(*self.examples, question), short_answer=self.short_answer,
            human_only=self.human_only, slug=self.slug, version=self.version + 1,
            tags=self.tags,
        )


class ArticleCatalog:
    """Articles by id, and each article's translation into another language."""

    def __init__(self, articles: list[Article] | tuple[Article, ...]) -> None:
        self._by_id = {a.id: a for a in articles}
        self._by_slug = {(a.slug, a.language): a for a in articles}

    def get(self, article_id: str) -> Article | None:
        return self._by_id.get(article_id)

    def in_language(self, article: Article, language: Language) -> Article:
        """The translation of ``article`` into ``language``, or the article itself."""
        if article.language == language:
            return article
        translated = self._by_slug.get((article.slug, language))
        if translated is None or translated.audience != article.audience:
            return article
        return translated
