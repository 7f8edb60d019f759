"""Overview and shell callbacks as plain functions with the session fixture."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from callbacks.admin_platform import build_platform
from callbacks.common import AccessDenied, Viewer, resolve_period, resolve_scope
from callbacks.overview import build_overview, hiatus_bands
from callbacks.shell import filter_parts, nav_items_for, period_label, writer_picker
from components.ids import kpi_value_id
from components.shell import nav_links
from data.queries.filters import FilterError, Period, Scope
from tests.factories import build_small_platform

TODAY = datetime.now(UTC).date()
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")


@pytest.fixture
def platform(session):
    build_small_platform(session, TODAY)
    return session


def _find_text(component, component_id: str) -> str:
    tree = json.loads(json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json()))

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == component_id:
                return props.get("children")
            for value in props.values():
                result = walk(value)
                if result is not None:
                    return result
        elif isinstance(node, list):
            for item in node:
                result = walk(item)
                if result is not None:
                    return result
        return None

    return walk(tree)


def test_writer_overview_shows_their_numbers(platform) -> None:
    view = build_overview(platform, WRITER, None, "7d", None, None, "revenue", today=TODAY)
    assert view.subtitle.startswith("Ada Quill")
    assert _find_text(view.kpis, kpi_value_id("views")) == "5"
    assert _find_text(view.kpis, kpi_value_id("revenue")) == "$16.98"
    assert _find_text(view.kpis, kpi_value_id("completion_rate")) == "40.0%"
    assert view.status is None
    assert view.figure.layout.title.text == "Daily revenue"
    names = [trace.name for trace in view.figure.data]
    assert names == ["Previous period", "Today so far", "Revenue"]
    complete_days, today_so_far = view.figure.data[2], view.figure.data[1]
    assert len(complete_days.y) == 6
    assert len(today_so_far.y) == 2
    assert sum(complete_days.y) + today_so_far.y[-1] == pytest.approx(16.98)


def test_writer_cannot_widen_scope_with_picker_value(platform) -> None:
    forged = build_overview(platform, WRITER, 2, "7d", None, None, "views", today=TODAY)
    assert forged.subtitle.startswith("Ada Quill")
    assert resolve_scope(WRITER, 2) == Scope(writer_id=1)
    assert resolve_scope(WRITER, "0") == Scope(writer_id=1)


def test_admin_chooses_writer_or_platform(platform) -> None:
    assert resolve_scope(ADMIN, 2) == Scope(writer_id=2)
    assert resolve_scope(ADMIN, 0) == Scope(writer_id=None)
    assert resolve_scope(ADMIN, "junk") == Scope(writer_id=None)
    view = build_overview(platform, ADMIN, 2, "7d", None, None, "views", today=TODAY)
    assert view.subtitle.startswith("Bram Stoker-Lite")
    everyone = build_overview(platform, ADMIN, 0, "7d", None, None, "views", today=TODAY)
    assert everyone.subtitle.startswith("All writers")
    assert _find_text(everyone.kpis, kpi_value_id("views")) == "7"
    with pytest.raises(AccessDenied):
        build_overview(platform, ADMIN, 99, "7d", None, None, "views", today=TODAY)


def test_unlinked_writer_account_is_denied(platform) -> None:
    with pytest.raises(AccessDenied):
        resolve_scope(Viewer(9, "writer", None, "x"), None)


def test_empty_period_shows_an_explaining_empty_state(platform) -> None:
    start = (TODAY + timedelta(days=30)).isoformat()
    end = (TODAY + timedelta(days=40)).isoformat()
    view = build_overview(platform, WRITER, None, "custom", start, end, "views", today=TODAY)
    assert view.status is not None
    assert "Nothing was read in this period" in json.dumps(
        view.status.to_plotly_json(), default=str
    )


def test_period_parsing() -> None:
    assert resolve_period("7d", None, None, TODAY) == Period.last_days(7, TODAY)
    assert resolve_period("bogus", None, None, TODAY) == Period.last_days(28, TODAY)
    custom = resolve_period("custom", "2026-01-01", "2026-01-31T00:00:00", TODAY)
    assert custom.days == 31
    with pytest.raises(FilterError, match="Pick a start"):
        resolve_period("custom", None, "2026-01-31", TODAY)
    with pytest.raises(FilterError, match="after the end"):
        resolve_period("custom", "2026-02-01", "2026-01-31", TODAY)
    assert "compared with" in period_label("28d", None, None)
    assert (
        period_label("custom", None, None) == "Pick a start and an end date for the custom range."
    )


def test_navigation_depends_on_role(platform) -> None:
    writer_nav = [item.href for item in nav_items_for(WRITER)]
    admin_nav = [item.href for item in nav_items_for(ADMIN)]
    assert writer_nav[:2] == ["/", "/stories"]
    assert not any(href.startswith("/admin") for href in writer_nav)
    assert "/stories/story" not in writer_nav  # the story page is reached from the table
    assert admin_nav[: len(writer_nav)] == writer_nav  # writer pages first, then admin ones
    admin_only = admin_nav[len(writer_nav) :]
    assert {"/admin/platform", "/admin/experiments"} <= set(admin_only)
    assert all(href.startswith("/admin") for href in admin_only)
    assert writer_picker(platform, WRITER, 2) == ([], None)
    options, value = writer_picker(platform, ADMIN, 2)
    assert value == 2
    assert [o["value"] for o in options] == [0, 1, 2]
    assert writer_picker(platform, ADMIN, 77)[1] == 0


def _tree(components) -> str:
    return json.dumps(
        [component.to_plotly_json() for component in components],
        default=lambda o: o.to_plotly_json(),
    )


def test_admin_pages_are_grouped_under_one_menu() -> None:
    writer_links = nav_links(nav_items_for(WRITER), "/stories")
    admin_links = nav_links(nav_items_for(ADMIN), "/admin/jobs")
    assert "Admin" not in _tree(writer_links)
    assert "/admin/" not in _tree(writer_links)
    # One more top-level entry than the writer pages: the "Admin" menu holding them all.
    assert len(admin_links) == len(writer_links) + 1
    menu = admin_links[-1].to_plotly_json()["props"]
    assert menu["id"] == "shell-admin-menu"
    hrefs = [item.href for item in menu["children"]]
    assert hrefs == [item.href for item in nav_items_for(ADMIN) if item.admin]
    assert [item.active for item in menu["children"]].count(True) == 1  # Jobs
    assert "active" in menu["toggle_class_name"]  # the menu holding the current page
    plain = nav_links(nav_items_for(ADMIN), "/stories")[-1].to_plotly_json()["props"]
    assert "active" not in plain["toggle_class_name"]


@pytest.mark.parametrize(
    ("viewer", "path", "writer", "period"),
    [
        (WRITER, "/", False, True),
        (ADMIN, "/", True, True),
        (ADMIN, "/stories/12", True, True),
        (ADMIN, "/admin/platform", False, True),  # the platform page reads the period
        (ADMIN, "/admin/jobs", False, False),
        (ADMIN, "/admin/experiments/checkout-copy", False, False),
        (ADMIN, "/no/such/page", False, False),
    ],
)
def test_filter_bar_shows_only_what_the_page_uses(viewer, path, writer, period) -> None:
    parts = filter_parts(viewer, path)
    assert (parts.writer, parts.period) == (writer, period)


def test_platform_page_is_admin_only(platform) -> None:
    with pytest.raises(AccessDenied):
        build_platform(platform, WRITER, "7d", None, None, today=TODAY)
    kpis, rows = build_platform(platform, ADMIN, "7d", None, None, today=TODAY)
    assert [row["writer"] for row in rows] == ["Bram Stoker-Lite", "Ada Quill"]
    assert rows[0]["revenue"] == 100.0
    assert _find_text(kpis, kpi_value_id("views")) == "7"


def test_kpis_compare_with_the_chosen_period_and_carry_sparklines(platform) -> None:
    view = build_overview(platform, WRITER, None, "7d", None, None, "views", today=TODAY)
    cards = json.loads(json.dumps(view.kpis.to_plotly_json(), default=lambda o: o.to_plotly_json()))
    text = json.dumps(cards)
    assert "+150.0%" in text  # views: 5 against 2 in the previous 7 days
    assert "in the previous 7 days" in text
    sparklines = [
        node["props"]["figure"]
        for node in _nodes(cards)
        if node.get("type") == "Graph" and "kpi-sparkline" in node["props"].get("className", "")
    ]
    assert len(sparklines) == 6  # one per KPI
    views_line = sparklines[0]["data"][0]
    assert len(views_line["y"]) == 6  # complete days only: today's partial count is left out
    assert sum(views_line["y"]) == 5
    assert views_line["text"][-1].endswith(": 3")  # three opens yesterday
    year = build_overview(
        platform, WRITER, None, "7d", None, None, "views", compare="year", today=TODAY
    )
    year_text = json.dumps(year.kpis.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "in the same period last year" in year_text
    assert "+150.0%" not in year_text  # nothing a year ago: every KPI is "new"
    assert year.figure.data[0].name == "Same period last year"


def test_daily_chart_marks_chapter_releases(platform) -> None:
    view = build_overview(platform, WRITER, None, "90d", None, None, "views", today=TODAY)
    releases = next(trace for trace in view.figure.data if trace.name == "Chapter release")
    assert len(releases.x) == 1  # the three chapters of writer 1 came out on one day
    assert releases.text[0] == (
        "The Glass Orchard · Ch. 1<br>The Glass Orchard · Ch. 2<br>Salt & Signal · Ch. 1"
    )
    assert view.figure.layout.yaxis.title.text == "Views"


def test_hiatus_bands_from_the_release_history(session) -> None:
    from tests.metrics_fixtures import build_metrics_platform, day

    build_metrics_platform(session)
    now = datetime(2026, 3, 6, 12, 0)  # day 60
    # Story 10 released weekly on days 0–21, then nothing: an ongoing hiatus from day 21.
    period = Period(day(30), day(59))
    bands = hiatus_bands(session, Scope(writer_id=1), period, now=now)
    assert bands == [
        {
            "start": datetime.combine(day(30), datetime.min.time()),
            "end": datetime.combine(day(60), datetime.min.time()),
            "label": "Hiatus · Glass Orchard",
        }
    ]
    assert hiatus_bands(session, Scope(writer_id=1), Period(day(0), day(20)), now=now) == []
    assert hiatus_bands(session, Scope(writer_id=None), period, now=now) == []
    view = build_overview(
        session, WRITER, None, "custom", "2026-02-04", "2026-03-05", "views", today=day(60)
    )
    assert [shape.type for shape in view.figure.layout.shapes] == ["rect"]
    assert "Hiatus · Glass Orchard" in [a.text for a in view.figure.layout.annotations]


def _nodes(tree):
    if isinstance(tree, dict):
        yield tree
        for value in tree.get("props", {}).values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _nodes(item)


def test_the_alerts_entry_carries_the_unread_count() -> None:
    items = nav_items_for(WRITER, unread_alerts=3)
    (alerts,) = [item for item in items if item.href == "/alerts"]
    assert alerts.badge == 3
    assert all(item.badge is None for item in items if item.href != "/alerts")
    tree = _tree(nav_links(items, "/"))
    assert '"children": "3"' in tree
    assert "3 unread" in tree  # for screen readers
    assert "shell-nav-badge" not in _tree(nav_links(nav_items_for(WRITER, 0), "/"))
    many = _tree(nav_links(nav_items_for(WRITER, 250), "/"))
    assert '"children": "99+"' in many
    assert "250 unread" in many
