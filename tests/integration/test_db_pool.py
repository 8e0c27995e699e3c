"""Pooled PostgreSQL connections that the server closed are replaced before use."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from tests.helpers import make_inbox
from tests.integration.test_inbound import api_msg
from ventanilla.bootstrap import Container
from ventanilla.services import inbound
from ventanilla.storage import db
from ventanilla.storage.models import Message


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server
def test_a_connection_the_server_closed_while_idle_is_replaced(
    container: Container, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = make_inbox(container, "api")
    inbound.receive(container.uow, inbox, api_msg("before", "cust-1"))
    with container.engine.connect() as conn:  # the pooled connection's server process
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(
        database_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:  # as a server restart or an idle timeout would
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    admin.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # it has been idle long enough

    got = inbound.receive(container.uow, inbox, api_msg("after", "cust-1"))

    with container.uow() as uow:
        texts = uow.session.scalars(select(Message.external_id).order_by(Message.id)).all()
    assert texts == ["before", "after"] and not got.duplicate
