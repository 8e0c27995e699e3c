"""What a message asks, without the courtesies around it.

Customers greet, introduce themselves, apologise, thank and sign off around their request
("Hola, buenas tardes. ¿Dónde está mi pedido? Un saludo, Lucía"). Those clauses say nothing
about which article answers the message, but a sentence embedding of the whole message
carries them, which lowers every article's score and can hand off a question the knowledge
base answers. ``request_part`` drops clauses that are only courtesy, in either language, and
a greeting that opens the first clause ("hola buenas quería saber…").

A clause is dropped only when every word of it is accounted for: courtesy phrases (matched
longest first), a few filler words ("again", "here", "a todos") and up to three capitalised
words standing for a name or a place ("Regards, Peter Walsh", "Saludos desde Valencia").
Anything else keeps it, so "thanks to you I lost my money" stays whole. A clause that is only
a name right after a courtesy clause is a signature ("Un saludo, Pablo").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from ventanilla.assistant.text import ENGLISH_STOPWORDS, SPANISH_STOPWORDS, TOKEN_RE, strip_accents

# Clause boundaries: sentence marks followed by a space or the end, a comma followed by a
# space, line breaks, and the opening "¿" / "¡" of a Spanish question or exclamation.
_BOUNDARY = re.compile(r"[.!?…;:]+(?=\s|$)|,(?=\s)|\n+|(?=[¿¡])")

# Phrase templates over lower-case, accent-free words ("you're" reads "you re"; "ñ" stays).
# "(a|b)" is a choice, "(a|b)?" or "(a)?" an optional choice; they nest.
GREETINGS = (
    "(hi|hii|hiii|hiya|hey|heya|heyy|hello|helo|hello|howdy|greetings|yo) (there|all|team|"
    "guys|everyone|folks|again)?",
    "good (morning|afternoon|evening|day) (to you|all|team|everyone)?",
    "(morning|afternoon|evening)",  # alone: "this morning, …" is not a greeting
    "dear (sir or madam|sir|madam|sirs|all|friends|team|colleagues|customer (service|support|"
    "care|services) (team|department)?|support (team)?|helpdesk|help desk)?",
    "to whom it may concern",
    "(hola|holaa|holaaa|holi|ola|holis) (a todos|equipo|chicos|chicas|de nuevo|otra vez|buenas|"
    "que tal|q tal|buen dia|buenos dias|buenas tardes|buenas noches)?",
    "(muy)? (buenas|buenos dias|buen dia|buenas tardes|buenas noches) (a todos|equipo)?",
    "(estimado|estimada|estimados|estimadas) (señor|señora|señores|señoras|señorita|equipo|"
    "amigos|clientes|sres)? (de (atencion al cliente|soporte|servicio al cliente))?",
    "a quien corresponda",
)
_OTHER = (
    # "qué tal" alone (not "¿qué tal el tiempo?", so not an opening greeting)
    "(que tal|q tal|que onda|que hubo|quiubo)",
    # wishes and pleasant openers
    "(i)? hope (you re|you are|your|ur|u re|you all are|all is|everyone is|this (message|"
    "email|mail|note) finds you|you have been|you re having|your having|you are having) (all)? "
    "(doing)? (well|good|fine|ok|great|a (good|great|nice|lovely) (day|week|weekend))?",
    "how are (you|you all|you doing|things) (today)?",
    "(i)? hope (you can|someone can|u can|you guys can) help (me|us)?",
    "(i)? (have|got|ve got) a (quick|small|little|short)? (question|query|doubt)",
    "(a|one)? (quick|small) (question|one|query)",
    # introductions: "my name is", "this is", "it's X again", "X here"
    "(my name is|my name s|this is|it is|it s|its|i am|i m|im)",
    "(i m|i am)? writing (to you)? (this)? (from|on behalf of|for|again)?",
    "on behalf of",
    # apologies that ask nothing
    "(so|really)? sorry (again)? (to (bother|trouble|disturb) (you|u) (again)?)?",
    "(so|really)? sorry (again)? (for|about) (the|my|any|this) (long|late)? (trouble|bother|"
    "message|delay|english|typos|spelling|grammar|inconvenience|question|questions)",
    "(apologies|i apologise|i apologize) (again)? (for|about) (the|my|any|this) (long|late)? "
    "(trouble|bother|message|delay|english|typos|spelling|grammar|inconvenience)",
    "(apologies|i apologise|i apologize) (again)?",
    "(excuse|pardon) (me|my english)",
    # thanks and compliments
    "(many|much|huge|big|a big|a huge)? (thanks|thank you|thank u|thankyou|thx|thnx|thanx|"
    "tks|ty|tysm) (so much|very much|a lot|a million|a milion|a bunch|again|kindly|heaps|"
    "loads)? (in advance)? (for (your|the|all the|all your|any) (help|time|patience|"
    "attention|support|assistance|reply|answer|understanding))?",
    "(thanks|thank you) for reading (this)?",
    "(much|really|greatly)? appreciated",
    "(i)? (really)? appreciate (it|your help|your time|any help|the help)",
    "much obliged",
    "cheers (mate)?",
    "(you re|you are|you guys are) (so|very|always)? (kind|helpful|great|the best|amazing|"
    "awesome|lovely)",
    "(you ve|you have) (really|been)? (helped|helpful) (me|a lot|so much)?",
    "(nice|lovely|good|great) (talking|chatting|speaking) (to|with) you",
    "(it was|this was|it s been) (a pleasure|nice|lovely|great)",
    "(thanks|thank you) for (the chat|chatting|chatting with me)",
    # sign-offs
    "(kind|kindest|best|warm|warmest|many|with|my)? regards (from)?",
    "(best|all the best|best wishes|sincerely|sincerely yours|yours sincerely|yours "
    "faithfully|yours truly|yours)",
    "(many thanks|thanks) and (best|kind)? regards",
    "(take care|speak soon|talk soon|bye|bye now|goodbye|stay safe|god bless|god bless you)",
    "(have|enjoy) a (nice|good|great|lovely|wonderful|pleasant) (day|evening|weekend|week|one|"
    "night) (everyone|all|guys)?",
    "(i m|i am)? looking forward to (your (reply|answer|response)|hearing from you)",
    "(i ll|i will)? (wait|waiting) for your (reply|answer|response)",
    "sent from my (iphone|ipad|android|galaxy|samsung|huawei|xiaomi|pixel|phone|mobile|"
    "smartphone|mobile device)",
    "get outlook for (ios|android)",
    # Spanish: deseos y aperturas
    "espero (que)? (esten|este|estes|esteis|se encuentren|se encuentre|te encuentres|"
    "os encontreis) (todos)? (bien|muy bien)",
    "(espero que|a ver si|ojala)? me (podeis|pueden|puedes|puede|podais|puedan) ayudar",
    "(tengo|les hago|os hago|te hago)? una (consulta|pregunta|duda) (rapida|breve)?",
    "como (estan|esta|estas|estais|va) (todo)?",
    # presentaciones
    "(soy|me llamo|mi nombre es|aqui)",
    "(les|os|te|le)? (saluda|escribe|habla|escribo)",
    "(les|os|te|le)? escribo (en nombre de|desde|de parte de|por)",
    "(en nombre de|de parte de)",
    # disculpas que no piden nada
    "(perdon|perdona|perdone|perdonad|perdonen|disculpa|disculpe|disculpad|disculpen) "
    "(la|las|por la|por las)? (molestia|molestias|hora|tardanza)",
    "(perdon|perdona|perdone|perdonad|perdonen|disculpa|disculpe|disculpad|disculpen) "
    "(por)? (mi español|el mensaje tan largo|el mensaje largo|la demora|las faltas|"
    "que te escriba otra vez|que os escriba otra vez|que les escriba otra vez|molestar|"
    "molestarte|molestarles|molestaros|escribir tan tarde)",
    "(perdon|perdona|perdone|perdonad|perdonen|disculpa|disculpe|disculpad|disculpen)",
    "siento (la|las) (molestia|molestias)",
    # agradecimientos y elogios
    "(muchas|muchisimas|mil|infinitas|un millon de)? (gracias|grax|grasias|gracia) (mil)? "
    "(de antemano|de nuevo|otra vez|por adelantado)? (por (todo|tu ayuda|su ayuda|vuestra "
    "ayuda|la ayuda|su tiempo|tu tiempo|vuestro tiempo|su atencion|tu atencion|la atencion|"
    "leerme|la paciencia|su paciencia))?",
    "gracias (x|por) todo",
    "(se)? agradece (mucho)?",
    "(les|os|te|le)? agradezco (de antemano|mucho|su ayuda|vuestra ayuda|tu ayuda)?",
    "(sois|son|eres|es usted) (muy|tan|siempre)? (amables|amable|majos|majo|atentos|atento|"
    "lo maximo|geniales|unos cracks)",
    # despedidas
    "(atentamente|cordialmente|afectuosamente)",
    "(un)? (cordial|afectuoso|fuerte|gran)? (saludo|saludos|abrazo|abrazos) (cordial|cordiales|"
    "fuerte|afectuoso|grande)? (a todos|a todo el equipo|desde)?",
    "(reciba|reciban|recibid) un (cordial)? saludo",
    "(besos|beso|besitos|bendiciones)",
    "(hasta luego|hasta pronto|hasta mañana|chao|chau|adios|nos vemos|nos hablamos)",
    "(quedo|quedamos) (atento|atenta|atentos|a la espera|pendiente) (a|de)? (su|tu|vuestra)? "
    "(respuesta)?",
    "(espero|aguardo) (su|tu|vuestra|sus|vuestras) (respuesta|noticias)",
    "que (tenga|tengan|tengas|tengais|pases|pase|pasen|paseis) (un|una)? (buen|buena|lindo|"
    "linda|feliz|bonito|excelente|gran) (dia|tarde|noche|fin de semana|semana|finde)",
    "feliz (dia|tarde|fin de semana|finde)",
    "que (este|estes|esten|esteis) bien",
    "enviado desde mi (iphone|ipad|android|galaxy|samsung|huawei|xiaomi|movil|celular|"
    "telefono|smartphone)",
    # acknowledgements that sit beside thanks: "ok, thanks", "vale, gracias"
    "(ok|okay|okey|vale|perfect|perfecto|great|genial|cool|got it|entendido|de acuerdo)",
)
# Words that may stand beside courtesy without carrying a request; the last line is the
# customer addressing the assistant ("hi, bot").
_FILLER_WORDS = """
    again here there too also all everyone everybody guys folks team friends so much very
    really a lot and the to you your u for from of in on my is it s just once more
    then well ps please pls plz mr mrs ms dr sir madam
    de nuevo otra vez aqui alli a todos todas equipo chicos chicas amigos gente y tambien muy
    mucho por favor porfa xfa desde en el la los las del al mi su sr sra srta ing lic che
    bot ai assistant asistente robot computer siri alexa
"""
_FILLER = frozenset(_FILLER_WORDS.split())
_NAME = re.compile(r"^[A-ZÁÉÍÓÚÑ][a-záéíóúñü'’-]*$")  # "Lucía", "O'Neill", "J"
_MAX_NAME_WORDS = 3
_COMMON_WORDS = ENGLISH_STOPWORDS | SPANISH_STOPWORDS


def expand(template: str) -> Iterator[tuple[str, ...]]:
    """Every word sequence a phrase template stands for."""
    results: list[list[str]] = [[]]
    for part in _parts(template):
        if isinstance(part, str):
            results = [[*r, part] for r in results]
            continue
        choices, optional = part
        options = [list(e) for c in choices for e in expand(c)]
        if optional:
            options.append([])
        results = [r + o for r in results for o in options]
    for r in results:
        yield tuple(r)


def _parts(template: str) -> Iterator[str | tuple[list[str], bool]]:
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "(":
            depth, j = 1, i + 1
            while depth:
                depth += {"(": 1, ")": -1}.get(template[j], 0)
                j += 1
            inner, i = template[i + 1 : j - 1], j
            optional = i < len(template) and template[i] == "?"
            i += optional
            yield _split_top(inner), optional
        elif ch.isspace():
            i += 1
        else:
            j = i
            while j < len(template) and not template[j].isspace() and template[j] != "(":
                j += 1
            yield template[i:j]
            i = j


def _split_top(inner: str) -> list[str]:
    choices, depth, start = [], 0, 0
    for k, ch in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "|" and depth == 0:
            choices.append(inner[start:k])
            start = k + 1
    choices.append(inner[start:])
    return choices


@lru_cache(maxsize=1)
def _phrases() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]], int]:
    greetings = frozenset(p for t in GREETINGS for p in expand(t) if p)
    every = greetings | frozenset(p for t in _OTHER for p in expand(t) if p)
    return greetings, every, max(len(p) for p in every)


def _tokens(clause: str) -> list[re.Match[str]]:
    return list(TOKEN_RE.finditer(clause))


def _norm(token: str) -> str:
    return strip_accents(token.lower())


def _covered(words: list[str], phrases: frozenset[tuple[str, ...]], longest: int) -> list[bool]:
    """Which words fall inside a phrase, matching the longest phrase at each position."""
    covered = [False] * len(words)
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            if tuple(words[i : i + size]) in phrases:
                covered[i : i + size] = [True] * size
                i += size
                break
        else:
            i += 1
    return covered


def is_courtesy(clause: str) -> bool:
    """The clause is only a greeting, an introduction, thanks, an apology or a sign-off."""
    tokens = _tokens(clause)
    if not tokens:
        return True  # only marks or emoji: "🙏", "--"
    _, phrases, longest = _phrases()
    words = [_norm(t.group()) for t in tokens]
    covered = _covered(words, phrases, longest)
    if not any(covered):
        return False
    names = {_norm(w) for w in _bare_words(clause) if _is_name(w)}
    unexplained = [w for w, c in zip(words, covered, strict=True) if not c and w not in _FILLER]
    return len(unexplained) <= _MAX_NAME_WORDS and all(w in names for w in unexplained)


def _is_signature(clause: str) -> bool:
    """One to three capitalised words (or initials) and nothing else: "Pablo", "Dr. Helen";
    or only filler, such as the assistant addressed ("hi, bot")."""
    parts = _bare_words(clause)
    return 0 < len(parts) <= _MAX_NAME_WORDS + 1 and all(
        _is_name(w) or _norm(w) in _FILLER for w in parts
    )


def _is_name(word: str) -> bool:
    """A capitalised word that is not a common one capitalised at a sentence's start."""
    return bool(_NAME.match(word)) and _norm(word) not in _COMMON_WORDS


def _bare_words(clause: str) -> list[str]:
    return [w for w in (w.strip(".,;:!?…()\"'«»") for w in clause.split()) if w]


def _without_opening_greeting(clause: str) -> str:
    """``clause`` without a greeting that opens it ("hey where is my order")."""
    greetings, _, longest = _phrases()
    tokens = _tokens(clause)
    words = [_norm(t.group()) for t in tokens]
    for size in range(min(longest, len(words) - 1), 0, -1):
        if tuple(words[:size]) in greetings:
            return clause[tokens[size].start() :]
    return clause


def _courtesy_flags(parts: list[str]) -> list[bool]:
    courtesy = [is_courtesy(p) for p in parts]
    for i in range(1, len(parts)):
        if not courtesy[i] and courtesy[i - 1] and _is_signature(parts[i]):
            courtesy[i] = True
    return courtesy


class Reading(NamedTuple):
    request: str  # the message without its courtesy clauses, or all of it
    only_courtesy: bool  # the message is nothing but courtesy


def read(text: str) -> Reading:
    """What ``text`` asks, and whether it is nothing but courtesy (one pass over it)."""
    parts = clauses(text)
    courtesy = _courtesy_flags(parts)
    kept = [p for p, c in zip(parts, courtesy, strict=True) if not c]
    if not kept:
        return Reading(text, bool(parts))
    kept[0] = _without_opening_greeting(kept[0])
    request = " ".join(kept)
    return Reading(request if request != " ".join(parts) else text, False)


def only_courtesy(text: str) -> bool:
    """The message is nothing but courtesy: "Hola, buenas tardes", "Hi, Tom here"."""
    return read(text).only_courtesy


def request_part(text: str) -> str:
    """``text`` without its courtesy clauses; the whole text when it is nothing else (a bare
    "hola" or "thanks!") or has none."""
    return read(text).request


def clauses(text: str) -> list[str]:
    """``text`` cut into clauses, each with its closing marks."""
    found, start = [], 0
    for boundary in _BOUNDARY.finditer(text):
        piece = text[start : boundary.end()].strip()
        if piece:
            found.append(piece)
        start = boundary.end()
    tail = text[start:].strip()
    if tail:
        found.append(tail)
    return found
