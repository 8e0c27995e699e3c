"""What the assistant remembers between turns: answers given apart from options offered, and
every order action run, so that the note an agent reads lists them all."""

from __future__ import annotations

import json

from ventanilla.assistant import Assistant, AssistantState, DecisionKind
from ventanilla.assistant.state import ActionIntent, ActionRun
from ventanilla.assistant.summary_text import ActionFailed, ActionFailure
from ventanilla.services.assistant_pool import Computed, compute


def converse(assistant: Assistant, *texts: str) -> Computed:
    """The customer writes ``texts`` one after another; the last turn's result."""
    state = AssistantState()
    computed = None
    for text in texts:
        # Through JSON, as the conversation stores it between messages.
        state = AssistantState.from_dict(json.loads(json.dumps(state.to_dict())))
        computed = compute(assistant, state, text)
        state = computed.turn.decision.state
    assert computed is not None
    return computed


def lines(note: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in note.splitlines())


def test_answers_options_and_actions_survive_being_stored() -> None:
    state = AssistantState(
        language="es", tried=("a", "b", "c"), answered=("a",), offered=("b", "c"),
        actions_run=(
            ActionRun(ActionIntent.ORDER_STATUS, "10023"),
            ActionRun(ActionIntent.REFUND_STATUS, "10051"),
        ),
    )
    stored = json.loads(json.dumps(state.to_dict()))
    assert stored["actions_run"] == [
        {"action": "order_status", "order": "10023"},
        {"action": "refund_status", "order": "10051"},
    ]
    assert AssistantState.from_dict(stored) == state


def test_a_state_stored_before_answers_and_actions_were_kept_apart_still_loads() -> None:
    old = {
        "failed_attempts": 1, "pending_options": [], "pending_action": None,
        "language": "en", "last_article_id": "shipping-en", "last_action": "order_status",
        "tried": ["shipping-en"], "customer_messages": ["where is order 10023?"],
        "order_numbers": ["10023"], "handed_off": False,
    }
    state = AssistantState.from_dict(old)
    assert state.tried == ("shipping-en",) and state.last_action is ActionIntent.ORDER_STATUS
    assert (state.answered, state.offered, state.actions_run) == ((), (), ())
    junk = AssistantState.from_dict({**old, "actions_run": [{"action": "fly"}, "x", None]})
    assert junk.actions_run == ()


def test_every_article_answered_is_listed_not_only_the_last(assistant: Assistant) -> None:
    computed = converse(
        assistant,
        "How long does shipping take?",
        "Can I pay with PayPal?",
        "I want to talk to a person",
    )
    assert computed.summary is not None
    assert lines(computed.summary)["Tried"] == (
        'answered with the article "Shipping times"; '
        'answered with the article "Payment methods"'
    )


def test_an_option_chosen_is_an_answer_and_the_other_only_offered(
    assistant: Assistant,
) -> None:
    computed = converse(
        assistant, "password", "Reset a forgotten password", "How long does shipping take?",
        "I want to talk to a person",
    )
    assert computed.summary is not None
    note = lines(computed.summary)
    assert note["Tried"] == (
        'answered with the article "Reset a forgotten password"; '
        'answered with the article "Shipping times"'
    )
    assert note["Offered, not chosen"] == '"Change your password"'
    assert "Shown as an answer or an option" not in note


def test_every_order_action_run_is_listed(store_assistant: Assistant) -> None:
    computed = converse(
        store_assistant,
        "¿Dónde está mi pedido 10023?",
        "¿Dónde está mi reembolso del pedido 10051?",
        "¿Y mi pedido 10077?",
        "Quiero hablar con una persona",
    )
    assert computed.summary is not None
    note = lines(computed.summary)
    assert note["Qué se intentó"] == (
        "consulta del estado de los pedidos 10023 y 10077; consulta del reembolso del "
        "pedido 10051"
    )
    assert note["Pedidos"] == "10023, 10051, 10077"


def test_a_status_question_about_two_orders_asks_about_both(
    store_assistant: Assistant,
) -> None:
    decision = store_assistant.turn(None, "mi pedido 10023 y el 10051, ¿cómo van?").decision
    assert (decision.kind, decision.action) == (DecisionKind.ACT, ActionIntent.ORDER_STATUS)
    assert decision.order_numbers == ("10023", "10051")
    english = store_assistant.turn(None, "where are my orders 10023 and 10051?").decision
    assert english.order_numbers == ("10023", "10051")


def test_a_cancellation_naming_two_orders_is_confirmed_for_one(
    store_assistant: Assistant,
) -> None:
    confirm = store_assistant.turn(None, "cancela los pedidos 10023 y 10051").decision
    assert confirm.kind is DecisionKind.CLARIFY and "10023" in confirm.reply
    assert "10051" not in confirm.reply
    act = store_assistant.turn(confirm.state, "sí").decision
    assert (act.kind, act.order_numbers) == (DecisionKind.ACT, ("10023",))
    assert act.state.actions_run == (ActionRun(ActionIntent.CANCEL_ORDER, "10023"),)


def test_a_failed_action_is_the_reason_and_the_others_count_as_tried(
    store_assistant: Assistant,
) -> None:
    computed = converse(
        store_assistant, "¿Dónde está mi reembolso del pedido 10051?",
        "where are my orders 10023 and 10045?",
    )
    assert computed.note is not None
    told = computed.note.with_failure(ActionFailed(ActionFailure.NOT_OWNER, ("10045",)))
    english, spanish = lines(told.as_text("en")), lines(told.as_text("es"))
    assert english["Tried"] == "refund check of order 10051; status check of order 10023"
    assert english["Hand-off reason"] == (
        "The order is not under any of the customer's verified email addresses or phones, "
        "so the status check of order 10045 was not done."
    )
    assert spanish["Motivo del traspaso"] == (
        "El pedido no está a nombre de ningún correo o teléfono verificado del cliente, así "
        "que no se hizo la consulta del estado del pedido 10045."
    )
    both = lines(computed.note.with_failure(ActionFailure.STORE_UNAVAILABLE).as_text("es"))
    assert both["Qué se intentó"] == "consulta del reembolso del pedido 10051"
    assert both["Motivo del traspaso"] == (
        "No se pudo conectar con la tienda para hacer la consulta del estado de los pedidos "
        "10023 y 10045."
    )


def test_the_store_s_reason_for_refusing_reads_in_the_agent_s_language(
    store_assistant: Assistant,
) -> None:
    computed = converse(store_assistant, "Quiero cancelar el pedido 10023", "sí")
    assert computed.turn.decision.kind is DecisionKind.ACT and computed.note is not None
    because = {"es": "ya está en camino", "en": "it has already shipped"}
    told = computed.note.with_failure(
        ActionFailed(ActionFailure.NOT_CANCELLED, ("10023",), because)
    )
    assert lines(told.as_text("es"))["Motivo del traspaso"] == (
        "La tienda no aceptó la cancelación del pedido 10023 porque ya está en camino."
    )
    assert lines(told.as_text("en"))["Hand-off reason"] == (
        "The store refused the cancellation of order 10023 because it has already shipped."
    )
    assert lines(told.as_text("en"))["Tried"] == "nothing yet"
