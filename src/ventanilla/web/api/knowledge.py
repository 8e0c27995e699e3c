"""/api/v1/articles: the knowledge base the assistant answers from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import select

from ventanilla.domain.enums import Role
from ventanilla.domain.errors import InvalidInput
from ventanilla.services import access, knowledge
from ventanilla.services.knowledge import ArticleInput
from ventanilla.storage.models import KbArticle, Message
from ventanilla.web.api.schemas import Strict
from ventanilla.web.deps import MAX_ID, PrincipalDep, UowDep

router = APIRouter(prefix="/articles", tags=["knowledge base"])


class ArticleIn(Strict):
    title: str = Field(min_length=1, max_length=300)
    language: str
    body: str = Field(default="", max_length=100_000)
    category: str = Field(default="", max_length=100)
    audience: str = "public"
    examples: list[str] = Field(default_factory=list, max_length=500)
    short_answer: str = Field(default="", max_length=5_000)
    human_only: bool = False
    tags: list[str] = Field(default_factory=list, max_length=50)
    slug: str = Field(default="", max_length=200)

    def to_input(self) -> ArticleInput:
        return ArticleInput(
            title=self.title,
            language=self.language,
            body=self.body,
            category=self.category,
            audience=self.audience,
            examples=tuple(self.examples),
            short_answer=self.short_answer,
            human_only=self.human_only,
            tags=tuple(self.tags),
            slug=self.slug,
        )


class ExampleIn(Strict):
    text: str | None = Field(default=None, max_length=500)
    message_id: int | None = Field(default=None, ge=1, le=MAX_ID)


@router.get("")
def list_articles(
    uow: UowDep, who: PrincipalDep, language: str | None = Query(None, max_length=8)
) -> dict[str, Any]:
    stmt = select(KbArticle).order_by(KbArticle.id)
    if language:
        stmt = stmt.where(KbArticle.language == language)
    return {"items": [knowledge.article_view(a) for a in uow.session.scalars(stmt).all()]}


@router.post("", status_code=201)
def create_article(body: ArticleIn, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    who.require(Role.ADMIN, Role.AGENT)
    row = knowledge.create(uow.session, body.to_input(), who.user_id)
    uow.commit()
    return knowledge.article_view(row)


@router.get("/{article_id}")
def get_article(article_id: int, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    return knowledge.article_view(knowledge.get(uow.session, article_id))


@router.put("/{article_id}")
def update_article(
    article_id: int, body: ArticleIn, uow: UowDep, who: PrincipalDep
) -> dict[str, Any]:
    """Replace the article's content; a new version is kept only when something changed.

    - ``language`` must be the article's own (422 otherwise): an article in another
      language is a translation, a separate article that shares the slug. Create it with
      ``POST /articles``.
    - ``slug``: empty keeps the current slug, so a new title does not break links to the
      article; a new slug is applied (made URL-safe like on create) unless another article
      in the same language has it (409). Links to the old slug stop working.
    """
    who.require(Role.ADMIN, Role.AGENT)
    row = knowledge.update(uow.session, article_id, body.to_input(), who.user_id)
    uow.commit()
    return knowledge.article_view(row)


@router.get("/{article_id}/versions")
def article_versions(article_id: int, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    return {"items": knowledge.versions(uow.session, article_id)}


@router.post("/{article_id}/examples")
def add_example(article_id: int, body: ExampleIn, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    """Teach the assistant with one action: a customer's real question becomes an example."""
    who.require(Role.ADMIN, Role.AGENT, Role.EXPERT)
    text = body.text
    if body.message_id is not None:
        msg = uow.session.get(Message, body.message_id)
        if msg is None or not access.can_see(uow.session, who, msg.conversation_id):
            raise InvalidInput(f"message {body.message_id} not found")
        text = msg.text
    if not text:
        raise InvalidInput("give text or message_id")
    row = knowledge.add_example(uow.session, article_id, text, who.user_id)
    uow.commit()
    return knowledge.article_view(row)
