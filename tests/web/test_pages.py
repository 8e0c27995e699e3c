"""Public pages: the demo store and the help center, in Spanish and English."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import make_inbox
from ventanilla.bootstrap import Container
from ventanilla.services import knowledge
from ventanilla.services.knowledge import ArticleInput
from ventanilla.web.app import create_app


def add(container: Container, **kw: object) -> None:
    with container.uow() as uow:
        knowledge.create(uow.session, ArticleInput(**kw))  # type: ignore[arg-type]
        uow.commit()


def test_the_store_speaks_the_visitors_language(container: Container) -> None:
    make_inbox(container, "webchat")
    with TestClient(create_app(container=container)) as client:
        es = client.get("/", headers={"accept-language": "es-ES,es;q=0.9"}).text
        en = client.get("/?lang=en").text
    assert "Tienda Demo" in es and 'id="chat"' in es
    assert "Demo Store" in en and "Type your message" in en


def test_help_articles_render_markdown_with_user_text_escaped(container: Container) -> None:
    add(
        container,
        title="Envíos <b>rápidos</b>",
        language="es",
        slug="envios",
        body="## Plazos\n\n- **24 h** laborables\n- <script>alert(1)</script>",
        short_answer="En 24 h.",
    )
    add(container, title="Fast shipping", language="en", slug="envios", body="Within a day.")
    add(container, title="Nota interna", language="es", audience="internal", body="secreto")
    with TestClient(create_app(container=container)) as client:
        page = client.get("/help/es/envios")
        index = client.get("/help/es").text
        missing = client.get("/help/es/nope")
        hidden = client.get("/help/es/nota-interna")
    assert page.status_code == 200
    html = page.text
    assert "<h3>Plazos</h3>" in html and "<strong>24 h</strong>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>rápidos</b>" not in html
    assert 'href="/help/en/envios"' in html
    assert "Nota interna" not in index
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert hidden.status_code == 404
