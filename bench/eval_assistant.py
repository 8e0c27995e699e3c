"""Evaluate the assistant on the public data sets in ../shared/datasets.

Prepares temporary CSV files from each data set, runs
``ventanilla eval assistant`` (the production code path) on each, and prints one table
next to the published baselines. Usage:

    python bench/eval_assistant.py [--only NAME ...] [--json-dir DIR] [--build-times]

``--build-times`` also times building the engine (embedding every example, BM25, whitening
and training the per-knowledge-base head) for three knowledge-base sizes.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "datasets"
Rows = list[dict[str, str]]


@dataclass
class Suite:
    name: str
    train: Rows
    test: Rows
    answers: Rows
    lang: str
    baseline: str


def _bitext_four() -> tuple[list[dict[str, str]], Rows]:
    """The Bitext 4k release: its raw rows and their ``text,intent`` form."""
    raw = list(csv.DictReader((DATA / "bitext/support_with_responses_4k.csv").open()))
    return raw, [{"text": r["instruction"], "intent": r["intent"]} for r in raw]


def _bitext(train_release: str) -> Suite:
    eight = [
        {"text": r["utterance"], "intent": r["intent"]}
        for r in csv.DictReader((DATA / "bitext/intents_8k.csv").open(encoding="utf-8-sig"))
    ]
    four_raw, four = _bitext_four()
    answers: dict[str, str] = {}
    for r in four_raw:
        answers.setdefault(r["intent"], r["response"].split("\n")[0])
    answer_rows = [{"intent": k, "answer": v} for k, v in answers.items()]
    train, test = (eight, four) if train_release == "8k" else (four, eight)
    other = "4k" if train_release == "8k" else "8k"
    return Suite(f"bitext {train_release}->{other}", train, test, answer_rows, "en", "—")


def _clinc() -> Suite:
    data = json.loads((DATA / "clinc150/data_full_dev.json").read_text())
    train = [{"text": t, "intent": i} for t, i in data["train"]]
    test = [{"text": t, "intent": i} for t, i in data["val"]]
    test += [{"text": t, "intent": "oos"} for t, _ in data["oos_val"]]
    return Suite("clinc150 (val + oos)", train, test, [], "en",
                 "BERT: 96.9 in-scope acc, 40.3 oos recall")


def _banking_10shot() -> Suite:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for r in csv.DictReader((DATA / "banking77/train.csv").open()):
        by_intent[r["category"]].append(r["text"])
    rng = random.Random(77)
    train, test = [], []
    for intent in sorted(by_intent):
        texts = by_intent[intent][:]
        rng.shuffle(texts)
        train += [{"text": t, "intent": intent} for t in texts[:10]]
        test += [{"text": t, "intent": intent} for t in texts[10:30]]
    return Suite("banking77 10-shot", train, test, [], "en", "USE+ConveRT: 85.19 acc")


def _lines(folder: Path) -> list[tuple[str, str]]:
    texts = (folder / "seq.in").read_text().splitlines()
    labels = (folder / "label").read_text().splitlines()
    return list(zip(texts, labels, strict=True))


def _banking_oos() -> Suite:
    root = DATA / "banking77-oos"
    train = [{"text": t, "intent": i} for t, i in _lines(root / "train")]
    test = [{"text": t, "intent": i} for t, i in _lines(root / "valid")]
    for folder in (root / "id-oos/valid", root / "ood-oos/valid"):
        test += [{"text": t, "intent": "oos"} for t, _ in _lines(folder)]
    return Suite("banking77-oos (valid)", train, test, [], "en", "—")


def _schuster_rows(path: Path) -> Rows:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2].strip():
            rows.append({"text": parts[2].strip(), "intent": parts[0].replace("/", "_")})
    return rows


def _first_file(root: Path, *names: str) -> Path | None:
    return next((root / n for n in names if (root / n).is_file()), None)


def _schuster(lang: str) -> Suite | None:
    """Schuster et al. in ``lang``: its own training set when present, else the Spanish one
    (then English queries run against a Spanish knowledge base)."""
    root = DATA / "schuster2019-es"
    train_file = _first_file(root, f"train-{lang}.tsv", f"{lang}/train-{lang}.tsv")
    kb = lang if train_file else "es"
    train = _schuster_rows(train_file or root / "train-es.tsv")
    test_file = _first_file(root, f"test-{lang}.tsv", f"{lang}/test-{lang}.tsv",
                            f"eval-{lang}.tsv", f"{lang}/eval-{lang}.tsv")
    if test_file is None:
        return None
    label = f"schuster {lang} ({test_file.stem}, {kb} KB)"
    return Suite(label, train, _schuster_rows(test_file), [], lang, "—")


# The same customer questions in Spanish and English, one or two per Bitext intent
# (written for this benchmark), asked of a knowledge base built from the English release.
PARALLEL = (
    ("cancel_order", "quiero cancelar mi pedido", "I want to cancel my order"),
    ("cancel_order", "¿cómo cancelo una compra?", "how do I cancel a purchase?"),
    ("change_order", "necesito cambiar un artículo de mi pedido",
     "I need to change an item in my order"),
    ("change_shipping_address", "quiero cambiar la dirección de envío",
     "I want to change the shipping address"),
    ("check_cancellation_fee", "¿cuánto cuesta cancelar?", "how much does it cost to cancel?"),
    ("check_invoice", "¿dónde veo mi factura?", "where can I see my invoice?"),
    ("check_payment_methods", "¿qué formas de pago aceptan?",
     "which payment methods do you accept?"),
    ("check_refund_policy", "¿cuál es la política de reembolsos?",
     "what is the refund policy?"),
    ("create_account", "quiero crear una cuenta", "I want to create an account"),
    ("delete_account", "quiero borrar mi cuenta", "I want to delete my account"),
    ("delivery_options", "¿qué opciones de envío tienen?",
     "what shipping options do you have?"),
    ("delivery_period", "¿cuánto tarda en llegar mi pedido?",
     "how long does my order take to arrive?"),
    ("edit_account", "necesito editar los datos de mi cuenta",
     "I need to edit my account details"),
    ("get_invoice", "necesito descargar la factura", "I need to download the invoice"),
    ("get_refund", "quiero que me devuelvan el dinero", "I want my money back"),
    ("newsletter_subscription", "quiero suscribirme al boletín",
     "I want to subscribe to the newsletter"),
    ("payment_issue", "tengo un problema con el pago", "I have a problem with the payment"),
    ("place_order", "quiero hacer un pedido", "I want to place an order"),
    ("recover_password", "olvidé mi contraseña", "I forgot my password"),
    ("registration_problems", "no puedo registrarme", "I can't sign up"),
    ("review", "quiero dejar una opinión sobre el producto",
     "I want to leave a review of the product"),
    ("set_up_shipping_address", "quiero configurar una dirección de envío",
     "I want to set up a shipping address"),
    ("switch_account", "¿cómo cambio a otra cuenta?", "how do I switch to another account?"),
    ("track_order", "¿dónde está mi pedido?", "where is my order?"),
    ("track_refund", "¿cómo va mi reembolso?", "how is my refund going?"),
    ("contact_customer_service", "¿cómo contacto con atención al cliente?",
     "how do I contact customer service?"),
    # Two more per intent, phrased differently (longer, informal, indirect).
    ("cancel_order", "ya no quiero lo que compré ayer, ¿lo puedo anular?",
     "I no longer want what I bought yesterday, can I cancel it?"),
    ("cancel_order", "me equivoqué al pedir, cancelen la orden por favor",
     "I made a mistake ordering, please cancel the order"),
    ("change_order", "¿puedo añadir otro producto a un pedido que ya hice?",
     "can I add another product to an order I already placed?"),
    ("change_order", "quiero modificar la talla en mi pedido",
     "I want to modify the size in my order"),
    ("change_shipping_address", "me mudé, ¿pueden enviar el pedido a mi nueva casa?",
     "I moved, can you send the order to my new home?"),
    ("change_shipping_address", "la dirección de entrega está mal, hay que corregirla",
     "the delivery address is wrong, it needs to be corrected"),
    ("check_cancellation_fee", "¿me cobran algo si anulo el pedido?",
     "will I be charged anything if I cancel the order?"),
    ("check_cancellation_fee", "¿hay penalización por cancelar?",
     "is there a penalty for cancelling?"),
    ("check_invoice", "quiero revisar la factura de mi última compra",
     "I want to check the invoice for my last purchase"),
    ("check_invoice", "¿me enseñan las facturas de este año?",
     "can you show me this year's invoices?"),
    ("check_payment_methods", "¿puedo pagar con PayPal?", "can I pay with PayPal?"),
    ("check_payment_methods", "¿aceptan tarjeta de débito?", "do you take debit cards?"),
    ("check_refund_policy", "¿en qué casos devuelven el dinero?",
     "in which cases do you give the money back?"),
    ("check_refund_policy", "¿cuántos días tengo para pedir un reembolso?",
     "how many days do I have to ask for a refund?"),
    ("create_account", "¿cómo me hago usuario en la tienda?",
     "how do I become a user of the store?"),
    ("create_account", "quiero abrir una cuenta nueva", "I want to open a new account"),
    ("delete_account", "cierren mi cuenta, no la voy a usar más",
     "close my account, I won't use it anymore"),
    ("delete_account", "¿cómo elimino mi perfil de usuario?",
     "how do I remove my user profile?"),
    ("delivery_options", "¿hacen envíos urgentes?", "do you do express deliveries?"),
    ("delivery_options", "¿puedo recoger el pedido en una tienda?",
     "can I pick up the order in a store?"),
    ("delivery_period", "¿en cuántos días me llega?", "in how many days will it get here?"),
    ("delivery_period", "¿cuándo recibiré lo que compré?",
     "when will I receive what I bought?"),
    ("edit_account", "quiero actualizar mi número de teléfono en la cuenta",
     "I want to update my phone number on the account"),
    ("edit_account", "¿cómo cambio mi nombre de usuario?", "how do I change my username?"),
    ("get_invoice", "mándenme la factura de la compra, por favor",
     "send me the invoice for the purchase, please"),
    ("get_invoice", "necesito una factura para mi empresa", "I need an invoice for my company"),
    ("get_refund", "devuélvanme lo que pagué", "give me back what I paid"),
    ("get_refund", "quiero un reembolso por el producto defectuoso",
     "I want a refund for the faulty product"),
    ("newsletter_subscription", "quiero recibir sus ofertas por correo",
     "I want to get your offers by email"),
    ("newsletter_subscription", "dadme de baja del boletín", "unsubscribe me from the newsletter"),
    ("payment_issue", "me rechazaron la tarjeta al pagar", "my card was declined at checkout"),
    ("payment_issue", "el pago no se completó pero me cobraron",
     "the payment did not go through but I was charged"),
    ("place_order", "¿cómo compro este producto?", "how do I buy this product?"),
    ("place_order", "me gustaría pedir dos unidades", "I would like to order two units"),
    ("recover_password", "no me acuerdo de la clave para entrar",
     "I can't remember the password to log in"),
    ("recover_password", "necesito restablecer la contraseña", "I need to reset the password"),
    ("registration_problems", "me da error al crear la cuenta",
     "I get an error when creating the account"),
    ("registration_problems", "el formulario de registro no funciona",
     "the sign-up form does not work"),
    ("review", "quiero valorar el servicio que recibí",
     "I want to rate the service I received"),
    ("review", "¿dónde puedo escribir una reseña?", "where can I write a review?"),
    ("set_up_shipping_address", "¿cómo añado una dirección de entrega nueva?",
     "how do I add a new delivery address?"),
    ("set_up_shipping_address", "quiero guardar otra dirección para los envíos",
     "I want to save another address for deliveries"),
    ("switch_account", "quiero usar mi otra cuenta", "I want to use my other account"),
    ("switch_account", "¿cómo paso de mi cuenta personal a la de empresa?",
     "how do I go from my personal account to the business one?"),
    ("track_order", "¿por dónde va mi paquete?", "where is my package now?"),
    ("track_order", "quiero seguir el envío de mi compra",
     "I want to track the shipment of my purchase"),
    ("track_refund", "¿ya me devolvieron el dinero?", "have you refunded my money yet?"),
    ("track_refund", "quiero saber el estado de mi reembolso",
     "I want to know the status of my refund"),
    ("contact_customer_service", "¿a qué hora atiende el servicio al cliente?",
     "what time is customer service open?"),
    ("contact_customer_service", "¿tienen un teléfono de atención?",
     "do you have a support phone number?"),
)


def _parallel(lang: str) -> Suite:
    _, train = _bitext_four()
    column = 1 if lang == "es" else 2
    test = [{"text": row[column], "intent": row[0]} for row in PARALLEL]
    return Suite(f"same questions {lang} (Bitext 4k en KB)", train, test, [], "auto", "—")


def _foreign_topics(lang: str) -> Suite:
    """Questions about other topics, asked of the English Bitext knowledge base: none may be
    answered. Spanish: the Schuster et al. evaluation queries (alarms, reminders, weather),
    which cross languages; English: CLINC150's out-of-scope queries, for comparison."""
    _, train = _bitext_four()
    if lang == "es":
        texts = [r["text"] for r in _schuster_rows(DATA / "schuster2019-es/eval-es.tsv")]
    else:
        data = json.loads((DATA / "clinc150/data_full_dev.json").read_text())
        texts = [t for t, _ in data["oos_train"] + data["oos_val"]]
    test = [{"text": t, "intent": "oos"} for t in texts]
    return Suite(f"other topics {lang} (Bitext 4k en KB)", train, test, [], "auto", "—")


def _thousand_articles() -> Suite:
    """CLINC150 training texts split into ~1,000 articles, for the latency figure."""
    data = json.loads((DATA / "clinc150/data_full_dev.json").read_text())
    counts: dict[str, int] = defaultdict(int)
    train = []
    for text, intent in data["train"]:
        train.append({"text": text, "intent": f"{intent}_{counts[intent] // 15}"})
        counts[intent] += 1
    test = [{"text": t, "intent": "n/a"} for t, _ in data["val"][:1000]]
    return Suite("latency, 1,050 articles", train, test, [], "en", "goal p99 < 50 ms")


SUITES: dict[str, Callable[[], Suite | None]] = {
    "bitext-8k": lambda: _bitext("8k"),
    "bitext-4k": lambda: _bitext("4k"),
    "clinc150": _clinc,
    "banking77-10shot": _banking_10shot,
    "banking77-oos": _banking_oos,
    "schuster-es": lambda: _schuster("es"),
    "schuster-en": lambda: _schuster("en"),
    "parallel-es": lambda: _parallel("es"),
    "parallel-en": lambda: _parallel("en"),
    "other-topics-es": lambda: _foreign_topics("es"),
    "other-topics-en": lambda: _foreign_topics("en"),
    "latency-1000": _thousand_articles,
}


def _write(path: Path, rows: Rows, columns: tuple[str, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({c: r[c] for c in columns} for r in rows)


def run_suite(suite: Suite, workdir: Path, json_dir: Path) -> dict[str, object]:
    train, test = workdir / "train.csv", workdir / "test.csv"
    _write(train, suite.train, ("text", "intent"))
    _write(test, suite.test, ("text", "intent"))
    slug = "".join(c if c.isalnum() else "-" for c in suite.name.lower()).strip("-")
    out = json_dir / f"{slug}.json"
    command = [sys.executable, "-m", "ventanilla.assistant.eval_cli", "assistant",
               "--train", str(train), "--test", str(test), "--lang", suite.lang,
               "--json", str(out)]
    if suite.answers:
        answers = workdir / "answers.csv"
        _write(answers, suite.answers, ("intent", "answer"))
        command += ["--answers", str(answers)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{suite.name}: evaluation failed\n{done.stderr}")
    figures: dict[str, object] = json.loads(out.read_text())
    return figures


COLUMNS = ("n", "top1", "resolved", "resolved_direct", "clarified", "wrong", "handoff",
           "oos_handoff", "p50_ms", "p99_ms")


def print_table(results: list[tuple[Suite, dict[str, object]]]) -> None:
    header = ["suite", *COLUMNS, "published baseline"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for suite, figures in results:
        cells = [suite.name, *(str(figures.get(c, "")) for c in COLUMNS), suite.baseline]
        print("| " + " | ".join(cells) + " |")


BUILD_SUITES = ("banking77-10shot", "bitext-8k", "latency-1000")


def build_times(names: tuple[str, ...] = BUILD_SUITES, repeats: int = 3) -> None:
    """Median seconds to build the engine for each suite's knowledge base, and how much of
    it training the head took (the model is loaded before timing; nothing is cached)."""
    from ventanilla.assistant import head as head_module
    from ventanilla.assistant import retrieval
    from ventanilla.assistant.embeddings import default_encoder
    from ventanilla.assistant.engine import Assistant
    from ventanilla.assistant.evaluation import articles_from_training

    encoder = default_encoder()
    encoder.encode(["warm up"])
    head_seconds: list[float] = []
    original = head_module.build_head

    def timed_head(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            head_seconds.append(time.perf_counter() - start)

    retrieval.build_head = timed_head  # type: ignore[assignment]
    print("| knowledge base | articles | rows | head trained | build s (median) | head s |")
    print("|---|---|---|---|---|---|")
    try:
        for name in names:
            suite = SUITES[name]()
            if suite is None:
                continue
            lang = None if suite.lang == "auto" else suite.lang
            articles = articles_from_training(suite.train, {}, lang)  # type: ignore[arg-type]
            totals, heads, trained = [], [], False
            for _ in range(repeats if len(suite.train) < 5000 else 1):
                head_seconds.clear()
                start = time.perf_counter()
                engine = Assistant(articles, encoder=encoder)
                totals.append(time.perf_counter() - start)
                heads.append(sum(head_seconds))
                trained = engine.index.head is not None
            rows = len(suite.train) + len(articles)
            print(f"| {suite.name} | {len(articles)} | {rows} | {'yes' if trained else 'no'} "
                  f"| {statistics.median(totals):.1f} | {statistics.median(heads):.1f} |")
    finally:
        retrieval.build_head = original


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate the assistant on public data.")
    parser.add_argument("--only", nargs="*", choices=sorted(SUITES), default=None)
    parser.add_argument("--json-dir", type=Path, default=None)
    parser.add_argument("--build-times", action="store_true",
                        help="also time building the engine for three knowledge-base sizes")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"data sets not found at {DATA.resolve()}; nothing to evaluate")
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        json_dir = args.json_dir or Path(tmp)
        json_dir.mkdir(parents=True, exist_ok=True)
        for name in args.only or list(SUITES):
            suite = SUITES[name]()
            if suite is None:
                print(f"{name}: data not present, skipped", file=sys.stderr)
                continue
            print(f"running {suite.name} ({len(suite.train)} train, {len(suite.test)} test)",
                  file=sys.stderr)
            results.append((suite, run_suite(suite, Path(tmp), json_dir)))
    print_table(results)
    if args.build_times:
        print()
        build_times()


if __name__ == "__main__":
    main()
