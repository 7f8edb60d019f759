"""Stories and story detail callbacks as plain functions with the session fixture, on the
hand-built platforms of tests/factories.py and tests/metrics_fixtures.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from callbacks.common import Viewer
from callbacks.stories import build_stories, clicked_story_href, story_href
from callbacks.story import NOT_FOUND_TITLE, build_story, chapter_name, parse_story_id
from components.ids import kpi_value_id
from components.story_views import retention_figure
from tests.factories import build_small_platform
from tests.metrics_fixtures import ALL_DAYS, build_metrics_platform, day

TODAY = datetime.now(UTC).date()
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
OTHER_WRITER = Viewer(user_id=2, role="writer", writer_id=2, display_name="Bram")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")


@pytest.fixture
def platform(session):
    build_small_platform(session, TODAY)
    return session


@pytest.fixture
def metrics(session):
    build_metrics_platform(session)
    return session


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


def _find(component, component_id: str):
    tree = json.loads(_text(component))

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == component_id:
                return props.get("children")
            for value in props.values():
                found = walk(value)
                if found is not None:
                    return found
        elif isinstance(node, list):
            for item in node:
                found = walk(item)
                if found is not None:
                    return found
        return None

    return walk(tree)


def _traces(figure) -> dict[str, tuple[list, list]]:
    return {trace.name: (list(trace.x), [round(y, 4) for y in trace.y]) for trace in figure.data}


# --------------------------------------------------------------------------- stories table


def test_writer_stories_table_has_their_stories_with_exact_metrics(platform) -> None:
    view = build_stories(platform, WRITER, None, "7d", None, None, today=TODAY)
    assert view.subtitle.startswith("Ada Quill · 2 stories · ")
    assert view.status is None
    by_title = {row["title"]: row for row in view.rows}
    assert set(by_title) == {"The Glass Orchard", "Salt & Signal"}  # never writer 2's
    orchard = by_title["The Glass Orchard"]
    assert orchard == {
        "row_id": "10",
        "story_id": 10,
        "title": "The Glass Orchard",
        "genre": "fantasy",
        "status": "ongoing",
        "chapters": 2,
        "views": 4,  # 3 opens of ch. 1 + 1 of ch. 2
        "views_change": 1.0,  # 2 views in the 7 days before
        "unique_readers": 3,
        "reading_hours": 0.5,  # 3 × 600 s
        "completion_rate": 0.5,
        "likes": 0,
        "follows": 1,
        "revenue": 6.99,  # unlock 1.99 + tip 5.00
        "revenue_per_reader": 2.33,
        # 100 × (0.5 × 2/4 + 0.3 × min(1, 3 follows-weight / 3) + 0.2 × 10 min / 60)
        "engagement": 58.3,
        "href": "/stories/10?range=7d&compare=previous",
    }
    salt = by_title["Salt & Signal"]
    assert (salt["views"], salt["views_change"], salt["unique_readers"], salt["revenue"]) == (
        1,
        None,  # no views before: shown as "new"
        2,
        9.99,
    )
    assert "writer" not in orchard
    assert [column["field"] for column in view.columns][:3] == ["title", "genre", "status"]


def test_writer_picker_value_cannot_show_another_writers_stories(platform) -> None:
    view = build_stories(platform, WRITER, 2, "7d", None, None, today=TODAY)
    assert {row["story_id"] for row in view.rows} == {10, 11}


def test_admin_sees_a_writer_or_every_story_with_its_writer(platform) -> None:
    bram = build_stories(platform, ADMIN, 2, "7d", None, None, today=TODAY)
    assert [row["title"] for row in bram.rows] == ["Night Ledger"]
    assert bram.rows[0]["revenue"] == 100.0
    assert bram.rows[0]["href"] == "/stories/20?range=7d&compare=previous&writer=2"
    everyone = build_stories(platform, ADMIN, 0, "7d", None, None, today=TODAY)
    assert [(row["title"], row["writer"]) for row in everyone.rows] == [
        ("The Glass Orchard", "Ada Quill"),
        ("Salt & Signal", "Ada Quill"),
        ("Night Ledger", "Bram Stoker-Lite"),
    ]
    assert [column["field"] for column in everyone.columns][:2] == ["title", "writer"]


def test_stories_empty_period_explains_itself(platform) -> None:
    view = build_stories(platform, WRITER, None, "custom", "2020-01-01", "2020-01-31", today=TODAY)
    assert len(view.rows) == 2
    assert all(row["views"] == 0 for row in view.rows)
    assert "None of these stories was read in this period" in _text(view.status)


def test_story_links_from_the_table() -> None:
    assert story_href(10, "?range=7d") == "/stories/10?range=7d"
    assert clicked_story_href({"rowId": "11", "colId": "views"}) == "/stories/11"
    assert clicked_story_href({"rowIndex": 0}) is None
    assert clicked_story_href(None) is None


# --------------------------------------------------------------------------- story detail


def test_story_detail_exact_numbers(metrics) -> None:
    start, end = ALL_DAYS.start.isoformat(), ALL_DAYS.end.isoformat()
    view = build_story(metrics, WRITER, "10", None, "custom", start, end, today=day(60))
    assert view.found
    assert view.title == "Glass Orchard"
    assert view.subtitle.startswith("Fantasy · ongoing · 4 chapters · Jan 5 – Mar 5, 2026")
    assert _find(view.kpis, kpi_value_id("views")) == "15"
    # Retention (all time): 5 starting readers reach ch. 1–4 as 5, 4, 3, 2.
    traces = _traces(view.retention)
    assert traces["All readers"] == ([1, 2, 3, 4], [100.0, 80.0, 60.0, 40.0])
    assert set(traces) == {
        "Release-day (33% of readers)",
        "Catch-up (50% of readers)",
        "Binge (17% of readers)",
        "All readers",
    }
    assert traces["Binge (17% of readers)"] == ([1, 2, 3, 4], [100.0, 100.0, 100.0, 0.0])
    assert "Abnormal drop-off" not in traces  # losses 20%, 25%, 33%: nothing unusual
    assert "No abnormal drop-off" in _text(view.dropoff_note)
    assert view.retention.layout.xaxis.title.text == "Chapter"
    hooks = _traces(view.hooks)
    assert hooks["Within 24 hours"] == ([1, 2, 3], [75.0, 100.0, 33.3333])
    assert hooks["Within 7 days"] == ([1, 2, 3], [100.0, 100.0, 33.3333])
    assert _traces(view.paywall)["Conversion"] == ([3, 4], [66.6667, 33.3333])
    assert _traces(view.revenue)["Chapter unlocks"] == ([1, 2, 3, 4], [0.0, 0.0, 2.0, 1.0])
    comparison = _text(view.comparison)
    assert "Your median" in comparison
    assert "Median over your 2 stories; percentile among 2 fantasy stories" in comparison
    # Who reads it: r1, r5 release-day; r2 binge; r3, r4, r6 catch-up.
    for share in ("Release-day 33%", "Catch-up 50%", "Binge 17%"):
        assert share in comparison


def test_writer_cannot_open_another_writers_story_by_url(metrics) -> None:
    for raw in ("20", "999", "abc", "", None, "-3"):
        view = build_story(metrics, WRITER, raw, None, "28d", None, None, today=day(60))
        assert not view.found
        assert view.title == NOT_FOUND_TITLE
        assert view.kpis == []
        assert view.comparison is None
        assert all(len(figure.data) == 0 for figure in (view.retention, view.hooks))
        text = _text(view.status)
        assert "We can't show this story" in text
        assert "Night Ledger" not in text  # nothing about the other writer's story leaks


def test_admin_opens_any_story_whatever_the_picker_says(metrics) -> None:
    view = build_story(metrics, ADMIN, "20", 1, "custom", "2026-01-05", "2026-03-05", today=day(60))
    assert view.found
    assert view.title == "Night Ledger"
    assert "by Bram" in view.subtitle
    assert "Writer's median" in _text(view.comparison)
    own = build_story(metrics, OTHER_WRITER, "20", None, "28d", None, None, today=day(60))
    assert own.found


def test_story_without_paid_chapters_or_next_chapter_explains_the_empty_charts(metrics) -> None:
    view = build_story(
        metrics, WRITER, 11, None, "custom", "2026-01-05", "2026-03-05", today=day(60)
    )
    assert view.found
    texts = [annotation.text for annotation in view.paywall.layout.annotations]
    assert texts == [
        "This story has no paid chapters. Mark a chapter as paid to see its conversion."
    ]
    hook_text = view.hooks.layout.annotations[0].text
    assert hook_text.startswith("Needs at least two published chapters")
    assert view.dropoff_note is None  # one chapter: no losses to compare


def test_abnormal_drop_off_is_marked_on_the_retention_curve() -> None:
    curve = pd.DataFrame(
        {
            "chapter_number": [1, 2, 3, 4, 5, 6],
            "title": ["a", "b", "c", "d", "e", "f"],
            "reached": [100, 95, 90, 40, 38, 36],
            "retention": [1.0, 0.95, 0.90, 0.40, 0.38, 0.36],
            "loss": [float("nan"), 0.05, 0.0526, 0.5556, 0.05, 0.0526],
            "abnormal": [False, False, False, True, False, False],
        }
    )
    empty_types = pd.DataFrame(columns=["reader_type", "chapter_number", "reached", "retention"])
    mix = pd.DataFrame({"reader_type": [], "readers": [], "share": []})
    figure = retention_figure(curve, empty_types, mix)
    traces = _traces(figure)
    assert traces["Abnormal drop-off"] == ([4], [40.0])
    assert [annotation.text for annotation in figure.layout.annotations] == ["−56% at ch. 4"]


def test_story_id_and_chapter_names() -> None:
    assert parse_story_id("12") == 12
    assert parse_story_id(" 7 ") == 7
    assert parse_story_id(True) is None
    assert parse_story_id("0") is None
    assert parse_story_id("1e3") is None
    assert parse_story_id("99999999999999999999") is None
    assert chapter_name(8, "Chapter 8: The Lost Choice") == "“Chapter 8: The Lost Choice”"
    assert chapter_name(3, "Roots") == "Chapter 3 “Roots”"
    assert chapter_name(3, "") == "Chapter 3"
