"""`ventanilla kb import|export`: the knowledge base as files, round trip, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def _md(folder: Path, name: str, front: str, body: str = "Body.") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}\n---\n\n{body}\n", encoding="utf-8")
    return path


def _output(result: Any) -> str:
    return " ".join(result.output.split())


def test_two_files_for_the_same_article_are_refused_naming_both(
    container: Container, cli: CliRunner, tmp_path: Path
) -> None:
    _md(tmp_path / "kb", "es/a.md", 'title: "Envíos"\nlanguage: es')
    _md(tmp_path / "kb", "es/b.md", 'title: "Otro"\nlanguage: es\nslug: envios')
    result = cli.invoke(app, ["kb", "import", str(tmp_path / "kb")])
    assert result.exit_code == 2
    assert "es/a.md and " in result.output and "es/b.md are the same article" in result.output
    assert articles(container) == {}


def test_reimporting_an_unchanged_file_makes_no_new_version(
    container: Container, cli: CliRunner, tmp_path: Path
) -> None:
    _md(
        tmp_path / "kb", "es/a.md",
        'title: "  Envíos  "\nlanguage: es\ncategory: " envíos "\n'
        'examples:\n  - "  ¿cuánto tarda?  "\n  - "¿cuánto tarda?"\n  - "¿dónde\\nestá?"\n'
        "tags:\n  - tag\n  - tag",
        body="Primera línea  \r\nsegunda\r\n\r\n",
    )
    for _ in range(2):
        result = cli.invoke(app, ["kb", "import", str(tmp_path / "kb")])
        assert result.exit_code == 0, result.output
    assert "0 created or updated" in result.output
    assert articles(container) == {("envios", "es"): 1}
    with container.uow() as uow:
        [article] = knowledge.all_articles(uow.session)
    assert article.examples == ("¿cuánto tarda?", "¿dónde está?")
    assert article.title == "Envíos" and article.category == "envíos"
    assert article.body == "Primera línea  \nsegunda"


@pytest.mark.parametrize(
    ("front", "body", "message"),
    [
        ('title: "' + "t" * 301 + '"\nlanguage: es', "x", "title has 301 characters, at most 300"),
        ('title: ok\nlanguage: es\ncategory: "' + "c" * 101 + '"', "x", "category has 101"),
        ("title: ok\nlanguage: es", "b" * 100_001, "body has 100001 characters"),
    ],
)
def test_values_too_long_are_refused_naming_the_file(
    container: Container, cli: CliRunner, tmp_path: Path, front: str, body: str, message: str
) -> None:
    _md(tmp_path / "kb", "es/long.md", front, body)
    result = cli.invoke(app, ["kb", "import", str(tmp_path / "kb")])
    assert result.exit_code == 2
    assert "long.md" in result.output and message in _output(result)
    assert articles(container) == {}


@pytest.mark.parametrize("suffix", ["", ".csv"])
def test_export_then_import_changes_nothing(
    container: Container, cli: CliRunner, tmp_path: Path, suffix: str
) -> None:
    long_title = "Cómo devolver " + " ".join(["un producto comprado"] * 12)
    with container.uow() as uow:
        for item in (
            knowledge.ArticleInput(
                title=long_title, language="es", body="Texto  \ncon saltos\n\n    código",
                examples=("una pregunta", "otra, con coma"), tags=("a b", "c"),
                short_answer="Línea 1\nLínea 2",
            ),
            knowledge.ArticleInput(title="Big", language="en", body="y" * 100_000),
        ):
            knowledge.create(uow.session, item)
        uow.commit()
    before = articles(container)
    assert all(len(slug) <= 200 for slug, _ in before)
    assert any(len(slug) > 150 for slug, _ in before)  # the long title was capped
    out = tmp_path / f"out{suffix}"
    exported = cli.invoke(app, ["kb", "export", str(out)])
    assert exported.exit_code == 0, exported.output
    again = cli.invoke(app, ["kb", "import", str(out)])
    assert again.exit_code == 0, again.output
    assert "2 articles read, 0 created or updated" in again.output
    assert articles(container) == before


def test_export_creates_missing_folders_and_refuses_a_path_under_a_file(
    container: Container, cli: CliRunner, tmp_path: Path
) -> None:
    with container.uow() as uow:
        knowledge.create(uow.session, knowledge.ArticleInput(title="Uno", language="es"))
        uow.commit()
    assert cli.invoke(app, ["kb", "export", str(tmp_path / "new" / "kb")]).exit_code == 0
    assert (tmp_path / "new" / "kb" / "es" / "uno.md").is_file()
    assert cli.invoke(app, ["kb", "export", str(tmp_path / "a" / "kb.csv")]).exit_code == 0
    plain = tmp_path / "file.txt"
    plain.write_text("x", encoding="utf-8")
    folder_named_csv = tmp_path / "folder.csv"
    folder_named_csv.mkdir()
    for target in (plain, plain / "kb", plain / "kb.csv", folder_named_csv):
        result = cli.invoke(app, ["kb", "export", str(target)])
        assert result.exit_code == 2, result.output
        assert "cannot export" in result.output and "Traceback" not in result.output


def test_import_refuses_bad_files_in_one_line(
    container: Container, cli: CliRunner, tmp_path: Path
) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("title,language\nCafé,es\n".encode("latin-1"))
    quotes = tmp_path / "quotes.csv"
    quotes.write_text('title,language\n"unterminated,es\n', encoding="utf-8")
    nul = tmp_path / "nul.csv"
    nul.write_text("title,language\nNu\x00l,es\n", encoding="utf-8")
    for path, message in (
        (latin, "not UTF-8"), (quotes, "quotes"), (nul, "U+0000"),
        (tmp_path / "missing.csv", "no such file or folder"),
    ):
        result = cli.invoke(app, ["kb", "import", str(path)])
        assert result.exit_code == 2
        assert message in result.output and "Traceback" not in result.output
    assert articles(container) == {}


def test_kb_commands_on_a_database_not_migrated_say_what_to_do(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VENTANILLA_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    source = _md(tmp_path / "kb", "es/a.md", "title: A\nlanguage: es")
    for args in (["import", str(source.parent.parent)], ["export", str(tmp_path / "o.csv")]):
        result = cli.invoke(app, ["kb", *args])
        assert result.exit_code == 2
        assert "run 'ventanilla migrate'" in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "o.csv").exists()
