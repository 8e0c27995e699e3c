"""The demo store's bilingual knowledge base (Spanish and English articles)."""

from __future__ import annotations

from ventanilla.services.knowledge import ArticleInput


def _pair(
    slug: str,
    category: str,
    es: tuple[str, str, str, tuple[str, ...]],
    en: tuple[str, str, str, tuple[str, ...]],
    human_only: bool = False,
) -> list[ArticleInput]:
    out = []
    for lang, (title, short, body, examples) in (("es", es), ("en", en)):
        out.append(
            ArticleInput(
                title=title,
                language=lang,
                short_answer=short,
                body=body,
                examples=examples,
                category=category,
                slug=slug,
                human_only=human_only,
            )
        )
    return out


ARTICLES: list[ArticleInput] = [
    *_pair(
        "shipping-times",
        "envios",
        (
            "Plazos de envío",
            "Enviamos en 24 h laborables; la entrega tarda de 2 a 4 días en "
            "la península y de 4 a 7 en Baleares y Canarias.",
            "## Plazos\n\nPreparamos los pedidos en 24 h laborables.",
            (
                "cuánto tarda el envío",
                "cuándo llega un pedido",
                "plazos de entrega",
                "hacéis envíos a Canarias",
            ),
        ),
        (
            "Shipping times",
            "We ship within one working day; delivery takes 2 to 4 days on "
            "the mainland and 4 to 7 to the Balearic and Canary Islands.",
            "## Times\n\nOrders are prepared within one working day.",
            (
                "how long does shipping take",
                "when will an order arrive",
                "delivery times",
                "do you ship to the Canary Islands",
            ),
        ),
    ),
    *_pair(
        "shipping-costs",
        "envios",
        (
            "Gastos de envío",
            "El envío cuesta 4,90 € y es gratis a partir de 40 €.",
            "",
            ("cuánto cuesta el envío", "el envío es gratis", "gastos de envío"),
        ),
        (
            "Shipping costs",
            "Shipping costs 4.90 € and is free over 40 €.",
            "",
            ("how much is shipping", "is shipping free", "delivery cost"),
        ),
    ),
    *_pair(
        "returns",
        "devoluciones",
        (
            "Devoluciones",
            "Tienes 30 días para devolver productos sin abrir; el café abierto "
            "no se puede devolver salvo defecto.",
            "",
            (
                "cómo devuelvo un producto",
                "puedo devolver el café",
                "política de devoluciones",
                "quiero devolver la cafetera",
            ),
        ),
        (
            "Returns",
            "You have 30 days to return unopened products; opened coffee cannot be "
            "returned unless faulty.",
            "",
            (
                "how do I return an item",
                "can I return coffee",
                "return policy",
                "I want to return the brewer",
            ),
        ),
    ),
    *_pair(
        "refund-times",
        "devoluciones",
        (
            "Plazo de reembolso",
            "Reembolsamos en 5 días laborables desde que recibimos la "
            "devolución, en el mismo medio de pago.",
            "",
            ("cuándo me devolvéis el dinero", "cuánto tarda el reembolso"),
        ),
        (
            "Refund times",
            "We refund within 5 working days of receiving the return, to the same payment method.",
            "",
            ("when do I get my money back", "how long does a refund take"),
        ),
    ),
    *_pair(
        "subscription",
        "suscripcion",
        (
            "Suscripción de café",
            "Puedes pausar, cambiar la molienda o cancelar tu suscripción "
            "desde Mi cuenta > Suscripción, sin permanencia.",
            "",
            ("cómo cancelo la suscripción", "cambiar la molienda", "pausar la suscripción"),
        ),
        (
            "Coffee subscription",
            "You can pause, change the grind or cancel your subscription "
            "from My account > Subscription, with no commitment.",
            "",
            ("how do I cancel my subscription", "change the grind", "pause my subscription"),
        ),
    ),
    *_pair(
        "grind-guide",
        "cafe",
        (
            "Guía de molienda",
            "Molienda fina para espresso, media para V60 y goteo, gruesa para prensa francesa.",
            "",
            ("qué molienda uso para la V60", "molienda para espresso", "molienda prensa"),
        ),
        (
            "Grind guide",
            "Fine grind for espresso, medium for V60 and drip, coarse for French press.",
            "",
            ("which grind for V60", "grind for espresso", "french press grind"),
        ),
    ),
    *_pair(
        "payment-methods",
        "pagos",
        (
            "Formas de pago",
            "Aceptamos tarjeta, PayPal y Bizum.",
            "",
            (
                "cómo puedo pagar", "aceptáis PayPal", "puedo pagar con Bizum",
                "aceptáis tarjeta", "se puede pagar con Visa o Mastercard",
            ),
        ),
        (
            "Payment methods",
            "We accept cards, PayPal and Bizum.",
            "",
            (
                "how can I pay", "do you accept PayPal", "payment options",
                "do you take credit cards", "can I pay with Visa or Mastercard",
            ),
        ),
    ),
    *_pair(
        "change-or-cancel-order",
        "pedidos",
        (
            "Cambiar o cancelar un pedido",
            "Puedes cancelar un pedido mientras no haya salido del almacén: dime su número "
            "y lo cancelo. Para cambiar la dirección o los productos, cancélalo y haz uno "
            "nuevo, o pide que te atienda una persona del equipo.",
            "",
            (
                "qué pasa si cancelo un pedido", "puedo modificar mi pedido",
                "cambiar la dirección de envío de un pedido", "añadir algo a mi pedido",
            ),
        ),
        (
            "Change or cancel an order",
            "You can cancel an order until it leaves our warehouse: tell me its number and "
            "I'll cancel it. To change the address or the products, cancel it and place a "
            "new one, or ask for a person on our team.",
            "",
            (
                "what happens if I cancel an order", "can I change my order",
                "change the delivery address of an order", "add something to my order",
            ),
        ),
    ),
    *_pair(
        "invoice",
        "pagos",
        (
            "Facturas",
            "Descarga la factura desde Mi cuenta > Pedidos; si necesitas datos de "
            "empresa, escríbenos el CIF.",
            "",
            ("necesito factura", "dónde descargo la factura", "factura con CIF"),
        ),
        (
            "Invoices",
            "Download your invoice from My account > Orders; for company details, "
            "send us your tax id.",
            "",
            ("I need an invoice", "where do I download the invoice"),
        ),
    ),
    *_pair(
        "damaged-order",
        "incidencias",
        (
            "Pedido dañado",
            "Sentimos el problema: una persona del equipo gestionará la reposición.",
            "",
            ("mi pedido llegó roto", "la cafetera llegó rota", "el paquete llegó dañado"),
        ),
        (
            "Damaged order",
            "We're sorry: a person on our team will arrange a replacement.",
            "",
            ("my order arrived broken", "the brewer arrived broken", "damaged package"),
        ),
        human_only=True,
    ),
    ArticleInput(
        title="Descuento para cafeterías",
        language="es",
        category="empresas",
        short_answer="Las cafeterías y oficinas tienen un 15 % de descuento a partir "
        "de 5 kg al mes.",
        slug="wholesale",
        examples=("descuento para cafeterías", "precio mayorista", "compra para oficina"),
    ),
]
