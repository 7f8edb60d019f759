"""The Audience, Revenue, Growth and Export pages in headless Chromium: sign in through
the real form, change the date range and see the page update, download exports (CSV and
Excel) and read their rows, and (admins) switch writers. Known answers come from
tests/factories.py (writer 1: 5 views and $16.98 in the last 7 days, $3.00 ten days ago;
writer 2: a $100.00 tip)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium.webdriver.common.by import By

from components import ids
from components.ids import kpi_value_id
from tests.browser.helpers import TIMEOUT, click, select_value, signed_in
from tests.factories import ACCOUNTS, ADMIN_PASSWORD, WRITER_PASSWORD

pytestmark = pytest.mark.browser


def open_page(dash_duo, base: str, path: str, title_id: str, title: str) -> None:
    dash_duo.driver.get(f"{base}{path}")
    dash_duo.wait_for_text_to_equal(f"#{title_id}", title, timeout=TIMEOUT)


def pick(dash_duo, radio_id: str, label: str) -> None:
    """Click the option ``label`` of the radio items ``radio_id`` (scrolled into view;
    through the DOM, as the sticky navigation bar may cover it)."""
    option = dash_duo.driver.find_element(
        By.XPATH, f"//*[@id='{radio_id}']//label[normalize-space()='{label}']"
    )
    click(dash_duo, option)


def wait_for_value(dash_duo, key: str, text: str) -> None:
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id(key)}", text, timeout=TIMEOUT)


def wait_for_title(dash_duo, graph_id: str, text: str) -> None:
    dash_duo.wait_for_text_to_equal(f"#{graph_id} .gtitle", text, timeout=TIMEOUT)


def test_writer_audience_follows_the_date_range(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD)
    dash_duo.wait_for_contains_text(f"#{ids.NAV}", "Audience", timeout=TIMEOUT)
    open_page(dash_duo, base, "/audience", ids.AUDIENCE_TITLE, "Audience")
    # Last 28 days (the default): every active reader is new to writer 1.
    wait_for_value(dash_duo, "active_readers", "4")
    wait_for_value(dash_duo, "new_readers", "4")
    select_value(dash_duo, ids.RANGE_PRESET, "7d")
    # Readers 1 and 2 were already reading ten days ago: returning in the last 7 days.
    wait_for_value(dash_duo, "new_readers", "2")
    wait_for_value(dash_duo, "returning_readers", "2")
    wait_for_title(dash_duo, ids.AUDIENCE_NEW_RETURNING_CHART, "New vs returning readers")
    dash_duo.wait_for_element(f"#{ids.AUDIENCE_MAP} .choroplethlocation", timeout=TIMEOUT)
    dash_duo.wait_for_element(f"#{ids.AUDIENCE_COHORT_CHART} .hm", timeout=TIMEOUT)
    assert "range=7d" in dash_duo.driver.current_url
    # The entry-chapter heat map of the writer's most-read story.
    pick(dash_duo, ids.AUDIENCE_COHORT_MODE, "By entry chapter")
    wait_for_title(
        dash_duo, ids.AUDIENCE_COHORT_CHART, "Cohort retention by entry chapter · The Glass Orchard"
    )


def test_writer_revenue_and_growth_follow_the_date_range(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD)
    open_page(dash_duo, base, "/revenue", ids.REVENUE_TITLE, "Revenue")
    wait_for_value(dash_duo, "revenue", "$19.98")
    select_value(dash_duo, ids.RANGE_PRESET, "7d")
    wait_for_value(dash_duo, "revenue", "$16.98")
    wait_for_value(dash_duo, "paying_readers", "3")
    wait_for_title(dash_duo, ids.REVENUE_SOURCES_CHART, "Daily revenue by source")
    assert "forecasting job" in dash_duo.find_element(f"#{ids.REVENUE_FORECAST_NOTE}").text
    open_page(dash_duo, base, "/growth", ids.GROWTH_TITLE, "Growth")
    wait_for_value(dash_duo, "views_week", "5")
    wait_for_title(dash_duo, ids.GROWTH_TREND_CHART, "Views over the last 4 weeks")
    select_value(dash_duo, ids.RANGE_PRESET, "90d")
    wait_for_title(dash_duo, ids.GROWTH_TREND_CHART, "Views over the last 13 weeks")
    pick(dash_duo, ids.GROWTH_METRIC, "Revenue")
    wait_for_title(dash_duo, ids.GROWTH_TREND_CHART, "Revenue over the last 13 weeks")


def _downloaded(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if files:
            return files[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file arrived in {folder}")


def test_writer_downloads_csv_and_excel(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD)
    open_page(dash_duo, base, "/export?range=7d", ids.EXPORT_TITLE, "Export")
    dash_duo.wait_for_contains_text(f"#{ids.EXPORT_SUMMARY}", "7 rows", timeout=TIMEOUT)
    folder = Path(dash_duo.download_path)
    # CSV of the daily table.
    pick(dash_duo, ids.EXPORT_FORMAT, "CSV file (.csv): one table")
    dash_duo.wait_for_element(f"#{ids.EXPORT_TABLE}", timeout=TIMEOUT)
    dash_duo.find_element(f"#{ids.EXPORT_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{ids.EXPORT_RESULT}", "Downloaded", timeout=30)
    csv_file = _downloaded(folder, ".csv")
    assert csv_file.name.startswith("legato-writer-1-daily-")
    with csv_file.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7
    assert sum(float(row["views"]) for row in rows) == 5
    assert sum(float(row["revenue"]) for row in rows) == 1698
    # The Excel workbook: every table, one sheet each, only writer 1's stories.
    pick(dash_duo, ids.EXPORT_FORMAT, "Excel workbook (.xlsx): every table, one sheet each")
    dash_duo.find_element(f"#{ids.EXPORT_BUTTON}").click()
    workbook = load_workbook(_downloaded(folder, ".xlsx"))
    assert workbook.sheetnames == ["daily", "stories", "revenue"]
    stories = list(workbook["stories"].iter_rows(values_only=True))
    titles = [row[stories[0].index("title")] for row in stories[1:]]
    assert titles == ["The Glass Orchard", "Salt & Signal"]


def test_admin_switches_writers_on_revenue_and_audience(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.admin_email, ADMIN_PASSWORD)
    open_page(dash_duo, base, "/revenue?range=7d", ids.REVENUE_TITLE, "Revenue")
    wait_for_value(dash_duo, "revenue", "$116.98")
    dash_duo.wait_for_contains_text(f"#{ids.REVENUE_SUBTITLE}", "All writers", timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown(f"#{ids.WRITER_SELECT}", "Bram Stoker-Lite")
    wait_for_value(dash_duo, "revenue", "$100.00")
    dash_duo.wait_for_contains_text(f"#{ids.REVENUE_SUBTITLE}", "Bram Stoker-Lite", timeout=TIMEOUT)
    dash_duo.find_element(f"#{ids.NAV} a[href='/audience']").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.AUDIENCE_TITLE}", "Audience", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text(
        f"#{ids.AUDIENCE_SUBTITLE}", "Bram Stoker-Lite", timeout=TIMEOUT
    )
    wait_for_value(dash_duo, "active_readers", "2")
