"""The demo store in a real browser: chat with the shop, get an answer, reload, stay safe.

Drives Debian's Chromium (/usr/bin/chromium) with Playwright against `ventanilla serve --demo`
on a loopback port with its own SQLite file.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from tests.helpers import need

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_S = 30.0
TOKEN_LINE = re.compile(r"API token for admin@\S+: (\S+)")


class Store:
    def __init__(self, url: str, admin_token: str) -> None:
        self.url = url
        self.admin_token = admin_token

    def api(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], log: Path, url: str) -> str:
    """Wait until the server answers; returns the admin's API token printed by the demo."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ventanilla serve exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                found = TOKEN_LINE.search(log.read_text())
                assert found, f"no admin token in the demo output:\n{log.read_text()[-3000:]}"
                return found.group(1)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"ventanilla serve not ready in time:\n{log.read_text()[-3000:]}")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    need(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "VENTANILLA_ENVIRONMENT": "test",
        "VENTANILLA_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "VENTANILLA_SECRET_KEY": "browser-test-secret-0123",
        "VENTANILLA_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("VENTANILLA_REDIS_URL", None)
    log = tmp_path / "serve.log"
    exe = Path(sys.executable).with_name("ventanilla")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(exe), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        yield Store(url, _wait_ready(proc, log, url))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def shown(page: Page) -> list[str]:
    """The chat log as the customer reads it (the assistant may have answered too)."""
    texts = page.locator("#chat-log li").all_inner_texts()
    ids = page.locator("#chat-log li").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(set(ids)) == len(ids), "a message is shown twice"
    return texts


@contextmanager
def store_page(store: Store, lang: str, online: str) -> Iterator[Page]:
    """The demo store in ``lang``, its chat connected."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{store.url}/?lang={lang}")
            expect(page.locator("#chat-status")).to_have_text(online)
            yield page
        finally:
            browser.close()


def in_order(texts: list[str], wanted: list[str]) -> bool:
    it = iter(texts)
    return all(any(t == w for t in it) for w in wanted)


def test_a_customer_chats_from_the_demo_store(store: Store) -> None:
    from playwright.sync_api import expect, sync_playwright

    xss = "<img src=x onerror=alert(1)>"
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{store.url}/?lang=en")
            expect(page.locator("#chat-status")).to_have_text("Online")
            log = page.locator("#chat-log li")

            question = "You: Is the Huila coffee in stock?"
            answer = "Team: Yes, 40 bags."
            page.fill("#chat-input", "Is the Huila coffee in stock?")
            page.press("#chat-input", "Enter")
            expect(log.filter(has_text=question)).to_have_count(1)

            with store.api() as api:
                convs = api.get("/api/v1/conversations", params={"channel": "webchat"}).json()
                conv_id = convs["items"][0]["id"]
                r = api.post(
                    f"/api/v1/conversations/{conv_id}/messages", json={"text": "Yes, 40 bags."}
                )
                assert r.status_code == 201, r.text
            expect(log.filter(has_text=answer)).to_have_count(1)

            page.fill("#chat-input", xss)
            page.press("#chat-input", "Enter")
            expect(log.filter(has_text=xss)).to_have_count(1)
            assert page.locator("#chat-log img").count() == 0
            before = shown(page)
            assert in_order(before, [question, answer, f"You: {xss}"])

            page.reload()
            expect(page.locator("#chat-status")).to_have_text("Online")
            expect(log.filter(has_text=xss)).to_have_count(1)
            assert shown(page)[: len(before)] == before  # the history, in order, each once
            assert page.locator("#chat-log img").count() == 0
        finally:
            browser.close()
    assert dialogs == []


def test_the_demo_assistant_answers_from_the_knowledge_base_in_the_browser(store: Store) -> None:
    from playwright.sync_api import expect

    with store_page(store, "en", "Online") as page:
        page.fill("#chat-input", "How much does shipping cost?")
        page.press("#chat-input", "Enter")
        answer = page.locator("#chat-log li.theirs").filter(has_text="4.90")
        expect(answer).to_have_count(1, timeout=30_000)  # the first turn loads the model
        assert answer.inner_text().startswith("Virtual assistant: ")  # never passed off as a person
        assert "/help/en/" in answer.inner_text()  # with a link to the help center


def test_the_customer_taps_a_quick_reply_to_pick_an_article(store: Store) -> None:
    from playwright.sync_api import expect

    with store_page(store, "es", "En línea") as page:
        page.fill("#chat-input", "envío")
        page.press("#chat-input", "Enter")
        buttons = page.locator("#chat-log .quick-replies button")
        expect(buttons).to_have_count(3, timeout=30_000)  # the first turn loads the model
        offered = ["Gastos de envío", "Plazos de envío", "Ninguna de estas"]
        assert buttons.all_inner_texts() == offered
        buttons.filter(has_text="Plazos de envío").click()
        answer = page.locator("#chat-log li.theirs").filter(has_text="2 a 4 días")
        expect(answer).to_have_count(1, timeout=10_000)
        expect(page.locator("#chat-log li.mine").last).to_have_text("Tú: Plazos de envío")
        expect(buttons).to_have_count(0)  # only the newest message offers any
        link = answer.locator("a")
        assert link.get_attribute("href") == "/help/es/shipping-times"
        with page.context.expect_page() as opened:
            link.click()  # the help center article, in a new tab
        article = opened.value
        expect(article).to_have_url(re.compile(r"/help/es/shipping-times$"))
        expect(article.get_by_role("heading", name="Plazos de envío")).to_have_count(1)


def test_the_english_page_gets_english_answers_unless_the_customer_writes_spanish(
    store: Store,
) -> None:
    from playwright.sync_api import expect

    with store_page(store, "en", "Online") as page:
        log = page.locator("#chat-log li.theirs")
        page.fill("#chat-input", "hi")
        page.press("#chat-input", "Enter")
        greeting = log.filter(has_text="Virtual assistant: Hi! How can I help you?")
        expect(greeting).to_have_count(1, timeout=30_000)  # the first turn loads the model
        assert log.filter(has_text="¡Hola!").count() == 0
        page.fill("#chat-input", "¿Aceptáis PayPal?")
        page.press("#chat-input", "Enter")
        answer = log.filter(has_text="Aceptamos tarjeta, PayPal y Bizum.")
        expect(answer).to_have_count(1, timeout=10_000)
        assert "Más información" in answer.inner_text()
        # The widget is served from our own host: the help center link stays a path.
        assert answer.locator("a").get_attribute("href") == "/help/es/payment-methods"
