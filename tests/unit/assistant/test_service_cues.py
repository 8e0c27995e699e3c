"""Service-problem cues: irony, "thanks for nothing", persisting problems and long waits."""

from __future__ import annotations

import pytest

from ventanilla.assistant import intents, service_cues
from ventanilla.assistant.messages import message


@pytest.mark.parametrize(
    "text",
    ["Great, another delay. Thanks a lot.", "oh great, the app crashed again",
     "Perfecto. Ahora no puedo entrar", "Qué bien, mi pedido llegó roto",
     "Good job guys, 3 weeks and still no refund"],
)
def test_a_cheerful_opener_about_a_mishap_is_irony(text: str) -> None:
    assert service_cues.read(text).ironic


@pytest.mark.parametrize(
    "text",
    ["Great, thanks!", "Perfect, the order arrived today", "Genial, muchas gracias",
     "Great service, my order came early", "Thanks, my card was lost, can you block it?"],
)
def test_a_cheerful_message_or_a_polite_report_is_not_irony(text: str) -> None:
    assert not service_cues.read(text).ironic


@pytest.mark.parametrize(
    "text",
    ["I've been waiting 3 hours for a reply", "Where is my bag? It's been 4 days",
     "Still no refund after 6 weeks", "still not working", "12 days no help",
     "ordered 5 days ago and still nothing", "Llevo 3 horas esperando una respuesta",
     "¿Dónde está mi maleta? Ya van 4 días", "Sigo sin reembolso después de 6 semanas",
     "Todavía no me ha llegado el pedido", "hace dos semanas que espero el reembolso",
     "aún no funciona", "My top up has been pending for an hour already",
     "No one got back to me", "Nadie me ha respondido en una semana",
     "El reembolso está pendiente desde hace 10 días", "no me han contestado"],
)
def test_a_wait_or_a_persisting_problem_is_recognised_in_both_languages(text: str) -> None:
    cues = service_cues.read(text)
    assert cues.persists
    assert cues.negative


@pytest.mark.parametrize(
    "text",
    ["Llevo un mes usando la app y me encanta", "I'm still not sure which plan to choose",
     "Aún no sé qué talla pedir", "Is it still possible to cancel my order?",
     "Do you still have it in stock?", "Delivery takes 3 to 5 days?",
     "Gracias, no hace falta nada más"],
)
def test_ordinary_questions_with_still_or_durations_are_not_complaints(text: str) -> None:
    cues = service_cues.read(text)
    assert not cues.negative
    assert not cues.problem


@pytest.mark.parametrize(
    "text",
    ["My flight was cancelled", "We missed our connection because the first flight left late",
     "The order arrived damaged", "I was charged twice for my checked bag",
     "Me cobraron dos veces la maleta", "El pedido llegó dañado",
     "Perdimos la conexión porque el vuelo salió tarde",
     "Se cortó la llamada después de dos horas"],
)
def test_a_mishap_the_customer_reports_as_their_own_is_recognised(text: str) -> None:
    cues = service_cues.read(text)
    assert cues.own_mishap
    assert cues.problem


@pytest.mark.parametrize(
    "text",
    ["What happens if my bag is lost?", "Si mi vuelo se retrasa, ¿qué hago?",
     "Seattle lost last night", "My late uncle loved this song", "Tomorrow is another day",
     "I'll be late for dinner", "Buenas tardes, quería hacer una reserva"],
)
def test_hypotheticals_news_and_idioms_are_not_a_reported_mishap(text: str) -> None:
    assert not service_cues.read(text).own_mishap


@pytest.mark.parametrize(
    "text",
    ["How is it possible that my bag went to Miami when I flew to Boston?",
     "why can't anyone at your call center answer the phone?",
     "When will someone actually reply to my email?", "¿Por qué nadie contesta el teléfono?",
     "¿Cómo es posible que mi maleta acabara en Miami?",
     "¿Cuándo va a contestar alguien a mi correo?",
     "why does it take 4 hours to get a bag off a plane",
     "¿Por qué tarda nueve días un envío urgente?"],
)
def test_a_question_that_complains_is_recognised(text: str) -> None:
    cues = service_cues.read(text)
    assert cues.indignant
    assert cues.negative


@pytest.mark.parametrize(
    "text",
    ["Why do I need to print my boarding pass?", "¿Por qué tengo que imprimir la tarjeta?",
     "How is it possible to be this cute", "When will the sale start?"],
)
def test_an_ordinary_why_or_when_question_is_not_a_complaint(text: str) -> None:
    assert not service_cues.read(text).indignant


@pytest.mark.parametrize(
    "text",
    ["The agent hung up on me", "I paid for express shipping and it took nine days",
     "La agente me colgó", "Pagué envío urgente y tardó nueve días",
     "@SkyJet the plane sat on the tarmac for an hour and my bag is still in Lima",
     "¡Qué desastre! El pedido vino sin las instrucciones"],
)
def test_a_statement_about_what_the_company_sells_or_runs_is_a_service_report(
    text: str,
) -> None:
    assert service_cues.read(text).service_report


@pytest.mark.parametrize(
    "text",
    ["Do you deliver to the Canary Islands?", "Can I pay for my order in three instalments",
     "I'd like to change the delivery address on order 55812",
     "con cuánta antelación hay que estar en el aeropuerto para un vuelo",
     "Quiero cambiar la dirección de entrega del pedido", "¿Hacen envíos a Canarias?",
     "Cuándo llega mi pedido", "What time does the store open", "Just sent you the photos",
     "Seattle lost last night"],
)
def test_questions_requests_and_other_topics_are_not_service_reports(text: str) -> None:
    assert not service_cues.read(text).service_report


@pytest.mark.parametrize(
    "text",
    ["gracias por nada", "thanks for nothing", "Great, another delay. Thanks a lot.",
     "Genial, otro retraso", "great, still not working", "gracias pero sigo sin poder entrar",
     "Thanks, but my order is still missing", "Thanks, how does shipping work?",
     "gracias, pero tengo otra duda"],
)
def test_a_problem_or_a_new_question_is_not_a_confirmation(text: str) -> None:
    assert not intents.is_thanks(text)


@pytest.mark.parametrize(
    "text",
    ["great thanks", "gracias!", "Thanks again!", "Gracias de nuevo", "Perfect, that fixed it",
     "Thanks, the error is gone now", "listo, ya funciona, gracias", "ok thanks"],
)
def test_plain_thanks_still_confirm(text: str) -> None:
    assert intents.is_thanks(text)


@pytest.mark.parametrize(
    "text",
    ["gracias pero sigo sin poder entrar", "thanks, but it's still not working",
     "todavía no me ha llegado"],
)
def test_a_persisting_problem_is_recognised_after_an_answer(text: str) -> None:
    assert intents.problem_persists(text)
    assert not intents.is_thanks(text)


@pytest.mark.parametrize("key", ["email_signature", "bot_disclosure"])
@pytest.mark.parametrize("language", ["es", "en"])
def test_the_assistants_email_signature_quoted_back_asks_for_nothing(
    language: str, key: str
) -> None:
    # A customer's mail client may quote it in full under a plain "thanks"; the offer of a
    # person is not the customer asking for one.
    signature = message(key, language)  # type: ignore[arg-type]
    assert not intents.asks_for_human(signature)
    assert not intents.complaint_cues(signature)
    assert not service_cues.read(signature).problem


@pytest.mark.parametrize(
    "text",
    ["@AmericanAir great, another delay out of DFW", "@vueling genial, otro retraso",
     "@united lovely touch, a 4 hour delay and a broken lavatory",
     "Love spending my Saturday at the gate 🙄", "My bag is lost again #not"],
)
def test_irony_after_a_handle_or_with_a_sarcasm_mark_is_recognised(text: str) -> None:
    assert service_cues.read(text).ironic


@pytest.mark.parametrize("text", ["See you soon 🙃", "@Iberia genial, muchas gracias"])
def test_a_sarcasm_mark_or_a_handle_alone_is_not_irony(text: str) -> None:
    assert not service_cues.read(text).ironic


@pytest.mark.parametrize(
    "text",
    ["UA907 sitting at the gate 2 hrs for a paperwork issue",
     "stuck on the tarmac for 3 hours", "a 2 hour line at security",
     "asking nicely for the 3rd time", "Your check-in page keeps saying my passport is missing",
     "2 horas de fila para documentar", "el chat me tiene 45 minutos conectando",
     "es la tercera vez que me cancelan el vuelo", "la app sigue pidiendo el mismo código"],
)
def test_waits_in_person_and_being_asked_again_persist(text: str) -> None:
    assert service_cues.read(text).persists


@pytest.mark.parametrize(
    "text",
    ["Watched it for the 20th time and loved it", "Slept 5 hours straight in the Mint suite",
     "Me estoy viendo la peli por cuarta vez",
     "Rebooked me within 10 minutes with no fee"],
)
def test_repetition_and_durations_that_are_not_waiting_do_not_persist(text: str) -> None:
    assert not service_cues.read(text).persists


@pytest.mark.parametrize(
    ("text", "put_right"),
    [("The crew was lovely, but my bag never arrived", False),
     ("La tripulación muy maja, pero llegamos cuatro horas tarde", False),
     ("Flight got cancelled, but the agent rebooked me within 10 minutes with no fee. Thank you!",
      True),
     ("Se canceló el vuelo pero me recolocaron en el siguiente en diez minutos. ¡Gracias!", True)],
)
def test_what_follows_the_last_but_decides_complaint_or_thanks(text: str, put_right: bool) -> None:
    cues = service_cues.read(text)
    assert cues.turns_bad is not put_right
    assert cues.negative is not put_right
    assert cues.grateful is put_right
    assert cues.recovered is put_right


@pytest.mark.parametrize(
    "text",
    ["My flight was cancelled. Thanks.", "Can you check my booking? Thanks",
     "Thanks in advance", "Gracias por nada", "I'm not receiving reminders. Do you have any "
     "advice for me Many thanks", "Everything stopped working thanks to the update"],
)
def test_thanks_with_a_problem_at_the_end_or_closing_a_request_is_not_gratitude(
    text: str
) -> None:
    assert not service_cues.read(text).grateful


@pytest.mark.parametrize(
    "text", ["25 min early into Bergamo. Can't complain", "19€ a Oporto y puntuales. No se "
             "puede pedir más", "Ni una queja, todo perfecto"],
)
def test_praise_worded_with_a_negation_is_gratitude_and_no_complaint(text: str) -> None:
    assert service_cues.read(text).grateful
    assert intents.complaint_cues(text) == 0
