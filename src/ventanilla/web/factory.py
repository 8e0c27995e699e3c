"""Uvicorn entry point: `ventanilla.web.factory:app` (a factory)."""

from __future__ import annotations

from fastapi import FastAPI

from ventanilla.config import Settings
from ventanilla.web.app import create_app


def app() -> FastAPI:
    return create_app(Settings(), server_process=True)
