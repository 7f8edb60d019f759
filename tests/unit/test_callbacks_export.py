"""Export callbacks as plain functions on tests/factories.py's small platform: the export
request is resolved from the account (never the picker, for writers), travels to the
background job as a signed ticket, and the job builds exactly the file the ticket names."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from callbacks.common import AccessDenied, Viewer
from callbacks.export import (
    ExportRequest,
    build_export_summary,
    export_request,
    issue_ticket,
    read_ticket,
    run_export,
)
from data.queries.export import CSV_MIMETYPE, XLSX_MIMETYPE
from data.queries.filters import FilterError, Scope
from tests.factories import build_small_platform

TODAY = datetime.now(UTC).date()
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")
SECRET = "export-test-secret"


@pytest.fixture
def platform(session):
    build_small_platform(session, TODAY)
    return session


def _request(session, viewer, writer, file_format="csv", table="daily", preset="7d"):
    return export_request(
        session, viewer, writer, preset, None, None, "previous", file_format, table, today=TODAY
    )


def test_writer_request_is_scoped_to_their_own_data(platform) -> None:
    request = _request(platform, WRITER, 2)  # the picker value of another writer is ignored
    assert request.scope == Scope(writer_id=1)
    assert request.who == "Ada Quill"
    assert (request.start, request.end) == (TODAY - timedelta(days=6), TODAY)
    assert (request.file_format, request.tables) == ("csv", ("daily",))
    assert _request(platform, WRITER, 0, "xlsx").tables is None
    admin = _request(platform, ADMIN, 2)
    assert admin.scope == Scope(writer_id=2)
    assert _request(platform, ADMIN, 0).scope == Scope(writer_id=None)
    with pytest.raises(FilterError, match="Excel or CSV"):
        _request(platform, WRITER, None, "pdf")
    with pytest.raises(FilterError, match="table"):
        _request(platform, WRITER, None, "csv", "everything")
    with pytest.raises(AccessDenied):
        _request(platform, Viewer(5, "writer", None, "Nobody"), None)


def test_ticket_round_trip_and_refusals() -> None:
    request = ExportRequest(1, 1, "Ada Quill", TODAY - timedelta(days=6), TODAY, "xlsx", None)
    ticket = issue_ticket(request, SECRET)
    assert read_ticket(ticket, SECRET) == request
    # A ticket signed with another key, or edited in the browser, is refused.
    with pytest.raises(AccessDenied, match="not valid"):
        read_ticket(ticket, "another-secret")
    payload, _, signature = ticket.rpartition(".")
    with pytest.raises(AccessDenied, match="not valid"):
        read_ticket(payload.replace("A", "B", 1) + "." + signature, SECRET)
    forged = issue_ticket(request, "guessed-secret")
    with pytest.raises(AccessDenied):
        read_ticket(forged, SECRET)
    for junk in (None, "", 42, {"writer": 2}):
        with pytest.raises(AccessDenied):
            read_ticket(junk, SECRET)
    with pytest.raises(AccessDenied, match="expired"):
        read_ticket(ticket, SECRET, max_age=-1)


def test_csv_export_of_the_daily_table(platform) -> None:
    request = _request(platform, WRITER, 2, "csv", "daily")
    seen: list[tuple[int, str]] = []
    result = run_export(
        platform,
        read_ticket(issue_ticket(request, SECRET), SECRET),
        progress=lambda percent, label: seen.append((percent, label)),
    )
    start = TODAY - timedelta(days=6)
    assert result.filename == f"legato-writer-1-daily-{start.isoformat()}_{TODAY.isoformat()}.csv"
    assert result.mimetype == CSV_MIMETYPE
    rows = list(csv.DictReader(io.StringIO(result.content.decode("utf-8"))))
    assert [row["day"] for row in rows] == [
        (start + timedelta(days=offset)).isoformat() for offset in range(7)
    ]
    assert sum(float(row["views"]) for row in rows) == 5
    assert sum(float(row["revenue"]) for row in rows) == 1698  # minor units, writer 1 only
    assert [percent for percent, _ in seen] == [10, 30, 100]
    assert "for Ada Quill" in seen[1][1]


def test_excel_export_holds_every_table(platform) -> None:
    request = _request(platform, WRITER, None, "xlsx")
    result = run_export(platform, request, currency="USD")
    assert result.mimetype == XLSX_MIMETYPE
    assert result.filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(result.content))
    assert workbook.sheetnames == ["daily", "stories", "revenue"]
    stories = list(workbook["stories"].iter_rows(values_only=True))
    header, body = stories[0], stories[1:]
    titles = [row[header.index("title")] for row in body]
    assert titles == ["The Glass Orchard", "Salt & Signal"]  # never Bram's Night Ledger
    revenue = list(workbook["revenue"].iter_rows(values_only=True))
    assert sum(row[revenue[0].index("total")] for row in revenue[1:]) == pytest.approx(16.98)


def test_admin_exports_the_platform(platform) -> None:
    request = _request(platform, ADMIN, 0, "csv", "stories")
    result = run_export(platform, request)
    assert result.filename.startswith("legato-platform-stories-")
    titles = [row["title"] for row in csv.DictReader(io.StringIO(result.content.decode()))]
    assert titles == ["The Glass Orchard", "Salt & Signal", "Night Ledger"]


def test_summary_lists_tables_and_rows(platform) -> None:
    view = build_export_summary(
        platform, WRITER, None, "28d", None, None, "previous", "xlsx", "daily", today=TODAY
    )
    text = json.dumps(
        view.summary.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False
    )
    assert "Daily metrics" in text
    assert "Stories" in text
    assert "Revenue by day" in text
    assert " · 28 rows" in text
    assert " · 2 rows" in text
    assert view.table_style == {"display": "none"}
    csv_view = build_export_summary(
        platform, WRITER, None, "28d", None, None, "previous", "csv", "stories", today=TODAY
    )
    csv_text = json.dumps(
        csv_view.summary.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False
    )
    assert "Stories" in csv_text
    assert "Daily metrics" not in csv_text
    assert csv_view.table_style == {}
