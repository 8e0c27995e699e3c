"""`python -m ventanilla.storage.check_migrations`: fail if models and migrations disagree."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ventanilla.storage.migrate import check, upgrade


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'check.db'}"
        upgrade(url)
        check(url)
    print("migrations match the models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
