"""Login and logout pages.

``POST /login`` contract: the form must carry a valid CSRF token (400 otherwise); an
account with too many recent failures gets 429 and a ``Retry-After`` header whatever the
password; a wrong email or password gets 401 with one message for both; success
redirects to ``next`` when it is a local path, else to the Overview.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length, Regexp

from app.auth.accounts import EMAIL_PATTERN, AccountUser, normalise_email, verify_credentials
from app.auth.throttle import record_attempt, seconds_until_allowed
from app.database import get_database
from data.db import utcnow

blueprint = Blueprint("auth", __name__)

INVALID_CREDENTIALS = "That email and password don't match an active account."


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter your email."),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message="Enter a valid email."),
        ],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=1024)]
    )
    remember = BooleanField("Keep me signed in on this device")


def safe_next(target: str | None) -> str:
    """``target`` when it is a local absolute path (no scheme, host or ``//``), else ``/``."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if target.startswith(("/login", "/logout")):
        return "/"
    return target


def _render(form: LoginForm, status: int, error: str | None = None) -> Response:
    response = make_response(
        render_template(
            "login.html",
            form=form,
            error=error,
            next=safe_next(request.values.get("next")),
            demo_accounts=current_app.config.get("DEMO_ACCOUNTS_HINT")
            if current_app.config.get("SHOW_DEMO_CREDENTIALS")
            else None,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """Show the sign-in form; on POST check the throttle, then the credentials."""
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")))
        return _render(form, 200)
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()))[0] if form.errors else "Check the form."
        if "csrf_token" in form.errors:
            message = "Your sign-in form expired. Reload the page and try again."
        return _render(form, 400, message)

    email = normalise_email(form.email.data or "")
    config = current_app.config
    database = get_database()
    with database.session() as session:
        wait = seconds_until_allowed(
            session,
            email,
            max_failures=config["LOGIN_MAX_FAILURES"],
            window_seconds=config["LOGIN_FAILURE_WINDOW_SECONDS"],
        )
        if wait:
            response = _render(
                form,
                429,
                "Too many failed sign-in attempts for this account. "
                f"Try again in {_minutes(wait)}.",
            )
            response.headers["Retry-After"] = str(wait)
            return response
        user = verify_credentials(session, email, form.password.data or "")
        record_attempt(session, email, request.remote_addr, succeeded=user is not None)
        if user is None:
            session.commit()
            current_app.logger.info("failed login for %s from %s", email, request.remote_addr)
            return _render(form, 401, INVALID_CREDENTIALS)
        user.last_login_at = utcnow()
        account = AccountUser.from_model(user)
        session.commit()
    login_user(account, remember=bool(form.remember.data))
    current_app.logger.info("login: %s (%s)", account.email, account.role)
    return redirect(safe_next(request.values.get("next")))


def csrf_failure(error: Exception) -> Response:
    """A missing or bad CSRF token: the sign-in form is shown again with a clear message;
    anything else (Dash callbacks) gets a 400 JSON error."""
    if request.path == "/login":
        return _render(
            LoginForm(), 400, "Your sign-in form expired. Reload the page and try again."
        )
    response = jsonify(
        {"error": {"status": 400, "message": "Missing or invalid CSRF token; reload the page."}}
    )
    response.status_code = 400
    return response


@blueprint.route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    """End the session (and the remember-me cookie) and go back to the sign-in page."""
    logout_user()
    return redirect(url_for("auth.login"))
