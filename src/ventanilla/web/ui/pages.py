"""Public pages: the demo store with its chat box."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from ventanilla.domain.enums import ChannelKind
from ventanilla.domain.errors import NotFound
from ventanilla.i18n import pick_language, translate
from ventanilla.services import directory, help_center
from ventanilla.web.deps import UowDep
from ventanilla.web.ui.markdown import render

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)

PRODUCTS = [
    ("Café Huila 250 g", "Coffee Huila 250 g", "9,50 €"),
    ("Cafetera V60", "V60 brewer", "24,00 €"),
    ("Molinillo manual", "Hand grinder", "39,00 €"),
]


@router.get("/", response_class=HTMLResponse)
def store(request: Request, uow: UowDep, lang: str | None = None) -> HTMLResponse:
    language = pick_language(lang or request.headers.get("accept-language"))
    inbox_id = directory.first_inbox_id(uow, ChannelKind.WEBCHAT)
    products = [(es if language == "es" else en, price) for es, en, price in PRODUCTS]
    return templates.TemplateResponse(
        request,
        "store.html",
        {
            "lang": language,
            "other": "en" if language == "es" else "es",
            "t": lambda key: translate(key, language),
            "inbox_id": inbox_id,
            "products": products,
        },
    )


def _lang(value: str) -> str:
    if value not in ("es", "en"):
        raise NotFound(f"no help center in {value!r}")
    return value


@router.get("/help/{lang}", response_class=HTMLResponse)
def help_index(request: Request, lang: str, uow: UowDep) -> HTMLResponse:
    language = _lang(lang)
    context = {
        "lang": language,
        "t": lambda key: translate(key, language),
        "article": None,
        "title": translate("store.help", language),
        "articles": help_center.public_articles(uow, language),
    }
    return templates.TemplateResponse(request, "help.html", context)


@router.get("/help/{lang}/{slug}", response_class=HTMLResponse)
def help_article(request: Request, lang: str, slug: str, uow: UowDep) -> HTMLResponse:
    language = _lang(lang)
    article, others = help_center.public_article(uow, language, slug)
    context = {
        "lang": language,
        "t": lambda key: translate(key, language),
        "article": article,
        "title": article.title,
        "body": render(article.body),
        "others": others,
    }
    return templates.TemplateResponse(request, "help.html", context)


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    path = (HERE / "static" / name).resolve()
    if path.parent != (HERE / "static").resolve() or not path.is_file():
        raise NotFound("no such file")
    return FileResponse(path)
