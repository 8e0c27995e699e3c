"""`ventanilla kb import|export`: the knowledge base as Markdown files or one CSV."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from ventanilla.config import Settings

if TYPE_CHECKING:
    from ventanilla.assistant.knowledge import Article
    from ventanilla.bootstrap import Container
    from ventanilla.services.knowledge import ArticleInput

app = typer.Typer(help="Knowledge base: import and export articles.", no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _os_message(exc: OSError, path: Path) -> str:
    """The reason, naming the file only when it is not ``path`` itself."""
    if not exc.strerror:
        return str(exc)
    if exc.filename and Path(exc.filename) != path:
        return f"{exc.filename}: {exc.strerror}"
    return exc.strerror


def _file_above(path: Path) -> Path | None:
    """A file standing where a folder above ``path`` should be."""
    return next((p for p in path.parents if p.exists() and not p.is_dir()), None)


@contextmanager
def _database(action: str) -> Iterator[Container]:
    """The container, once the database is reachable and its schema is up to date."""
    from sqlalchemy.exc import SQLAlchemyError

    from ventanilla.bootstrap import Container

    try:
        settings = Settings()
    except ValueError as exc:
        _fail(f"configuration error: {exc}")
    container = Container(settings)
    try:
        try:
            behind = _schema_behind(container)
        except SQLAlchemyError as exc:
            _fail(f"cannot {action}: cannot read the database ({_first_line(exc)})")
        if behind:
            _fail(f"cannot {action}: the database is not set up for this version; "
                  "run 'ventanilla migrate' first")
        yield container
    finally:
        container.engine.dispose()


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _schema_behind(container: Container) -> bool:
    """True when the database's migrations are not the ones this code expects."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from ventanilla.storage.migrate import alembic_config

    url = container.settings.database_url
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    with container.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current != heads


def _inputs(entries: list[tuple[str, Article]]) -> list[ArticleInput]:
    """Check every article where it was read, and refuse two for the same slug and language
    (the second would silently replace the first)."""
    from ventanilla.domain.errors import DomainError
    from ventanilla.services import knowledge

    items: list[ArticleInput] = []
    first: dict[tuple[str, str], str] = {}
    for where, article in entries:
        data = knowledge.input_from_article(article)
        try:
            data.check()
        except DomainError as exc:
            _fail(f"cannot import {where}: {exc.message}")
        key = (data.key_slug, data.language)
        if key in first:
            _fail(
                f"cannot import: {first[key]} and {where} are the same article "
                f"(slug {key[0]!r} in {key[1]}); give one of them another slug"
            )
        first[key] = where
        items.append(data)
    return items


@app.command("import")
def import_articles(source: Path) -> None:
    """Import a folder of Markdown files (<language>/<slug>.md) or a CSV file."""
    from ventanilla.assistant import kb_io
    from ventanilla.domain.errors import DomainError
    from ventanilla.services import knowledge

    if not source.exists():
        _fail(f"cannot import {source}: no such file or folder")
    try:
        entries = kb_io.read_folder(source) if source.is_dir() else kb_io.read_csv_file(source)
    except OSError as exc:
        _fail(f"cannot import {source}: {_os_message(exc, source)}")
    except kb_io.KnowledgeFormatError as exc:
        _fail(f"cannot import {exc}")
    items = _inputs(entries)
    with _database("import") as container:
        try:
            with container.uow() as uow:
                changed = knowledge.upsert_many(uow.session, items, None)
                uow.commit()
        except DomainError as exc:
            _fail(f"cannot import {source}: {exc.message}")
    typer.echo(f"{len(items)} articles read, {changed} created or updated")


@app.command("export")
def export_articles(target: Path) -> None:
    """Export to a folder of Markdown files, or to a CSV file when TARGET ends in .csv.

    Missing folders on the way are created; files already there with the same names are
    replaced."""
    from ventanilla.assistant import kb_io
    from ventanilla.services import knowledge

    as_csv = target.suffix.lower() == ".csv"
    if as_csv and target.is_dir():
        _fail(f"cannot export to {target}: it is a folder; give a file name ending in .csv")
    if not as_csv and target.exists() and not target.is_dir():
        _fail(f"cannot export to {target}: it is a file, not a folder")
    above = _file_above(target)
    if above is not None:
        _fail(f"cannot export to {target}: {above} is a file, not a folder")
    with _database("export") as container, container.uow() as uow:
        articles = knowledge.all_articles(uow.session)
    try:
        if as_csv:
            data = kb_io.export_csv(articles).encode("utf-8")
            target.parent.mkdir(parents=True, exist_ok=True)
            kb_io.write_atomically(target, data)
        else:
            target.mkdir(parents=True, exist_ok=True)
            kb_io.export_folder(articles, target)
    except OSError as exc:
        _fail(f"cannot export to {target}: {_os_message(exc, target)}")
    except (UnicodeEncodeError, kb_io.KnowledgeFormatError) as exc:
        _fail(f"cannot export to {target}: {exc}")
    typer.echo(f"{len(articles)} articles written to {target}")
