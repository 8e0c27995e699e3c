"""Rewording a real answer with the article stored in the knowledge base (SQLite and
PostgreSQL); the OpenAI-compatible endpoint is played by httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ventanilla.assistant import Assistant, DecisionKind
from ventanilla.assistant.engine import Turn
from ventanilla.bootstrap import Container
from ventanilla.config import Settings
from ventanilla.services import knowledge
from ventanilla.services.assistant_phrasing import phrase_turn
from ventanilla.services.demo_kb import ARTICLES

QUESTION = "Hola, ¿cuánto cuesta el envío a mi casa? Mi teléfono es 612 345 678"
REWORDED = "El envío te cuesta 4,90 € y es gratis si tu compra supera los 40 € [1]."


class Endpoint:
    def __init__(self) -> None:
        self.content = REWORDED
        self.prompts: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.prompts.append("\n".join(m["content"] for m in body["messages"]))
        choice = {"index": 0, "message": {"role": "assistant", "content": self.content}}
        return httpx.Response(200, json={"choices": [{**choice, "finish_reason": "stop"}]})


@pytest.fixture
def endpoint() -> Endpoint:
    return Endpoint()


def container_for(settings: Settings, endpoint: Endpoint, **llm: Any) -> Container:
    c = Container(
        settings.model_copy(update=llm),
        http=httpx.AsyncClient(transport=httpx.MockTransport(endpoint)),
    )
    with c.uow() as uow:
        knowledge.upsert_many(uow.session, ARTICLES, None)
        uow.commit()
    return c


@pytest.fixture
async def container(settings: Settings, endpoint: Endpoint) -> AsyncIterator[Container]:
    c = container_for(settings, endpoint, llm_url="http://llm.test/v1", llm_model="tiny")
    yield c
    await c.http.aclose()
    c.engine.dispose()


def answer_turn(container: Container) -> Turn:
    with container.uow() as uow:
        articles = knowledge.all_articles(uow.session)
    turn = Assistant(articles).turn(None, QUESTION)
    assert turn.decision.kind is DecisionKind.ANSWER
    return turn


async def test_an_answer_is_reworded_from_the_stored_article(
    container: Container, endpoint: Endpoint
) -> None:
    turn = answer_turn(container)

    phrased = await phrase_turn(container, turn, QUESTION)

    assert phrased.decision.reply == (
        f"{REWORDED}\n\nFuentes:\n[1] Gastos de envío: /help/es/shipping-costs"
    )
    assert phrased.decision.state == turn.decision.state
    [prompt] = endpoint.prompts
    assert "El envío cuesta 4,90 € y es gratis a partir de 40 €." in prompt
    assert "612 345 678" not in prompt
    assert "Mi teléfono es <phone>" in prompt


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_reply_with_an_invented_figure_keeps_the_stored_answer(
    container: Container, endpoint: Endpoint
) -> None:
    endpoint.content = "El envío cuesta 3,50 € [1]."
    turn = answer_turn(container)

    assert await phrase_turn(container, turn, QUESTION) is turn
    assert "4,90" in turn.decision.reply
    assert len(endpoint.prompts) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_without_an_endpoint_nothing_leaves_the_process(
    settings: Settings, endpoint: Endpoint
) -> None:
    plain = container_for(settings, endpoint)
    try:
        turn = answer_turn(plain)
        assert await phrase_turn(plain, turn, QUESTION) is turn
        assert endpoint.prompts == []
    finally:
        await plain.http.aclose()
        plain.engine.dispose()
