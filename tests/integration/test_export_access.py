"""The Export page's background job through the real callback route (Flask test client):
it needs a session and the CSRF header like every callback, a writer's export holds only
their own data whatever the request says, and a ticket edited in the browser is refused.
The job runs in a real child process (Dash's DiskcacheManager)."""

from __future__ import annotations

import base64
import csv
import io
import time

from flask.testing import FlaskClient

from tests.factories import ACCOUNTS, WRITER_PASSWORD
from tests.integration.conftest import dash_csrf_headers

ROUTE = "/_dash-update-component"
JOB_OUTPUT = "..export-download.data...export-result.children.."


def request_payload(writer: object, file_format: str = "csv", table: str = "daily") -> dict:
    return {
        "output": "..export-ticket.data...export-message.children..",
        "outputs": [
            {"id": "export-ticket", "property": "data"},
            {"id": "export-message", "property": "children"},
        ],
        "inputs": [{"id": "export-button", "property": "n_clicks", "value": 1}],
        "state": [
            {"id": "shell-writer-select", "property": "value", "value": writer},
            {"id": "shell-range-preset", "property": "value", "value": "7d"},
            {"id": "shell-range-dates", "property": "start_date", "value": None},
            {"id": "shell-range-dates", "property": "end_date", "value": None},
            {"id": "shell-compare", "property": "value", "value": "previous"},
            {"id": "export-format", "property": "value", "value": file_format},
            {"id": "export-table", "property": "value", "value": table},
        ],
        "changedPropIds": ["export-button.n_clicks"],
    }


def job_payload(ticket: object) -> dict:
    return {
        "output": JOB_OUTPUT,
        "outputs": [
            {"id": "export-download", "property": "data"},
            {"id": "export-result", "property": "children"},
        ],
        "inputs": [{"id": "export-ticket", "property": "data", "value": ticket}],
        "changedPropIds": ["export-ticket.data"],
    }


def run_job(client: FlaskClient, headers: dict[str, str], ticket: object) -> dict:
    """Start the background job and poll it like the Dash renderer until it answers."""
    started = client.post(ROUTE, json=job_payload(ticket), headers=headers)
    assert started.status_code == 200, started.get_data(as_text=True)
    handles = started.get_json()
    assert set(handles) >= {"cacheKey", "job"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        polled = client.post(
            ROUTE,
            json=job_payload(ticket),
            headers=headers,
            query_string={"cacheKey": handles["cacheKey"], "job": handles["job"]},
        )
        assert polled.status_code in (200, 204)
        body = polled.get_json(silent=True) or {}
        if "response" in body:
            return body["response"]
        time.sleep(0.2)
    raise AssertionError("the export job did not finish within 60 s")


def test_export_job_needs_a_session_and_the_csrf_header(client: FlaskClient, login) -> None:
    anonymous = client.post(ROUTE, json=job_payload("ticket"))
    assert anonymous.status_code == 401
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    no_csrf = client.post(ROUTE, json=job_payload("ticket"))
    assert no_csrf.status_code == 400


def test_writer_export_holds_only_their_data(client: FlaskClient, login) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    headers = dash_csrf_headers(client)
    # The picker value of writer 2 is ignored for a writer account.
    issued = client.post(ROUTE, json=request_payload(2), headers=headers)
    assert issued.status_code == 200, issued.get_data(as_text=True)
    ticket = issued.get_json()["response"]["export-ticket"]["data"]
    result = run_job(client, headers, ticket)
    download = result["export-download"]["data"]
    assert download["filename"].startswith("legato-writer-1-daily-")
    assert download["type"] == "text/csv"
    content = base64.b64decode(download["content"]).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == 7
    assert sum(float(row["revenue"]) for row in rows) == 1698  # writer 2's $100 tip absent
    assert "Downloaded" in str(result["export-result"]["children"])


def test_edited_ticket_is_refused(client: FlaskClient, login) -> None:
    login(ACCOUNTS.writer_email, WRITER_PASSWORD)
    headers = dash_csrf_headers(client)
    issued = client.post(ROUTE, json=request_payload(None), headers=headers)
    ticket = issued.get_json()["response"]["export-ticket"]["data"]
    payload, _, signature = ticket.rpartition(".")
    edited = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    result = run_job(client, headers, edited)
    assert "export-download" not in result
    assert "not valid" in str(result["export-result"]["children"])
