"""Experiments pages are admin-only: writers get 403 on every page and callback; an
invalid form submitted by an admin shows field messages and changes nothing."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.dash_app import EXTENSION_KEY
from app.database import get_database
from data.experiments import create_experiment
from data.models import AuditLog, Experiment
from tests.experiments.helpers import ACTOR, form
from tests.factories import ACCOUNTS, ADMIN_PASSWORD, WRITER_PASSWORD
from tests.integration.conftest import dash_csrf_headers

PAGES = ["/admin/experiments", "/admin/experiments/cover-test"]


def experiment_callbacks(app: Flask) -> list[dict]:
    """A request payload for every callback of the experiments pages."""
    dash_app = app.extensions[EXTENSION_KEY]
    payloads = []
    for spec in dash_app._callback_list:
        if "admin-exp" not in spec["output"]:
            continue
        outputs = [
            {
                "id": part.rsplit(".", 1)[0].split("@")[0],
                "property": part.rsplit(".", 1)[1].split("@")[0],
            }
            for part in spec["output"].strip(".").split("...")
        ]
        inputs = [{"id": i["id"], "property": i["property"], "value": None} for i in spec["inputs"]]
        payloads.append(
            {
                "output": spec["output"],
                "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": inputs,
                "state": [
                    {"id": s["id"], "property": s["property"], "value": None} for s in spec["state"]
                ],
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
            }
        )
    return payloads


def test_writer_gets_403_on_every_experiment_page_and_callback(app: Flask, login, client) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    for path in PAGES:
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 403, path
    headers = dash_csrf_headers(client)
    payloads = experiment_callbacks(app)
    assert len(payloads) >= 7
    for payload in payloads:
        response = client.post("/_dash-update-component", json=payload, headers=headers)
        assert response.status_code == 403, payload["output"]
    nav = client.get("/_dash-layout").get_data(as_text=True)
    assert "admin-exp" not in nav


def test_admin_can_open_the_pages(app: Flask, login, client) -> None:
    login(ACCOUNTS.admin_email, ADMIN_PASSWORD)
    for path in PAGES:
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 200, path


def _create_payload(app: Flask, values: dict[str, object]) -> dict:
    (payload,) = [p for p in experiment_callbacks(app) if "admin-exp-new-redirect" in p["output"]]
    payload["inputs"][0]["value"] = 1
    for state in payload["state"]:
        field = state["id"].removeprefix("admin-exp-new-")
        state["value"] = values.get(field)
    return payload


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"key": "Bad key", "name": "X"}, "lowercase letters"),
        ({"key": "ok", "name": "X", "variant-weight-1": 70}, "sum to 100%"),
    ],
)
def test_invalid_form_shows_field_messages_and_changes_nothing(
    app: Flask, login, client: FlaskClient, values: dict, message: str
) -> None:
    login(ACCOUNTS.admin_email, ADMIN_PASSWORD)
    headers = dash_csrf_headers(client)
    base = {
        "variant-key-0": "control",
        "variant-weight-0": 50,
        "variant-key-1": "treatment",
        "variant-weight-1": 50,
        "goal": ["unlock_conversion"],
        "engine": "bayesian",
        "traffic": 100,
        "window": 7,
    }
    payload = _create_payload(app, {**base, **values})
    response = client.post("/_dash-update-component", json=payload, headers=headers)
    assert response.status_code == 200
    body = json.dumps(response.json["response"])
    assert message in body
    assert "admin-exp-new-redirect" not in response.json["response"]  # no navigation
    with get_database(app).session() as session:
        assert session.scalar(select(func.count()).select_from(Experiment)) == 0
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 0
    # And a valid one is created and audited under the admin's name.
    ok = _create_payload(app, {**base, "key": "good", "name": "Good"})
    response = client.post("/_dash-update-component", json=ok, headers=headers)
    assert response.json["response"]["admin-exp-new-redirect"]["href"] == "/admin/experiments/good"
    with get_database(app).session() as session:
        audit = session.scalars(select(AuditLog)).one()
        assert audit.actor_user_id is not None
        assert audit.action == "experiment.create"


def test_results_page_callback_renders_for_admin(app: Flask, login, client) -> None:
    with get_database(app).session() as session:
        create_experiment(session, form(), ACTOR)
        session.commit()
    login(ACCOUNTS.admin_email, ADMIN_PASSWORD)
    headers = dash_csrf_headers(client)
    (payload,) = [p for p in experiment_callbacks(app) if "admin-exp-header" in p["output"]]
    payload["inputs"][0]["value"] = "cover-test"
    response = client.post("/_dash-update-component", json=payload, headers=headers)
    assert response.status_code == 200
    text = json.dumps(response.json["response"])
    assert "New cover" in text
    assert "No exposures yet" in text
