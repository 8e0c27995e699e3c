"""Rewording answers with an OpenAI-compatible endpoint, played by httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from ventanilla.assistant import Article, AssistantState, Decision, DecisionKind
from ventanilla.assistant.knowledge import Language
from ventanilla.assistant.messages import message
from ventanilla.assistant.state import ActionIntent, HandoffReason, Option
from ventanilla.config import Settings
from ventanilla.services.assistant_phrasing import (
    LlmEndpoint,
    mask_customer_text,
    phrase,
)

SHIPPING_ES = Article(
    id="shipping-es",
    title="Plazos de envío",
    language="es",
    slug="shipping-times",
    short_answer="Los pedidos llegan en 3 a 5 días hábiles.",
    body="Enviamos de lunes a viernes. A Canarias el envío tarda hasta 7 días hábiles.\n\n"
    "Sigue tu paquete en https://envios.example.com/seguimiento",
)
RETURNS_ES = Article(
    id="returns-es",
    title="Devoluciones",
    language="es",
    slug="returns",
    short_answer="Puedes devolver cualquier artículo en 30 días.",
)
RETURNS_EN = Article(
    id="returns-en",
    title="Return policy",
    language="en",
    slug="return-policy",
    short_answer="You can return any item within 30 days for a full refund.",
)
CUSTOMER = "Hola, soy ana.lopez@example.com. ¿Cuándo llega mi pedido 100234? Tel. 612 345 678"
GOOD_ES = "Tu pedido llegará en 3 a 5 días hábiles [1]. A Canarias puede tardar hasta 7 [1]."


def answer(article: Article, language: Language | None = None) -> Decision:
    language = language or article.language
    body = message("answer", language, answer=article.answer_text, link=article.link)
    untranslated = article.language != language
    if untranslated:
        body = message("no_translation", language) + "\n\n" + body
    return Decision(
        kind=DecisionKind.ANSWER,
        language=language,
        reply=body,
        state=AssistantState(),
        article_id=article.id,
        link=article.link,
        confidence=0.9,
        untranslated=untranslated,
    )


def completion(content: Any, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "tiny",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
    }


@dataclass
class FakeLlm:
    """An OpenAI-compatible server: records requests, answers with ``respond``."""

    respond: Callable[[httpx.Request], httpx.Response] = field(
        default=lambda _r: httpx.Response(200, json=completion(GOOD_ES))
    )
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def replies(self, content: Any, status: int = 200, finish_reason: str = "stop") -> None:
        self.respond = lambda _r: httpx.Response(status, json=completion(content, finish_reason))

    @property
    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.requests[-1].content)
        return data

    @property
    def prompt(self) -> str:
        return "\n".join(m["content"] for m in self.body["messages"])


@pytest.fixture
def llm() -> FakeLlm:
    return FakeLlm()


@pytest.fixture
async def http(llm: FakeLlm) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(llm)) as client:
        yield client


def endpoint(**overrides: Any) -> LlmEndpoint:
    values: dict[str, Any] = {
        "llm_url": "http://llm.test/v1",
        "llm_model": "tiny-instruct",
        **overrides,
    }
    made = LlmEndpoint.from_settings(Settings(**values))
    assert made is not None
    return made


async def test_request_is_grounded_masked_and_unauthenticated_without_a_key(
    llm: FakeLlm, http: httpx.AsyncClient
) -> None:
    await phrase(endpoint(), http, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER)

    request = llm.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "http://llm.test/v1/chat/completions"
    assert "authorization" not in request.headers
    assert llm.body["model"] == "tiny-instruct"
    assert "[1] Title: Plazos de envío" in llm.prompt
    assert "A Canarias el envío tarda hasta 7 días hábiles." in llm.prompt
    assert "/help/es/shipping-times" in llm.prompt
    assert "Spanish" in llm.body["messages"][0]["content"]
    for private in ("ana.lopez@example.com", "100234", "612 345 678"):
        assert private not in llm.prompt
    assert "soy <email>" in llm.prompt
    assert "mi pedido <order>" in llm.prompt
    assert "Tel. <phone>" in llm.prompt


async def test_bearer_token_is_sent_when_configured_and_never_logged(
    llm: FakeLlm, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    llm.replies("boom", status=500)
    caplog.set_level(logging.DEBUG)
    configured = endpoint(llm_api_key="sk-test-0123456789")

    assert await phrase(configured, http, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER) is None
    assert llm.requests[0].headers["authorization"] == "Bearer sk-test-0123456789"
    assert "HTTP 500" in caplog.text
    assert "sk-test" not in caplog.text
    assert "sk-test" not in repr(configured)


async def test_a_grounded_reply_is_used_with_its_sources_listed(
    llm: FakeLlm, http: httpx.AsyncClient
) -> None:
    phrased = await phrase(endpoint(), http, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER)

    assert phrased is not None
    assert phrased.reply == GOOD_ES + "\n\nFuentes:\n[1] Plazos de envío: /help/es/shipping-times"
    assert [(c.number, c.article_id, c.title, c.link) for c in phrased.citations] == [
        (1, "shipping-es", "Plazos de envío", "/help/es/shipping-times")
    ]


async def test_citations_map_to_the_sources_that_were_cited(
    llm: FakeLlm, http: httpx.AsyncClient
) -> None:
    llm.replies("Tienes 30 días para devolver cualquier artículo [2].")

    phrased = await phrase(
        endpoint(), http, answer(RETURNS_ES), (SHIPPING_ES, RETURNS_ES), "¿puedo devolverlo?"
    )

    assert phrased is not None
    assert [(c.number, c.title) for c in phrased.citations] == [(2, "Devoluciones")]
    assert phrased.reply.endswith("Fuentes:\n[2] Devoluciones: /help/es/returns")
    assert "Plazos de envío" not in phrased.reply


@pytest.mark.parametrize(
    "content",
    [
        "Sigue tu envío en https://envios.example.com/seguimiento [1].",
        "Pasos:\n1. Espera de 3 a 5 días hábiles [1].\n2. Sigue tu paquete en línea [1].",
    ],
)
async def test_links_numbers_and_list_numbering_from_the_sources_are_allowed(
    llm: FakeLlm, http: httpx.AsyncClient, content: str
) -> None:
    llm.replies(content)

    phrased = await phrase(endpoint(), http, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER)

    assert phrased is not None
    assert phrased.reply.startswith(content)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("Mira ofertas en https://ofertas.example.com/black-friday [1].", "link not in"),
        ("Consulta www.otra-tienda.com para más detalles [1].", "link not in"),
        ("Tu pedido llegará en 2 días hábiles [1].", "number not in"),
        ("Te devolvemos 15 euros por el retraso [1].", "number not in"),
        ("Escríbenos a soporte@example.com si no llega [1].", "email not in"),
        ("Tu pedido <order> llegará en 3 a 5 días hábiles [1].", "masked customer data"),
        ("Tu pedido llegará en 3 a 5 días hábiles [2].", "unknown source"),
        ("Tu pedido llegará en 3 a 5 días hábiles.", "no citation"),
        ("Your order will arrive in 3 to 5 business days [1].", "wrong language"),
        ("NO_ANSWER", "declined"),
        ("   ", "empty"),
        ("Tu pedido llegará pronto [1]. " * 40, "too long"),
    ],
    ids=[
        "unknown-url",
        "unknown-domain",
        "unknown-number",
        "invented-amount",
        "unknown-email",
        "echoes-placeholder",
        "unknown-citation",
        "no-citation",
        "wrong-language",
        "declined",
        "empty",
        "too-long",
    ],
)
async def test_a_reply_that_is_not_grounded_is_rejected(
    llm: FakeLlm,
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    content: str,
    reason: str,
) -> None:
    llm.replies(content)
    caplog.set_level(logging.INFO, logger="ventanilla.services.assistant_phrasing")

    assert await phrase(endpoint(), http, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER) is None
    assert len(llm.requests) == 1
    assert reason in caplog.text


async def test_a_slow_endpoint_times_out(llm: FakeLlm) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json=completion(GOOD_ES))

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as client:
        quick = endpoint(llm_timeout_seconds=0.05)
        assert await phrase(quick, client, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER) is None


@pytest.mark.parametrize("error", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
async def test_transport_errors_give_none(
    llm: FakeLlm, http: httpx.AsyncClient, error: httpx.HTTPError
) -> None:
    def fail(_request: httpx.Request) -> httpx.Response:
        raise error

    llm.respond = fail
    assert await phrase(endpoint(), http, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER) is None


@pytest.mark.parametrize("status", [500, 503, 404, 401, 429])
async def test_error_statuses_give_none(llm: FakeLlm, http: httpx.AsyncClient, status: int) -> None:
    llm.replies(GOOD_ES, status=status)
    assert await phrase(endpoint(), http, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER) is None


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"<html>gateway</html>"),
        httpx.Response(200, json={"choices": []}),
        httpx.Response(200, json={"error": {"message": "overloaded"}}),
        httpx.Response(200, json=[GOOD_ES]),
        httpx.Response(200, json={"choices": ["text"]}),
        httpx.Response(200, json=completion(None)),
        httpx.Response(200, json=completion([{"type": "text", "text": GOOD_ES}])),
        httpx.Response(200, json=completion(GOOD_ES, finish_reason="length")),
    ],
    ids=[
        "not-json",
        "no-choices",
        "error-object",
        "list",
        "choice-not-object",
        "null-content",
        "content-parts",
        "cut-off",
    ],
)
async def test_malformed_responses_give_none(
    llm: FakeLlm, http: httpx.AsyncClient, response: httpx.Response
) -> None:
    llm.respond = lambda _r: response
    assert await phrase(endpoint(), http, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER) is None


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"llm_url": "http://llm.test/v1"},
        {"llm_model": "tiny"},
        {"llm_url": "http://llm.test/v1", "llm_model": "  "},
    ],
    ids=["nothing", "no-model", "no-url", "blank-model"],
)
async def test_nothing_is_sent_when_not_configured(
    llm: FakeLlm, http: httpx.AsyncClient, values: dict[str, str]
) -> None:
    configured = LlmEndpoint.from_settings(Settings(**values))

    assert configured is None
    assert await phrase(configured, http, answer(SHIPPING_ES), (SHIPPING_ES,), CUSTOMER) is None
    assert llm.requests == []


def test_a_url_that_is_not_http_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="llm_url"):
        Settings(llm_url="ftp://llm.test/v1", llm_model="tiny")


@pytest.mark.parametrize(
    "decision",
    [
        Decision(
            kind=DecisionKind.CLARIFY,
            language="es",
            reply="¿Cuál de estas opciones…?",
            state=AssistantState(),
            options=(Option("shipping-es", "Plazos de envío"),),
        ),
        Decision(
            kind=DecisionKind.ACT,
            language="es",
            reply="Consultando el pedido 100234…",
            state=AssistantState(),
            action=ActionIntent.ORDER_STATUS,
            order_numbers=("100234",),
        ),
        Decision(
            kind=DecisionKind.HANDOFF,
            language="es",
            reply="Te paso con una persona.",
            state=AssistantState(),
            reason=HandoffReason.ASKED_FOR_HUMAN,
        ),
    ],
    ids=["clarify", "act", "handoff"],
)
async def test_only_answers_are_reworded(
    llm: FakeLlm, http: httpx.AsyncClient, decision: Decision
) -> None:
    assert await phrase(endpoint(), http, decision, (SHIPPING_ES,), CUSTOMER) is None
    assert llm.requests == []


async def test_an_untranslated_article_keeps_its_notice(
    llm: FakeLlm, http: httpx.AsyncClient
) -> None:
    llm.replies("Puedes devolver cualquier artículo en un plazo de 30 días [1].")

    decision = answer(RETURNS_EN, "es")
    phrased = await phrase(endpoint(), http, decision, (RETURNS_EN,), "¿puedo devolver algo?")

    assert phrased is not None
    assert phrased.reply.startswith(message("no_translation", "es") + "\n\nPuedes devolver")
    assert phrased.reply.endswith("[1] Return policy: /help/en/return-policy")


def test_masking_keeps_ordinary_words_and_hides_identifiers() -> None:
    assert mask_customer_text("I forgot my password and cannot log in") == (
        "I forgot my password and cannot log in"
    )
    assert mask_customer_text("order ORD-55231, password: hunter2, +34 612 345 678") == (
        "order <order>, password: <secret>, <phone>"
    )
    assert mask_customer_text("key sk_live_abcdefghij0123456789 at https://x.example/a?t=1") == (
        "key <secret> at <link>"
    )
