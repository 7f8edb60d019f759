"""``callbacks.page_context``: what every writer page's callbacks resolve first, on the
hand-built platform of tests/metrics_fixtures.py (writers Ada, Bram, Cleo)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask
from flask_login import LoginManager, login_user
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.auth.accounts import AccountUser
from callbacks.common import AccessDenied, Viewer, today_utc
from callbacks.page_context import (
    build_for_viewer,
    page_context,
    reporting_currency,
    scope_name,
)
from data.queries.filters import Scope
from tests.metrics_fixtures import build_metrics_platform

TODAY = date(2026, 3, 6)
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")


@pytest.fixture
def platform(session: Session) -> Session:
    build_metrics_platform(session)
    return session


def test_scope_names_and_subtitles(platform: Session) -> None:
    assert scope_name(platform, Scope()) == "All writers"
    assert scope_name(platform, Scope(2)) == "Bram"
    with pytest.raises(AccessDenied, match="no writer with id 99"):
        scope_name(platform, Scope(99))
    forged = page_context(platform, WRITER, 2, "7d", None, None, "year", today=TODAY)
    assert forged.filters.scope == Scope(1)  # a writer's own, whatever the picker says
    assert forged.who == "Ada"
    assert forged.subtitle == "Ada · Feb 28 – Mar 6, 2026"
    assert forged.subtitle_with("2 stories") == "Ada · 2 stories · Feb 28 – Mar 6, 2026"
    everyone = page_context(platform, ADMIN, 0, "7d", None, None, "previous", today=TODAY)
    assert everyone.subtitle.startswith("All writers · ")
    with pytest.raises(AccessDenied):
        page_context(platform, ADMIN, 99, "7d", None, None, "previous", today=TODAY)


def _login_app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", REPORTING_CURRENCY="EUR")
    LoginManager(app).user_loader(lambda _user_id: None)  # nobody signs in from a cookie
    return app


def test_build_for_viewer_calls_the_build_for_the_signed_in_account(engine: Engine) -> None:
    sessions = sessionmaker(bind=engine)
    calls = []

    def build(session: Session, viewer: Viewer, *values: object, **options: object) -> str:
        calls.append((isinstance(session, Session), viewer, values, options))
        return "view"

    app = _login_app()
    account = AccountUser(
        id=7,
        email="ada@example.com",
        role="writer",
        writer_id=1,
        display_name="Ada",
        active=True,
        password_changed_at=datetime(2026, 1, 1),
    )
    with app.test_request_context("/"):
        login_user(account)
        assert build_for_viewer(sessions, build, 2, "7d", None, None, "previous", x=1) == "view"
    assert calls == [
        (
            True,
            Viewer(user_id=7, role="writer", writer_id=1, display_name="Ada"),
            (2, "7d", None, None, "previous"),
            {"today": today_utc(), "x": 1},
        )
    ]
    with app.test_request_context("/"), pytest.raises(AccessDenied):
        build_for_viewer(sessions, build, None, "7d", None, None, "previous")
    assert len(calls) == 1  # nobody signed in: the build never runs


def test_reporting_currency() -> None:
    class FakeDash:
        server = _login_app()

    assert reporting_currency(FakeDash()) == "EUR"  # type: ignore[arg-type]
    FakeDash.server.config.pop("REPORTING_CURRENCY")
    assert reporting_currency(FakeDash()) == "USD"  # type: ignore[arg-type]
