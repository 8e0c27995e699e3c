"""`ventanilla serve`: the banner names the address the server really listens on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from ventanilla.cli import app

DEMO_VARIABLES = (
    "VENTANILLA_DEMO", "VENTANILLA_STORE_ORDER_URL", "VENTANILLA_STORE_CANCEL_URL",
    "VENTANILLA_STORE_AUTH_HEADER", "VENTANILLA_SMTP_RECEIVER_PORT", "VENTANILLA_PUBLIC_URL",
)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("VENTANILLA_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    for name in DEMO_VARIABLES:  # serve --demo sets some; they are put back afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    calls: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kw: calls.update(kw))
    return calls


def test_serve_with_demo_prints_the_host_and_port_it_listens_on(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["serve", "--port", "8732", "--demo"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8732/" in result.output
    assert ":8000" not in result.output
    assert served["port"] == 8732


def test_serve_on_every_interface_prints_a_reachable_address(served: dict[str, Any]) -> None:
    every = "0.0.0.0"  # noqa: S104 (uvicorn.run is replaced; nothing listens)
    result = CliRunner().invoke(app, ["serve", "--host", every, "--port", "9001"])
    assert result.exit_code == 0, result.output
    assert "serving on http://127.0.0.1:9001/" in result.output


def test_links_sent_by_email_point_at_the_port_served(served: dict[str, Any]) -> None:
    import os

    from ventanilla.config import Settings

    result = CliRunner().invoke(app, ["serve", "--port", "9002"])
    assert result.exit_code == 0, result.output
    assert Settings().public_url == "http://127.0.0.1:9002"
    assert os.environ["VENTANILLA_PUBLIC_URL"] == "http://127.0.0.1:9002"
