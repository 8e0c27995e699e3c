"""Shared fixtures: the real embedding model (loaded once) and a small bilingual help center."""

from __future__ import annotations

import pytest

from ventanilla.assistant import Article, Assistant, AssistantConfig
from ventanilla.assistant.embeddings import UseEncoder, default_encoder
from ventanilla.assistant.state import ActionIntent
from ventanilla.services.demo_kb import ARTICLES

HELP_CENTER = (
    Article(
        id="returns-en", title="Return policy", language="en", category="returns",
        examples=("how do I return an item", "can I send a product back",
                  "what is your return policy"),
        short_answer="You can return any item within 30 days for a full refund.",
    ),
    Article(
        id="shipping-en", title="Shipping times", language="en", slug="shipping-times",
        examples=("how long does delivery take", "when will my parcel arrive",
                  "how many days is shipping"),
        short_answer="Orders arrive in 3 to 5 business days.",
    ),
    Article(
        id="shipping-es", title="Plazos de envío", language="es", slug="shipping-times",
        examples=("cuánto tarda el envío", "en cuántos días llega mi paquete"),
        short_answer="Los pedidos llegan en 3 a 5 días hábiles.",
    ),
    Article(
        id="password-reset", title="Reset a forgotten password", language="en",
        examples=("I forgot my password", "reset my password", "I can't log in, lost password"),
        short_answer="Use 'Forgot password' on the sign-in page.",
    ),
    Article(
        id="password-change", title="Change your password", language="en",
        examples=("change my password", "update my password", "set a new password"),
        short_answer="Go to Settings > Security > Change password.",
    ),
    Article(
        id="payment-methods", title="Payment methods", language="en",
        examples=("which payment methods do you accept", "can I pay with PayPal",
                  "do you take credit cards"),
        short_answer="We accept cards, PayPal and bank transfer.",
    ),
    Article(
        id="legal", title="Legal claims and disputes", language="en",
        examples=("I want to take legal action", "I am filing a legal dispute"),
        human_only=True,
    ),
    Article(
        id="refund-override", title="Manual refund override", language="en",
        audience="internal", examples=("how do I force a refund in the back office",),
        short_answer="Use the admin panel, section Refunds.",
    ),
)


@pytest.fixture(scope="session")
def encoder() -> UseEncoder:
    return default_encoder()


@pytest.fixture(scope="session")
def assistant(encoder: UseEncoder) -> Assistant:
    return Assistant(HELP_CENTER, encoder=encoder)


@pytest.fixture(scope="session")
def demo_assistant(encoder: UseEncoder) -> Assistant:
    """The demo store's bilingual knowledge base (both languages of each article)."""
    articles = [
        Article(id=f"{a.slug}-{a.language}", title=a.title, language=a.language,  # type: ignore[arg-type]
                examples=a.examples, short_answer=a.short_answer, slug=a.slug)
        for a in ARTICLES
    ]
    return Assistant(articles, encoder=encoder)


@pytest.fixture(scope="session")
def store_assistant(encoder: UseEncoder) -> Assistant:
    """The same help center with the store's order actions switched on."""
    return Assistant(HELP_CENTER, AssistantConfig(actions=frozenset(ActionIntent)),
                     encoder=encoder)
