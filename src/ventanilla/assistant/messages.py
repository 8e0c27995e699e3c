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
    "order_number_help": {
        "es": "Lo encontrarás en el correo de confirmación del pedido (por ejemplo, 10045). "
        "Si no lo tienes a mano, dime «quiero hablar con una persona» y alguien del equipo "
        "lo buscará.",
        "en": "You'll find it in the order confirmation email (for example, 10045). If you "
        "don't have it to hand, say \"I want to talk to a person\" and someone on our team "
        "will look it up.",
    },
    "confirm_cancel_order": {
        "es": "¿Seguro que quieres cancelar el pedido {order}? Una vez cancelado no se puede "
        "deshacer. Responde sí o no.",
        "en": "Are you sure you want to cancel order {order}? Once cancelled it can't be "
        "undone. Reply yes or no.",
    },
    "quick_confirm_cancel": {"es": "Sí, cancélalo", "en": "Yes, cancel it"},
    "quick_keep_order": {"es": "No, no lo canceles", "en": "No, keep it"},
    "cancel_kept": {
        "es": "De acuerdo, no cancelo el pedido {order}. ¿Puedo ayudarte en algo más?",
        "en": "All right, I won't cancel order {order}. Can I help you with anything else?",
    },
    "anything_else": {
        "es": "¿Puedo ayudarte en algo más?",
        "en": "Can I help you with anything else?",
    },
    "you_are_welcome": {
        "es": "¡De nada! ¿Puedo ayudarte en algo más?",
        "en": "You're welcome! Can I help you with anything else?",
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
