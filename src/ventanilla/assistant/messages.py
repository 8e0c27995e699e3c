"""Customer-facing strings of the assistant, in Spanish and English."""

from __future__ import annotations

from ventanilla.assistant.knowledge import Language

CATALOG: dict[str, dict[Language, str]] = {
    "answer": {"es": "{answer}\n\nMás información: {link}", "en": "{answer}\n\nMore: {link}"},
    "no_translation": {
        "es": "Este artículo solo está disponible en inglés; aquí va lo esencial:",
        "en": "This article is only available in Spanish; here is the gist:",
    },
    "clarify": {
        "es": "¿Cuál de estas opciones describe mejor lo que necesitas?",
        "en": "Which of these best describes what you need?",
    },
    "clarify_one": {
        "es": "¿Es esto lo que necesitas? Responde sí o no.",
        "en": "Is this what you need? Reply yes or no.",
    },
    "clarify_option": {"es": "{number}. {title}", "en": "{number}. {title}"},
    # Quick replies (buttons on channels that have them); each is also an answer the
    # policy understands when typed.
    "quick_yes": {"es": "Sí, eso es", "en": "Yes, that's it"},
    "quick_no": {"es": "No, otra cosa", "en": "No, something else"},
    "quick_none": {"es": "Ninguna de estas", "en": "None of these"},
    # Under the assistant's emails: who wrote it, and how to reach a person.
    "email_signature": {
        "es": "—\nAsistente virtual (respuesta automática). Si prefieres que te atienda alguien "
              "del equipo, dilo en tu respuesta.",
        "en": "—\nVirtual assistant (automatic reply). If you would rather have someone on our "
              "team help you, just say so in your reply.",
    },
    "rephrase": {
        "es": "No estoy seguro de haberte entendido. ¿Puedes contármelo con otras palabras?",
        "en": "I'm not sure I understood. Could you tell me in other words?",
    },
    "greeting": {"es": "¡Hola! ¿En qué puedo ayudarte?", "en": "Hi! How can I help you?"},
    "bot_disclosure": {
        "es": "Soy el asistente virtual: contesto al momento, a cualquier hora. Si lo "
        "prefieres, alguien del equipo puede seguir contigo: solo dímelo.",
        "en": "I'm the virtual assistant: I answer right away, at any hour. If you'd rather, "
        "someone on our team can take over: just say so.",
    },
    "resolved": {
        "es": "¡Me alegra haberte ayudado! Si necesitas algo más, aquí estoy.",
        "en": "Glad I could help! If you need anything else, I'm here.",
    },
    "ask_order_number": {
        "es": "Claro. ¿Cuál es el número de tu pedido?",
        "en": "Sure. What is your order number?",
    },
    "act_order_status": {
        "es": "Consultando el estado del pedido {order}…",
        "en": "Checking the status of order {order}…",
    },
    "act_refund_status": {
        "es": "Consultando el reembolso del pedido {order}…",
        "en": "Checking the refund for order {order}…",
    },
    "act_cancel_order": {
        "es": "Solicitando la cancelación del pedido {order}…",
        "en": "Requesting the cancellation of order {order}…",
    },
    "handoff_asked_for_human": {
        "es": "Te paso con una persona del equipo. Ya tiene el contexto, no tendrás que repetirlo.",
        "en": "I'm passing you to a person on our team. They have the context, "
        "so you won't need to repeat yourself.",
    },
    "handoff_frustration": {
        "es": "Siento mucho las molestias. Te paso ahora con una persona del equipo "
        "que ya tiene todo el contexto.",
        "en": "I'm sorry about this. I'm passing you now to a person on our team, "
        "who already has the full context.",
    },
    "handoff_human_only": {
        "es": "Este tema lo atiende una persona del equipo. Te paso con ella; "
        "ya tiene el contexto.",
        "en": "A person on our team handles this topic. I'm passing you to them "
        "with the context.",
    },
    "handoff_failed_attempts": {
        "es": "Parece que no estoy dando con la respuesta. Te paso con una persona del equipo.",
        "en": "It seems I'm not finding the right answer. I'm passing you to a person "
        "on our team.",
    },
    "handoff_low_confidence": {
        "es": "No quiero darte una respuesta equivocada. Te paso con una persona del equipo.",
        "en": "I don't want to give you a wrong answer. I'm passing you to a person "
        "on our team.",
    },
    "handoff_out_of_scope": {
        "es": "Eso queda fuera de lo que puedo resolver. Te paso con una persona del equipo.",
        "en": "That's outside what I can help with. I'm passing you to a person on our team.",
    },
}


def message(key: str, language: Language, **values: object) -> str:
    """The catalog text for ``key`` in ``language``, with ``values`` filled in."""
    texts = CATALOG[key]
    return texts.get(language, texts["en"]).format(**values)
