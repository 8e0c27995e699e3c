"""Message catalog: key -> {language: text}."""

from __future__ import annotations

LANGUAGES = ("es", "en")

CATALOG: dict[str, dict[str, str]] = {
    "store.title": {"es": "Tienda Demo Ventanilla", "en": "Ventanilla Demo Store"},
    "store.tagline": {
        "es": "Café de especialidad, cafeteras y accesorios. Envíos a toda España.",
        "en": "Specialty coffee, brewers and accessories. Shipping across Spain.",
    },
    "chat.title": {"es": "¿Hablamos?", "en": "Chat with us"},
    "chat.placeholder": {"es": "Escribe tu mensaje…", "en": "Type your message…"},
    "chat.send": {"es": "Enviar", "en": "Send"},
    "chat.connecting": {"es": "Conectando…", "en": "Connecting…"},
    "chat.online": {"es": "En línea", "en": "Online"},
    "chat.offline": {"es": "Reconectando…", "en": "Reconnecting…"},
    "chat.you": {"es": "Tú", "en": "You"},
    "chat.agent": {"es": "Equipo", "en": "Team"},
    "chat.assistant": {"es": "Asistente virtual", "en": "Virtual assistant"},
    "chat.typing": {"es": "Escribiendo…", "en": "Typing…"},
    "store.products": {"es": "Productos", "en": "Products"},
    "store.help": {"es": "Ayuda", "en": "Help"},
    "lang.switch": {"es": "English", "en": "Español"},
}


def pick_language(value: str | None) -> str:
    """The first supported language in an Accept-Language header or a ?lang= value."""
    for part in (value or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "es"


def translate(key: str, lang: str) -> str:
    entry = CATALOG.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry["es"]
