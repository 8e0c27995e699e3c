"""Rule-based signals in Spanish and English: asking for a person, frustration,
feedback, choices among offered options and order numbers.

Patterns run on text that is lower-cased and stripped of accents (see ``text.words``).
"""

from __future__ import annotations

import re

from ventanilla.assistant import service_cues
from ventanilla.assistant.text import normalized, own_words

# Who a customer may ask for. Spanish and English, after ``normalized`` (no accents, no
# punctuation: "don't" reads "don t").
_PERSON_ES = (
    r"(persona|personas|humano|humana|ser humano|agente|asesor|asesora|operador|operadora|"
    r"representante|alguien|ejecutivo|ejecutiva|empleado|empleada|encargado|encargada|"
    r"supervisor|supervisora|gerente|responsable|companero|companera|especialista|"
    r"trabajador|trabajadora|dependiente|comercial)"
)
_TEAM_ES = (
    r"((el |la )?(departamento|area|equipo|servicio|seccion) de \w+|(el |la )?(recepcion|"
    r"facturacion|reclamaciones|ventas|administracion|contabilidad)|(el |la )?equipo)"
)
# Asking to talk to customer service is also asking how to reach it (Bitext's
# ``contact_customer_service``): a person only when the customer asks to be put through.
_SERVICE_ES = r"((el |la )?(atencion|servicio) al cliente|(el |la )?soporte)"
_SERVICE_EN = r"((the |your )?(customer )?(service|support|care)( team)?)"
_PERSON_EN = (
    r"(human being|human|humans|person|people|agent|agents|representative|rep|someone|"
    r"somebody|anyone|anybody|operator|supervisor|manager|employee|staff member|staff|"
    r"colleague|advisor|adviser|consultant|specialist|team member|worker)"
)
_WHICH_EN = (
    r"(a |an |some |the |your |one of your |some of your |another |other |your other |"
    r"a different |an actual )?((real|live|actual|normal|regular|proper|human|non robotic|"
    r"competent|bank|support|customer service|other|different|senior|qualified) ){0,2}"
)
_TEAM_EN = (
    r"((the |your )?(\w+ )?(team|department|desk|office|line)|(the |your )?(billing|"
    r"reception|front desk|concierge|manager|supervisor|room service|sales))"
)
# Words that may stand between "quiero" / "need" and the person without changing the request
# ("necesito hablar ya con un asesor", "I need to talk to a human"), unlike "necesito añadir
# una persona a mi cuenta" or "I need to add a person".
_FILLER_ES = (
    r"((?: (?:hablar|que|me|nos|atienda|atiendan|llame|llamen|con|por|favor|urgente|ya|ahora|"
    r"de|verdad|seguir|poder|directamente|cuanto|antes)){0,4})"
)
_FILLER_EN = (
    r"((?: (?:to|talk|speak|chat|with|me|please|just|really|actually|urgently|get|now|instead|"
    r"deal|go|through|a word|would|like|d)){0,4})"
)
_HUMAN_PATTERNS_ES = (
    # "quiero hablar con una persona", "¿puedo hablar con otro agente?"
    rf"\b(hablar|hablarle|comunicar\w*|comuniq\w*|conversar|chatear|contactar)\b( \w+){{0,3}} "
    rf"con (un |una |algun |alguna |el |la |los |las |vuestro |vuestra |su |tu )?"
    rf"(otro |otra |verdadero |verdadera )?({_PERSON_ES}|{_TEAM_ES})\b",
    # "pásame con otro agente", "ponme con el departamento de reclamaciones"
    rf"\b((pasa|pase|pasen|pasame|paseme|pasenme|pasadme|pasas|pasais|pasarme|transfier\w*|"
    rf"transfer\w*|conect\w*|deriv\w*|redirig\w*|comuniqueme|comunicame|comuniquenme|"
    rf"(me|nos) (\w+ )?(pasar|poner|transferir|conectar|derivar|comunicar))\b"
    rf"( \w+){{0,2}} (con|a)|(pon|ponme|pongame|ponganme|poned|ponedme|pones|poner|ponerme)\b"
    rf"( \w+){{0,2}} con) (un |una |algun |alguna |el |la |otro |otra |vuestro |vuestra |su )?"
    rf"(otro |otra )?({_PERSON_ES}|{_TEAM_ES}|{_SERVICE_ES})\b",
    # "necesito un asesor", "prefiero que me atienda alguien", "que me llame alguien"
    # ("necesito que alguien recoja el paquete" is not a request for a person)
    rf"\b(quiero|quisiera|necesito|exijo|prefiero|busco|deseo|pido|solicito|dame|deme|denme)\b"
    rf"{_FILLER_ES} (un |una |otro |otra |algun |alguna )?(?!alguien){_PERSON_ES}\b",
    rf"\b((me|nos) (\w+ )?(atiende|atienden|atienda|atiendan|atender|llame|llamen)|atenderme|"
    rf"llamarme)\b"
    rf"{_FILLER_ES} "
    rf"(un |una |otro |otra |algun |alguna )?{_PERSON_ES}\b",
    r"\b(alguien|una persona|un agente|un asesor)( mas)? ((que|quien) )?(me |nos )?(pueda )?"
    r"(llame|llamen|atienda|contacte|ayude|revise|ayudar|atender)\b",
    r"\b(llamame|llameme|llamenme|llamadme|(me )?(pueden|puedes|podeis|podrian|podria) "
    r"llamar(me)?)\b",
    r"\b(persona|ser|alguien) (real|humano|humana|de verdad)\b",
    r"\batencion (humana|personal(izada)?)\b",
    r"\bno (quiero|deseo|me gusta)( \w+){0,3} (con )?(un |una |el |la |este |esta |tu )?"
    r"(bot|robot|maquina|chatbot|asistente virtual|contestador)\b",
    r"\bno (quiero|deseo) (seguir )?(hablar|hablando|chatear|chateando) contigo\b",
    r"\bno (me siento |estoy )?(comod[oa]|confio|me fio)\b( \w+){0,6} "
    r"(una |un |la |el |esta |este )?(maquina|bot|robot|chatbot)s?\b",
    r"\bno (me )?(puedes|sabes|eres capaz de) (ayudar|resolver|solucionar|entender)\w*",
    r"\bno (me )?(entiendes|estas ayudando)\b|\bno eres (de )?(ninguna )?ayuda\b",
    r"\b(hay )?alguien (real|de carne|ahi|por ahi)\b",
    r"\b(hay )?(algun|un) (humano|humana)\b",
    r"\b(telefono|numero|contacto|email|correo) de (alguien|una persona|un agente|un asesor)\b",
    rf"^(un |una |el |la |con )?{_PERSON_ES}( por favor| porfa| ya| ahora)?$",
)
_HUMAN_PATTERNS_EN = (
    # "let me speak with another agent", "talk to a normal person", "speak to the reception"
    rf"\b(talk|talking|speak|speaking|chat|chatting|deal|dealing|communicate|get through)"
    rf"( \w+){{0,3}} (to|with|through to) "
    rf"{_WHICH_EN}{_PERSON_EN}\b",
    rf"\b(i|we|me)((?: (?:want|wanna|would|like|d|need|can|could|may|to|please|just|rather|"
    rf"really|prefer|have|got)){{0,3}}) (talk|speak)( directly)? (to|with) ({_TEAM_EN}|the \w+|"
    r"your \w+)\b",
    # "transfer me to billing", "put me through with a bank worker", "escalate this"
    rf"\b(transfer|connect|patch|forward|redirect|route|pass)\w* me (back |over |on |through |"
    rf"across )?(to|with|onto) ({_WHICH_EN}({_PERSON_EN}|{_TEAM_EN}|{_SERVICE_EN})|the \w+)\b",
    rf"\bget me (through )?to {_WHICH_EN}{_PERSON_EN}\b",
    r"\bput me (through|in touch|on to)\b",
    r"\bescalate\b",
    rf"\b(reach|contact|get hold of|get in touch with|ring)( \w+)? {_WHICH_EN}"
    r"(human|person|agent|representative|operator|supervisor|manager|staff|advisor|adviser)\b",
    rf"\b(need|want|get|request|give me|find|have|bring|prefer|rather){_FILLER_EN} "
    r"(a |an |another |a different |some )?((real|live|actual|normal|proper) )?"
    r"(human being|human|person|representative|agent|operator)\b(?! resources| rights)",
    rf"\bhave {_WHICH_EN}{_PERSON_EN} (call|contact|email|get back|reach|ring|phone)\b",
    r"\b(someone|somebody|anyone|anybody|a person|an agent|a representative|an advisor|"
    r"a human)( \w+){0,3} (call|ring|phone|contact) (me|us)\b",
    r"\b(call|ring|phone) me (back|please|asap|at|on|today|tomorrow|now|as soon)\b",
    r"\bcallbacks?\b|\b(a|request|want|need|get|arrange|schedule) call back\b",
    r"\b(someone|somebody|anyone|anybody) else\b( \w+){0,1} (to |who |that |can )?"
    r"(help|assist|look|check|take a look|deal|sort|handle|on the (line|phone))",
    r"\b(get|find|send|bring) (me )?(someone|somebody|a person|an agent|a human)( else)? "
    r"(to|who|that) (help|assist|look|check|deal|sort|talk|speak)",
    r"\b(get|put|have)( \w+){1,3} on the (line|phone)\b",
    r"\b(someone|somebody|anyone|anybody) (there |here )?(to|i can|we can) (talk|speak|chat)\b",
    r"\b(someone|somebody|a person|anyone) (who|that) (can|could|knows|will|is able to)"
    r"( actually| really)? (help|assist|fix|sort|understand|solve|deal)",
    r"\bis there (a |an |any )?(real |live |actual )?(human|person|agent|representative)\b",
    r"\bis there (someone|somebody|anyone|anybody) (i|we) can (talk|speak|chat)\b",
    r"\bis (anyone|anybody|someone|somebody) (actually |really )?(there|here|listening|"
    r"reading|available|around)\b",
    r"\bwho else (can|could|would|is able to) (help|assist)\b",
    r"\b(real|live|actual|normal) (human|person|agent|representative|rep|people)\b",
    r"\bhuman (agent|please|support|assistance|help|now|asap)\b",
    # the assistant itself: "this bot is useless", "stop talking to bots", "you can't help me"
    r"\b(don ?t|do not|dont|not|no longer|never) (want|wanna|like|trust|feel comfortable|"
    r"comfortable)( \w+){0,5} (a |an |the |this |your |these |some )?(bot|bots|robot|robots|"
    r"machine|machines|chatbot|chat bot|virtual (agent|assistant)s?|computer|automated \w+)\b",
    r"\b(don ?t|do not|dont) want to (talk|speak|chat) (to|with) you\b",
    r"\bno (more )?(bots?|robots?|chatbots?)\b",
    r"\bstop (talking|chatting|speaking|dealing)( \w+)? (to|with) (a |the |this |these )?"
    r"(bots?|robots?|machines?|virtual agents?|chatbots?)",
    r"\b(enough|tired|sick|fed up) (of|with) (this |the |talking to |these |your )*"
    r"(bot|robot|machine|chatbot|automated \w+)s?\b",
    r"\b(stupid|useless|dumb|pointless|rubbish|worthless) (bot|robot|chatbot|machine)\b",
    r"\b(this|the|you|your) (bot|robot|chatbot|machine|assistant|chat|conversation) "
    r"(is|s|are|re) (so |really |completely )?(stupid|useless|dumb|pointless|rubbish|broken|"
    r"not (working|helping|helpful))\b",
    r"\byou (are|re) (getting (it |this |everything |all )?wrong|not (helping|understanding|"
    r"listening)|useless|no help)\b",
    r"\byou (can ?t|cannot|can not|are unable to|aren ?t able to|re not able to) (help|resolve|"
    r"solve|fix|understand|do anything)\b",
    rf"^(an? |the |a real |a live )?({_PERSON_EN}|(\w+ )?(team|department|desk))"
    r"( please| now| asap| pls| plz)?$",
)
_HUMAN_RE = re.compile("|".join(_HUMAN_PATTERNS_ES + _HUMAN_PATTERNS_EN))

# Asking whether a person is there is not asking for one ("are you a real person or a bot?",
# "¿estoy hablando con una máquina?"): the assistant says what it is and offers a person.
_BOT_NOUN = (
    r"(human being|human|humana|humano|person|persona|people|bot|robot|maquina|machine|computer|"
    r"ordenador|computadora|ai|ia|artificial intelligence|inteligencia artificial|automated|"
    r"automatico|automatica|chatbot|chat bot|software|programa|program|someone real|real|"
    r"alguien real|asistente virtual|virtual assistant)"
)
_BOT_ADJ = r"((real|live|actual|really|actually|just|a|an|un|una|de verdad) )*"
_BOT_TAIL = rf"( (right now|ahora|de verdad))?( (or|o) {_BOT_ADJ}{_BOT_NOUN})?"
_BOT_QUESTION_RE = re.compile(
    rf"\b((are|r) (you|u)|(if|whether|that) (you are|you re|u r|this is)|is this|"
    rf"(can|could) you be|am i (talking|speaking|chatting) (to|with)|"
    rf"(eres|es usted|sos|seras)|(estoy|estamos) (hablando|chateando|escribiendo) con|"
    rf"(esto|este chat) es|hablo con) {_BOT_ADJ}{_BOT_NOUN}\b{_BOT_TAIL}"
)
# "Do I need to speak to a representative to change my PIN?" asks how, not for a person
# (in Spanish only as a question: "tengo que hablar con alguien" is also a demand).
_HOW_EN_RE = re.compile(
    r"\b(do|does|would|will|should) (i|we) (need|have) to( \w+)? (talk|speak|call|contact)\b.*$"
)
_HOW_ES_RE = re.compile(
    r"\b(tengo|tendria|tenemos|hay|hace falta|es necesario) (que )?( \w+)?"
    r"(hablar|llamar|contactar)\b.*$"
)


def _requests_only(text: str) -> str:
    """The normalised text without questions about the assistant or about how to do things."""
    norm = _HOW_EN_RE.sub(" ", _BOT_QUESTION_RE.sub(" ", normalized(text)))
    if "?" in text:
        norm = _HOW_ES_RE.sub(" ", norm)
    return norm


# Feelings stated outright: "I'm frustrated", "estoy decepcionada", "qué desastre".
_FEELING = (
    r"frustrad[oa]s?|frustrante|frustracion|frustrat(ed|ing|ion)|decepcion|decepcionad[oa]s?|"
    r"decepcionantes?|(un|que|menudo) desastre|desastros[oa]s?|vergonzos[oa]s?|lamentable|"
    r"penos[oa]|hasta (las narices|el mo[nñ]o|el gorro|la coronilla)|cansad[oa]s? de|"
    r"annoyed|annoying|disappoint(ed|ing|ment)|upset|(a|what a|such a|total|complete) disaster|"
    r"pissed|livid|had enough"
)
_FRUSTRATION_RE = re.compile(
    r"\b(queja|quejar\w*|reclamo|reclamacion\w*|inaceptable|verguenza|indignad\w*|"
    r"indignante|hart[oa]s?|estafa\w*|pesim[oa]|horrible|fatal|inutil\w*|burla|"
    r"denunci\w+|abogad\w+|enfadad\w+|enojad\w+|furios\w+|cabread\w+|molest[oa]s? ?(con|por)|"
    r"nadie (me )?(responde|contesta|ayuda|soluciona)|tercera vez|otra vez lo mismo|"
    r"no sirve\w* para nada|una mierda|de mierda|ridicul\w+|"
    r"complain\w*|complaint\w*|ridiculous|unacceptable|terrible|worst|awful|useless|"
    r"fed up|sick (and tired )?of|disgust\w*|scam\w*|furious|angry|outrage\w*|"
    r"pathetic|wtf|what the hell|nobody (helps|answers|cares)|third time|"
    # "is this a joke?", "what a joke" (not "tell me a joke")
    r"(is|s|are|re|was|what|such|total|complete|absolute|bad|sick)( (this|that|it))? "
    r"(an? )?(\w+ )?joke|"
    rf"lawyer|sue you|never again|incompetent|shame on you|rip ?off|fuming|{_FEELING})\b"
)
# "Not disappointed at all", "no es ningún desastre": a feeling denied is no complaint.
_DENIED_FEELING_RE = re.compile(
    r"\b(not|never|no|nunca|ni|nada|isn t|wasn t|aren t|weren t|don t|didn t|am not|"
    rf"won t)( \w+){{0,2}} ({_FEELING})\b"
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
_GREETING_WORDS = frozenset({
    "hola", "buenas", "buenos", "dias", "tardes", "noches", "oye", "dime", "entonces", "y",
    "por", "favor", "hi", "hello", "hey", "good", "morning", "afternoon", "evening", "so",
    "tell", "me", "please", "and", "then", "really", "i", "wonder",
})
_ACK_RE = re.compile(
    r"(ok|okay|okey|oki|k|vale|va|sale|si|yes|yep|yeah|cool|nice|bien|muy bien|genial|"
    r"perfecto|perfect|great|entendido|entiendo|understood|got it|i see|ya veo|de acuerdo|"
    r"alright|all right|fine|claro|ah|ah vale|ah ok|aja|hmm+|mm+|ok+)( (ok|vale|gracias|thanks|"
    r"thank you|pues|then|entonces))?"
)
_ORDINALS = {
    "1": 0, "uno": 0, "primero": 0, "primera": 0, "first": 0, "one": 0, "1st": 0,
    "2": 1, "dos": 1, "segundo": 1, "segunda": 1, "second": 1, "two": 1, "2nd": 1,
    "3": 2, "tres": 2, "tercero": 2, "tercera": 2, "third": 2, "three": 2, "3rd": 2,
}
_LAST = {"ultimo", "ultima", "last"}


def asks_for_human(text: str) -> bool:
    """True when the customer asks to talk to a person, in Spanish or English.

    That includes giving up on the assistant ("this bot is useless", "no me entiendes") and
    asking to be put through to a team ("transfer me to billing", "pásame con facturación");
    not asking whether a person is there, nor whether one is needed for something.
    """
    return bool(_HUMAN_RE.search(_requests_only(text)))


def asks_if_bot(text: str) -> bool:
    """The message only asks whether the customer is talking to a machine or a person."""
    rest, found = _BOT_QUESTION_RE.subn(" ", normalized(text))
    return bool(found) and len([w for w in rest.split() if w not in _GREETING_WORDS]) <= 2


def complaint_cues(text: str) -> int:
    """Count of complaint words and phrases, in Spanish and English ("can't complain" and
    "no tengo queja" are praise)."""
    norm = service_cues.PRAISE_IDIOM_RE.sub(" ", normalized(text))
    return len(_FRUSTRATION_RE.findall(_DENIED_FEELING_RE.sub(" ", norm)))


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


def is_acknowledgement(text: str) -> bool:
    """A bare "ok", "vale", "👍": the customer takes note and asks nothing."""
    norm = normalized(text)
    if not norm.strip():
        return bool(text.strip())  # only emoji or marks
    return bool(_ACK_RE.fullmatch(norm.strip()))


def has_words(text: str) -> bool:
    """Whether the message has any letter or digit at all (not just marks or emoji)."""
    return any(ch.isalnum() for ch in text)


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
