"""/api/v1/articles and /api/v1/assistant/report: limits, edits, ids out of range."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import make_user
from ventanilla.bootstrap import Container
from ventanilla.domain.enums import Role
from ventanilla.web.app import create_app

TOO_BIG = "99999999999999999999999"
JUST_TOO_BIG = str(2**63)


class Api:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self.client.request(method, "/api/v1" + path, headers=self.headers, json=body)

    def raw(self, method: str, path: str, content: str) -> Any:
        headers = {**self.headers, "content-type": "application/json"}
        return self.client.request(method, "/api/v1" + path, headers=headers, content=content)


@pytest.fixture
def api(container: Container) -> Iterator[Api]:
    token = make_user(container, Role.ADMIN)[1]
    with TestClient(create_app(container=container), raise_server_exceptions=False) as client:
        yield Api(client, token)


def _create(api: Api, **body: Any) -> dict[str, Any]:
    resp = api.call("POST", "/articles", {"language": "es", **body})
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def test_a_long_title_gets_a_capped_slug_that_stays_unique(api: Api) -> None:
    start = "Cómo devolver un producto comprado en la tienda " * 6
    first = _create(api, title=(start + "de Madrid")[:300])
    second = _create(api, title=(start + "de Sevilla")[-300:])
    assert len(first["slug"]) <= 200 and len(second["slug"]) <= 200
    assert first["slug"] != second["slug"]


def test_put_keeps_the_language_and_applies_a_new_slug(api: Api) -> None:
    article = _create(api, title="Envíos")
    other = _create(api, title="Devoluciones")
    path = f"/articles/{article['id']}"

    moved = api.call("PUT", path, {"title": "Envíos", "language": "en"})
    assert moved.status_code == 422 and "language cannot be changed" in moved.text

    renamed = api.call("PUT", path, {"title": "Plazos de envío", "language": "es"})
    assert renamed.status_code == 200
    assert renamed.json()["slug"] == "envios"  # a new title keeps the links working

    reslugged = api.call("PUT", path, {"title": "Plazos", "language": "es", "slug": "Plazos!"})
    assert reslugged.status_code == 200 and reslugged.json()["slug"] == "plazos"

    taken = api.call("PUT", path, {"title": "Plazos", "language": "es", "slug": other["slug"]})
    assert taken.status_code == 409
    assert api.call("GET", path).json()["slug"] == "plazos"


def test_put_without_changes_makes_no_new_version(api: Api) -> None:
    article = _create(api, title="Envíos", body="Texto", examples=["¿cuánto tarda?"])
    body = {"title": "Envíos ", "language": "es", "body": "Texto\r\n",
            "examples": ["¿cuánto tarda?", " ¿cuánto tarda? "]}
    resp = api.call("PUT", f"/articles/{article['id']}", body)
    assert resp.status_code == 200 and resp.json()["version"] == 1
    versions = api.call("GET", f"/articles/{article['id']}/versions").json()["items"]
    assert [v["version"] for v in versions] == [1]


@pytest.mark.parametrize("text", ["nul \\u0000 char", "lone \\ud800 surrogate"])
def test_characters_no_database_stores_are_refused(api: Api, text: str) -> None:
    resp = api.raw("POST", "/articles", f'{{"title": "T", "language": "es", "body": "{text}"}}')
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["message"].startswith("body")


@pytest.mark.parametrize("number", [TOO_BIG, JUST_TOO_BIG])
def test_ids_beyond_64_bits_are_not_found_on_every_route(api: Api, number: str) -> None:
    article = _create(api, title="Uno")
    body = {"title": "Uno", "language": "es"}
    for method, path, payload in (
        ("GET", f"/articles/{number}", None),
        ("GET", f"/articles/{number}/versions", None),
        ("PUT", f"/articles/{number}", body),
        ("POST", f"/articles/{number}/examples", {"text": "hola"}),
        ("GET", f"/conversations/{number}", None),
        ("GET", f"/conversations/{number}/messages", None),
        ("POST", f"/conversations/{number}/notes", {"text": "x"}),
        ("GET", f"/contacts/{number}", None),
        ("GET", f"/attachments/{number}", None),
    ):
        resp = api.call(method, path, payload)
        assert resp.status_code == 404, (method, path, resp.text)
    for path in (f"/conversations?contact_id={number}", f"/conversations?assignee_id={number}"):
        assert api.call("GET", path).status_code == 422, path
    resp = api.call("POST", f"/articles/{article['id']}/examples", {"message_id": int(number)})
    assert resp.status_code == 422


def test_a_number_too_big_in_any_body_is_a_bad_request(api: Api) -> None:
    contact = api.call("POST", "/contacts", {"name": "Marta"}).json()
    resp = api.call("POST", f"/contacts/{contact['id']}/merge", {"merge_id": 2**63})
    assert resp.status_code == 422, resp.text


@pytest.mark.parametrize(
    "query",
    [
        "until=0001-01-01T00:00:00%2B01:00",
        "until=0001-01-02T00:00:00Z",
        "since=9999-12-31T23:59:59Z&until=9999-12-31T23:59:59-23:00",
    ],
)
def test_report_dates_out_of_range_are_a_bad_request(api: Api, query: str) -> None:
    resp = api.call("GET", f"/assistant/report?{query}")
    assert resp.status_code == 422, resp.text
