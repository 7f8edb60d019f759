"""``data.queries.audience.audience_summary`` (the Audience page's single pass) equals the
per-trait queries it replaces (``audience_breakdown`` per trait, ``new_vs_returning``,
``activity_histogram``), on SQLite and PostgreSQL.

The hand-built platform of tests/metrics_fixtures.py has readers with and without traits,
activity without a chapter open, a writer with one reader and a writer with no data; a
small generated demo platform adds volume (a few hundred active readers, most trait
values).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.demo import generate_demo_platform
from data.models import WriterReaderDaily
from data.queries.audience import (
    DIMENSIONS,
    PeriodAudience,
    audience_breakdown,
    audience_summary,
    new_vs_returning,
)
from data.queries.engagement import activity_histogram
from data.queries.filters import Period, Scope, Segment
from tests.metrics_fixtures import build_metrics_platform, day

SEGMENTS = [
    None,
    Segment(country=("US",)),
    Segment(device=("unknown", "web")),
    Segment(age_band=("unknown",), acquisition_source=("organic", "search", "unknown")),
]


def _assert_equals_per_trait_queries(
    session: Session,
    scope: Scope,
    periods: list[Period],
    segment: Segment | None,
    summary: list[PeriodAudience],
) -> None:
    where = (scope, periods, segment)
    assert len(summary) == len(periods), where
    for index, (period, counted) in enumerate(zip(periods, summary, strict=True)):
        assert counted.split == new_vs_returning(session, scope, period, segment=segment), where
        pd.testing.assert_frame_equal(
            counted.histogram, activity_histogram(session, scope, period, segment=segment)
        )
        if index > 0:
            assert counted.breakdowns == {}, where
            continue
        assert list(counted.breakdowns) == list(DIMENSIONS)
        for dimension in DIMENSIONS:
            pd.testing.assert_frame_equal(
                counted.breakdowns[dimension],
                audience_breakdown(session, scope, period, dimension, segment=segment),
            )


@pytest.fixture
def platform(session: Session) -> Session:
    build_metrics_platform(session)
    return session


def test_equals_the_per_trait_queries(platform: Session) -> None:
    period = Period(day(21), day(41))
    periods = [
        [period, period.previous()],  # the page's default comparison
        [period, Period(day(21 - 365), day(41 - 365))],  # a year earlier: nobody active
        [Period(day(0), day(59)), Period(day(30), day(89))],  # overlapping, in any order
        [Period(day(30), day(30))],  # one day, no comparison
        [Period(day(22), day(22)), Period(day(0), day(0)), Period(day(50), day(50))],
        [Period(day(70), day(80)), Period(day(60), day(69))],  # after the data
    ]
    for scope in (Scope(1), Scope(2), Scope(3), Scope()):
        for chosen in periods:
            for segment in SEGMENTS:
                summary = audience_summary(platform, scope, chosen, segment=segment)
                _assert_equals_per_trait_queries(platform, scope, chosen, segment, summary)


def test_exact_for_the_fixture(platform: Session) -> None:
    """Ada, d31–d50 against d11–d30: r5 (d29 subscription, d30–d40 reading) and r6 (d50)
    are active; r5 was active before d31, r6 is new. Before: r1 (d14, d21), r2 (d22), r5
    (d29, d30); r1 was active before d11, r2 and r5 new."""
    current, before = audience_summary(
        platform, Scope(1), [Period(day(31), day(50)), Period(day(11), day(30))]
    )
    assert (current.split.new, current.split.returning) == (1, 1)
    assert current.histogram.values.tolist() == [[1, 1], [3, 1]]  # r6: 1 day; r5: d31, d32, d40
    countries = current.breakdowns["country"]
    assert countries[["value", "readers"]].values.tolist() == [["US", 1], ["unknown", 1]]
    assert countries["share"].tolist() == [0.5, 0.5]
    assert (before.split.new, before.split.returning) == (2, 1)
    assert before.histogram.values.tolist() == [[1, 1], [2, 2]]
    assert before.breakdowns == {}
    nobody = audience_summary(platform, Scope(3), [Period(day(0), day(59))])[0]
    assert nobody.split.total == 0
    assert nobody.histogram.empty
    assert all(nobody.breakdowns[dimension].empty for dimension in DIMENSIONS)
    with pytest.raises(ValueError, match="at least one period"):
        audience_summary(platform, Scope(1), [])


DEMO_END = date(2026, 3, 31)


def test_equals_the_per_trait_queries_on_a_demo_platform(session: Session) -> None:
    generate_demo_platform(session, seed=11, scale=0.04, days=35, end=DEMO_END)
    busiest = session.execute(
        select(WriterReaderDaily.writer_id)
        .group_by(WriterReaderDaily.writer_id)
        .order_by(func.count().desc(), WriterReaderDaily.writer_id)
        .limit(2)
    ).scalars()
    period = Period(DEMO_END - timedelta(days=13), DEMO_END)
    for scope in (*(Scope(int(writer)) for writer in busiest), Scope()):
        for segment in SEGMENTS[:3]:
            periods = [period, period.previous()]
            summary = audience_summary(session, scope, periods, segment=segment)
            assert summary[0].split.total > 0 or segment is not None
            _assert_equals_per_trait_queries(session, scope, periods, segment, summary)
