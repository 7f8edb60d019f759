"""Deny by default: every Dash route needs a session, admin pages and callbacks need the
admin role, and a writer's scope can't be widened by a forged callback request."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import (
    ACCOUNTS,
    ADMIN_PASSWORD,
    EXPECTED_WRITER_2_REVENUE,
    OTHER_WRITER_PASSWORD,
    WRITER_PASSWORD,
)
from tests.integration.conftest import dash_csrf_headers

DASH_GET_ROUTES = [
    "/",
    "/admin/platform",
    "/any/page",
    "/_dash-layout",
    "/_dash-dependencies",
    "/_reload-hash",
    "/_favicon.ico",
]


def dash_routes(app: Flask) -> list[str]:
    """Every Dash route of the app, with sample values for its variables."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in (
            "static",
            "bootstrap.static",
            "auth.login",
            "auth.logout",
            "health",
            "ingest.openapi",  # the ingest API's public OpenAPI document
        ):
            continue
        path = rule.rule.replace("<path:path>", "some/page")
        path = path.replace("<string:package_name>", "dash").replace(
            "<path:fingerprinted_path>", "dash-renderer/build/dash_renderer.v1.min.js"
        )
        path = path.replace("<path:filename>", "legato.css")
        paths.append(path)
    return paths


def overview_payload(writer_value: object) -> dict:
    outputs = [
        {"id": "overview-subtitle", "property": "children"},
        {"id": "overview-status", "property": "children"},
        {"id": "overview-kpis", "property": "children"},
        {"id": "overview-daily-chart", "property": "figure"},
    ]
    return {
        "output": "..overview-subtitle.children...overview-status.children..."
        "overview-kpis.children...overview-daily-chart.figure..",
        "outputs": outputs,
        "inputs": [
            {"id": "shell-writer-select", "property": "value", "value": writer_value},
            {"id": "shell-range-preset", "property": "value", "value": "7d"},
            {"id": "shell-range-dates", "property": "start_date", "value": None},
            {"id": "shell-range-dates", "property": "end_date", "value": None},
            {"id": "shell-compare", "property": "value", "value": "previous"},
            {"id": "overview-metric", "property": "value", "value": "revenue"},
        ],
        "changedPropIds": ["shell-writer-select.value"],
    }


def test_every_dash_route_refuses_anonymous_requests(app: Flask, client: FlaskClient) -> None:
    routes = dash_routes(app)
    assert "/_dash-update-component" in routes
    assert "/_dash-layout" in routes
    for path in routes:
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code in (302, 401), path
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), path
    refused = client.post("/_dash-update-component", json=overview_payload(None))
    assert refused.status_code == 401
    assert refused.json == {"error": {"status": 401, "message": "Sign in required."}}


@pytest.mark.parametrize("path", DASH_GET_ROUTES)
def test_json_clients_get_401_not_a_redirect(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_signed_in_writer_can_load_the_app(login, client: FlaskClient) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200


def test_writer_cannot_open_admin_pages(login, client: FlaskClient) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    page = client.get("/admin/platform", headers={"Accept": "text/html"})
    assert page.status_code == 403
    assert "administrators only" in page.get_data(as_text=True)


def test_writer_cannot_route_to_admin_page_inside_the_app(login, client: FlaskClient) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    router = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/admin/platform"},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    response = client.post(
        "/_dash-update-component", json=router, headers=dash_csrf_headers(client)
    )
    assert response.status_code == 403


def test_writer_cannot_call_admin_callbacks(login, client: FlaskClient) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    payload = {
        "output": "..admin-platform-status.children...admin-platform-kpis.children..."
        "admin-platform-writers.rowData..",
        "outputs": [
            {"id": "admin-platform-status", "property": "children"},
            {"id": "admin-platform-kpis", "property": "children"},
            {"id": "admin-platform-writers", "property": "rowData"},
        ],
        "inputs": [
            {"id": "shell-range-preset", "property": "value", "value": "7d"},
            {"id": "shell-range-dates", "property": "start_date", "value": None},
            {"id": "shell-range-dates", "property": "end_date", "value": None},
        ],
        "changedPropIds": ["shell-range-preset.value"],
    }
    response = client.post(
        "/_dash-update-component", json=payload, headers=dash_csrf_headers(client)
    )
    assert response.status_code == 403
    assert "Bram" not in response.get_data(as_text=True)


def _revenue_kpi_text(response) -> str:
    body = json.loads(response.get_data(as_text=True))
    return json.dumps(body["response"]["overview-kpis"]["children"])


def test_writer_forging_another_writers_id_gets_only_their_own_data(
    login, client: FlaskClient
) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    headers = dash_csrf_headers(client)
    own = client.post("/_dash-update-component", json=overview_payload(None), headers=headers)
    forged = client.post("/_dash-update-component", json=overview_payload(2), headers=headers)
    assert own.status_code == forged.status_code == 200
    forged_body = forged.get_data(as_text=True)
    assert "Ada Quill" in forged_body
    assert "Bram" not in forged_body
    assert "$100.00" not in _revenue_kpi_text(forged)  # writer 2's tip
    assert _revenue_kpi_text(own) == _revenue_kpi_text(forged)


def test_admin_can_pick_any_writer(login, client: FlaskClient) -> None:
    login(ACCOUNTS.admin_email, ADMIN_PASSWORD)
    headers = dash_csrf_headers(client)
    response = client.post("/_dash-update-component", json=overview_payload(2), headers=headers)
    assert response.status_code == 200
    assert "Bram Stoker-Lite" in response.get_data(as_text=True)
    expected = f"${EXPECTED_WRITER_2_REVENUE / 100:,.2f}"
    assert expected in _revenue_kpi_text(response)
    assert client.get("/admin/platform", headers={"Accept": "text/html"}).status_code == 200


def test_other_writer_sees_own_numbers(login, client: FlaskClient) -> None:
    login(ACCOUNTS.other_writer_email, OTHER_WRITER_PASSWORD)
    headers = dash_csrf_headers(client)
    response = client.post("/_dash-update-component", json=overview_payload(1), headers=headers)
    assert "Bram Stoker-Lite" in response.get_data(as_text=True)
    assert "Ada Quill" not in response.get_data(as_text=True)
