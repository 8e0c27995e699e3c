"""Import and export the knowledge base as a folder of Markdown files or as one CSV file.

A Markdown article starts with front matter between ``---`` lines: ``key: value`` pairs
(values may be JSON-quoted) and ``examples:`` / ``tags:`` followed by ``- item`` lines or
given inline as a list (``examples: ["one", "two"]``). The rest of the file is the body.

In a CSV file the list fields hold one item per line of their cell.

Reading never guesses: a file that is not UTF-8, a badly quoted value or CSV row, a row with
more cells than the header, or a character that cannot be stored is refused with the file
(and line) it was found in.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
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
# The slug column holds 200 characters; a Markdown file is named <slug>.md.
SLUG_MAX = 200
# Cells of a knowledge-base CSV may be long (a body, hundreds of examples).
CSV_FIELD_LIMIT = 64 * 1024 * 1024
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


class KnowledgeFormatError(ValueError):
    """An article file or row cannot be read; the message names the file and the problem."""


def article_slug(text: str, limit: int = SLUG_MAX) -> str:
    """``slugify(text)`` in at most ``limit`` characters.

    A longer slug keeps its first words and ends with a short hash of the whole slug, so
    the same text always gets the same slug and two long titles that only differ at the end
    still get different ones.
    """
    slug = slugify(text)
    if len(slug) <= limit:
        return slug
    digest = hashlib.sha256(slug.encode("ascii")).hexdigest()[:8]
    head = slug[: limit - len(digest) - 1]
    cut = head.rfind("-")
    if cut >= len(head) // 2:
        head = head[:cut]
    return f"{head.rstrip('-')}-{digest}"


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalise_body(text: str) -> str:
    """A body as it is stored: ``\\n`` line ends, no blank lines before it, no white space
    after it. Spaces at the end of inner lines (Markdown line breaks) are kept."""
    return _LEADING_BLANK_LINES.sub("", normalise_newlines(text)).rstrip()


def unstorable_character(text: str) -> str | None:
    """A description of the first character that no database can store, if any."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at position {found.start() + 1}"


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _unquote(raw: str, where: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            loaded = json.loads(raw)
        except json.JSONDecodeError as error:
            raise KnowledgeFormatError(
                f"{where}: badly quoted value ({error.msg} at column {error.colno}); "
                'inside "..." write \\" for a quote and \\\\ for a backslash'
            ) from None
        return str(loaded)
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw


def _inline_list(raw: str, where: str) -> list[str]:
    """``["a", "b"]`` (JSON) or ``[a, b]`` (plain words) as a list of strings."""
    try:
        loaded = json.loads(raw)
    except json.JSONDecodeError:
        inner = raw[1:-1]
        if '"' in inner or "'" in inner:
            raise KnowledgeFormatError(
                f'{where}: write the list as JSON (["one", "two"]) or as "- item" lines'
            ) from None
        return [item.strip() for item in inner.split(",") if item.strip()]
    if not isinstance(loaded, list) or not all(isinstance(item, str) for item in loaded):
        raise KnowledgeFormatError(f"{where}: the list must hold only quoted text")
    return loaded


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
    return "\n".join(lines) + "\n\n" + normalise_body(article.body) + "\n"


def _parse_front_matter(lines: list[str], where: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    current: list[str] | None = None
    for number, line in enumerate(lines, start=2):
        here = f"{where}:{number}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.lstrip().startswith("- ") and current is not None:
            current.append(_unquote(line.lstrip()[2:], here))
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip().isidentifier():
            raise KnowledgeFormatError(f"{here}: expected 'key: value'")
        key = key.strip()
        if key in fields:
            raise KnowledgeFormatError(f"{here}: {key} is given twice")
        value = value.strip()
        if key in LIST_FIELDS:
            if value.startswith("[") and value.endswith("]"):
                current = None
                fields[key] = _inline_list(value, here)
            else:
                current = [] if not value else [_unquote(value, here)]
                fields[key] = current
        else:
            current = None
            fields[key] = _unquote(value, here)
    return fields


def from_markdown(text: str, where: str = "<text>") -> Article:
    """Parse one Markdown article (the inverse of ``to_markdown``)."""
    lines = normalise_newlines(text.lstrip("\ufeff")).split("\n")
    if lines[0].strip() != "---":
        raise KnowledgeFormatError(f"{where}: missing front matter (first line must be ---)")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise KnowledgeFormatError(f"{where}: front matter is not closed with ---") from None
    fields = _parse_front_matter(lines[1:end], where)
    fields["body"] = normalise_body("\n".join(lines[end + 1 :]))
    return _article(fields, where)


def _article(fields: dict[str, Any], where: str) -> Article:
    unknown = sorted(set(fields) - set(CSV_COLUMNS))
    if unknown:
        raise KnowledgeFormatError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for name, value in fields.items():
        for text in value if isinstance(value, list) else [value]:
            bad = unstorable_character(str(text))
            if bad:
                raise KnowledgeFormatError(f"{where}: {name} holds a character ({bad}) "
                                           "that cannot be stored")
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
            human_only=_flag(str(fields.get("human_only", "false")), "human_only"),
            slug=str(fields.get("slug", "")),
            version=_version(str(fields.get("version") or "1")),
            tags=tuple(t for t in fields.get("tags", ()) if t.strip()),
        )
    except ValueError as error:
        raise KnowledgeFormatError(f"{where}: {error}") from error


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0", ""):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _version(value: str) -> int:
    if not value.strip().isdigit() or len(value.strip()) > 9:
        raise ValueError(f"version must be a whole number, not {value!r}")
    return int(value)


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise KnowledgeFormatError(
            f"{where}: not UTF-8 text (byte 0x{data[error.start]:02x} at position "
            f"{error.start + 1}); save the file as UTF-8"
        ) from None


def _file_stem(article: Article) -> str:
    return article_slug(article.slug or article.id)


def plan_folder(articles: Iterable[Article], folder: Path) -> dict[Path, bytes]:
    """What ``export_folder`` writes: ``<language>/<slug>.md`` and its bytes, per article."""
    planned: dict[Path, bytes] = {}
    for article in articles:
        path = folder / article.language / f"{_file_stem(article)}.md"
        if path in planned:
            path = path.with_name(f"{article_slug(f'{path.stem}-{article.id}')}.md")
        try:
            planned[path] = to_markdown(article).encode("utf-8")
        except UnicodeEncodeError as error:
            raise KnowledgeFormatError(
                f"article {article.id}: holds a character that cannot be written "
                f"({error.reason})"
            ) from None
    return planned


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``; a failure leaves any earlier file there untouched."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def export_folder(articles: Iterable[Article], folder: Path) -> list[Path]:
    """Write one ``<language>/<slug>.md`` file per article; returns the paths written.

    Every file name and content is worked out before the first file is written."""
    planned = plan_folder(articles, folder)
    for path, data in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)
    return list(planned)


def read_folder(folder: Path) -> list[tuple[str, Article]]:
    """Every ``*.md`` file under ``folder`` (sorted by path), with the file it came from."""
    if not folder.is_dir():
        raise KnowledgeFormatError(f"{folder}: not a folder")
    entries = []
    for path in sorted(folder.rglob("*.md")):
        where = str(path)
        entries.append((where, from_markdown(_decode(path.read_bytes(), where), where)))
    return entries


def import_folder(folder: Path) -> list[Article]:
    """Read every ``*.md`` file under ``folder`` (sorted by path)."""
    return [article for _, article in read_folder(folder)]


def export_csv(articles: Iterable[Article]) -> str:
    """All articles as CSV text; list fields hold one item per line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for article in articles:
        row = {name: getattr(article, name) for name in SCALAR_FIELDS}
        row["human_only"] = "true" if article.human_only else "false"
        row.update(
            examples="\n".join(_one_line(e) for e in article.examples),
            tags="\n".join(_one_line(t) for t in article.tags),
        )
        writer.writerow({**row, "body": article.body})
    return buffer.getvalue()


def _one_line(item: str) -> str:
    return " ".join(item.split())


def read_csv_file(path: Path) -> list[tuple[str, Article]]:
    """The articles of a CSV file, each with the file and line it starts on."""
    return read_csv(_decode(path.read_bytes(), str(path)), str(path))


def read_csv(text: str, where: str = "<csv>") -> list[tuple[str, Article]]:
    """The articles of CSV text, each with the line it starts on."""
    previous = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        return _read_csv(text, where)
    finally:
        csv.field_size_limit(previous)


def _read_csv(text: str, where: str) -> list[tuple[str, Article]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as error:
        raise KnowledgeFormatError(f"{where}:1: {error}") from None
    if "title" not in header:
        raise KnowledgeFormatError(f"{where}: missing column title")
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise KnowledgeFormatError(f"{where}: column(s) {', '.join(repeated)} given twice")
    entries = []
    start = reader.line_num + 1
    while True:
        here = f"{where}:{start}"
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise KnowledgeFormatError(f"{here}: {error} (check the quotes)") from None
        start = reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            raise KnowledgeFormatError(
                f"{here}: {len(cells)} cells but the header has {len(header)} columns"
            )
        fields: dict[str, Any] = {k: v for k, v in zip(header, cells, strict=False) if k and v}
        for name in LIST_FIELDS:
            if name in fields:
                fields[name] = [line for line in fields[name].splitlines() if line.strip()]
        entries.append((here, _article(fields, here)))
    return entries


def import_csv(text: str, where: str = "<csv>") -> list[Article]:
    """Parse CSV written by ``export_csv`` (only ``title`` is required)."""
    return [article for _, article in read_csv(text, where)]
