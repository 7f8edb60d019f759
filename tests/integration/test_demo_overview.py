"""Acceptance: on the demo platform, the demo writer signs in and the Overview shows
non-zero numbers equal to a direct SQL count over raw events."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app import create_app
from app.database import get_database
from components.formatting import format_int, format_money
from components.ids import kpi_value_id
from data.demo import create_demo_accounts, generate_demo_platform
from tests.integration.conftest import CSRF_FIELD


@pytest.fixture
def demo_app(sqlite_url: str, tmp_path):
    server = create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": sqlite_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "demo-acceptance",
            "LOG_LEVEL": "WARNING",
        }
    )
    with get_database(server).session() as session:
        generate_demo_platform(session, seed=7, scale=0.03, days=40)
        accounts = create_demo_accounts(session)
        session.commit()
    return server, accounts


def _kpi_texts(response_json: dict) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(node) -> None:
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props.get("id"), str) and props["id"].startswith("kpi-"):
                found[props["id"]] = props.get("children")
            for value in props.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(response_json["response"]["overview-kpis"]["children"])
    return found


def test_demo_writer_overview_matches_raw_events(demo_app) -> None:
    server, accounts = demo_app
    email, password = next((a[0], a[1]) for a in accounts if a[2] == "writer" and a[3] == 1)
    client = server.test_client()
    token = CSRF_FIELD.search(client.get("/login").get_data(as_text=True)).group(1)
    signed_in = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert signed_in.status_code == 302
    client.get("/", headers={"Accept": "text/html"})
    headers = {"X-CSRFToken": client.get_cookie("_csrf_token").value}
    payload = {
        "output": "..overview-subtitle.children...overview-status.children..."
        "overview-kpis.children...overview-daily-chart.figure..",
        "outputs": [
            {"id": "overview-subtitle", "property": "children"},
            {"id": "overview-status", "property": "children"},
            {"id": "overview-kpis", "property": "children"},
            {"id": "overview-daily-chart", "property": "figure"},
        ],
        "inputs": [
            {"id": "shell-writer-select", "property": "value", "value": None},
            {"id": "shell-range-preset", "property": "value", "value": "28d"},
            {"id": "shell-range-dates", "property": "start_date", "value": None},
            {"id": "shell-range-dates", "property": "end_date", "value": None},
            {"id": "shell-compare", "property": "value", "value": "previous"},
            {"id": "overview-metric", "property": "value", "value": "views"},
        ],
        "changedPropIds": ["shell-range-preset.value"],
    }
    response = client.post("/_dash-update-component", json=payload, headers=headers)
    assert response.status_code == 200
    kpis = _kpi_texts(json.loads(response.get_data(as_text=True)))

    today = datetime.now(UTC).date()
    start = datetime.combine(today - timedelta(days=27), datetime.min.time())
    end = datetime.combine(today + timedelta(days=1), datetime.min.time())
    with get_database(server).session() as session:
        counts = session.execute(
            text(
                "SELECT"
                " sum(CASE WHEN event_type = 'chapter_start' THEN 1 ELSE 0 END),"
                " count(DISTINCT reader_id),"
                " sum(CASE WHEN event_type = 'follow' THEN 1 ELSE 0 END),"
                " sum(CASE WHEN event_type IN ('chapter_unlock', 'tip', 'subscribe')"
                "     THEN revenue_minor ELSE 0 END)"
                " FROM events WHERE writer_id = 1 AND occurred_at >= :start AND occurred_at < :end"
            ),
            {"start": start, "end": end},
        ).one()
    views, readers, follows, revenue = counts
    assert views > 0 and readers > 0 and revenue > 0  # noqa: PT018 (all must be non-zero)
    assert kpis[kpi_value_id("views")] == format_int(views)
    assert kpis[kpi_value_id("unique_readers")] == format_int(readers)
    assert kpis[kpi_value_id("follows")] == format_int(follows)
    assert kpis[kpi_value_id("revenue")] == format_money(revenue)
    assert re.fullmatch(r"\d+\.\d%", kpis[kpi_value_id("completion_rate")])
