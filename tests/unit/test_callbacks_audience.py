"""Audience callbacks as plain functions on tests/factories.py's small platform.

Writer 1 over the last 7 days: readers 1, 2, 3 (story 10) and 4 (a subscription on story
11) are active; readers 1 and 2 were already active ten days ago (returning), 3 and 4 are
new. Every reader is a US iOS reader without an age band or acquisition source.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from callbacks.audience import (
    build_audience,
    build_cohorts,
    entry_cohort_matrix,
    segment_counts,
    week_cohort_matrix,
)
from callbacks.common import AccessDenied, Viewer
from components.ids import kpi_value_id
from data.queries.filters import FilterError
from tests.factories import build_small_platform
from tests.unit.test_callbacks_overview import _find_text

TODAY = datetime.now(UTC).date()
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")


@pytest.fixture
def platform(session):
    build_small_platform(session, TODAY)
    return session


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


def test_writer_audience_kpis_and_charts(platform) -> None:
    view = build_audience(platform, WRITER, None, "7d", None, None, "previous", today=TODAY)
    assert view.subtitle.startswith("Ada Quill · ")
    assert view.status is None
    assert _find_text(view.kpis, kpi_value_id("active_readers")) == "4"
    assert _find_text(view.kpis, kpi_value_id("new_readers")) == "2"
    assert _find_text(view.kpis, kpi_value_id("returning_readers")) == "2"
    # Each reader was active on 1 or 2 of the 7 days: at least 10% of the days → regular.
    assert _find_text(view.kpis, kpi_value_id("regular_readers")) == "4"
    assert _find_text(view.kpis, kpi_value_id("loyal_readers")) == "0"
    assert "vs 2 in the previous 7 days" in _text(view.kpis)  # 2 readers ten days ago
    segments = view.segments.data[0]
    assert list(segments.labels) == ["Casual", "Regular", "Loyal"]
    assert list(segments.values) == [0, 4, 0]
    assert list(view.new_returning.data[0].values) == [2, 2]
    assert view.new_returning.layout.annotations[0].text == "50.0%<br>returning"
    traits = view.traits
    assert list(traits.devices.data[0].labels) == ["iOS"]
    assert list(traits.devices.data[0].values) == [4]
    country_map = traits.country_map.data[0]
    assert country_map.type == "choropleth"
    assert list(country_map.locations) == ["USA"]
    assert list(country_map.z) == [4]
    assert list(traits.countries.data[0].y) == ["United States"]
    # No age band or source reported: the charts explain instead of drawing "unknown".
    for figure in (traits.ages, traits.sources):
        assert figure.data == ()
        assert "don't report" in figure.layout.annotations[0].text
    for figure in (view.segments, traits.country_map, traits.countries, traits.ages):
        assert figure.layout.title.text


def test_writer_cannot_see_another_writers_audience(platform) -> None:
    forged = build_audience(platform, WRITER, 2, "7d", None, None, "previous", today=TODAY)
    assert forged.subtitle.startswith("Ada Quill")
    assert _find_text(forged.kpis, kpi_value_id("active_readers")) == "4"


def test_admin_switches_writers_and_platform(platform) -> None:
    bram = build_audience(platform, ADMIN, 2, "7d", None, None, "previous", today=TODAY)
    assert bram.subtitle.startswith("Bram Stoker-Lite")
    assert _find_text(bram.kpis, kpi_value_id("active_readers")) == "2"  # readers 3 and 4
    everyone = build_audience(platform, ADMIN, 0, "7d", None, None, "previous", today=TODAY)
    assert everyone.subtitle.startswith("All writers")
    assert _find_text(everyone.kpis, kpi_value_id("active_readers")) == "4"
    with pytest.raises(AccessDenied):
        build_audience(platform, ADMIN, 99, "7d", None, None, "previous", today=TODAY)


def test_empty_period_explains_itself(platform) -> None:
    start = (TODAY + timedelta(days=30)).isoformat()
    end = (TODAY + timedelta(days=40)).isoformat()
    view = build_audience(platform, WRITER, None, "custom", start, end, "previous", today=TODAY)
    assert "Nobody read your stories in this period" in _text(view.status)
    assert view.segments.layout.annotations[0].text == "No readers in this period"
    traits = view.traits
    assert traits.country_map.layout.annotations[0].text == "No readers in this period"
    with pytest.raises(FilterError):
        build_audience(platform, WRITER, None, "custom", end, start, "previous", today=TODAY)


def test_first_read_week_cohorts(platform) -> None:
    view = build_cohorts(
        platform, WRITER, None, "7d", None, None, "previous", "first_week", None, today=TODAY
    )
    assert view.show_story_picker is False
    heatmap = view.figure.data[0]
    assert heatmap.type == "heatmap"
    # First chapter opens on writer 1's stories: readers 1 and 2 ten days ago, reader 3
    # yesterday (reader 4 only subscribed). Cohorts are the weeks of first opens from the
    # Monday of the period's first week on.
    period_start = TODAY - timedelta(days=6)
    cohort_start = period_start - timedelta(days=period_start.weekday())
    firsts = {1: TODAY - timedelta(days=10), 2: TODAY - timedelta(days=10)}
    firsts[3] = TODAY - timedelta(days=1)
    sizes: dict[date, int] = {}
    for first in firsts.values():
        if first >= cohort_start:
            week = first - timedelta(days=first.weekday())
            sizes[week] = sizes.get(week, 0) + 1
    assert heatmap.y == tuple(f"Week of {week:%b %-d, %Y}" for week in sorted(sizes))
    newest = len(sizes) - 1  # reader 3's cohort
    assert heatmap.customdata[newest][0] == [1, 1]  # one member, active in week 0
    assert heatmap.z[newest][0] == 1.0
    assert all(cell is None for cell in heatmap.z[newest][1:])


def test_entry_chapter_cohorts_follow_the_scope(platform) -> None:
    view = build_cohorts(
        platform, WRITER, None, "7d", None, None, "previous", "entry_chapter", None, today=TODAY
    )
    assert view.show_story_picker is True
    assert [option["value"] for option in view.story_options] == [10, 11]  # by readers
    assert view.story == 10
    heatmap = view.figure.data[0]
    assert heatmap.y == ("Started at chapter 1",)
    # Story 10: readers 1, 2, 3 entered at chapter 1; reader 1 went on to chapter 2.
    assert list(heatmap.z[0][:2]) == [1.0, pytest.approx(1 / 3)]
    # Another writer's story id falls back to the writer's own top story.
    forged = build_cohorts(
        platform, WRITER, None, "7d", None, None, "previous", "entry_chapter", 20, today=TODAY
    )
    assert forged.story == 10
    assert "Night Ledger" not in _text_of_options(forged.story_options)


def _text_of_options(options: list[dict]) -> str:
    return " ".join(option["label"] for option in options)


def test_segment_counts_use_the_analytics_thresholds() -> None:
    histogram = pd.DataFrame({"active_days": [1, 2, 3, 8, 9, 28], "readers": [5, 4, 3, 2, 1, 1]})
    assert segment_counts(histogram, 28) == {"casual": 9, "regular": 5, "loyal": 2}
    assert segment_counts(histogram.iloc[:0], 28) == {"casual": 0, "regular": 0, "loyal": 0}


def test_week_cohort_matrix_blanks_weeks_not_over() -> None:
    monday = date(2026, 6, 1)
    frame = pd.DataFrame(
        [
            (monday, 10, 0, 10, 1.0),
            (monday, 10, 1, 4, 0.4),
            (monday, 10, 2, 1, 0.1),
            (monday + timedelta(weeks=1), 5, 0, 5, 1.0),
            (monday + timedelta(weeks=1), 5, 1, 2, 0.4),
        ],
        columns=["cohort_week", "readers", "week_offset", "active", "share"],
    )
    # The period ends on the Sunday two weeks in: week 2 of the first cohort is over, week 1
    # of the second cohort too.
    matrix = week_cohort_matrix(frame, 3, monday + timedelta(days=20))
    assert list(matrix["readers"]) == [10, 5]
    assert list(matrix["share_1"]) == [0.4, 0.4]
    assert matrix.loc[0, "share_2"] == 0.1
    assert pd.isna(matrix.loc[1, "share_2"])
    # A day earlier, those weeks are not over yet: blank.
    earlier = week_cohort_matrix(frame, 3, monday + timedelta(days=19))
    assert pd.isna(earlier.loc[0, "share_2"])
    assert pd.isna(earlier.loc[1, "share_1"])
    assert earlier.loc[1, "share_0"] == 1.0


def test_entry_cohort_matrix_keeps_the_largest_cohorts_by_chapter() -> None:
    rows = [(entry, 100 - entry, 0, 100 - entry, 1.0) for entry in range(1, 16)]
    rows += [(1, 99, 1, 50, 50 / 99)]
    frame = pd.DataFrame(rows, columns=["entry_chapter", "readers", "offset", "reached", "share"])
    matrix = entry_cohort_matrix(frame)
    assert list(matrix["entry_chapter"]) == list(range(1, 13))
    assert matrix.loc[0, "reached_1"] == 50
    assert pd.isna(matrix.loc[1, "share_1"])
