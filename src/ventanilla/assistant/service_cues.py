"""Service-problem cues in Spanish and English: what a general sentiment model misreads.

The sentiment model learnt from tweets about everything. Customers writing to a service say
things it reads the wrong way:

* irony: a cheerful opener about a mishap ("Great, another delay", "Qué bien, llegó roto"),
  which the model reads as positive;
* thanks that mean the opposite ("thanks for nothing", "gracias por nada");
* a problem that persists ("still not working", "sigo sin poder entrar", "aún no llega");
* time spent waiting, stated as a fact ("I've been waiting 3 hours", "llevo dos semanas
  esperando", "ya van 4 días"), which the model reads as neutral;
* a question that complains ("how is it possible that my bag…", "¿por qué nadie
  contesta?"), which it reads as a neutral question;
* a mishap of the customer's own told in a flat tone ("my order never arrived", "me
  cobraron dos veces"), and statements about what a company sells or runs ("the agent hung
  up on me"), which it reads as neutral too: customers write to a service to complain far
  more often than the tweets it learnt from did;
* a problem after the last "but" ("the crew was lovely, but my bag never arrived"), which
  it reads by the praise.

Each of these says the customer's experience is bad, whatever the words around it. They
also mean the customer is not confirming that an answer solved their problem.

One cue goes the other way: thanks, or praise worded with a negation ("can't complain"),
with no problem left standing at the end ("the flight was cancelled, but the agent
rebooked me in ten minutes. Thank you!"), which the model reads by the story of the
problem.

Patterns run on text that is lower-cased and stripped of accents (``text.words``); irony
looks at the first clause of the raw text after its handles ("@airline great, another
delay"), since punctuation marks where it ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ventanilla.assistant.text import normalized, own_words

_NUMBER_EN = (
    r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|fifty|sixty|several|many|few|a few|a couple of|couple of)"
)
_NUMBER_ES = (
    r"(\d+|un|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|"
    r"treinta|cuarenta|cincuenta|sesenta|varios|varias|muchos|muchas|unos|unas)"
)
_UNIT_EN = r"(mins?|minutes?|h|hrs?|hours?|days?|weeks?|wks?|months?)"
_UNIT_ES = r"(min|minutos?|h|horas?|dias?|semanas?|mes|meses)"
_NTH_EN = r"(second|third|fourth|fifth|sixth|umpteenth|nth|\d+(nd|rd|th))"
_NTH_ES = r"(segunda|tercera|cuarta|quinta|sexta|enesima|\d+a)"
_ABOUT_EN = r"((over|more than|almost|nearly|about|around|like|at least) )?"
_ABOUT_ES = r"((mas de|casi|cerca de|unos|unas|al menos) )?"

# Elapsed waiting and problems that persist. Waiting needs a verb or a continuation
# ("llevo una semana con el producto y me encanta" is not a complaint).
_PERSISTS_EN = (
    rf"\b(waiting|waited|been waiting|on hold|wait) (for )?{_ABOUT_EN}{_NUMBER_EN} {_UNIT_EN}\b",
    # "sitting at the gate 2 hrs", "stuck on the tarmac for 3 hours", "a 2 hour line"
    rf"\b(sitting|sat|stuck|standing|stood|queuing|queueing|in line|trapped|held|on the tarmac)"
    rf"( (at|on|in) (the|a) \w+)? (for )?{_ABOUT_EN}{_NUMBER_EN} {_UNIT_EN}\b",
    rf"\b{_NUMBER_EN} {_UNIT_EN} (in line|in the queue|in a queue|queuing|queueing|line|queue|"
    r"and counting)\b",
    # Asked again and again: "asking for the 3rd time", "this is the second time my bag…"
    # (not "watching it for the 20th time").
    rf"\b(ask|call|writ|wrote|email|messag|contact|tell|told|explain|request|report|complain|"
    rf"chas|cancel|delay|chang|rebook)\w*( \w+){{0,3}} for the {_NTH_EN} time\b",
    rf"\b(this|that|it) (is|s) the {_NTH_EN} time (my|our|you|your|i|we|the (flight|order|bag|"
    r"app|package|delivery|payment|card))\b",
    rf"\b(it s|its|it has|it ve|that s|this is) been {_ABOUT_EN}{_NUMBER_EN} {_UNIT_EN}"
    r"( (and|since|without|with no|now|already|but|yet|of waiting)\b|$)",
    rf"\b{_NUMBER_EN} {_UNIT_EN}( ago)? (and (still|nothing|no)|later and|now and|(without|"
    r"with no|with zero|no) (a |any )?(help|reply|answer|response|update|news|word|info\w*|"
    r"contact|call|email|explanation|communication|food|water|power|service|internet|signal|"
    r"refund|luggage|bags?|progress|resolution|solution)|of waiting|on hold|waiting)\b",
    r"\bstill (no|nothing|waiting|broken|missing|down|pending|unable|charged|(getting|having|"
    r"seeing) (the same|an? (error|problem|issue)|errors|problems|issues|trouble|charged|no)|"
    r"haven t|hasn t|have not|has not|didn t|did not|can t|cannot|won t|isn t|doesn t|don t "
    r"(have|work|know (when|where|why))|not (working|received|arrived|here|fixed|resolved|"
    r"refunded|delivered|shipped|showing|able|getting|loading|back|answered))\b",
    r"\b(not|isn t|hasn t|haven t) (arrived|received|working|come|shipped|been (delivered|"
    r"refunded|fixed|resolved|solved)) (yet|still)\b",
    rf"\b(trying|tried) to (reach|contact|call|get through to|get hold of|speak to|talk to) "
    rf"(\w+ ){{0,3}}(for|since) {_ABOUT_EN}{_NUMBER_EN} {_UNIT_EN}\b",
    r"\b(again and again|over and over|keeps (happening|failing|crashing|saying|asking|telling|"
    r"showing|giving|kicking|logging|freezing|declining|rejecting|changing|cancell?ing))\b",
    rf"\b(pending|stuck|processing|in transit|on hold) (for )?{_ABOUT_EN}{_NUMBER_EN} {_UNIT_EN}\b",
    r"\b(nobody|no one|noone) (has |have )?(ever )?(replied|answered|responded|helped|called|"
    r"got back|gotten back|contacted)\b",
    r"\b(never|still haven t|haven t|have not|hasn t) (got|gotten|had|received) (a |any )?"
    r"(reply|answer|response|call back|callback)\b",
)
_WAITING_ES = (
    r"(esperando|sin|intentando|tratando|llamando|escribiendo|reclamando|en espera|con (este|"
    r"el|ese|mismo) problema|y (nada|todavia|aun|sigo|sigue|siguen|no)|de (cola|fila|espera))"
)
_PERSISTS_ES = (
    rf"\bllev(o|amos|a|an) {_ABOUT_ES}{_NUMBER_ES} {_UNIT_ES} {_WAITING_ES}\b",
    rf"\b(desde )?hace {_ABOUT_ES}{_NUMBER_ES} {_UNIT_ES} (que (espero|estoy esperando|no|sigo|"
    rf"sigue)|{_WAITING_ES})\b",
    rf"\bya (van|son|pasaron|paso|han pasado|llevo|llevamos) {_ABOUT_ES}{_NUMBER_ES} {_UNIT_ES}\b",
    rf"\b{_NUMBER_ES} {_UNIT_ES} {_WAITING_ES}\b",
    r"\b(sigo|seguimos|sigue|siguen) (sin|esperando|igual|con el (mismo )?problema|fallando|"
    r"sin funcionar|diciendo|pidiendo|dando error|saliendo el (mismo )?error|rechazando)\b",
    # "el chat me tiene 45 minutos", "nos tuvieron 3 horas en el avión"
    rf"\b(me|nos) (tiene|tienen|tuvo|tuvieron|dejaron|dejo) {_ABOUT_ES}{_NUMBER_ES} {_UNIT_ES}\b",
    rf"\b(llam|escrib|reclam|pid|pregunt|explic|cancel|retras|cambi|envi|mand|contact|dij)\w*"
    rf"( \w+){{0,3}} por {_NTH_ES} vez\b",
    rf"\b(es|ya es|ya van|van) la {_NTH_ES} vez que (me|nos|mi|mis|nuestr[oa]s?|os|les|"
    r"ustedes|el (vuelo|pedido|paquete|pago|cargo))\b",
    r"\b(todavia|aun) (sin|nada|espero|estoy esperando|no (me )?(ha|han|he|hemos|llega|llego|"
    r"funciona|responde|contesta|recib|devuelv|reembols|aparece|carga|puedo|hay|sale)\w*)\b",
    r"\bnada todavia\b",
    r"\b(una y otra vez|otra vez lo mismo|cada vez peor)\b",
    rf"\b(pendiente|atascad[oa]|en transito|en espera|retenid[oa]) (desde hace |hace )?"
    rf"{_ABOUT_ES}{_NUMBER_ES} {_UNIT_ES}\b",
    r"\bnadie (me |nos )?(ha |han )?(respondido|contestado|ayudado|llamado|dicho nada|"
    r"devuelto)\b",
    r"\bno (me |nos )?(han|ha) (respondido|contestado|llamado|devuelto|dicho nada)\b",
)
_PERSISTS_RE = re.compile("|".join(_PERSISTS_EN + _PERSISTS_ES))

# Questions that complain: "why can't anyone…", "por qué nadie contesta", "when will
# someone actually reply"; and, about the customer's own case or addressed to the company
# (amazement reads the same), "how is it possible that…", "cómo es posible que…".
_INDIGNANT_RE = re.compile(
    r"\b(why (can t|cant|won t|doesn t|don t|isn t|aren t|wasn t|is (nobody|no one)|does "
    r"(nobody|no one)|has (nobody|no one)|did (nobody|no one)|is it so hard|does it take so "
    r"long|do i have to keep)|why (does|did|would|should) it take|why (didn t|hasn t|haven t) "
    r"(you|anyone|anybody|someone|they|it)|por que (nadie|nunca|no (me|nos|se|hay|puedo|"
    r"podemos|funciona|contesta\w*|responde\w*)|(tardan|tarda|tardaron|tardo) (tanto|\d+|una|"
    r"un|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|mas de)|tengo que seguir)|when "
    r"(will|is|are) (someone|anyone|somebody|you) (actually|finally|ever|going to)|cuando "
    r"(va|van) a (contestar|responder|llamar|solucionar|devolver)|is (anyone|anybody) (there|"
    r"listening|reading)|hay alguien ahi|(es|esta) alguien leyendo)\b"
)
_INCREDULOUS_RE = re.compile(
    r"\b(how is (it|this|that) (even )?possible|how come|how (can|could) you|como es posible|"
    r"no puede ser que)\b"
)
# Words addressing the company.
_ADDRESSED_RE = re.compile(r"\b(you|your|ustedes|vosotros|vuestr[oa]s?|les|su|sus)\b")
_THANKS_FOR_NOTHING_RE = re.compile(
    r"\b(thanks|thank you|thx) (for nothing|for no(thing| help)|for the (lack of|zero) help|"
    r"for (not|never) (helping|responding|replying|answering|getting back))\b|"
    r"\bgracias por (nada|la nula ayuda|ninguna ayuda|no (ayudar|responder|contestar|hacer nada)"
    r"|nunca (responder|contestar))\b"
)

# What goes wrong in a purchase, a trip, an account or a service.
_MISHAP_EN = (
    r"delay\w*|(is|s|was|are|were|re|running|arrived|arrives|left|came|comes|been|so|too|"
    r"very|always|again|hours?|minutes?|days?|weeks?) late|late (delivery|flight|arrival|"
    r"departure|again)|later than|cancel+ed|missed (my|our|the) (connection|flight|train)|"
    r"overbook\w*|bumped|call (dropped|got cut off)|broken|broke|damaged|smashed|cracked|"
    r"messed (up|with)|screwed up|ruined|bricked|(am|are|is|m|re|s) not (receiving|getting)|"
    r"lost|missing|stolen|wrong|never (arrived|came|received|got|showed)|(didn t|did not|"
    r"hasn t|has not|haven t|have not) (arrive\w*|come|receive\w*|get|got|show\w*|ship\w*)|"
    r"charged (twice|two times|double)|double charged|overcharged|stranded|stuck|crash\w*|"
    r"down again|not working|stopped working|(doesn t|does not|won t|can t|cannot|couldn t) "
    r"(work|load|open|log|sign|connect|access|pay)|declined|refused|on hold|(no|zero) (reply|"
    r"answer|response|one|update|refund|info\w*|communication|explanation|help|flexibility|"
    r"empathy)|without (any )?(notice|warning|explanation|reason)|for no reason|another "
    r"(delay|problem|issue|error)|another (hour|day|week) (of|without|on|waiting|and)"
)
_MISHAP_ES = (
    r"retras\w*|demora\w*|cancelad\w*|cancelaron|(se|me|nos|les?) cancelo|perd\w* (el|la|mi|"
    r"nuestro|nuestra) (conexion|enlace|vuelo|tren)|overbooking|sobreventa|(salio|salieron|"
    r"salimos|llego|llegaron|llegamos|aterrizo|aterrizamos)( \w+){0,3} tarde|se (corto|cayo) "
    r"la (llamada|linea)|rot[oa]s?|dañad[oa]s?|estropead\w*|"
    r"perdi(do|da|dos|das|eron)|extravi\w*|robad\w*|(me|nos|le) falta\w*|incomplet\w*|"
    r"equivocad\w*|incorrect\w*|(no|nunca) (me )?(ha )?(llego|llegado|llega|llegan|llegaron)|"
    r"cobr\w* (dos veces|doble|de mas)|doble cobro|cobro doble|varad[oa]s?|atascad\w*|"
    r"(no|ya no) (funciona\w*|carga|abre|deja|puedo|consigo)|dejo de funcionar|error\w*|"
    r"rechaz\w*|(sin|cero) (respuesta|servicio|reembolso|noticias|ayuda|solucion|informacion|"
    r"info|motivo|razon|explicacion|aviso|previo aviso|flexibilidad|empatia)|en espera|"
    r"falta(n|ban)? (cosas|objetos|articulos|piezas|productos|prendas)|"
    r"otr[oa] (retraso|problema|error)|otr[oa] (hora|dia|semana) (sin|de espera|esperando|y)"
)
_MISHAP_RE = re.compile(rf"\b({_MISHAP_EN}|{_MISHAP_ES})\b")

# What a company sells, runs or sends: the things customers write about.
_SERVICE_THINGS = (
    r"orders?|ordered|packages?|parcels?|deliver\w*|shipping|shipment|courier|flights?|"
    r"bags?|luggage|suitcases?|seats?|booking|reservation|tickets?|refund\w*|payment|paid|"
    r"charged (me|us|twice|double|for|my|again|\d+)|bill|billing|invoice|card|account|app|"
    r"items?|products?|replacement|repair|technician|router|internet|connection|line|agent|"
    r"customer service|support|"
    r"password|subscription|plan|store|shop|train|"
    r"pedidos?|pedi|paquetes?|envios?|entrega|mensajero|vuelos?|maletas?|equipaje|asientos?|"
    r"reservas?|billetes?|boletos?|reembols\w*|pago|pague|cobr\w*|factura|tarjeta|"
    r"(mi|la|tu|su|una|nuestra) cuenta|"
    r"aplicacion|productos?|articulos?|recambio|reparacion|tecnico|conexion|"
    r"llamada|linea|agente|atencion al cliente|soporte|contraseña|suscripcion|tarifa|tienda|"
    r"tren"
)
_SERVICE_RE = re.compile(rf"\b({_SERVICE_THINGS})\b")
# Whose mishap: the customer's own ("my flight", "me cobraron", "we missed") or that of
# something a company sells or runs ("the order", "el vuelo"), not the news or sport.
_OWN_RE = re.compile(
    r"\b(i|i m|i ve|i d|i ll|me|my|mine|we|we re|we ve|us|our|ours|mi|mis|me|nos|"
    rf"nuestr[oa]s?|{_SERVICE_THINGS})\b"
)
# A question without its question mark: an accented Spanish interrogative anywhere ("con
# cuánta antelación hay que estar") but after "¡" ("¡Qué desastre!"), or an English one as
# the first word.
_QUESTION_ES_RE = re.compile(
    r"(?<![\w¡])(qué|cómo|cuándo|dónde|adónde|cuál|cuáles|cuánt[oa]s?|quién|quiénes)(?!\w)"
)
_QUESTION_EN_RE = re.compile(
    r"^(?!what an? |how (nice|great|lovely|sweet|cool|awesome|kind)\b|can t |have an? )"
    r"(what|how|which|who|why|is|are|do|does|did|can|could|will|would|should|shall|may|have|"
    r"has|(when|where) (is|are|was|were|will|do|does|did|can|could|should|would|s|re))\b"
)
# Asking for something rather than reporting: "I'd like to change my booking".
_REQUEST_RE = re.compile(
    r"\b(i d like|i would like|i want|i need|can you|could you|would you|can i|could i|"
    r"how do|how can|please|pls|plz|quiero|quisiera|queria|me gustaria|necesito|pueden|"
    r"podrian|puede|podria|puedo|como (puedo|hago|se)|por favor|porfa)\b"
)
# A mishap in a clause like these is a question, not a report: "what if my bag is lost?".
_CONDITIONAL_RE = re.compile(r"\b(if|in case|en caso de|que pasa si|si)\b")

# A cheerful opener that is the whole first clause, or one that goes on to "another" /
# "again": "Great, another delay", "Perfecto. Ahora no puedo entrar", "oh great again".
_OPENER = (
    r"(great|lovely|perfect|wonderful|fantastic|brilliant|awesome|excellent|nice|superb|"
    r"amazing|cool|fabulous|terrific|good job|great job|well done|way to go|bravo|"
    r"thanks a lot|thanks a bunch|genial|que bien|perfecto|fantastico|estupendo|maravilloso|"
    r"excelente|buenisimo|que maravilla|de lujo|muy bien|felicidades|enhorabuena|"
    r"que bonito|que lindo|que bueno)"
)
_OPENER_CLAUSE_RE = re.compile(
    rf"^((oh|wow|just|really|so|simply|yeah|ah|ay|pues|vaya|uy|muy) )*{_OPENER}"
    r"( (touch|one|job|work|service|guys|team|chicos|equipo|again|de nuevo|otra vez))?$"
)
_OPENER_AGAIN_RE = re.compile(
    rf"^((oh|wow|just|really|so|yeah|ah|ay|pues|vaya) )*{_OPENER} (another|again|otr[oa]s?|"
    r"de nuevo)\b"
)
_CLAUSE_END_RE = re.compile(r"[,.;:!?¡¿…—\n]+")
_SENTENCE_END_RE = re.compile(r"[.;:!?…\n]+")
# Marks that say the writer means the opposite: "love spending my Saturday at the gate 🙄".
_SARCASM_MARK_RE = re.compile(r"#(not|sarcasm|sarcasmo|ironia)\b|(?<!\w)/s\b|🙄|🙃|😒|😑|🤡")
_OPENER_WORD_RE = re.compile(rf"\b{_OPENER}\b|\b(love|loving|me encanta)\b")

# "X, but Y": what follows the last "but" is what the writer ends up saying. Not "although"
# or "aunque", whose clause is the one conceded.
_CONTRAST_RE = re.compile(r"\b(but|however|pero|sin embargo|no obstante)\b")
# Thanks, and praise worded with a negation ("can't complain", "no se puede pedir más").
_THANKS_RE = re.compile(
    r"\b(thank you|thanks|thank u|thx|tysm|gracias|se agradece|agradezco|agradecemos|"
    r"agradecid[oa]s?)\b"
)
_NOT_THANKS_RE = re.compile(
    r"\b(no thanks|no gracias|(thanks|thank you|thx|gracias) (in advance|anyway|de antemano|"
    r"igual|por adelantado)|thanks to (?!(you|u|all|everyone|everybody)\b))"
)
PRAISE_IDIOM_RE = re.compile(
    r"\b(can t complain|cannot complain|couldn t ask for (more|better|a better)|no complaints|"
    r"never disappoints?|never gets old|can t beat|cannot beat|hard to beat|nothing to "
    r"complain about|not bad at all|no se puede pedir (mas|nada mas|mejor)|no me puedo quejar|"
    r"nada que (objetar|reprochar)|sin (ninguna )?queja|ni una queja|no tengo (ninguna )?queja|"
    r"nunca (falla|decepciona)|no (decepciona|defrauda)\w*)\b"
)


@dataclass(frozen=True)
class ServiceCues:
    """What a message says about the service, beyond its words' general polarity."""

    ironic: bool = False
    thanks_for_nothing: bool = False
    persists: bool = False
    indignant: bool = False  # a question that complains
    mishap: bool = False
    own_mishap: bool = False  # a mishap in the first person or about an order, a flight...
    service_report: bool = False  # a statement (not a question or request) about one
    turns_bad: bool = False  # "the crew was lovely, but my bag never arrived"
    grateful: bool = False  # thanks or praise with no problem left standing at the end
    recovered: bool = False  # grateful after "but", about a problem before it

    @property
    def negative(self) -> bool:
        """The message reports a bad experience whatever its wording's polarity."""
        return (
            self.ironic or self.thanks_for_nothing or self.persists or self.indignant
            or self.turns_bad
        )

    @property
    def problem(self) -> bool:
        """The message reports a problem: it does not confirm that one is solved."""
        return self.negative or self.mishap


def _own_mishap(text: str, norm: str) -> bool:
    """A mishap reported as having happened to the customer or to what they bought."""
    if not _OWN_RE.search(norm):
        return False
    for clause in _CLAUSE_END_RE.split(text):
        plain = normalized(clause)
        # Accents matter here: "si" is "if", "sí" is "yes".
        if _MISHAP_RE.search(plain) and not _CONDITIONAL_RE.search(clause.lower()):
            return True
    return False


def _asks(text: str, norm: str, any_sentence: bool = False) -> bool:
    """The message asks a question or for something, rather than reporting.

    An English question word counts when it opens the message, or with ``any_sentence``
    any of its sentences ("It stopped. Do you have any advice"); a complaint often ends in
    a question that expects no answer ("who do I even talk to").
    """
    own = own_words(text)
    parts = _SENTENCE_END_RE.split(own) if any_sentence else [own]
    return (
        "?" in text or bool(_REQUEST_RE.search(norm)) or bool(_QUESTION_ES_RE.search(own.lower()))
        or any(_QUESTION_EN_RE.search(normalized(part)) for part in parts)
    )


def _first_clause(text: str) -> str:
    for clause in _CLAUSE_END_RE.split(own_words(text)):  # after "@airline" opening a tweet
        norm = normalized(clause)
        if norm:
            return norm
    return ""


def _ironic(text: str, norm: str, bad_news: bool) -> bool:
    own = own_words(text)
    if _SARCASM_MARK_RE.search(own) and (bad_news or _OPENER_WORD_RE.search(norm)):
        return True
    first = _first_clause(text)
    if not first:
        return False
    if _OPENER_AGAIN_RE.search(first):
        return True
    if not _OPENER_CLAUSE_RE.search(first):
        return False
    rest = normalized(own)
    rest = rest[len(first):] if rest.startswith(first) else rest
    return _bad_news(rest)


def _bad_news(norm: str) -> bool:
    return bool(_MISHAP_RE.search(norm) or _PERSISTS_RE.search(norm))


def _last_turn(norm: str) -> tuple[str, str]:
    """The text before and after the last "but" ("" before when there is none)."""
    found = list(_CONTRAST_RE.finditer(norm))
    if not found:
        return "", norm
    return norm[: found[-1].start()], norm[found[-1].end():]


def _grateful(text: str, norm: str, end: str) -> bool:
    """Thanks or praise, and no problem still standing at the ``end`` (after the last
    "but"): "the flight was cancelled, but the agent rebooked me in ten minutes. Thank
    you!"."""
    if _bad_news(end):
        return False
    if PRAISE_IDIOM_RE.search(norm):  # "no me puedo quejar" is not a request
        return "?" not in text
    # Thanks closing a question or a request are politeness, not praise.
    return (
        bool(_THANKS_RE.search(norm)) and not _NOT_THANKS_RE.search(norm)
        and not _THANKS_FOR_NOTHING_RE.search(norm) and not _asks(text, norm, any_sentence=True)
    )


@lru_cache(maxsize=256)  # a turn reads the same message for sentiment and for the policy
def read(text: str) -> ServiceCues:
    """The service cues of one customer message."""
    norm = normalized(text)
    if not norm:
        return ServiceCues()
    mishap = bool(_MISHAP_RE.search(norm))
    persists = bool(_PERSISTS_RE.search(norm))
    before, after = _last_turn(norm)
    grateful = _grateful(text, norm, after)
    return ServiceCues(
        ironic=_ironic(text, norm, mishap or persists),
        thanks_for_nothing=bool(_THANKS_FOR_NOTHING_RE.search(norm)),
        persists=persists,
        indignant=bool(_INDIGNANT_RE.search(norm)) or bool(
            _INCREDULOUS_RE.search(norm) and (_OWN_RE.search(norm) or _ADDRESSED_RE.search(norm))
        ),
        mishap=mishap,
        own_mishap=mishap and _own_mishap(text, norm),
        service_report=bool(_SERVICE_RE.search(norm)) and not _asks(text, norm),
        turns_bad=bool(before) and _bad_news(after),
        grateful=grateful,
        recovered=grateful and bool(before) and _bad_news(before),
    )
