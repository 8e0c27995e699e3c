from pathlib import Path

import pytest

from ventanilla.assistant.kb_io import (
    SLUG_MAX,
    KnowledgeFormatError,
    article_slug,
    export_csv,
    export_folder,
    from_markdown,
    import_csv,
    import_folder,
    read_csv_file,
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


def test_a_long_slug_is_capped_stays_stable_and_unique() -> None:
    words = " ".join(["palabra"] * 60)
    first, second = article_slug(words + " uno"), article_slug(words + " dos")
    assert len(first) <= SLUG_MAX and len(second) <= SLUG_MAX
    assert first != second
    assert first == article_slug(words + " uno")
    assert first.startswith("palabra-palabra") and not first.startswith("-")
    assert article_slug("Envíos rápidos") == "envios-rapidos"


def test_an_article_with_a_very_long_slug_exports_under_a_short_file_name(
    tmp_path: Path,
) -> None:
    article = Article(id="7", title="Long", language="es", slug="x" * 400)
    [path] = export_folder([article], tmp_path)
    assert len(path.name) <= SLUG_MAX + 3
    assert import_folder(tmp_path) == [article]


def test_markdown_keeps_the_body_exactly_including_line_breaks_and_special_characters(
    tmp_path: Path,
) -> None:
    body = "Line with a hard break  \nnext line\u2028same paragraph\x0cform feed\n\n    code"
    article = Article(id="1", title="Body", language="en", body=body)
    export_folder([article], tmp_path)
    assert import_folder(tmp_path) == [article]


def test_csv_keeps_multi_line_values_and_one_item_per_line_in_list_cells() -> None:
    article = Article(
        id="1", title="Multi", language="en", short_answer="one\ntwo",
        body="a\n\nb", examples=("where is it", "when, exactly?"), tags=("a tag", "b"),
    )
    assert import_csv(export_csv([article])) == [article]
    # An item written across lines becomes one line: a list cell holds one item a line.
    split = Article(id="2", title="Split", language="en", examples=("where\nis it",))
    assert import_csv(export_csv([split]))[0].examples == ("where is it",)


def test_a_csv_cell_larger_than_the_csv_module_default_is_read() -> None:
    body = "x" * 200_000
    assert import_csv(f'title,language,body\nBig,en,"{body}"\n')[0].body == body


def test_a_csv_with_an_unclosed_quote_is_refused_with_the_line() -> None:
    with pytest.raises(KnowledgeFormatError, match=r"<csv>:3: .*quotes"):
        import_csv('title,language\nok,es\n"unterminated,es\n')


def test_a_csv_row_with_more_cells_than_columns_is_refused() -> None:
    with pytest.raises(KnowledgeFormatError, match=r"<csv>:2: 3 cells but the header has 2"):
        import_csv("title,language\nHola,es,extra\n")


def test_csv_columns_may_be_capitalised() -> None:
    assert import_csv("Title,Language\nX,es\n")[0].language == "es"


def test_files_that_are_not_utf8_are_refused_with_the_file_name(tmp_path: Path) -> None:
    (tmp_path / "latin.md").write_bytes("---\ntitle: Café\n---\n".encode("latin-1"))
    with pytest.raises(KnowledgeFormatError, match=r"latin\.md: not UTF-8 text"):
        import_folder(tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("title,language\nCafé,es\n".encode("latin-1"))
    with pytest.raises(KnowledgeFormatError, match=r"latin\.csv: not UTF-8 text \(byte 0xe9"):
        read_csv_file(latin)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('title: "bad \\q escape"', r"a\.md:2: badly quoted value"),
        ('title: "\\ud800"', r"a\.md: title holds a character \(U\+D800"),
        ('title: "nul \\u0000"', r"a\.md: title holds a character \(U\+0000"),
        ('title: ok\nexamples:\n  - "\\x"', r"a\.md:4: badly quoted value"),
        ('title: ok\nexamples: ["a", \'b\']', r"a\.md:3: write the list as JSON"),
        ('title: ok\nexamples: [1, 2]', r"a\.md:3: the list must hold only quoted text"),
        ("title: ok\ntitle: again", r"a\.md:3: title is given twice"),
        ("title: ok\nhuman_only: maybe", r"a\.md: human_only must be true or false"),
    ],
)
def test_bad_front_matter_is_refused_with_the_file_and_line(
    tmp_path: Path, line: str, message: str
) -> None:
    (tmp_path / "a.md").write_text(f"---\n{line}\n---\nBody\n", encoding="utf-8")
    with pytest.raises(KnowledgeFormatError, match=message):
        import_folder(tmp_path)


def test_front_matter_lists_may_be_written_inline() -> None:
    article = from_markdown('---\ntitle: T\nexamples: ["a", "b, c"]\ntags: [x, y]\n---\n')
    assert article.examples == ("a", "b, c")
    assert article.tags == ("x", "y")
