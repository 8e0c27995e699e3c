"""Rule-based signals in Spanish and English: asking for a person, frustration,
feedback, choices among offered options and order numbers.

Patterns run on text that is lower-cased and stripped of accents (see ``text.words``).
"""

from __future__ import annotations

import re

from ventanilla.assistant import service_cues
from ventanilla.assistant.text import normalized, own_words

_PERSON = (
    r"(persona|humano|humana|agente|asesor|asesora|operador|operadora|representante|alguien|"
    r"ejecutivo|ejecutiva|empleado|encargado|supervisor|gerente|responsable)"
)
_HUMAN_PATTERNS_ES = (
    rf"\b(hablar|comunicar\w*|conversar|chatear|contactar|pasa\w*|transfier\w*|comunica\w*|"
    rf"poner\w*|conect\w*)\b( \w+){{0,4}} (con )?(un |una |algun |alguna |el |la )?{_PERSON}\b",
    rf"\b(quiero|necesito|exijo|prefiero|busco|deseo|pido|solicito|podria|puedo)\b( \w+){{0,3}} "
    rf"(un |una )?{_PERSON}\b",
    r"\b(persona|ser) (real|humano|humana|de verdad)\b",
    r"\batencion (humana|personal(izada)?)\b",
    r"\bno (quiero|deseo) (hablar |chatear )?(con )?(un |una |el |la )?(bot|robot|maquina)\b",
    r"\b(hay )?alguien (real|de carne)\b",
    r"\b(con )?un humano\b",
    rf"^(un |una |el |la )?{_PERSON}( por favor| porfa)?$",
)
_HUMAN_PATTERNS_EN = (
    r"\b(talk|speak|chat|connect|transfer|put)\w*( me)?( \w+){0,3} (to|with|through to) "
    r"(a |an |some |the |your |one of your )?(real |live |actual )?(human|person|agent|"
    r"representative|rep|someone|somebody|operator|supervisor|manager|employee|staff|people)\b",
    r"\b(real|live|actual) (human|person|agent|representative|rep|people)\b",
    r"\bhuman (being|agent|please|support|assistance|help)\b",
    r"\b(need|want|get|request|give me|find)( \w+){0,2} (a |an )?(human|person|"
    r"representative|agent|operator)\b",
    r"\b(not|no|stop|don ?t want)( \w+){0,3} (a |the )?(bot|robot|machine)\b",
    r"\bspeak to someone\b",
    r"^(an? |the )?(human|agent|representative|operator|person|rep)( please| now)?$",
)
_HUMAN_RE = re.compile("|".join(_HUMAN_PATTERNS_ES + _HUMAN_PATTERNS_EN))

_FRUSTRATION_RE = re.compile(
    r"\b(queja|quejar\w*|reclamo|reclamacion\w*|inaceptable|verguenza|indignad\w*|"
    r"indignante|hart[oa]s?|estafa\w*|pesim[oa]|horrible|fatal|inutil\w*|burla|"
    r"denunci\w+|abogad\w+|enfadad\w+|enojad\w+|furios\w+|cabread\w+|molest[oa]s? ?(con|por)|"
    r"nadie (me )?(responde|contesta|ayuda|soluciona)|tercera vez|otra vez lo mismo|"
    r"no sirve\w* para nada|una mierda|de mierda|ridicul\w+|"
    r"complain\w*|complaint\w*|ridiculous|unacceptable|terrible|worst|awful|useless|"
    r"fed up|sick (and tired )?of|disgust\w*|scam\w*|furious|angry|outrage\w*|"
    r"pathetic|joke|wtf|what the hell|nobody (helps|answers|cares)|third time|"
    r"lawyer|sue you|never again|incompetent|shame on you|rip ?off|fuming)\b"
)
_REJECT_RE = re.compile(
    r"^(no|nope|none|neither|nothing|ninguno|ninguna|ninguna de (esas|estas|las anteriores)|"
    r"none of (these|those|them|the above)|neither of (these|those|them)|otra cosa|"
    r"something else|no es (eso|ninguna|ninguno)|not (that|those|these|quite))\b"
)
_UNHELPFUL_RE = re.compile(
    r"\b(no me (sirv|ayud|resolv|soluciono|vale)\w*|no (era|es) (eso|lo que)|"
    r"no (funciona|resuelve|ayuda)|(did ?n ?t|does ?n ?t|did not|does not|not) "
    r"(help|work|answer|solve)|not what i (asked|meant|need\w*|want\w*)|wrong answer|"
    r"respuesta incorrecta|that s not it)\b"
)
_THANKS_RE = re.compile(
    r"\b(gracias|thank you|thanks|thx|ty|listo|resuelto|solucionado|solved|that helped|"
    r"me (sirvio|ayudo|vale)|era eso|eso era|that s it|that was it|perfecto|perfect|great|"
    r"genial|excelente|awesome|got it|entendido)\b"
)
_SOLVED_RE = re.compile(
    r"\b(solved|fixed|resolved|sorted|works|working now|it worked|that worked|is gone|gone now|"
    r"resuelto|solucionado|arreglado|se (arreglo|soluciono|resolvio)|ya (funciona|va|sirve|"
    r"puedo|esta)|funciono|me (sirvio|ayudo))\b"
)
_CONTRAST_RE = re.compile(r"\b(but|however|although|pero|aunque|sin embargo)\b")
_AFFIRM_RE = re.compile(
    r"^(si|yes|yeah|yep|yup|correct|exact\w*|claro|eso( es| mismo)?|es eso|esa|ese|"
    r"that one|that s (it|the one|right)|right|ok|okay|vale|de acuerdo|sure)\b"
)
_GREETING_RE = re.compile(
    r"^(hola|buenas|buenos dias|buenas tardes|buenas noches|hi|hello|hey|good morning|"
    r"good afternoon|good evening)( there| a todos| equipo)?$"
)
_ORDER_RE = re.compile(r"(?<![\w+])#?([A-Za-z]{1,4}-?\d{4,}|\d{4,20})(?![\w])")
_ORDINALS = {
    "1": 0, "uno": 0, "primero": 0, "primera": 0, "first": 0, "one": 0, "1st": 0,
    "2": 1, "dos": 1, "segundo": 1, "segunda": 1, "second": 1, "two": 1, "2nd": 1,
    "3": 2, "tres": 2, "tercero": 2, "tercera": 2, "third": 2, "three": 2, "3rd": 2,
}
_LAST = {"ultimo", "ultima", "last"}


def asks_for_human(text: str) -> bool:
    """True when the customer asks to talk to a person, in Spanish or English."""
    return bool(_HUMAN_RE.search(normalized(text)))


def complaint_cues(text: str) -> int:
    """Count of complaint words and phrases, in Spanish and English ("can't complain" and
    "no tengo queja" are praise)."""
    return len(_FRUSTRATION_RE.findall(service_cues.PRAISE_IDIOM_RE.sub(" ", normalized(text))))


def emphasis_cues(text: str) -> int:
    """Repeated exclamation marks and shouting: 0, 1 or 2.

    Emphasis says how strongly, not what: "You are amazing!!!" has as much as a complaint,
    so the caller weighs it with the message's sentiment.
    """
    count = int("!!" in text or "?!" in text)
    own = own_words(text)  # a handle or a link is not the customer's voice
    shouted = re.findall(r"\b[A-ZÁÉÍÓÚÑ]{4,}\b", own)
    if len(shouted) >= 2 and re.search(r"[a-záéíóúñ]{3,}", own):  # not just caps lock
        count += 1
    return count


def is_rejection(text: str) -> bool:
    """The customer says none of the offered options fits."""
    return bool(_REJECT_RE.search(normalized(text)))


def is_unhelpful_feedback(text: str) -> bool:
    """The customer says the last answer did not help."""
    return bool(_UNHELPFUL_RE.search(normalized(text)))


def problem_persists(text: str) -> bool:
    """The customer says the problem is still there ("sigo sin poder pagar")."""
    return service_cues.read(text).persists


def is_thanks(text: str) -> bool:
    """The customer confirms the answer solved it.

    Not when they go on to ask something, or report a problem ("great, another delay",
    "gracias por nada", "thanks, but my order is still missing") unless they say it is
    solved ("thanks, the error is gone").
    """
    norm = normalized(text)
    if len(norm.split()) > 8 or norm.startswith(("no ", "not ")) or is_unhelpful_feedback(text):
        return False
    if "?" in text or "¿" in text:
        return False
    cues = service_cues.read(text)
    if cues.negative or (
        (cues.mishap or _CONTRAST_RE.search(norm)) and not _SOLVED_RE.search(norm)
    ):
        return False
    return bool(_THANKS_RE.search(norm))


def is_affirmation(text: str) -> bool:
    """A short yes ("sí", "yes, that one") to a single offered option."""
    norm = normalized(text)
    return len(norm.split()) <= 5 and not is_rejection(text) and bool(_AFFIRM_RE.search(norm))


def is_greeting(text: str) -> bool:
    return bool(_GREETING_RE.search(normalized(text)))


def order_numbers(text: str) -> tuple[str, ...]:
    """Order-like references (4+ digits, optionally with a short letter prefix), in order."""
    found: list[str] = []
    for match in _ORDER_RE.finditer(text):
        value = match.group(1).upper()
        if value not in found:
            found.append(value)
    return tuple(found)


def choice_index(text: str, option_count: int) -> int | None:
    """Index of the option the customer picked by number or ordinal, if any."""
    tokens = normalized(text).split()
    if not tokens or len(tokens) > 5:
        return None
    for token in tokens:
        if token in _ORDINALS and _ORDINALS[token] < option_count:
            return _ORDINALS[token]
        if token in _LAST:
            return option_count - 1
    return None


def title_choice(text: str, titles: list[str]) -> int | None:
    """Index of the offered title the customer's text names, if exactly one fits well."""
    norm = normalized(text)
    exact = [i for i, t in enumerate(titles) if normalized(t.replace("_", " ")) == norm]
    if len(exact) == 1:  # a tapped quick reply, or the title typed out
        return exact[0]
    said = set(norm.split())
    if not said:
        return None
    best: list[tuple[float, int]] = []
    for i, title in enumerate(titles):
        title_words = set(normalized(title.replace("_", " ")).split())
        if title_words:
            best.append((len(said & title_words) / len(title_words), i))
    best.sort(reverse=True)
    if best and best[0][0] >= 0.6 and (len(best) == 1 or best[1][0] < best[0][0]):
        return best[0][1]
    return None
