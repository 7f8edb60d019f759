"""Deny-by-default access control for every request, and the CSRF cookie for Dash.

Rules, checked before any view runs:
1. Public endpoints (sign-in, static files, health check, and blueprints that
   authenticate by API key themselves) pass.
2. Everything else needs a logged-in, active account: page requests are redirected to
   ``/login?next=...``; anything else (Dash's JSON routes, assets, API) gets 401 JSON.
3. Pages under ``/admin`` and Dash callbacks that touch admin components (ids starting
   with ``ADMIN_ID_PREFIX``) or route to an ``/admin`` page need the admin role: 403.

A writer's data scope never comes from this module's inputs: callbacks take it from the
logged-in account (``callbacks.common.current_viewer``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from components.ids import ADMIN_ID_PREFIX

ADMIN_PATH_PREFIX = "/admin"
CSRF_COOKIE = "_csrf_token"
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.logout", "static", "bootstrap.static", "health"})
# Blueprints that do their own (API key) authentication: the ingest, read and assignment APIs.
SELF_AUTHENTICATED_BLUEPRINTS = frozenset({"ingest", "read_api", "experiments_api"})
DASH_CALLBACK_PATH = "/_dash-update-component"


def _ids_in(spec: Any) -> Iterator[str]:
    """Component ids named by a Dash callback payload entry (outputs, inputs, state)."""
    if isinstance(spec, list):
        for item in spec:
            yield from _ids_in(item)
    elif isinstance(spec, dict):
        component_id = spec.get("id")
        if isinstance(component_id, str):
            yield component_id
        elif isinstance(component_id, dict):
            yield str(component_id.get("type", ""))


def _split_output(output: str) -> Iterable[str]:
    # "..a.children...b.figure.." (multi-output) or "a.children"
    for part in output.strip(".").split("..."):
        if part:
            yield part.rsplit(".", 1)[0]


def callback_touches_admin(payload: dict[str, Any]) -> bool:
    """True when a Dash callback request reads or writes admin components, or is the
    page router asked for an ``/admin`` page."""
    ids: list[str] = []
    output = payload.get("output")
    if isinstance(output, str):
        ids.extend(_split_output(output))
    for key in ("outputs", "inputs", "state"):
        ids.extend(_ids_in(payload.get(key)))
    if any(component_id.startswith(ADMIN_ID_PREFIX) for component_id in ids):
        return True
    for item in payload.get("inputs") or []:
        if (
            isinstance(item, dict)
            and item.get("property") == "pathname"
            and isinstance(item.get("value"), str)
            and item["value"].startswith(ADMIN_PATH_PREFIX)
        ):
            return True
    return False


def _wants_html() -> bool:
    """A page navigation (GET, not a Dash/API route, HTML acceptable or no preference)."""
    if request.method != "GET" or request.path.startswith(("/_dash", "/api", "/v1")):
        return False
    if not request.accept_mimetypes:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "text/html"


def _refuse(status: int, message: str) -> Response:
    if _wants_html():
        return Response(
            render_template("error.html", status=status, message=message), status=status
        )
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    return response


def check_request() -> Response | None:
    """The ``before_request`` guard described in the module docstring."""
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    blueprint = endpoint.split(".", 1)[0] if "." in endpoint else None
    if blueprint in SELF_AUTHENTICATED_BLUEPRINTS:
        return None
    if not current_user.is_authenticated:
        if _wants_html():
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return _refuse(401, "Sign in required.")
    if current_user.is_admin:
        return None
    if request.path.startswith(ADMIN_PATH_PREFIX):
        return _refuse(403, "This page is for administrators only.")
    if request.path == DASH_CALLBACK_PATH:
        try:
            payload = json.loads(request.get_data(cache=True) or b"{}")
        except ValueError:
            return _refuse(400, "The callback request body is not valid JSON.")
        if isinstance(payload, dict) and callback_touches_admin(payload):
            return _refuse(403, "This action is for administrators only.")
    return None


def set_csrf_cookie(response: Response) -> Response:
    """Give signed-in page loads a CSRF token cookie that the Dash renderer sends back
    as the ``X-CSRFToken`` header on every callback (checked by flask-wtf)."""
    if (
        request.method == "GET"
        and response.mimetype == "text/html"
        and current_user.is_authenticated
    ):
        response.set_cookie(
            CSRF_COOKIE,
            generate_csrf(),
            httponly=False,  # the renderer must read it; it is useless without the session
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def install_guard(app: Flask) -> None:
    """Register the guard and the CSRF cookie hook on ``app``."""
    app.before_request(check_request)
    app.after_request(set_csrf_cookie)
