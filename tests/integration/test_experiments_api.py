"""The assignment API over the Flask test client: auth, errors, stickiness, exposures."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.analytics.assignment import assign
from app.auth.api_keys import create_api_key, revoke_api_key
from app.database import get_database
from data.experiments import (
    VariantInput,
    create_experiment,
    fold_exposure_events,
    start_experiment,
    update_experiment,
)
from data.models import Event, ExperimentExposure
from tests.experiments.helpers import ACTOR, form

URL = "/api/v1/experiments/cover-test/assignment"


@pytest.fixture
def write_key(app: Flask) -> str:
    with get_database(app).session() as session:
        _, plaintext = create_api_key(session, name="web", kind="write", source="web")
        create_experiment(session, form(), ACTOR)
        session.commit()
    return plaintext


def start(app: Flask) -> None:
    with get_database(app).session() as session:
        start_experiment(session, "cover-test", ACTOR)
        session.commit()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def counts(app: Flask) -> tuple[int, int]:
    with get_database(app).session() as session:
        exposures = session.scalar(select(func.count()).select_from(ExperimentExposure))
        events = session.scalar(
            select(func.count()).where(Event.event_type == "experiment_exposure")
        )
    return exposures, events


def test_missing_unknown_and_revoked_keys_get_401(app: Flask, client: FlaskClient, write_key):
    start(app)
    assert client.get(f"{URL}?user_id=u1").status_code == 401
    bad = client.get(f"{URL}?user_id=u1", headers=auth("lgw_nope"))
    assert bad.status_code == 401
    assert bad.json["error"]["code"] == "unauthorized"
    with get_database(app).session() as session:
        read_key = create_api_key(session, name="r", kind="read")[1]
        revoke_api_key(session, 1)
        session.commit()
    assert client.get(f"{URL}?user_id=u1", headers=auth(write_key)).status_code == 401
    assert client.get(f"{URL}?user_id=u1", headers=auth(read_key)).status_code == 401


def test_errors_for_missing_unit_unknown_and_not_running(app, client: FlaskClient, write_key):
    response = client.get(f"{URL}?user_id=u1", headers=auth(write_key))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_running"
    start(app)
    assert client.get(URL, headers=auth(write_key)).status_code == 400
    missing = client.get("/api/v1/experiments/nope/assignment?user_id=u1", headers=auth(write_key))
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "unknown_experiment"
    assert counts(app) == (0, 0)


def test_assignment_is_deterministic_sticky_and_recorded_once(app, client, write_key):
    start(app)
    with get_database(app).session() as session:
        from data.experiments import get_experiment

        salt = get_experiment(session, "cover-test").salt
    answers = {}
    for unit in ("u1", "u2", "u3", "u4", "u5", "u6"):
        body = client.get(f"{URL}?user_id={unit}", headers=auth(write_key)).json
        expected = assign("cover-test", salt, unit, [("control", 50), ("bright", 50)])
        assert body == {"experiment": "cover-test", "variant": expected, "in_experiment": True}
        answers[unit] = expected
    for _ in range(3):  # repeated calls: same answer, nothing more stored
        body = client.get(f"{URL}?user_id=u1", headers=auth(write_key)).json
        assert body["variant"] == answers["u1"]
    assert counts(app) == (6, 6)
    # Re-weighting a running test does not move units already exposed.
    with get_database(app).session() as session:
        weights = (VariantInput("control", "C", 1), VariantInput("bright", "B", 99))
        update_experiment(session, "cover-test", form(variants=weights), ACTOR)
        session.commit()
    for unit, variant in answers.items():
        body = client.get(f"{URL}?user_id={unit}", headers=auth(write_key)).json
        assert body["variant"] == variant
    # Folding the exposure events the API wrote changes nothing.
    with get_database(app).session() as session:
        assert fold_exposure_events(session) == 0


def test_units_outside_the_traffic_get_no_variant(app: Flask, client: FlaskClient, write_key):
    with get_database(app).session() as session:
        update_experiment(session, "cover-test", form(traffic_percent=1), ACTOR)
        start_experiment(session, "cover-test", ACTOR)
        session.commit()
    outside = [
        client.get(f"{URL}?user_id=reader-{i}", headers=auth(write_key)).json for i in range(30)
    ]
    assert any(body == {"experiment": "cover-test", "variant": None, "in_experiment": False}
               for body in outside)  # fmt: skip
    assert counts(app)[0] == sum(1 for body in outside if body["in_experiment"])


def test_basic_auth_and_anonymous_units_work(app: Flask, client: FlaskClient, write_key):
    start(app)
    import base64

    token = base64.b64encode(f"{write_key}:".encode()).decode()
    response = client.get(f"{URL}?anonymous_id=anon-1", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200
    assert response.json["in_experiment"] is True
    with get_database(app).session() as session:
        stored = session.scalars(
            select(Event).where(Event.event_type == "experiment_exposure")
        ).one()
    assert (stored.anonymous_id, stored.user_id, stored.source) == ("anon-1", None, "web")
    assert stored.properties == {"experiment": "cover-test", "variant": response.json["variant"]}
