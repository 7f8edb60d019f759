"""Ingest fixtures: an app on a fresh database (both backends through ``db_url``) with the
small platform's catalog, write keys, and a live HTTP server for real clients.

- ``ingest_app`` (function): ``create_app`` on ``db_url`` with the small platform loaded.
- ``write_key`` / ``other_key`` (function): plaintext write keys for sources ``ios`` and
  ``web``; ``read_key``: a plaintext read key.
- ``client``: the Flask test client of ``ingest_app``.
- ``live_server`` (function): ``http://127.0.0.1:PORT`` of a threaded werkzeug server
  serving ``ingest_app`` (stopped after the test).
- ``events_of(app, source)``: ``{message_id: row}`` of the stored events of a source.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.serving import make_server

from app import create_app
from app.auth.api_keys import create_api_key
from app.database import get_database
from data.models import Event
from tests.factories import build_small_platform


def make_ingest_app(db_url: str, tmp_path: Path, **overrides: Any) -> Flask:
    """An app on ``db_url`` with the small platform (catalog, readers r1..r4)."""
    app = create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": db_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
            "LOG_LEVEL": "WARNING",
            "TESTING": True,
            **overrides,
        }
    )
    with get_database(app).session() as session:
        build_small_platform(session, datetime.now(UTC).date())
        if session.get_bind().dialect.name == "postgresql":
            # The factory gives readers explicit ids; move the id sequence past them, as any
            # loader that sets ids must, or new readers would clash with r1..r4.
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('readers', 'id'), max(id)) FROM readers")
            )
            session.commit()
    return app


def new_key(app: Flask, kind: str = "write", source: str | None = "ios") -> str:
    with get_database(app).session() as session:
        _, plaintext = create_api_key(
            session, name=f"test {kind} {source}", kind=kind, source=source
        )
        session.commit()
    return plaintext


def events_of(app: Flask, source: str = "ios") -> dict[str, Event]:
    """Stored events of ``source`` by message id (asserts each id is stored once)."""
    with get_database(app).session() as session:
        rows = session.scalars(select(Event).where(Event.source == source)).all()
    by_id = {row.message_id: row for row in rows}
    assert len(by_id) == len(rows), "a message id is stored twice"
    return by_id


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


@pytest.fixture
def ingest_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_ingest_app(db_url, tmp_path)
    yield app
    get_database(app).engine.dispose()


@pytest.fixture
def client(ingest_app: Flask) -> FlaskClient:
    return ingest_app.test_client()


@pytest.fixture
def write_key(ingest_app: Flask) -> str:
    return new_key(ingest_app)


@pytest.fixture
def other_key(ingest_app: Flask) -> str:
    return new_key(ingest_app, source="web")


@pytest.fixture
def read_key(ingest_app: Flask) -> str:
    return new_key(ingest_app, kind="read", source=None)


@pytest.fixture
def live_server(ingest_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, ingest_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
