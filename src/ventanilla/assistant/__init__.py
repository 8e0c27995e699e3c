"""Virtual assistant: knowledge base, hybrid retrieval, decision policy and sentiment.

Pure Python (numpy and small NLP libraries); no database, web or broker imports.
"""

from ventanilla.assistant.engine import Assistant, AssistantConfig
from ventanilla.assistant.knowledge import Article
from ventanilla.assistant.state import AssistantState, Decision, DecisionKind, HandoffReason

__all__ = [
    "Article",
    "Assistant",
    "AssistantConfig",
    "AssistantState",
    "Decision",
    "DecisionKind",
    "HandoffReason",
]
