"""FastAPI dependencies: the container, the unit of work, the authenticated principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from ventanilla.bootstrap import Container
from ventanilla.domain.errors import Unauthorized
from ventanilla.services import auth
from ventanilla.services.auth import Principal
from ventanilla.services.uow import UnitOfWork


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_uow(container: ContainerDep) -> Iterator[UnitOfWork]:
    with container.uow() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def get_principal(request: Request, container: ContainerDep) -> Principal:
    token = bearer(request)
    if token is None:
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
    with container.uow() as uow:
        return auth.authenticate(uow.session, token)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
