"""Wire authentication into a Flask app: flask-login, CSRF, the guard, the views."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.auth.accounts import AccountUser, load_account
from app.auth.guard import install_guard
from app.auth.views import blueprint, csrf_failure
from app.database import get_database


def init_auth(app: Flask) -> None:
    """Install login management (session protection "strong"), CSRF protection for
    forms and Dash callbacks, the deny-by-default guard and the login/logout views."""
    login_manager = LoginManager()
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see your dashboards."
    login_manager.init_app(app)

    @login_manager.user_loader
    def _load_user(session_id: str) -> AccountUser | None:
        with get_database(app).session() as session:
            return load_account(session, session_id)

    install_guard(app)  # first: an anonymous request gets 401, not a CSRF error
    CSRFProtect(app)
    app.register_error_handler(CSRFError, csrf_failure)
    app.register_blueprint(blueprint)
