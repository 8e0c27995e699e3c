"""Order references and requests to cancel in a customer's message, in Spanish and English."""

from __future__ import annotations

import re

from ventanilla.assistant.text import normalized, strip_accents

# Not a part of a date (12/11/2025, 2025-11-12), an amount ($1500, 1500 €) or a decimal.
_ORDER_RE = re.compile(
    r"(?<![\w+$€£/.,:-])#?([A-Za-z]{1,4}-?\d{4,}|\d{4,20})(?![\w])(?![/.,:-]\d)"
    r"(?! ?(€|\$|£|eur\b|euros?\b|usd\b|dollars?\b|d[oó]lares\b|libras\b|pounds?\b))"
)
# Cues that a number is an order's, or a phone's, within the three words before it.
_ORDER_CUE_RE = re.compile(
    r"\b(order|orders|pedido|pedidos|compra|purchase|ref|reference|referencia|n|no|num|"
    r"number|numero|nº)\b\W*(\w+\W+){0,2}$", re.IGNORECASE,
)
_PHONE_CUE_RE = re.compile(
    r"\b(call|phone|mobile|cell|tel|telephone|llam\w*|telefono|tlf|movil|whatsapp|"
    r"contacto|fax)\b\W*(\w+\W+){0,3}$", re.IGNORECASE,
)
_PHONE_SHAPE_RE = re.compile(r"\+?\d[\d ]{8,}\d")
_ORDER_WORDS = frozenset({
    "order", "pedido", "el", "the", "my", "mi", "number", "numero", "n", "no", "is", "es",
    "it", "s", "y", "and", "del", "de", "of", "ref", "this", "este", "one", "aqui", "here",
})
_CANCEL_RE = re.compile(r"\b(cancel\w*|anul\w*)\b")
_CANCEL_DENIED_RE = re.compile(
    r"\b(no|not|don t|do not|dont|never|nunca|sin)( \w+){0,2} (cancel|anul)\w*"
)
_CANCEL_ASKED_ABOUT_RE = re.compile(
    r"\b(what happens|what if|que pasa|que ocurre)( \w+){0,3} (cancel|anul)\w*|"
    r"\bif (i|we) (\w+ )?cancel\w*|\bsi (yo |lo |la )?(cancel|anul)(o|amos|ara|ase)\b|"
    r"\b(cancel\w*|anul\w*) (policy|politica|fee|cost|coste|cargo|plazo|deadline)\b"
)


def order_numbers(text: str) -> tuple[str, ...]:
    """Order-like references (4+ digits, optionally with a short letter prefix), in order.

    Not dates, amounts or numbers said to be a phone's ("call me at 600111222 about order
    10045" gives 10045).
    """
    found: list[str] = []
    for match in _ORDER_RE.finditer(text):
        before = strip_accents(text[max(0, match.start() - 40) : match.start()])
        value = match.group(1).upper()
        cued = bool(_ORDER_CUE_RE.search(before)) or text[match.start()] == "#"
        if value in found or (_PHONE_CUE_RE.search(before) and not cued):
            continue
        if cued or not _PHONE_SHAPE_RE.fullmatch(value):
            found.append(value)
    return tuple(found)


def only_order_numbers(text: str) -> bool:
    """The message is just an order reference ("10051", "#10051", "pedido 10051")."""
    rest = _ORDER_RE.sub(" ", text)
    words = [w for w in normalized(rest).split() if w not in _ORDER_WORDS]
    return not words


def cancellation_requested(text: str) -> bool:
    """The message asks to cancel something, not whether or what if, nor says not to."""
    norm = normalized(text)
    return bool(_CANCEL_RE.search(norm)) and not (
        _CANCEL_DENIED_RE.search(norm) or _CANCEL_ASKED_ABOUT_RE.search(norm)
    )


def asks_about_cancelling(text: str) -> bool:
    """A question about cancelling ("what happens if I cancel?", "cancellation fee")."""
    return bool(_CANCEL_ASKED_ABOUT_RE.search(normalized(text)))
