"""Sign-in, sign-out, cookies, CSRF and throttling through the real HTTP routes."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import ACCOUNTS, ADMIN_PASSWORD, WRITER_PASSWORD
from tests.integration.conftest import dash_csrf_headers


def test_login_page_has_form_with_csrf_token(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'name="csrf_token"' in body
    assert response.headers["Cache-Control"] == "no-store"


def test_successful_login_redirects_and_sets_hardened_cookie(login) -> None:
    response = login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only in production


def test_email_is_case_insensitive(login) -> None:
    assert login(ACCOUNTS.writer_email.upper(), WRITER_PASSWORD).status_code == 302


def test_wrong_password_is_401_with_one_message(login) -> None:
    wrong_password = login(ACCOUNTS.writer_email, "not-the-password")
    unknown_email = login("nobody@example.com", "whatever-password")
    assert wrong_password.status_code == 401
    assert unknown_email.status_code == 401
    message = "match an active account"
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post(
        "/login", data={"email": ACCOUNTS.writer_email, "password": WRITER_PASSWORD}
    )
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302


def test_repeated_failures_are_throttled_with_429(login, app: Flask) -> None:
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login(ACCOUNTS.writer_email, "wrong-password").status_code == 401
    throttled = login(ACCOUNTS.writer_email, WRITER_PASSWORD)  # even the right password
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in throttled.get_data(as_text=True)
    # Another account is not affected.
    assert login(ACCOUNTS.admin_email, ADMIN_PASSWORD).status_code == 302


def test_disabled_account_cannot_sign_in_and_loses_its_session(login, client, app) -> None:
    from app.database import get_database
    from data.models import User

    assert login(ACCOUNTS.writer_email, WRITER_PASSWORD).status_code == 302
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    with get_database(app).session() as session:
        user = session.query(User).filter_by(email=ACCOUNTS.writer_email).one()
        user.is_active = False
        session.commit()
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302
    assert login(ACCOUNTS.writer_email, WRITER_PASSWORD).status_code == 401


def test_open_redirect_is_refused(login, client: FlaskClient) -> None:
    response = login(ACCOUNTS.writer_email, WRITER_PASSWORD, next="//evil.example/x")
    assert response.headers["Location"] == "/"
    client.get("/logout")
    response = login(ACCOUNTS.writer_email, WRITER_PASSWORD, next="https://evil.example/")
    assert response.headers["Location"] == "/"


def test_next_path_is_followed(login) -> None:
    response = login(ACCOUNTS.writer_email, WRITER_PASSWORD, next="/?range=7d")
    assert response.headers["Location"] == "/?range=7d"


def test_logout_ends_the_session(login, client: FlaskClient) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    assert client.get("/logout").status_code == 302
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302


def test_dash_callbacks_need_the_csrf_header(login, client: FlaskClient) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    outputs = [
        ("shell-nav", "children"),
        ("shell-user-menu", "children"),
        ("shell-writer-select-wrapper", "style"),
        ("shell-period-controls", "style"),
        ("shell-filter-bar", "style"),
    ]
    payload = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [
            {"id": "shell-url", "property": "pathname", "value": "/"},
            {"id": "shell-nav-refresh", "property": "data", "value": 0},
        ],
        "changedPropIds": ["shell-url.pathname"],
    }
    refused = client.post("/_dash-update-component", json=payload)
    assert refused.status_code == 400
    accepted = client.post(
        "/_dash-update-component", json=payload, headers=dash_csrf_headers(client)
    )
    assert accepted.status_code == 200
    assert "Sign out" in accepted.get_data(as_text=True)


def test_production_requires_a_secret_key(monkeypatch) -> None:
    import pytest

    from app.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"APP_ENV": "production"})
    config = load_config({"APP_ENV": "production", "SECRET_KEY": "x" * 40})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
