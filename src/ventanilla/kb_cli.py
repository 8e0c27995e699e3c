"""`ventanilla kb import|export`: the knowledge base as Markdown files or one CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from ventanilla.config import Settings

app = typer.Typer(help="Knowledge base: import and export articles.", no_args_is_help=True)


@app.command("import")
def import_articles(source: Path) -> None:
    """Import a folder of Markdown files (<language>/<slug>.md) or a CSV file."""
    from ventanilla.assistant import kb_io
    from ventanilla.bootstrap import Container
    from ventanilla.domain.errors import DomainError
    from ventanilla.services import knowledge

    try:
        if source.is_dir():
            articles = kb_io.import_folder(source)
        else:
            articles = kb_io.import_csv(source.read_text(encoding="utf-8"), str(source))
    except (OSError, kb_io.KnowledgeFormatError) as exc:
        typer.echo(f"cannot import {source}: {exc}", err=True)
        raise typer.Exit(2) from exc
    container = Container(Settings())
    try:
        with container.uow() as uow:
            items = [knowledge.input_from_article(a) for a in articles]
            changed = knowledge.upsert_many(uow.session, items, None)
            uow.commit()
    except DomainError as exc:
        typer.echo(f"cannot import {source}: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        container.engine.dispose()
    typer.echo(f"{len(articles)} articles read, {changed} created or updated")


@app.command("export")
def export_articles(target: Path) -> None:
    """Export to a folder of Markdown files, or to a CSV file when TARGET ends in .csv."""
    from ventanilla.assistant import kb_io
    from ventanilla.bootstrap import Container
    from ventanilla.services import knowledge

    container = Container(Settings())
    with container.uow() as uow:
        articles = knowledge.all_articles(uow.session)
    container.engine.dispose()
    if target.suffix.lower() == ".csv":
        target.write_text(kb_io.export_csv(articles), encoding="utf-8")
    else:
        kb_io.export_folder(articles, target)
    typer.echo(f"{len(articles)} articles written to {target}")
