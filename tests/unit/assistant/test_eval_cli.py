"""The ``ventanilla eval`` commands on small CSV files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ventanilla.assistant.eval_cli import app

TRAIN = """text,intent
how long does delivery take,shipping_time
when will my parcel arrive,shipping_time
how many days is shipping,shipping_time
how do I return an item,return_item
can I send a product back,return_item
what is your return policy,return_item
which payment methods do you accept,payment_methods
can I pay with PayPal,payment_methods
do you take credit cards,payment_methods
"""
TEST = """text,intent
how long will shipping take,shipping_time
I want to send back a product,return_item
do you accept PayPal,payment_methods
what's the weather like in Paris,oos
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text(TRAIN, encoding="utf-8")
    test.write_text(TEST, encoding="utf-8")
    return train, test


def test_eval_assistant_writes_the_figures(tmp_path: Path) -> None:
    train, test = _files(tmp_path)
    answers = tmp_path / "answers.csv"
    answers.write_text("intent,answer\nshipping_time,3 to 5 days\n", encoding="utf-8")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, [
        "assistant", "--train", str(train), "--answers", str(answers), "--test", str(test),
        "--lang", "en", "--json", str(out),
    ])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    for key in ("n", "top1", "resolved", "resolved_direct", "clarified", "wrong", "handoff",
                "oos_handoff", "p50_ms", "p99_ms"):
        assert key in figures
    assert figures["n"] == 4
    assert figures["top1"] == 100.0
    assert figures["resolved"] == 100.0
    assert figures["wrong"] == 0.0
    assert figures["oos_handoff"] == 100.0


def test_eval_sentiment_writes_the_figures(tmp_path: Path) -> None:
    test = tmp_path / "sentiment.csv"
    test.write_text(
        "text,label\n\"Gracias, excelente atención\",positive\n"
        "\"Horrible, nunca más\",negative\nEl paquete llega el martes,neutral\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["sentiment", "--test", str(test), "--json", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert figures["n"] == 3
    for key in ("macro_f1", "accuracy", "f1_negative", "f1_neutral", "f1_positive", "p99_ms"):
        assert key in figures


def test_eval_sentiment_compares_the_product_with_the_model_alone(tmp_path: Path) -> None:
    # Complaints in a flat tone and irony: the service cues read them, the model alone not.
    test = tmp_path / "sentiment.csv"
    test.write_text(
        "text,label\nThe agent hung up on me,negative\nMy order never arrived,negative\n"
        "\"Great, another delay\",negative\n",
        encoding="utf-8",
    )
    figures = {}
    for flags in ([], ["--model-only"]):
        out = tmp_path / f"out{len(flags)}.json"
        result = CliRunner().invoke(
            app, ["sentiment", "--test", str(test), "--lang", "en", "--json", str(out), *flags]
        )
        assert result.exit_code == 0, result.output
        figures[bool(flags)] = json.loads(out.read_text())
    assert figures[False]["accuracy"] == 100.0
    assert figures[True]["accuracy"] < 50.0


def test_a_csv_without_the_expected_columns_gets_a_clear_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("question,label\nhola,x\n", encoding="utf-8")
    result = CliRunner().invoke(app, [
        "assistant", "--train", str(bad), "--test", str(bad), "--json", str(tmp_path / "o.json"),
    ])
    assert result.exit_code == 2
    assert "missing column(s) text, intent" in result.output
    assert "Traceback" not in result.output


def test_files_as_spreadsheets_write_them_are_read(tmp_path: Path) -> None:
    """A byte-order mark, capitalised or padded column names, other columns in between and
    labels in capitals are all read; a test intent missing from training is flagged."""
    train = tmp_path / "train.csv"
    train.write_bytes("\ufeff".encode() + TRAIN.replace("text,intent", "Text , Intent").encode())
    test = tmp_path / "test.csv"
    test.write_text(
        "Intent,Source,Text\nshipping_time,web,how long will shipping take\n"
        "gift_cards,web,do you sell gift cards\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, [
        "assistant", "--train", str(train), "--test", str(test), "--json", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "1 test intent(s) not in train.csv (gift_cards)" in result.output
    figures = json.loads(out.read_text())
    assert figures["n"] == 2 and figures["top1"] == 50.0
    labels = tmp_path / "labels.csv"
    labels.write_text('TEXT,Label\n"Horrible, nunca más",Negative\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["sentiment", "--test", str(labels), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["f1_negative"] == 100.0


def test_a_file_in_another_encoding_gets_a_clear_message(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\nqué pésimo servicio,negative\n".encode("latin-1"))
    result = CliRunner().invoke(app, [
        "sentiment", "--test", str(latin), "--json", str(tmp_path / "o.json"),
    ])
    assert result.exit_code == 2
    assert "not UTF-8 text" in " ".join(result.output.replace("│", " ").split())  # boxed
    assert "Traceback" not in result.output


def test_a_json_path_that_cannot_be_written_is_refused_before_measuring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ventanilla.assistant.evaluation as evaluation

    def no_evaluation(*args: object, **kwargs: object) -> None:
        raise AssertionError("the evaluation ran")

    monkeypatch.setattr(evaluation, "evaluate_assistant", no_evaluation)
    monkeypatch.setattr(evaluation, "evaluate_sentiment", no_evaluation)
    train, test = _files(tmp_path)
    labels = tmp_path / "labels.csv"
    labels.write_text("text,label\nbien,positive\n", encoding="utf-8")
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")
    for out in (tmp_path, plain / "out.json"):
        for args in (
            ["assistant", "--train", str(train), "--test", str(test)],
            ["sentiment", "--test", str(labels)],
        ):
            result = CliRunner().invoke(app, [*args, "--json", str(out)])
            assert result.exit_code == 2, result.output
            assert "--json" in result.output and "Traceback" not in result.output


def test_eval_sentiment_without_test_rows_fails_clearly(tmp_path: Path) -> None:
    header_only = tmp_path / "empty.csv"
    header_only.write_text("text,label\n", encoding="utf-8")
    out = tmp_path / "o.json"
    result = CliRunner().invoke(app, ["sentiment", "--test", str(header_only), "--json", str(out)])
    assert result.exit_code == 2
    assert "no test rows" in " ".join(result.output.replace("│", " ").split())  # boxed
    assert not out.exists()
