"""Measure how much lower the same meaning scores across languages.

Takes the demo knowledge base's articles that exist in both Spanish and English and pairs
their titles and example questions, which translate each other. For every pair (es_i,
en_i) and every other sentence j, it compares the cosine across languages, cos(es_i, en_j),
with the cosine within one language, cos(en_i, en_j), and the other way round
(cos(en_i, es_j) against cos(es_i, es_j)). A straight line fitted through those points
says what a score across languages is for a given score within one; the offset that
retrieval adds to other-language articles (``retrieval.CROSS_LANGUAGE_OFFSET``) is the
gap at the policy's floors. Usage:

    python scripts/fit_cross_language_offset.py
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ventanilla.assistant.embeddings import default_encoder
from ventanilla.assistant.knowledge import Language
from ventanilla.assistant.policy import PolicyConfig
from ventanilla.assistant.retrieval import CROSS_LANGUAGE_OFFSET
from ventanilla.assistant.text import for_matching
from ventanilla.services.demo_kb import ARTICLES


def translated_pairs() -> tuple[list[str], list[str]]:
    """Spanish and English sentences of the demo knowledge base, aligned."""
    by_slug: dict[str, dict[str, tuple[str, ...]]] = {}
    for article in ARTICLES:
        texts = (article.title, *article.examples)
        by_slug.setdefault(article.slug or article.title, {})[article.language] = texts
    spanish: list[str] = []
    english: list[str] = []
    for versions in by_slug.values():
        if "es" in versions and "en" in versions:
            count = min(len(versions["es"]), len(versions["en"]))
            spanish.extend(versions["es"][:count])
            english.extend(versions["en"][:count])
    return spanish, english


Vectors = npt.NDArray[np.float32]


def fit(queries: Vectors, twins: Vectors) -> tuple[float, float]:
    """Line through the (twin_i to twin_j, query_i to twin_j) cosines, for i != j.

    ``twins[i]`` is the translation of ``queries[i]``."""
    across = queries @ twins.T
    within = twins @ twins.T
    others = ~np.eye(len(queries), dtype=bool)
    slope, intercept = np.polyfit(within[others], across[others], 1)
    return float(slope), float(intercept)


def main() -> None:
    spanish, english = translated_pairs()
    encoder = default_encoder()
    es = encoder.encode([for_matching(t) for t in spanish])
    en = encoder.encode([for_matching(t) for t in english])
    policy = PolicyConfig()
    floors = (policy.out_of_scope_floor, policy.clarify_floor)
    print(f"{len(spanish)} translated sentence pairs from the demo knowledge base")
    directions: tuple[tuple[Language, Language, Vectors, Vectors], ...] = (
        ("es", "en", es, en),
        ("en", "es", en, es),
    )
    for query, article, queries, twins in directions:
        slope, intercept = fit(queries, twins)
        gaps = [floor - (slope * floor + intercept) for floor in floors]
        print(
            f"{query} query, {article} text: across = {slope:.3f} x within + {intercept:.3f}; "
            + ", ".join(f"{g:.3f} lower at {f}" for f, g in zip(floors, gaps, strict=True))
            + f"; offset {np.mean(gaps):.2f}, shipped {CROSS_LANGUAGE_OFFSET[(query, article)]}"
        )


if __name__ == "__main__":
    main()
