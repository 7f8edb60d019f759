"""The reader segment filter (``data.queries.filters.Segment``): validation, and the
audience and engagement queries narrowed by it on tests/metrics_fixtures.py, on SQLite and
PostgreSQL. Traits of the fixture's readers (country, device, age band, source):

r1 US ios 18-24 organic · r2 US android 25-34 social · r3 GB ios 25-34 search ·
r4 DE web 35-44 ads · r5 US ios 18-24 referral · r6 no traits.
"""

from __future__ import annotations

import pandas as pd
import pytest

from data.queries.audience import audience_breakdown, new_vs_returning, weekly_cohorts
from data.queries.engagement import activity_histogram, most_engaged_readers, reader_engagement
from data.queries.filters import MAX_SEGMENT_VALUES, FilterError, Period, Scope, Segment
from tests.metrics_fixtures import ALL_DAYS, build_metrics_platform, day

ADA, BRAM, PLATFORM = Scope(1), Scope(2), Scope()
IOS = Segment(device="ios")


@pytest.fixture
def platform(session):
    build_metrics_platform(session)
    return session


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


# --------------------------------------------------------------------------- the filter


def test_segment_normalises_its_values() -> None:
    segment = Segment(country=["gb", "US", "us"], device="ios", age_band=("UNKNOWN",))
    assert segment.country == ("GB", "US")
    assert segment.device == ("ios",)
    assert segment.age_band == ("unknown",)
    assert segment == Segment(country=("US", "GB"), device=["ios"], age_band="unknown")
    assert segment.conditions() == {
        "country": ("GB", "US"), "device": ("ios",), "age_band": ("unknown",),
    }  # fmt: skip
    assert Segment().is_everyone
    assert Segment(country=[]).is_everyone
    assert not IOS.is_everyone
    with pytest.raises(AttributeError):
        IOS.device = ("web",)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"country": "USA"}, "country must be two-letter ISO 3166 codes such as DE"),
        ({"country": "1A"}, "country must be two-letter ISO 3166 codes"),
        ({"device": "tablet"}, "device must be one of ios, android, web, unknown, not 'tablet'"),
        ({"age_band": "18-25"}, "age_band must be one of 13-17, 18-24, 25-34, 35-44"),
        ({"acquisition_source": "tv"}, "acquisition_source must be one of organic, search"),
        ({"device": ["ios", ""]}, "device values must be non-empty strings"),
        ({"country": [1]}, "country values must be non-empty strings"),
        ({"country": ["US"] * (MAX_SEGMENT_VALUES + 1)}, f"at most {MAX_SEGMENT_VALUES}"),
    ],
)
def test_invalid_segments_name_the_field(values, message) -> None:
    with pytest.raises(FilterError, match=message):
        Segment(**values)


# --------------------------------------------------------------------------- audience


def test_breakdowns_of_a_segment(platform) -> None:
    countries = audience_breakdown(platform, ADA, ALL_DAYS, "country", segment=IOS)
    assert _rows(countries, ["value", "readers"]) == [("US", 2), ("GB", 1)]  # r1, r5 · r3
    assert list(countries["share"]) == pytest.approx([2 / 3, 1 / 3])
    ages = audience_breakdown(
        platform, ADA, ALL_DAYS, "age_band", segment=Segment(country=["US", "GB"], device="ios")
    )
    assert _rows(ages, ["value", "readers"]) == [("18-24", 2), ("25-34", 1)]
    no_traits = audience_breakdown(
        platform, ADA, ALL_DAYS, "device", segment=Segment(country="unknown")
    )
    assert _rows(no_traits, ["value", "readers"]) == [("unknown", 1)]  # r6
    nobody = Segment(device="android", age_band="35-44")
    assert audience_breakdown(platform, ADA, ALL_DAYS, "country", segment=nobody).empty
    everyone = audience_breakdown(platform, ADA, ALL_DAYS, "country", segment=Segment())
    pd.testing.assert_frame_equal(everyone, audience_breakdown(platform, ADA, ALL_DAYS, "country"))


def test_new_vs_returning_of_a_segment(platform) -> None:
    late = Period(day(31), day(50))  # r5 (returning) and r6 (new) are active
    split = new_vs_returning(platform, ADA, late, segment=IOS)
    assert (split.new, split.returning) == (0, 1)
    split = new_vs_returning(platform, ADA, late, segment=Segment(country="unknown"))
    assert (split.new, split.returning) == (1, 0)
    split = new_vs_returning(platform, ADA, ALL_DAYS, segment=Segment(country="US"))
    assert (split.new, split.returning) == (3, 0)


def test_weekly_cohorts_of_a_segment(platform) -> None:
    grid = weekly_cohorts(platform, ADA, Period(day(0), day(55)), weeks=8, segment=IOS)
    cohorts = {
        (row.cohort_week, row.week_offset): (row.readers, row.active)
        for row in grid.itertuples(index=False)
    }
    # Week of d0: r1 and r3 (r4 is on the web); r1 reads in weeks 0-3, r3 in weeks 0-1.
    assert [cohorts[(day(0), n)] for n in range(8)] == [
        (2, 2), (2, 2), (2, 1), (2, 1), (2, 0), (2, 0), (2, 0), (2, 0),
    ]  # fmt: skip
    assert [cohorts[(day(28), n)] for n in range(4)] == [(1, 1), (1, 1), (1, 0), (1, 0)]  # r5
    assert len(grid) == 8 + 4  # r2 (android, week of d21) and r6 (week of d49) are left out


# --------------------------------------------------------------------------- engagement


def test_reader_engagement_of_a_segment(platform) -> None:
    readers = reader_engagement(platform, ADA, ALL_DAYS, segment=Segment(country="US"))
    assert _rows(readers, ["reader_id", "active_days", "revenue"]) == [
        (1, 4, 200), (2, 1, 100), (5, 5, 999),
    ]  # fmt: skip
    histogram = activity_histogram(platform, ADA, ALL_DAYS, segment=Segment(age_band="18-24"))
    assert _rows(histogram, ["active_days", "readers"]) == [(4, 1), (5, 1)]  # r1, r5
    top = most_engaged_readers(platform, ADA, ALL_DAYS, limit=6, segment=IOS)
    assert list(top["reader_id"]) == [5, 1, 3]
    assert list(top["device"]) == ["ios"] * 3
    with_unknown = most_engaged_readers(
        platform, ADA, ALL_DAYS, limit=6, segment=Segment(country=["US", "unknown"])
    )
    assert list(with_unknown["reader_id"]) == [5, 1, 2, 6]


def test_a_segment_never_widens_the_scope(platform) -> None:
    us = Segment(country="US")
    assert list(reader_engagement(platform, BRAM, ALL_DAYS, segment=us)["reader_id"]) == [1]
    assert list(most_engaged_readers(platform, BRAM, ALL_DAYS, 10, segment=us)["reader_id"]) == [1]
    organic = Segment(acquisition_source="organic")
    platform_top = most_engaged_readers(platform, PLATFORM, ALL_DAYS, 10, segment=organic)
    assert _rows(platform_top, ["reader_id", "active_days", "stories"]) == [(1, 5, 2)]
    assert reader_engagement(platform, Scope(3), ALL_DAYS, segment=organic).empty
