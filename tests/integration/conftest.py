"""Integration fixtures: a Flask app on a fresh SQLite database per test, its test
client and CLI runner, and a ``login`` helper that goes through the real sign-in form
(CSRF token included)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import create_app
from app.database import get_database
from tests.factories import build_small_platform

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def make_test_app(sqlite_url: str, tmp_path, load: Callable[[Session], None]) -> Flask:
    """A fresh app (own database, own instance folder) whose database ``load`` fills
    (``load`` commits)."""
    flask_app = create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": sqlite_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
            "LOG_LEVEL": "WARNING",
            "TESTING": True,
        }
    )
    with get_database(flask_app).session() as session:
        load(session)
    return flask_app


@pytest.fixture
def app(sqlite_url: str, tmp_path) -> Flask:
    """A fresh app with the small platform loaded."""
    flask_app = make_test_app(
        sqlite_url,
        tmp_path,
        lambda session: build_small_platform(session, datetime.now(UTC).date()),
    )
    yield flask_app
    get_database(flask_app).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def csrf_token_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the sign-in form has no CSRF token"
    return match.group(1)


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., object]:
    """``login(email, password)`` posts the sign-in form like a browser and returns the
    response (302 on success)."""

    def _login(email: str, password: str, **extra: str):
        page = client.get("/login")
        token = csrf_token_from(page.get_data(as_text=True))
        return client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token, **extra},
        )

    return _login


def dash_csrf_headers(client: FlaskClient) -> dict[str, str]:
    """Load a page (which sets the CSRF cookie) and return the header Dash would send."""
    client.get("/", headers={"Accept": "text/html"})
    cookie = client.get_cookie("_csrf_token")
    assert cookie is not None, "signed-in page loads must set the _csrf_token cookie"
    return {"X-CSRFToken": cookie.value}
