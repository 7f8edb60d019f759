"""The admin console (Real-time, Keys and users, Jobs) through the real app: writers get
403 on every page and callback; an admin's invalid forms change nothing; disabling an
account ends its sessions and refuses its sign-in; "Run now" runs a job once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.dash_app import EXTENSION_KEY
from app.database import get_database
from app.jobs.console import EXTENSION_KEY as CONSOLE_KEY
from components import ids
from data.db import utcnow
from data.models import ApiKey, AuditLog, JobLock, JobRun, User
from tests.factories import ACCOUNTS, ADMIN_PASSWORD, WRITER_PASSWORD
from tests.integration.conftest import csrf_token_from, dash_csrf_headers

PAGES = ["/admin/realtime", "/admin/access", "/admin/jobs"]
PREFIXES = ("admin-rt-", "admin-access-", "admin-jobs-")


def _parse_id(raw: str) -> Any:
    return json.loads(raw) if raw.startswith("{") else raw


def _concrete(component_id: Any) -> Any:
    """A pattern id with its wildcards replaced by a sample value."""
    if isinstance(component_id, dict):
        return {k: (1 if isinstance(v, list) else v) for k, v in component_id.items()}
    return component_id


def _entry(spec: dict, value: Any) -> Any:
    component_id = _parse_id(spec["id"]) if isinstance(spec["id"], str) else spec["id"]
    entry = {"id": _concrete(component_id), "property": spec["property"], "value": value}
    if isinstance(component_id, dict) and any(isinstance(v, list) for v in component_id.values()):
        return [entry]  # ALL: a list of matches
    return entry


def _outputs(spec: dict) -> list[dict]:
    outputs = []
    for part in spec["output"].strip(".").split("..."):
        raw, prop = part.rsplit(".", 1)
        outputs.append({"id": _concrete(_parse_id(raw)), "property": prop.split("@")[0]})
    return outputs


def console_callbacks(app: Flask) -> list[dict]:
    """Every server callback of the three pages, as a request payload with null values."""
    dash_app = app.extensions[EXTENSION_KEY]
    payloads = []
    for spec in dash_app._callback_list:
        if not any(prefix in spec["output"] for prefix in PREFIXES):
            continue
        outputs = _outputs(spec)
        inputs = [_entry(i, None) for i in spec["inputs"]]
        first = inputs[0][0] if isinstance(inputs[0], list) else inputs[0]
        first_id = first["id"]
        changed = (
            json.dumps(first_id, sort_keys=True, separators=(",", ":"))
            if isinstance(first_id, dict)
            else first_id
        )
        payloads.append(
            {
                "output": spec["output"],
                "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": inputs,
                "state": [_entry(s, None) for s in spec["state"]],
                "changedPropIds": [f"{changed}.{first['property']}"],
            }
        )
    return payloads


def _payload(app: Flask, output_marker: str) -> dict:
    (payload,) = [
        p
        for p in console_callbacks(app)
        if p["output"].startswith(f"..{output_marker}") or p["output"].startswith(output_marker)
    ]
    return payload


def _set(payload: dict, values: dict[str, Any]) -> dict:
    """Fill input and state values by component id (string ids) or id type (patterns)."""
    for group in ("inputs", "state"):
        for item in payload[group]:
            entries = item if isinstance(item, list) else [item]
            for entry in entries:
                key = entry["id"]["type"] if isinstance(entry["id"], dict) else entry["id"]
                if key in values:
                    entry["value"] = values[key]
    return payload


def _post(client: FlaskClient, payload: dict, headers: dict) -> dict:
    response = client.post("/_dash-update-component", json=payload, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.json["response"]


def _sign_in(client: FlaskClient, email: str, password: str) -> int:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return response.status_code


# --------------------------------------------------------------------------- access


def test_writer_gets_403_on_every_console_page_and_callback(app: Flask, login, client) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    for path in PAGES:
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 403, path
        assert "administrators only" in page.get_data(as_text=True)
    headers = dash_csrf_headers(client)
    payloads = console_callbacks(app)
    assert len(payloads) >= 14
    for payload in payloads:
        response = client.post("/_dash-update-component", json=payload, headers=headers)
        assert response.status_code == 403, payload["output"]
        assert "lgw_" not in response.get_data(as_text=True)
    with get_database(app).session() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 0
        assert session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_admin_opens_the_console_pages(login, client) -> None:
    login(ACCOUNTS.admin_email, ADMIN_PASSWORD)
    for path in PAGES:
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 200, path


# --------------------------------------------------------------------------- keys


def test_key_form_through_the_app(app: Flask, login, client) -> None:
    login(ACCOUNTS.admin_email, ADMIN_PASSWORD)
    headers = dash_csrf_headers(client)
    form = ids.access_form_id
    invalid = _set(
        _payload(app, f"{ids.access_feedback_id('key', 'name')}.children"),
        {form("key", "submit"): 1, form("key", "name"): "", form("key", "kind"): "write",
         form("key", "source"): "Not Valid", ids.ADMIN_ACCESS_VERSION: 0},
    )  # fmt: skip
    body = _post(client, invalid, headers)
    assert "Name the key" in body[ids.access_feedback_id("key", "name")]["children"]
    assert "needs a source" in body[ids.access_feedback_id("key", "source")]["children"]
    assert ids.ADMIN_ACCESS_NEW_KEY_VALUE not in body
    with get_database(app).session() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 0
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 0

    valid = _set(invalid, {form("key", "name"): "iOS app", form("key", "source"): "ios"})
    body = _post(client, valid, headers)
    plaintext = body[ids.ADMIN_ACCESS_NEW_KEY_VALUE]["value"]
    assert plaintext.startswith("lgw_")
    assert body[ids.ADMIN_ACCESS_NEW_KEY]["style"] == {}
    with get_database(app).session() as session:
        key = session.scalar(select(ApiKey))
        audit = session.scalar(select(AuditLog))
    assert key.prefix == plaintext[:12]
    assert key.source == "ios"
    assert (audit.action, audit.actor_user_id) == ("api_key.create", 3)
    # The key works at once against the ingest API.
    accepted = client.post(
        "/api/v1/events/track",
        json={"event": "signup", "user_id": "r-new", "message_id": "m-1"},
        headers={"Authorization": f"Bearer {plaintext}"},
    )
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    # The lists never carry the key itself.
    lists = _post(client, _set(_payload(app, f"{ids.ADMIN_ACCESS_KEYS}.children"), {}), headers)
    assert plaintext not in json.dumps(lists)
    assert key.prefix in json.dumps(lists)

    revoke = _set(
        _payload(app, f"{ids.ADMIN_ACCESS_KEY_MESSAGE}.children"),
        {ids.ADMIN_ACCESS_REVOKE_CONFIRM: 1, ids.ADMIN_ACCESS_REVOKE_PENDING: key.id,
         ids.ADMIN_ACCESS_VERSION: 1},
    )  # fmt: skip
    assert "revoked" in json.dumps(_post(client, revoke, headers))
    refused = client.post(
        "/api/v1/events/track",
        json={"event": "signup", "user_id": "r-new", "message_id": "m-2"},
        headers={"Authorization": f"Bearer {plaintext}"},
    )
    assert refused.status_code == 401


# --------------------------------------------------------------------------- accounts


def test_disabled_account_is_signed_out_and_refused_until_enabled(
    app: Flask, login, client
) -> None:
    writer = app.test_client()
    assert _sign_in(writer, ACCOUNTS.writer_email, WRITER_PASSWORD) == 302
    assert writer.get("/", headers={"Accept": "text/html"}).status_code == 200

    login(ACCOUNTS.admin_email, ADMIN_PASSWORD)
    headers = dash_csrf_headers(client)
    disable = _set(
        _payload(app, f"{ids.ADMIN_ACCESS_USER_MESSAGE}.children"),
        {ids.ADMIN_ACCESS_DISABLE_CONFIRM: 1, ids.ADMIN_ACCESS_DISABLE_PENDING: 1,
         ids.ADMIN_ACCESS_VERSION: 0},
    )  # fmt: skip
    assert "is disabled and was signed out everywhere" in json.dumps(
        _post(client, disable, headers)
    )

    page = writer.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login")
    assert writer.post("/_dash-update-component", json={}).status_code == 401
    assert _sign_in(writer, ACCOUNTS.writer_email, WRITER_PASSWORD) == 401

    (toggle,) = [
        p for p in console_callbacks(app) if ids.ADMIN_ACCESS_DISABLE_CONFIRM in p["output"]
    ]
    toggle["inputs"][0][0]["id"] = {"action": "enable", "index": 1, "type": ids.ADMIN_ACCESS_TOGGLE}
    toggle["inputs"][0][0]["value"] = 1
    toggle["changedPropIds"] = [
        '{"action":"enable","index":1,"type":"admin-access-toggle"}.n_clicks'
    ]
    _set(toggle, {ids.ADMIN_ACCESS_VERSION: 1})
    assert "is enabled and can sign in again" in json.dumps(_post(client, toggle, headers))
    assert writer.get("/", headers={"Accept": "text/html"}).status_code == 302  # still ended
    assert _sign_in(writer, ACCOUNTS.writer_email, WRITER_PASSWORD) == 302
    assert writer.get("/", headers={"Accept": "text/html"}).status_code == 200
    with get_database(app).session() as session:
        actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["user.disable", "user.enable"]


def test_create_account_and_reset_password_through_the_app(app: Flask, login, client) -> None:
    login(ACCOUNTS.admin_email, ADMIN_PASSWORD)
    headers = dash_csrf_headers(client)
    form = ids.access_form_id
    create = _set(
        _payload(app, f"{ids.access_feedback_id('user', 'email')}.children"),
        {form("user", "submit"): 1, form("user", "email"): ACCOUNTS.writer_email,
         form("user", "role"): "writer", form("user", "writer"): "", form("user", "password"): "x",
         ids.ADMIN_ACCESS_VERSION: 0},
    )  # fmt: skip
    body = _post(client, create, headers)
    assert "already exists" in body[ids.access_feedback_id("user", "email")]["children"]
    assert body[form("user", "writer")]["invalid"] is True
    assert "at least 10" in body[ids.access_feedback_id("user", "password")]["children"]
    with get_database(app).session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 3

    _set(create, {form("user", "email"): "cleo@example.com", form("user", "writer"): "2",
                  form("user", "password"): "cleo-password-1"})  # fmt: skip
    assert "cleo@example.com created" in json.dumps(_post(client, create, headers))
    cleo = app.test_client()
    assert _sign_in(cleo, "cleo@example.com", "cleo-password-1") == 302
    assert cleo.get("/", headers={"Accept": "text/html"}).status_code == 200

    with get_database(app).session() as session:
        cleo_id = session.scalar(select(User.id).where(User.email == "cleo@example.com"))
    reset = _set(
        _payload(app, f"{ids.access_feedback_id('reset', 'password')}.children"),
        {form("reset", "submit"): 1, ids.ADMIN_ACCESS_RESET_USER: cleo_id,
         form("reset", "password"): "another-password", ids.ADMIN_ACCESS_VERSION: 1},
    )  # fmt: skip
    body = _post(client, reset, headers)
    assert body[ids.ADMIN_ACCESS_RESET_MODAL]["is_open"] is False
    assert cleo.get("/", headers={"Accept": "text/html"}).status_code == 302  # signed out
    assert _sign_in(cleo, "cleo@example.com", "cleo-password-1") == 401
    assert _sign_in(cleo, "cleo@example.com", "another-password") == 302


# --------------------------------------------------------------------------- jobs


def _run_now(app: Flask, client: FlaskClient, headers: dict, job: str) -> str:
    payload = _payload(app, f"{ids.ADMIN_JOBS_MESSAGE}.children")
    payload["inputs"][0][0]["id"] = {"index": job, "type": ids.ADMIN_JOBS_RUN}
    payload["inputs"][0][0]["value"] = 1
    payload["changedPropIds"] = [f'{{"index":"{job}","type":"admin-jobs-run"}}.n_clicks']
    _set(payload, {ids.ADMIN_JOBS_VERSION: 0})
    return json.dumps(_post(client, payload, headers)[ids.ADMIN_JOBS_MESSAGE])


@pytest.mark.parametrize("job", ["rollups"])
def test_run_now_runs_the_job_once(app: Flask, login, client, job: str) -> None:
    login(ACCOUNTS.admin_email, ADMIN_PASSWORD)
    headers = dash_csrf_headers(client)
    assert "Started rollups" in _run_now(app, client, headers, job)
    app.extensions[CONSOLE_KEY].join(timeout=30)
    with get_database(app).session() as session:
        run = session.scalar(select(JobRun))
        assert (run.job_name, run.trigger, run.status) == (job, "console", "succeeded")
        assert run.params == {"requested_by": "Admin"}
        now = utcnow()
        session.add(
            JobLock(
                job_name=job,
                holder="worker:9",
                acquired_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        )
        session.commit()
    message = _run_now(app, client, headers, job)
    assert "already running" in message
    assert "worker:9" in message
    app.extensions[CONSOLE_KEY].join(timeout=5)
    with get_database(app).session() as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 1
    poll = _set(
        _payload(
            app,
            f"{json.dumps({'index': ['ALL'], 'type': ids.ADMIN_JOBS_STATE}, separators=(',', ':'))}",
        ),
        {},
    )
    poll["outputs"][0] = [
        {"id": {"index": job, "type": ids.ADMIN_JOBS_STATE}, "property": "children"}
    ]
    poll["outputs"][1] = [
        {"id": {"index": job, "type": ids.ADMIN_JOBS_RUN}, "property": "disabled"}
    ]
    poll["outputs"][2] = [
        {"id": {"index": job, "type": ids.ADMIN_JOBS_RUN}, "property": "children"}
    ]
    body = _post(client, poll, headers)
    assert json.dumps(body).count("Running") >= 1  # the held lock shows as running
    assert body[ids.ADMIN_JOBS_POLL]["interval"] == 1000
