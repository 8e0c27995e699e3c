"""Spanish and English catalogs for the product's own text."""

from __future__ import annotations

from ventanilla.i18n.catalog import CATALOG, LANGUAGES, pick_language, translate

__all__ = ["CATALOG", "LANGUAGES", "pick_language", "translate"]
