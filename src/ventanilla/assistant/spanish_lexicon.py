"""Spanish polarity cues for the sentiment model: a word lexicon, negation, intensifiers,
emoticons, laughter and emphasis.

English messages get VADER's scores (``sentiment.lexicon_features``); VADER's word list and
rules are English only, so Spanish messages get these instead. The lexicon is written for
this project (general and colloquial Spanish of Spain and Latin America, including what
customers write to a service). Words are compared without accents (``text.words``), so
"pésimo" and "pesimo" are the same entry. Ambiguous words that customers use neutrally
("quiero", "ayuda", "claro", "solo", "espera") are deliberately left out.
"""

from __future__ import annotations

import re

from ventanilla.assistant.text import words

# Polarity tiers: 3 strong, 2 clear, 1 mild. Negative tiers are scored below zero.
_POSITIVE = {
    3: """
        encanta encantan encanto encantada encantado encantador encantadora maravilla
        maravillas maravilloso maravillosa maravillosos maravillosas genial geniales
        genialidad increible increibles increiblemente perfecto perfecta perfectos perfectas
        excelente excelentes fantastico fantastica fantasticos fantasticas espectacular
        brutal amo adoro adorable precioso preciosa preciosos preciosas preciosidad
        enamorado enamorada enamora enamorar feliz felices felicidad felicisimo felicisima
        orgullo orgulloso orgullosa orgullosos orgullosas mejor mejores guapisima guapisimo
        buenisimo buenisima buenisimos buenisimas brillante impresionante estupendo estupenda
        estupendos estupendas alucinante flipante magnifico magnifica divino divina
        glorioso gloriosa
    """,
    2: """
        bien bueno buena buenos buenas buen gracias graciass agradecido agradecida
        agradezco agradecer agradecemos agradecimiento agradable agradables amable amables
        simpatico simpatica cariño cariños cariñosa gusta gustan gusto gustaria gustado
        gustaron guapo guapa guapos guapas guay mola molan divertido divertida divertidos
        diversion divierte alegria alegre alegra alegran alegro alegramos bonito bonita
        bonitos bonitas lindo linda hermoso hermosa felicidades felicitaciones felicito
        felicitar enhorabuena disfrutar disfruta disfrutando disfrute disfrutad disfrutado
        disfrutamos ilusion ilusiona ilusionado ilusionada emocion emocionado emocionada
        emocionante exito exitos ganar ganamos gano gane ganado ganador ganadora victoria
        triunfo campeon campeones logro logrado conseguido amor amores adorar risa risas
        reir sonrisa sonrisas sonrie contento contenta contentos satisfecho satisfecha
        recomiendo recomendable suerte fiesta celebrar celebramos abrazo abrazos beso besos
        besito bienvenido bienvenida bienvenidos crack cracks ole bravo favorito favorita
        valiente valientes animo animos genio genios joya bendicion bendito bendita ideal
        calidad premio regalo regalos vacaciones descanso tranquilidad saludos
    """,
    1: """
        interesante facil correcto correcta acuerdo paz salud calma esperanza ojala listo
        util utiles mejorar mejora mejorando gracioso graciosa tranquilo tranquila nuevo
        nueva oportunidad importante justo justa libre libertad apoyo apoyamos solucionado
        resuelto rapido rapida atento atenta atentos eficaz eficiente profesional
        profesionales puntual
    """,
}
_NEGATIVE = {
    3: """
        odio odia odian odie odiar odias odiamos odioso odiosa asco asqueroso asquerosa
        asquerosos horrible horribles horroroso horrorosa horror pesimo pesima pesimos
        pesimas peor peores fatal desastre desastres desastroso catastrofe vergonzoso
        vergonzosa verguenza lamentable asesino asesinos asesinato asesinada muerte muertes
        muerto muerta muertos mierda mierdas puta puto putada cabron cabrones gilipollas
        gilipolleces imbecil imbeciles idiota idiotas estupido estupida estupidos subnormal
        basura inutil inutiles corrupto corruptos corrupcion ridiculo ridicula indignante
        indignado indignada repugnante insoportable harto harta hartos hartas cagada
        cagadas joder jodido jodida hostia hostias maldito maldita malditos capullo payaso
        payasos mentirosos ladron ladrones sinverguenza sinverguenzas estafa estafado
        estafadores timo inaceptable inaceptables incompetente incompetentes ineptos
        nefasto nefasta penoso penosa chapuza pesadilla abuso abusivo desesperante
    """,
    2: """
        mal mala malo malos malas malisimo malisima triste tristes tristeza llorar llorando
        lloro llora llore lagrimas pena miedo dolor dolores duele duelen enfermo enferma
        enfermedad enfadado enfadada enfado enfada cabreado cabreada cabreo cabrea molesto
        molesta molestan fastidia fastidio aburrido aburrida aburre aburrimiento cansado
        cansada cansancio culpa error errores fallo fallar fallado perder perdido perdida
        perdimos pierde perdio derrota derrotas mentira mentiras mentiroso mentirosa miente
        roba robo robar peligro grave crisis sufrir sufriendo sufrimiento preocupa
        preocupado preocupada preocupante desgracia desgraciado pobre pobres injusto
        injusta injusticia ataque ataques guerra violencia soledad dificil
        cancelado cancelada cancelaron retrasado retrasada extraviado extraviada
        extraviaron perdieron dañado dañada estropeado estropeada cutre desesperado
        desesperada rabia ansiedad agobio agobiado agobiada angustia depre depresion deprimido
        deprimida estres estresado estresada decepcion decepcionado decepcionada
        decepcionante defraudado engaño tonto tonta tontos tonteria tonterias lamento
        lamentablemente fracaso fracasado desempleo despido recortes deuda sucio sucia
        roto rota averia queja quejas reclamacion morir murio fallecido accidente victimas
        amenaza retrasaron demorado demorada varado varada varados overbooking sobreventa
        averiado averiada colgaron
    """,
    1: """
        problema problemas raro rara extraño extraña duda dudas lento lenta caro dificiles
        complicado complicada imposible retraso tarda tardan demora
    """,
}
NEGATORS = frozenset({"no", "nunca", "jamas", "ni", "tampoco", "sin", "nada", "nadie"})
INTENSIFIERS = {
    "muy": 0.3, "mucho": 0.3, "mucha": 0.3, "muchisimo": 0.5, "muchisima": 0.5, "tan": 0.3,
    "tanto": 0.3, "super": 0.4, "demasiado": 0.3, "bastante": 0.2, "re": 0.3,
    "tremendo": 0.4, "tremenda": 0.4, "totalmente": 0.3, "realmente": 0.2,
}
NEGATION_REACH = 3
NEGATED = -0.6  # "no es bueno" leans negative, but less than "malo"


def _lexicon() -> dict[str, float]:
    table: dict[str, float] = {}
    for sign, tiers in ((1.0, _POSITIVE), (-1.0, _NEGATIVE)):
        for strength, text in tiers.items():
            for word in text.split():
                table.setdefault(word, sign * strength)
    return table


LEXICON = _lexicon()
_HAPPY = re.compile(
    r"(?::-?\)|:-?D|;-?\)|=\)|<3|\^\^|\bx+d+\b"
    r"|[\U0001F600-\U0001F60D\U0001F618\U0001F642\U0001F923\U0001F970\u263A"
    r"\u2764\U0001F495\U0001F496\U0001F44D\U0001F44F\U0001F64C\U0001F389\u2728\U0001F4AA])",
    re.IGNORECASE,
)
_SAD = re.compile(
    r"(?::-?\(|:'\(|\bD:|"
    r"[\U0001F612\U0001F614-\U0001F616\U0001F61E-\U0001F629\U0001F62B\U0001F62D\U0001F630"
    r"\U0001F631\U0001F92C\U0001F494\U0001F44E\U0001F644\U0001F610\U0001F611])",
)
_LAUGH = re.compile(r"\b(?:j[aeij]{3,}\w*|lol)\b", re.IGNORECASE)
WIDTH = 8


def polarity(text: str) -> tuple[float, float]:
    """Positive and negative weight of the words, after negation and intensifiers."""
    positive = negative = 0.0
    negation = 0
    boost = 0.0
    for word in words(text):
        if word in NEGATORS:
            negation = NEGATION_REACH
            continue
        if word in INTENSIFIERS:
            boost = INTENSIFIERS[word]
            continue
        value = LEXICON.get(word)
        if value is not None:
            value *= 1.0 + boost
            if negation:
                value *= NEGATED
            if value > 0:
                positive += value
            else:
                negative -= value
        boost = 0.0
        negation = max(0, negation - 1)
    return positive, negative


def features(text: str) -> list[float]:
    """``WIDTH`` numbers: word polarity (positive, negative, overall), laughter,
    emoticons, exclamation marks, a question, and a constant for the language."""
    positive, negative = polarity(text)
    happy = len(_HAPPY.findall(text))
    sad = len(_SAD.findall(text))
    laugh = 1.0 if _LAUGH.search(text) else 0.0
    total = positive - negative + 2.0 * (happy - sad) + laugh
    return [
        positive / 4.0,
        negative / 4.0,
        2.0 * total / (abs(total) + 4.0),
        laugh,
        float(happy > 0) - float(sad > 0),
        min(text.count("!") + text.count("¡"), 3) / 3.0,
        1.0 if "?" in text or "¿" in text else 0.0,
        1.0,
    ]
