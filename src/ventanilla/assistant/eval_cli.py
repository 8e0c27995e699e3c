"""``ventanilla eval``: measure the assistant and the sentiment model on CSV files."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ventanilla.assistant.knowledge import Language

app = typer.Typer(help="Evaluate the assistant and the sentiment model.", no_args_is_help=True)


class LanguageChoice(StrEnum):
    es = "es"
    en = "en"
    auto = "auto"


LangOption = Annotated[
    LanguageChoice, typer.Option("--lang", help="Language of the queries; auto detects it.")
]
JsonOption = Annotated[Path, typer.Option("--json", help="Where to write the figures.")]


def _language(choice: LanguageChoice) -> Language | None:
    if choice is LanguageChoice.es:
        return "es"
    if choice is LanguageChoice.en:
        return "en"
    return None


def _check_out(out: Path) -> None:
    """Make sure the figures can be written to ``out`` before spending time measuring."""
    if out.is_dir():
        raise typer.BadParameter(f"{out} is a folder; give a file name", param_hint="--json")
    file = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if file is not None:
        raise typer.BadParameter(f"{file} is a file, not a folder", param_hint="--json")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        raise typer.BadParameter(
            f"cannot create the folder {out.parent}: {reason}", param_hint="--json"
        ) from None
    if not os.access(out.parent, os.W_OK | os.X_OK) or (
        out.exists() and not os.access(out, os.W_OK)
    ):
        raise typer.BadParameter(f"{out} cannot be written", param_hint="--json")


def _write(figures: dict[str, object], out: Path) -> None:
    text = json.dumps(figures, indent=2, ensure_ascii=False) + "\n"
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        typer.echo(f"cannot write {out}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(figures, ensure_ascii=False))


@app.command("assistant")
def assistant_command(
    train: Annotated[Path, typer.Option("--train", help="CSV with text,intent.")],
    test: Annotated[Path, typer.Option("--test", help="CSV with text,intent (oos = none).")],
    out: JsonOption,
    answers: Annotated[
        Path | None, typer.Option("--answers", help="CSV with intent,answer.")
    ] = None,
    lang: LangOption = LanguageChoice.auto,
) -> None:
    """Build a knowledge base from TRAIN, run every TEST query as a new conversation."""
    from ventanilla.assistant.engine import Assistant
    from ventanilla.assistant.evaluation import (
        OUT_OF_SCOPE,
        DataError,
        articles_from_training,
        evaluate_assistant,
        read_rows,
    )

    _check_out(out)
    language = _language(lang)
    try:
        train_rows = read_rows(train, ("text", "intent"))
        test_rows = read_rows(test, ("text", "intent"))
        answer_rows = read_rows(answers, ("intent", "answer")) if answers else []
    except DataError as error:
        raise typer.BadParameter(str(error)) from error
    if not train_rows:
        raise typer.BadParameter(f"{train}: no training rows")
    if not test_rows:
        raise typer.BadParameter(f"{test}: no test rows")
    known = {r["intent"] for r in train_rows} | {OUT_OF_SCOPE}
    unknown = sorted({r["intent"] for r in test_rows} - known)
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        typer.echo(
            f"warning: {len(unknown)} test intent(s) not in {train.name} ({shown}); "
            "their queries count as in scope and cannot be answered right (use 'oos' for "
            "queries the knowledge base should not answer)",
            err=True,
        )
    answer_map = {r["intent"]: r["answer"] for r in answer_rows}
    assistant = Assistant(articles_from_training(train_rows, answer_map, language))
    _write(evaluate_assistant(assistant, test_rows, language), out)


@app.command("sentiment")
def sentiment_command(
    test: Annotated[Path, typer.Option("--test", help="CSV with text,label.")],
    out: JsonOption,
    lang: LangOption = LanguageChoice.auto,
    model_only: Annotated[
        bool,
        typer.Option(
            "--model-only",
            help="The trained model's own reading, without the service cues (for comparison).",
        ),
    ] = False,
) -> None:
    """Score the sentiment model on labelled messages (negative / neutral / positive)."""
    from ventanilla.assistant.evaluation import DataError, evaluate_sentiment, read_rows
    from ventanilla.assistant.sentiment import SentimentModel, default_model

    _check_out(out)
    try:
        rows = read_rows(test, ("text", "label"))
        if not rows:
            raise typer.BadParameter(f"{test}: no test rows")
        model = SentimentModel(read_cues=False) if model_only else default_model()
        figures = evaluate_sentiment(model, rows, _language(lang))
    except DataError as error:
        raise typer.BadParameter(str(error)) from error
    _write(figures, out)


if __name__ == "__main__":
    app()
