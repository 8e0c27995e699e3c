"""Optional rewording of knowledge-base answers by an OpenAI-compatible chat endpoint.

Only ANSWER decisions are reworded, only from the text of the articles sent in the prompt,
in the customer's language, with citation markers ([1], [2]) that map to article titles and
links. The customer's message is masked (emails, phone and order numbers, links, secrets)
before it leaves the process. Anything unexpected (not configured, timeout, HTTP error,
malformed body, a reply citing an unknown source, or holding a number, link or email that
the sources do not contain) gives ``None``: the caller keeps the deterministic answer.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from ventanilla.assistant.knowledge import Article, Language
from ventanilla.assistant.language import detect_language
from ventanilla.assistant.messages import message
from ventanilla.assistant.state import Decision, DecisionKind
from ventanilla.services import knowledge
from ventanilla.storage.models import KbArticle

if TYPE_CHECKING:
    from ventanilla.assistant.engine import Turn
    from ventanilla.bootstrap import Container
    from ventanilla.config import Settings

log = logging.getLogger(__name__)

NO_ANSWER = "NO_ANSWER"
MAX_SOURCE_CHARS = 3000
MAX_SOURCES = 4
MAX_CUSTOMER_CHARS = 1000
SOURCES_LABEL: dict[Language, str] = {"es": "Fuentes:", "en": "Sources:"}
LANGUAGE_NAME: dict[Language, str] = {"es": "Spanish", "en": "English"}

SYSTEM_PROMPT = """\
You write the reply of a customer-service assistant.
Rules:
- Use ONLY facts stated in the numbered sources. Never add facts, numbers, prices, dates, \
links, email addresses or promises that are not written in the sources.
- Cite every sentence that uses a source with its marker, e.g. [1]. Cite only the given \
numbers. Do not list the sources at the end; that is done for you.
- Write in {language}, in a friendly tone, at most {sentences} short sentences, plain text.
- Never ask for or repeat personal data; placeholders such as <email> or <order> stand \
for hidden customer data and must not appear in your reply.
- If the sources do not answer the customer's message, reply exactly {no_answer}."""

_MASKS = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"(?i)\b(?:https?://|www\.)\S+"), "<link>"),
    (
        re.compile(
            r"(?i)\b(password|passwd|contraseña|clave|pin|token|api[ _-]?key|cvv|cvc)"
            r"(\s*[:=]\s*|\s+(?:is|es|era)\s+)[^\s,;]+"
        ),
        r"\1\2<secret>",
    ),
    (re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{20,}"), "<secret>"),
    (re.compile(r"(?<![\w+])\+?\d(?:[\s().-]*\d){6,}"), "<phone>"),
    (re.compile(r"(?<![\w+])#?(?:[A-Za-z]{1,4}-?\d{4,}|\d{4,})(?!\w)"), "<order>"),
)
_PLACEHOLDER_RE = re.compile(r"<(?:email|link|secret|phone|order)>", re.IGNORECASE)
_CITATION_RE = re.compile(r"\[(\d{1,2})\]")
_LIST_NUMBER_RE = re.compile(r"(?m)^\s*\d{1,2}[.)]\s")
_DIGITS_RE = re.compile(r"\d+")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL_RE = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|(?<![\w/])/[a-z][\w./-]*"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|es|io|eu|co|info|app|shop|store)\b(?:/\S*)?"
)


@dataclass(frozen=True)
class LlmEndpoint:
    """Where to send the rewording request; built from Settings when configured."""

    url: str  # the API base, e.g. http://127.0.0.1:8080/v1
    model: str
    api_key: SecretStr | None = field(default=None, repr=False)
    timeout: float = 4.0
    max_chars: int = 800
    max_sentences: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> LlmEndpoint | None:
        if settings.llm_url is None or not (settings.llm_model or "").strip():
            return None
        return cls(
            url=str(settings.llm_url).rstrip("/"),
            model=(settings.llm_model or "").strip(),
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_seconds,
        )

    @property
    def completions_url(self) -> str:
        return f"{self.url}/chat/completions"

    def headers(self) -> dict[str, str]:
        key = self.api_key.get_secret_value().strip() if self.api_key else ""
        return {"Authorization": f"Bearer {key}"} if key else {}


@dataclass(frozen=True)
class Citation:
    number: int
    article_id: str
    title: str
    link: str


@dataclass(frozen=True)
class Phrased:
    """The reworded reply (with its sources listed) and the sources it cites."""

    reply: str
    citations: tuple[Citation, ...]


def mask_customer_text(text: str) -> str:
    """``text`` with emails, links, secrets, phone and order numbers replaced by placeholders."""
    for pattern, placeholder in _MASKS:
        text = pattern.sub(placeholder, text)
    return text[:MAX_CUSTOMER_CHARS]


def source_text(article: Article) -> str:
    """What the endpoint is told about an article (and all the validation trusts)."""
    parts = [article.short_answer.strip(), article.body.strip()]
    text = "\n\n".join(p for p in parts if p) or article.title
    return text[:MAX_SOURCE_CHARS]


def build_request(
    endpoint: LlmEndpoint, decision: Decision, articles: Sequence[Article], customer_text: str
) -> dict[str, Any]:
    """The chat-completions body: the rules, the numbered sources and the masked question."""
    language = decision.language
    system = SYSTEM_PROMPT.format(
        language=LANGUAGE_NAME[language], sentences=endpoint.max_sentences, no_answer=NO_ANSWER
    )
    sources = "\n\n".join(
        f"[{n}] Title: {a.title}\nLink: {a.link}\nText:\n{source_text(a)}"
        for n, a in enumerate(articles, start=1)
    )
    user = (
        f"Sources:\n\n{sources}\n\n"
        f"Current answer (reword it for the customer):\n{decision.reply}\n\n"
        f"Customer's message:\n{mask_customer_text(customer_text)}"
    )
    return {
        "model": endpoint.model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "temperature": 0,
        "max_tokens": 400,
        "stream": False,
    }


async def phrase(
    endpoint: LlmEndpoint | None,
    http: httpx.AsyncClient,
    decision: Decision,
    articles: Sequence[Article],
    customer_text: str,
) -> Phrased | None:
    """The ANSWER ``decision`` reworded from ``articles`` only, or None to keep it as it is."""
    if endpoint is None or decision.kind is not DecisionKind.ANSWER or not articles:
        return None
    articles = tuple(articles)[:MAX_SOURCES]
    content = await _complete(
        endpoint, http, build_request(endpoint, decision, articles, customer_text)
    )
    if content is None:
        return None
    problem = check_reply(content, articles, decision.language, endpoint.max_chars)
    if problem:
        log.info("Reworded answer rejected: %s", problem)
        return None
    return _with_sources(content.strip(), articles, decision)


async def _complete(
    endpoint: LlmEndpoint, http: httpx.AsyncClient, body: dict[str, Any]
) -> str | None:
    """The first choice's text; None (logged without secrets or content) on any failure."""
    try:
        async with asyncio.timeout(endpoint.timeout):
            resp = await http.post(
                endpoint.completions_url,
                json=body,
                headers=endpoint.headers(),
                timeout=endpoint.timeout,
            )
    except (TimeoutError, httpx.HTTPError) as exc:
        log.warning("Answer rewording unavailable: %s", exc.__class__.__name__)
        return None
    if not resp.is_success:
        log.warning("Answer rewording unavailable: HTTP %s", resp.status_code)
        return None
    try:
        choice = resp.json()["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("Answer rewording unavailable: malformed response")
        return None
    if not isinstance(content, str) or choice.get("finish_reason") == "length":
        log.warning("Answer rewording unavailable: no complete text in the response")
        return None
    return content


def check_reply(
    content: str, articles: Sequence[Article], language: Language, max_chars: int
) -> str | None:
    """Why ``content`` may not be sent to the customer, or None when it may."""
    text = content.strip()
    if not text or NO_ANSWER in text:
        return "empty or declined"
    if len(text) > max_chars:
        return "too long"
    cited = {int(n) for n in _CITATION_RE.findall(text)}
    if not cited:
        return "no citation"
    if not cited <= set(range(1, len(articles) + 1)):
        return "cites an unknown source"
    if _PLACEHOLDER_RE.search(text):
        return "repeats masked customer data"
    grounds = "\n".join(f"{a.title}\n{a.link}\n{source_text(a)}" for a in articles).lower()
    plain = _LIST_NUMBER_RE.sub(" ", _CITATION_RE.sub(" ", text))
    for url in _URL_RE.findall(plain):
        if url.rstrip(".,;:!?)]»\"'").lower() not in grounds:
            return "link not in the sources"
    for email in _EMAIL_RE.findall(plain):
        if email.lower() not in grounds:
            return "email not in the sources"
    plain = _URL_RE.sub(" ", _EMAIL_RE.sub(" ", plain))
    known = set(_DIGITS_RE.findall(grounds))
    if any(d not in known for d in _DIGITS_RE.findall(plain)):
        return "number not in the sources"
    if detect_language(plain, default=language) != language:
        return "wrong language"
    return None


def _with_sources(text: str, articles: Sequence[Article], decision: Decision) -> Phrased:
    order = dict.fromkeys(int(n) for n in _CITATION_RE.findall(text))
    citations = tuple(
        Citation(n, articles[n - 1].id, articles[n - 1].title, articles[n - 1].link) for n in order
    )
    language = decision.language
    lines = [f"[{c.number}] {c.title}: {c.link}" for c in citations]
    reply = f"{text}\n\n{SOURCES_LABEL[language]}\n" + "\n".join(lines)
    if decision.untranslated:
        reply = message("no_translation", language) + "\n\n" + reply
    return Phrased(reply, citations)


async def phrase_turn(container: Container, turn: Turn, customer_text: str) -> Turn:
    """``turn`` with its answer reworded when an endpoint is configured; else ``turn`` itself.

    The article is read from the knowledge base here, so this works wherever the turn was
    computed (in a thread or in another process).
    """
    decision = turn.decision
    endpoint = LlmEndpoint.from_settings(container.settings)
    if endpoint is None or decision.kind is not DecisionKind.ANSWER or not decision.article_id:
        return turn
    article = await asyncio.to_thread(_public_article, container, decision.article_id)
    if article is None:
        return turn
    phrased = await phrase(endpoint, container.http, decision, (article,), customer_text)
    if phrased is None:
        return turn
    return replace(turn, decision=replace(decision, reply=phrased.reply))


def _public_article(container: Container, article_id: str) -> Article | None:
    if not article_id.isdigit():
        return None
    with container.uow() as uow:
        row = uow.session.get(KbArticle, int(article_id))
        article = knowledge.to_article(row) if row is not None else None
    if article is None or article.audience != "public" or article.human_only:
        return None
    return article
