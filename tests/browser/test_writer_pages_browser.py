"""Browser tests of the shared filters (kept in the URL), the Overview chart, the Stories
table and the story page, in headless Chromium: sign in through the real form, change the
period and the comparison, open a story from the table, try another writer's story by
URL, and switch writers as an admin. Known answers come from tests/factories.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By

from components import ids
from components.ids import kpi_value_id
from tests.browser.helpers import TIMEOUT, select_value, signed_in, wait_until
from tests.factories import ACCOUNTS, ADMIN_PASSWORD, WRITER_PASSWORD

pytestmark = pytest.mark.browser


def query(dash_duo) -> dict[str, str]:
    """The address bar's query string as a dict."""
    return {k: v[0] for k, v in parse_qs(urlsplit(dash_duo.driver.current_url).query).items()}


def path(dash_duo) -> str:
    return urlsplit(dash_duo.driver.current_url).path


def chart_traces(dash_duo, graph_id: str) -> list[tuple[str, int]]:
    """``(name, number of points)`` of each trace the browser drew in ``graph_id``."""
    traces = dash_duo.driver.execute_script(
        "const plot = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return plot && plot.data ? plot.data.map(t => [t.name || '', (t.x || []).length]) : [];",
        f"#{graph_id}",
    )
    return [(name, count) for name, count in traces]


def pick_writer(dash_duo, name: str) -> None:
    """Choose ``name`` in the admin writer picker (a Dash 4 dropdown: a button opening a
    list of options), waiting for the option to be there."""
    dash_duo.find_element(f"#{ids.WRITER_SELECT}").click()

    def option():
        for element in dash_duo.driver.find_elements(
            By.CSS_SELECTOR, ".dash-dropdown-options .dash-dropdown-option"
        ):
            if element.text == name and element.is_displayed():
                return element
        return None

    wait_until(dash_duo, option, f"writer option {name}").click()


def control_value(dash_duo, element_id: str) -> str:
    return dash_duo.driver.find_element(By.ID, element_id).get_attribute("value")


def shown(day: date) -> str:
    """A day as the date picker shows it ("Nov 18, 2026")."""
    return f"{day:%b} {day.day}, {day.year}"


def grid_cell(dash_duo, row_id: str, column: str) -> str:
    return f'#{ids.STORIES_GRID} .ag-center-cols-container .ag-row[row-id="{row_id}"] [col-id="{column}"]'


def test_changing_the_period_updates_the_charts_and_the_url(dash_duo, dash_app) -> None:
    signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD)
    # The default view is written into the address bar on load.
    wait_until(dash_duo, lambda: query(dash_duo) == {"range": "28d", "compare": "previous"}, "url")
    wait_until(
        dash_duo,
        lambda: ("Views", 27) in chart_traces(dash_duo, ids.OVERVIEW_CHART),
        "28-day chart (27 complete days + today)",
    )
    select_value(dash_duo, ids.RANGE_PRESET, "7d")
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id('views')}", "5", timeout=TIMEOUT)
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id('revenue')}", "$16.98", timeout=TIMEOUT)
    wait_until(
        dash_duo,
        lambda: ("Views", 6) in chart_traces(dash_duo, ids.OVERVIEW_CHART),
        "the chart shows the 7-day period",
    )
    wait_until(dash_duo, lambda: query(dash_duo).get("range") == "7d", "range in the url")
    assert path(dash_duo) == "/"
    select_value(dash_duo, ids.COMPARE_SELECT, "year")
    wait_until(dash_duo, lambda: query(dash_duo).get("compare") == "year", "compare in the url")
    dash_duo.wait_for_contains_text(
        f"#{ids.OVERVIEW_KPIS}", "same period last year", timeout=TIMEOUT
    )
    wait_until(
        dash_duo,
        lambda: chart_traces(dash_duo, ids.OVERVIEW_CHART)[:1] == [("Same period last year", 7)],
        "the comparison line is last year's",
    )
    dash_duo.wait_for_contains_text(f"#{ids.RANGE_LABEL}", "compared with", timeout=TIMEOUT)
    # The filters travel with the navigation: the Stories page opens on the same view.
    dash_duo.driver.find_element(By.LINK_TEXT, "Stories").click()
    dash_duo.wait_for_text_to_equal(grid_cell(dash_duo, "10", "views"), "4", timeout=TIMEOUT)
    assert path(dash_duo) == "/stories"
    wait_until(
        dash_duo, lambda: query(dash_duo) == {"range": "7d", "compare": "year"}, "query kept"
    )
    assert dash_duo.get_logs() == [] or all(
        "favicon" in entry["message"] for entry in dash_duo.get_logs()
    )


def test_a_link_with_a_query_string_sets_the_controls(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD)
    today = datetime.now(UTC).date()
    first = today - timedelta(days=6)
    dash_duo.driver.get(f"{base}/?start={first.isoformat()}&end={today.isoformat()}&compare=year")
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id('views')}", "5", timeout=TIMEOUT)
    wait_until(dash_duo, lambda: control_value(dash_duo, ids.RANGE_PRESET) == "custom", "custom")
    assert control_value(dash_duo, ids.COMPARE_SELECT) == "year"
    assert control_value(dash_duo, ids.RANGE_DATES) == shown(first)
    assert control_value(dash_duo, f"{ids.RANGE_DATES}-end-date") == shown(today)
    assert dash_duo.find_element(f"#{ids.RANGE_DATES}").is_displayed()
    # The address bar now holds the canonical form of the same view.
    wait_until(
        dash_duo,
        lambda: (
            query(dash_duo)
            == {
                "range": "custom",
                "start": first.isoformat(),
                "end": today.isoformat(),
                "compare": "year",
            }
        ),
        "canonical query",
    )
    dash_duo.driver.get(f"{base}/stories?range=90d")
    wait_until(dash_duo, lambda: control_value(dash_duo, ids.RANGE_PRESET) == "90d", "90d")
    assert control_value(dash_duo, ids.COMPARE_SELECT) == "previous"
    assert not dash_duo.find_element(f"#{ids.RANGE_DATES}").is_displayed()
    dash_duo.wait_for_text_to_equal(grid_cell(dash_duo, "10", "views"), "6", timeout=TIMEOUT)


def test_open_a_story_from_the_table(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD)
    dash_duo.driver.get(f"{base}/stories?range=7d&compare=previous")
    dash_duo.wait_for_text_to_equal(grid_cell(dash_duo, "10", "views"), "4", timeout=TIMEOUT)
    dash_duo.wait_for_text_to_equal(grid_cell(dash_duo, "11", "revenue"), "$9.99", timeout=TIMEOUT)
    dash_duo.find_element(grid_cell(dash_duo, "10", "views")).click()
    dash_duo.wait_for_text_to_equal(f"#{ids.STORY_TITLE}", "The Glass Orchard", timeout=TIMEOUT)
    assert path(dash_duo) == "/stories/10"
    wait_until(
        dash_duo, lambda: query(dash_duo) == {"range": "7d", "compare": "previous"}, "query kept"
    )
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id('views')}", "4", timeout=TIMEOUT)
    wait_until(
        dash_duo,
        lambda: ("All readers", 2) in chart_traces(dash_duo, ids.STORY_RETENTION_CHART),
        "retention curve",
    )
    assert ("Conversion", 1) in chart_traces(dash_duo, ids.STORY_PAYWALL_CHART)
    dash_duo.wait_for_contains_text(f"#{ids.STORY_COMPARISON}", "Your median", timeout=TIMEOUT)
    # Back to the table, still on the same period.
    dash_duo.driver.find_element(By.LINK_TEXT, "All stories").click()
    dash_duo.wait_for_text_to_equal(grid_cell(dash_duo, "10", "views"), "4", timeout=TIMEOUT)
    assert path(dash_duo) == "/stories"


def test_writer_cannot_reach_another_writers_story_by_url(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD)
    for story in ("20", "999"):  # writer 2's story, and no story at all: the same answer
        dash_duo.driver.get(f"{base}/stories/{story}?range=90d")
        dash_duo.wait_for_text_to_equal(f"#{ids.STORY_TITLE}", "Story not found", timeout=TIMEOUT)
        dash_duo.wait_for_contains_text(
            "#story-not-found", "We can't show this story", timeout=TIMEOUT
        )
        assert not dash_duo.find_element(f"#{ids.STORY_CONTENT}").is_displayed()
        assert "Night Ledger" not in dash_duo.driver.page_source
        assert chart_traces(dash_duo, ids.STORY_RETENTION_CHART) == []


def test_admin_switches_writers(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.admin_email, ADMIN_PASSWORD)
    dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_SUBTITLE}", "All writers", timeout=TIMEOUT)
    assert dash_duo.find_element(f"#{ids.WRITER_SELECT_WRAPPER}").is_displayed()
    select_value(dash_duo, ids.RANGE_PRESET, "7d")
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id('views')}", "7", timeout=TIMEOUT)
    pick_writer(dash_duo, "Bram Stoker-Lite")
    dash_duo.wait_for_contains_text(
        f"#{ids.OVERVIEW_SUBTITLE}", "Bram Stoker-Lite", timeout=TIMEOUT
    )
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id('revenue')}", "$100.00", timeout=TIMEOUT)
    wait_until(dash_duo, lambda: query(dash_duo).get("writer") == "2", "writer in the url")
    # The link reproduces the view: a fresh load shows Bram again.
    dash_duo.driver.get(dash_duo.driver.current_url)
    dash_duo.wait_for_contains_text(
        f"#{ids.OVERVIEW_SUBTITLE}", "Bram Stoker-Lite", timeout=TIMEOUT
    )
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id('revenue')}", "$100.00", timeout=TIMEOUT)
    # Admins open any story, whichever writer the picker shows.
    dash_duo.driver.get(f"{base}/stories/10?range=7d&writer=2")
    dash_duo.wait_for_text_to_equal(f"#{ids.STORY_TITLE}", "The Glass Orchard", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text(f"#{ids.STORY_SUBTITLE}", "by Ada Quill", timeout=TIMEOUT)
