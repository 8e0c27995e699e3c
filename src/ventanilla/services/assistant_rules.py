"""Which inboxes the assistant answers on (kept light: no NLP imports)."""

from __future__ import annotations

from ventanilla.storage.models import Inbox


def assistant_on(inbox: Inbox) -> bool:
    """Inboxes answer with the assistant unless turned off; the API channel is opt-in."""
    default = inbox.channel != "api"
    return bool((inbox.settings or {}).get("assistant", default))
