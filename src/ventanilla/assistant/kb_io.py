"""Import and export the knowledge base as a folder of Markdown files or as one CSV file.

A Markdown article starts with front matter between ``---`` lines: ``key: value`` pairs
(values may be JSON-quoted) and ``examples:`` / ``tags:`` followed by ``- item`` lines.
The rest of the file is the body.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ventanilla.assistant.knowledge import Article, slugify

LIST_FIELDS = ("examples", "tags")
SCALAR_FIELDS = (
    "id", "title", "language", "category", "audience", "slug", "human_only", "version",
    "short_answer",
)
CSV_COLUMNS = (*SCALAR_FIELDS, "examples", "tags", "body")


class KnowledgeFormatError(ValueError):
    """An article file or row cannot be read; the message names the file and the problem."""


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _unquote(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        loaded = json.loads(raw)
        return str(loaded)
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw


def to_markdown(article: Article) -> str:
    """One article as Markdown with front matter."""
    lines = ["---"]
    for name in SCALAR_FIELDS:
        value = getattr(article, name)
        if isinstance(value, bool):
            lines.append(f"{name}: {'true' if value else 'false'}")
        elif isinstance(value, int):
            lines.append(f"{name}: {value}")
        else:
            lines.append(f"{name}: {_quote(value)}")
    for name in LIST_FIELDS:
        items: tuple[str, ...] = getattr(article, name)
        lines.append(f"{name}:" if items else f"{name}: []")
        lines.extend(f"  - {_quote(item)}" for item in items)
    lines.append("---")
    return "\n".join(lines) + "\n\n" + article.body.strip() + "\n"


def _parse_front_matter(lines: list[str], where: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    current: list[str] | None = None
    for number, line in enumerate(lines, start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.lstrip().startswith("- ") and current is not None:
            current.append(_unquote(line.lstrip()[2:]))
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip().isidentifier():
            raise KnowledgeFormatError(f"{where}:{number}: expected 'key: value'")
        key = key.strip()
        if key in LIST_FIELDS:
            current = [] if value.strip() in ("", "[]") else [_unquote(value)]
            fields[key] = current
        else:
            current = None
            fields[key] = _unquote(value)
    return fields


def from_markdown(text: str, where: str = "<text>") -> Article:
    """Parse one Markdown article (the inverse of ``to_markdown``)."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise KnowledgeFormatError(f"{where}: missing front matter (first line must be ---)")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise KnowledgeFormatError(f"{where}: front matter is not closed with ---") from None
    fields = _parse_front_matter(lines[1:end], where)
    fields["body"] = "\n".join(lines[end + 1 :]).strip()
    return _article(fields, where)


def _article(fields: dict[str, Any], where: str) -> Article:
    unknown = sorted(set(fields) - set(CSV_COLUMNS))
    if unknown:
        raise KnowledgeFormatError(f"{where}: unknown field(s) {', '.join(unknown)}")
    title = str(fields.get("title", "")).strip()
    if not title:
        raise KnowledgeFormatError(f"{where}: an article needs a title")
    try:
        return Article(
            id=str(fields.get("id") or slugify(title)),
            title=title,
            body=str(fields.get("body", "")),
            language=fields.get("language") or "en",
            category=str(fields.get("category", "")),
            audience=fields.get("audience") or "public",
            examples=tuple(e for e in fields.get("examples", ()) if e.strip()),
            short_answer=str(fields.get("short_answer", "")),
            human_only=str(fields.get("human_only", "false")).lower() in ("true", "yes", "1"),
            slug=str(fields.get("slug", "")),
            version=int(fields.get("version") or 1),
            tags=tuple(t for t in fields.get("tags", ()) if t.strip()),
        )
    except ValueError as error:
        raise KnowledgeFormatError(f"{where}: {error}") from error


def export_folder(articles: Iterable[Article], folder: Path) -> list[Path]:
    """Write one ``<language>/<slug>.md`` file per article; returns the paths written."""
    written = []
    for article in articles:
        path = folder / article.language / f"{slugify(article.slug or article.id)}.md"
        if path in written:
            path = path.with_name(f"{path.stem}-{slugify(article.id)}.md")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_markdown(article), encoding="utf-8")
        written.append(path)
    return written


def import_folder(folder: Path) -> list[Article]:
    """Read every ``*.md`` file under ``folder`` (sorted by path)."""
    if not folder.is_dir():
        raise KnowledgeFormatError(f"{folder}: not a folder")
    return [
        from_markdown(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(folder.rglob("*.md"))
    ]


def export_csv(articles: Iterable[Article]) -> str:
    """All articles as CSV text; list fields hold one item per line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for article in articles:
        row = {name: getattr(article, name) for name in SCALAR_FIELDS}
        row["human_only"] = "true" if article.human_only else "false"
        row.update(examples="\n".join(article.examples), tags="\n".join(article.tags))
        writer.writerow({**row, "body": article.body})
    return buffer.getvalue()


def import_csv(text: str, where: str = "<csv>") -> list[Article]:
    """Parse CSV written by ``export_csv`` (only ``title`` is required)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if "title" not in (reader.fieldnames or []):
        raise KnowledgeFormatError(f"{where}: missing column title")
    articles = []
    for number, row in enumerate(reader, start=2):
        fields: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
        for name in LIST_FIELDS:
            if name in fields:
                fields[name] = [line for line in fields[name].splitlines() if line.strip()]
        articles.append(_article(fields, f"{where}:{number}"))
    return articles
