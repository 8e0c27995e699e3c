"""Locating the public data sets in ../shared from the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"


def shared_or_skip(relative: str) -> Path:
    """A path under ../shared; skip outside CI when it is missing, fail in CI."""
    path = SHARED / relative
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is required in CI")
        pytest.skip(f"{path} not present (public data sets live in ../shared)")
    return path
