"""`ventanilla kb import|export`: the knowledge base as files, round trip, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ventanilla.assistant import kb_io
from ventanilla.bootstrap import Container
from ventanilla.cli import app
from ventanilla.services import knowledge


@pytest.fixture
def cli(container: Container, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VENTANILLA_DATABASE_URL", container.settings.database_url)
    return CliRunner()


def articles(container: Container) -> dict[tuple[str, str], int]:
    with container.uow() as uow:
        return {(a.slug, a.language): a.version for a in knowledge.all_articles(uow.session)}


def test_a_markdown_folder_imports_and_exports_round_trip(
    container: Container, cli: CliRunner, tmp_path: Path
) -> None:
    source = tmp_path / "kb"
    (source / "es").mkdir(parents=True)
    (source / "es" / "envios.md").write_text(
        '---\ntitle: "Envíos"\nlanguage: "es"\nslug: "envios"\nshort_answer: "En 24 h."\n'
        'examples:\n  - "¿cuánto tarda?"\n---\n\nPreparamos en 24 h.\n',
        encoding="utf-8",
    )
    first = cli.invoke(app, ["kb", "import", str(source)])
    assert first.exit_code == 0, first.output
    assert "1 created or updated" in first.output
    assert articles(container) == {("envios", "es"): 1}

    out = tmp_path / "out.csv"
    assert cli.invoke(app, ["kb", "export", str(out)]).exit_code == 0
    again = cli.invoke(app, ["kb", "import", str(out)])
    assert again.exit_code == 0 and "0 created or updated" in again.output
    [article] = kb_io.import_csv(out.read_text(encoding="utf-8"))
    assert article.examples == ("¿cuánto tarda?",) and article.short_answer == "En 24 h."


def test_a_broken_file_is_refused_with_a_message_and_nothing_changes(
    container: Container, cli: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("title,language\nSin idioma,xx\n", encoding="utf-8")
    result = cli.invoke(app, ["kb", "import", str(bad)])
    assert result.exit_code == 2
    assert "cannot import" in result.output
    assert "Traceback" not in result.output
    assert articles(container) == {}
