"""Export files (``data.queries.export.export_file``) on tests/metrics_fixtures.py, on SQLite
and PostgreSQL: the workbook opened with openpyxl holds exactly the DataFrames' (and the
CSV's) headers, rows and values, with the documented formats."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from data.queries.export import (
    CSV_MIMETYPE,
    EXPORT_TABLES,
    MONEY_COLUMNS,
    XLSX_MIMETYPE,
    export_file,
    export_table,
    xlsx_bytes,
)
from data.queries.filters import FilterError, Period, Scope
from tests.metrics_fixtures import ALL_DAYS, build_metrics_platform, day

ADA = Scope(1)


@pytest.fixture
def platform(session):
    build_metrics_platform(session)
    return session


def _cell(value):
    """A DataFrame value as openpyxl reads it back (dates come back as datetimes)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def test_workbook_has_every_table_with_the_dataframes_values(platform) -> None:
    download = export_file(platform, ADA, ALL_DAYS, "xlsx")
    assert download.filename == "legato-writer-1-2026-01-05_2026-03-05.xlsx"
    assert download.mimetype == XLSX_MIMETYPE
    workbook = load_workbook(io.BytesIO(download.content))
    assert workbook.sheetnames == list(EXPORT_TABLES)
    for table in EXPORT_TABLES:
        frame = export_table(platform, ADA, ALL_DAYS, table)
        sheet = workbook[table]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == list(frame.columns)
        assert len(rows) - 1 == len(frame) > 0
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        for column, name in enumerate(frame.columns):
            expected = [_cell(value) for value in frame[name]]
            if name in MONEY_COLUMNS[table]:
                expected = [value / 100 for value in expected]  # major units of USD
            assert [row[column] for row in rows[1:]] == expected, (table, name)


def test_workbook_formats(platform) -> None:
    workbook = load_workbook(io.BytesIO(export_file(platform, ADA, ALL_DAYS, "xlsx").content))
    stories = workbook["stories"]
    header = [cell.value for cell in stories[1]]
    row = {name: stories.cell(row=2, column=i + 1) for i, name in enumerate(header)}
    assert (row["story_id"].value, row["title"].value, row["views"].value) == (
        10, "Glass Orchard", 15,
    )  # fmt: skip
    assert (row["revenue"].value, row["revenue"].number_format) == (17.99, "[$USD] #,##0.00")
    assert row["revenue_per_reader"].value == pytest.approx(1799 / 6 / 100)
    assert (row["completion_rate"].value, row["completion_rate"].number_format) == (0.8, "0.0%")
    assert row["views"].number_format == "#,##0"
    assert row["title"].data_type == "s"
    daily = workbook["daily"]
    assert daily["A2"].is_date
    assert daily["A2"].number_format == "yyyy-mm-dd"
    assert daily["A2"].value == datetime(2026, 1, 5)
    revenue = workbook["revenue"]
    d3 = next(r for r in revenue.iter_rows(min_row=2, values_only=True) if r[0].day == 8)
    assert d3 == (datetime(2026, 1, 8), 0, 5.0, 0, 5.0)  # r3's 500-cent tip on d3


def test_csv_equals_the_dataframe_and_the_workbook(platform) -> None:
    period = Period(day(0), day(9))
    workbook = load_workbook(io.BytesIO(export_file(platform, ADA, period, "xlsx").content))
    for table in EXPORT_TABLES:
        download = export_file(platform, ADA, period, "csv", [table])
        assert download.filename == f"legato-writer-1-{table}-2026-01-05_2026-01-14.csv"
        assert download.mimetype == CSV_MIMETYPE
        rows = _csv_rows(download.content)
        frame = export_table(platform, ADA, period, table)
        assert rows[0] == list(frame.columns)
        assert len(rows) - 1 == len(frame)
        sheet_rows = list(workbook[table].iter_rows(min_row=2, values_only=True))
        for csv_row, sheet_row in zip(rows[1:], sheet_rows, strict=True):
            for name, text, cell in zip(frame.columns, csv_row, sheet_row, strict=True):
                if isinstance(cell, datetime):
                    assert text == cell.date().isoformat()
                elif isinstance(cell, str):
                    assert text == cell
                elif name in MONEY_COLUMNS[table]:
                    assert float(text) / 100 == pytest.approx(cell)
                else:
                    assert float(text) == cell, (table, name)
    stories = _csv_rows(export_file(platform, ADA, ALL_DAYS, "csv", ["stories"]).content)
    assert stories[1][:7] == ["10", "Glass Orchard", "fantasy", "ongoing", "1", "4", "15"]


def test_one_sheet_and_platform_filenames(platform) -> None:
    download = export_file(platform, Scope(), ALL_DAYS, "xlsx", ["revenue"])
    assert download.filename == "legato-platform-revenue-2026-01-05_2026-03-05.xlsx"
    workbook = load_workbook(io.BytesIO(download.content))
    assert workbook.sheetnames == ["revenue"]
    assert sum(row[4] for row in workbook["revenue"].iter_rows(min_row=2, values_only=True)) == (
        pytest.approx((1799 + 10_000) / 100)
    )


def test_empty_scope_gives_headers_only(platform) -> None:
    workbook = load_workbook(io.BytesIO(export_file(platform, Scope(3), ALL_DAYS, "xlsx").content))
    assert workbook["stories"].max_row == 1  # Cleo has no stories: the header row only
    assert [cell.value for cell in workbook["stories"][1]][:2] == ["story_id", "title"]
    assert workbook["daily"].max_row == 61  # one row per day, zeros


@pytest.mark.parametrize(
    ("file_format", "tables", "currency", "message"),
    [
        ("pdf", None, "USD", "format must be one of csv, xlsx"),
        ("xlsx", ["secrets"], "USD", "table must be one of daily, stories, revenue"),
        ("xlsx", [], "USD", "at least one table"),
        ("xlsx", ["daily", "daily"], "USD", "must not repeat"),
        ("csv", None, "USD", "a csv file holds one table"),
        ("csv", ["daily", "stories"], "USD", "a csv file holds one table"),
        ("xlsx", None, "usd", "3-letter ISO 4217"),
    ],
)
def test_invalid_requests_raise_filter_errors(
    platform, file_format, tables, currency, message
) -> None:
    with pytest.raises(FilterError, match=message):
        export_file(platform, ADA, ALL_DAYS, file_format, tables, currency=currency)


def test_xlsx_keeps_text_as_text_and_formats_other_currencies() -> None:
    frame = pd.DataFrame(
        {
            "story_id": [1, 2],
            "title": ['=HYPERLINK("http://x")', "bell\x07 ok"],
            "revenue": [1799, None],
            "when": [pd.Timestamp("2026-01-05 10:30"), pd.NaT],
        }
    )
    workbook = load_workbook(io.BytesIO(xlsx_bytes({"stories": frame}, currency="JPY")))
    sheet = workbook["stories"]
    assert sheet["B2"].value == '=HYPERLINK("http://x")'
    assert sheet["B2"].data_type == "s"  # not a formula
    assert sheet["B3"].value == "bell ok"  # a control character XML cannot carry is dropped
    assert (sheet["C2"].value, sheet["C2"].number_format) == (1799, "[$JPY] #,##0")
    assert sheet["C3"].value is None
    assert sheet["D2"].value == datetime(2026, 1, 5, 10, 30)
    assert sheet["D3"].value is None
