from pathlib import Path

import pytest

from ventanilla.assistant.kb_io import (
    KnowledgeFormatError,
    export_csv,
    export_folder,
    from_markdown,
    import_csv,
    import_folder,
)
from ventanilla.assistant.knowledge import Article

ARTICLES = [
    Article(
        id="shipping-es", title="Plazos de envío: \"rápido\"", language="es",
        category="envíos", examples=("¿cuánto tarda?", "llega: mañana"),
        short_answer="3 a 5 días.", body="# Envíos\n\nLlegan en 3 a 5 días.\n\n- Madrid: 24 h",
        slug="shipping-times", version=3, tags=("envío",),
    ),
    Article(
        id="legal", title="Legal claims", language="en", audience="internal",
        human_only=True, body="Escalate to legal.",
    ),
]


def test_a_knowledge_base_survives_export_and_import_as_markdown(tmp_path: Path) -> None:
    written = export_folder(ARTICLES, tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == {
        "es/shipping-times.md", "en/legal-claims.md",
    }
    assert sorted(import_folder(tmp_path), key=lambda a: a.id) == sorted(
        ARTICLES, key=lambda a: a.id
    )


def test_a_knowledge_base_survives_export_and_import_as_csv() -> None:
    assert import_csv(export_csv(ARTICLES)) == ARTICLES


def test_a_hand_written_markdown_article_is_read() -> None:
    article = from_markdown(
        "---\ntitle: Horario de atención\nlanguage: es\nexamples:\n  - ¿a qué hora abren?\n"
        "---\nDe 9 a 18 h.\n"
    )
    assert article.title == "Horario de atención"
    assert article.examples == ("¿a qué hora abren?",)
    assert article.body == "De 9 a 18 h."
    assert article.link == "/help/es/horario-de-atencion"


def test_a_broken_file_is_reported_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("title: no front matter\n", encoding="utf-8")
    with pytest.raises(KnowledgeFormatError, match=r"bad\.md: missing front matter"):
        import_folder(tmp_path)


def test_a_csv_row_with_an_unknown_language_names_the_row() -> None:
    with pytest.raises(KnowledgeFormatError, match=r"<csv>:3: .*language"):
        import_csv("title,language\nOk,en\nBroken,fr\n")
