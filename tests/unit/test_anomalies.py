"""Anomaly detection and attribution (``app.analytics.anomalies``) on synthetic series with
a known weekly pattern and trend: planted spikes and drops are found with the right
direction, normal weekly swings are not, short histories are not judged, and a planted
source is named with its share."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from app.analytics.anomalies import (
    DROP,
    MIN_HISTORY_DAYS,
    RELEASE,
    SPIKE,
    Release,
    daily_values,
    describe_source,
    detect_anomalies,
    dimension_contributions,
    expected_range,
    judge_day,
    judged_days,
    likely_source,
)

START = date(2026, 1, 5)  # a Monday


def weekly_series(
    days: int,
    *,
    seed: int = 0,
    level: float = 200.0,
    trend_per_day: float = 0.5,
    weekend_factor: float = 0.6,
    noise: str = "poisson",
    relative_noise: float = 0.1,
) -> pd.Series:
    """Daily values from ``START``: ``(level + trend × day) × (weekend_factor on Saturdays
    and Sundays)`` with Poisson or relative normal noise."""
    rng = np.random.default_rng(seed)
    index = [START + timedelta(days=i) for i in range(days)]
    mean = np.array(
        [
            (level + trend_per_day * i) * (weekend_factor if day.weekday() >= 5 else 1.0)
            for i, day in enumerate(index)
        ]
    )
    if noise == "poisson":
        values = rng.poisson(mean).astype(float)
    else:
        values = np.maximum(mean * (1 + rng.normal(0, relative_noise, days)), 0.0)
    return pd.Series(values, index=index)


def test_the_expectation_follows_the_weekday_and_the_trend() -> None:
    series = weekly_series(120, noise="normal", relative_noise=0.02)
    wednesday, saturday = START + timedelta(days=100), START + timedelta(days=103)
    assert wednesday.weekday() == 2
    assert saturday.weekday() == 5
    weekday = expected_range(series, wednesday)
    weekend = expected_range(series, saturday)
    assert weekday is not None
    assert weekend is not None
    # the true means: weekdays (200 + 0.5 d), weekends 60% of that
    assert weekday.expected == pytest.approx(250.0, rel=0.04)
    assert weekend.expected == pytest.approx(0.6 * 251.5, rel=0.04)
    assert weekday.trend_per_week == pytest.approx(3.5, abs=1.0)
    assert weekday.low < weekday.expected < weekday.high
    assert weekday.history_days == 56
    # the expectation never looks at the judged day itself
    changed = series.copy()
    changed[wednesday] = 10_000
    assert expected_range(changed, wednesday) == weekday


@pytest.mark.parametrize("noise", ["poisson", "normal"])
def test_a_planted_spike_and_drop_are_flagged_with_their_direction(noise: str) -> None:
    series = weekly_series(100, seed=3, noise=noise)
    spike_day, drop_day = START + timedelta(days=90), START + timedelta(days=95)  # Sun, Fri
    normal_spike, normal_drop = series[spike_day], series[drop_day]
    series[spike_day] = normal_spike * 2.2
    series[drop_day] = normal_drop * 0.3
    found = detect_anomalies(series, [START + timedelta(days=d) for d in range(85, 100)])
    assert [(a.day, a.direction) for a in found] == [(spike_day, SPIKE), (drop_day, DROP)]
    spike, drop = found
    assert spike.observed == normal_spike * 2.2
    assert spike.observed > spike.high
    assert spike.relative_change > 0.8
    assert drop.observed < drop.low
    assert drop.relative_change < -0.5
    assert spike.severity == "high"  # about 12 spreads with 10% noise
    assert drop.severity in ("medium", "high")  # a 70% drop is at most 1/0.1 spreads
    assert spike.score > 8


def test_severity_grows_with_the_deviation() -> None:
    series = weekly_series(100, seed=5, noise="normal", relative_noise=0.05)
    day = START + timedelta(days=93)
    expectation = expected_range(series, day)
    assert expectation is not None
    severities = {}
    for spreads in (4.0, 6.0, 9.0):
        changed = series.copy()
        changed[day] = expectation.expected + spreads * expectation.spread
        anomaly = judge_day(changed, day)
        assert anomaly is not None
        assert anomaly.direction == SPIKE
        assert anomaly.score == pytest.approx(spreads)
        severities[spreads] = anomaly.severity
    assert severities == {4.0: "low", 6.0: "medium", 9.0: "high"}
    changed = series.copy()
    changed[day] = expectation.expected + 2.0 * expectation.spread
    assert judge_day(changed, day) is None


@pytest.mark.parametrize(
    ("noise", "level"), [("poisson", 30.0), ("poisson", 300.0), ("normal", 300.0)]
)
def test_normal_weekly_swings_are_not_flagged(noise: str, level: float) -> None:
    """Weekends 40% lower, a steady trend and noise: over 10 series × 140 judged days the
    false-positive rate stays below 1%, and the weekend dip itself is never an alert."""
    judged = flagged = 0
    for seed in range(10):
        series = weekly_series(200, seed=seed, level=level, trend_per_day=level / 400, noise=noise)
        days = list(series.index[60:])
        found = detect_anomalies(series, days)
        judged += len(days)
        flagged += len(found)
    assert judged == 1400
    assert flagged / judged < 0.01


def test_a_clean_weekly_pattern_has_no_alert_at_all() -> None:
    series = weekly_series(120, noise="normal", relative_noise=0.0)
    assert detect_anomalies(series, series.index[30:]) == []


def test_min_deviation_suppresses_small_absolute_changes() -> None:
    series = weekly_series(100, level=6.0, trend_per_day=0.0, weekend_factor=1.0, seed=1)
    day = START + timedelta(days=92)
    series[day] = 30.0  # five times the usual level, but only 24 readers more
    assert judge_day(series, day) is not None
    assert judge_day(series, day, min_deviation=25.0) is None


def test_short_history_is_not_judged() -> None:
    series = weekly_series(MIN_HISTORY_DAYS + 10, seed=2)
    first_judged = START + timedelta(days=MIN_HISTORY_DAYS)
    series[first_judged - timedelta(days=1)] *= 5
    series[first_judged] *= 5
    assert expected_range(series, first_judged - timedelta(days=1)) is None
    assert judge_day(series, first_judged - timedelta(days=1)) is None
    assert expected_range(series, first_judged) is not None
    # leading zeros do not count as history
    padded = pd.concat(
        [pd.Series(0.0, index=[START - timedelta(days=d) for d in range(60, 0, -1)]), series]
    )
    assert expected_range(padded, first_judged - timedelta(days=1)) is None
    assert judged_days(padded, [first_judged - timedelta(days=1), first_judged]).keys() == {
        first_judged
    }
    assert expected_range(pd.Series(dtype=float), first_judged) is None


def test_a_mostly_empty_series_is_not_judged() -> None:
    index = [START + timedelta(days=i) for i in range(80)]
    sparse = pd.Series([5.0 if i % 7 == 0 else 0.0 for i in range(80)], index=index)
    assert expected_range(sparse, index[-1]) is None


def test_daily_values_fill_missing_days_and_accept_timestamps() -> None:
    series = pd.Series(
        [1.0, 2.0, float("nan")],
        index=pd.to_datetime(["2026-01-05", "2026-01-08", "2026-01-09"]),
    )
    values = daily_values(series)
    assert list(values.index) == [date(2026, 1, d) for d in range(5, 10)]
    assert list(values) == [1.0, 0.0, 0.0, 2.0, 0.0]


# --------------------------------------------------------------------------- attribution

DAY = date(2026, 3, 4)
BASELINE = [DAY - timedelta(days=7 * week) for week in range(1, 5)]


def long_frame(rows: dict[tuple[str, str, str], tuple[float, float]]) -> pd.DataFrame:
    """``{(kind, value, label): (usual, on DAY)}`` as the long breakdown frame (the usual
    value on each baseline day, ±1 to make the median matter)."""
    records = []
    for (kind, value, label), (usual, today) in rows.items():
        records.append((kind, value, label, DAY, today))
        for offset, day in enumerate(BASELINE):
            records.append((kind, value, label, day, usual + (-1, 0, 1, 0)[offset]))
    return pd.DataFrame(records, columns=["kind", "value", "label", "day", "amount"])


def test_contributions_compare_the_day_with_the_same_weekday_median() -> None:
    frame = long_frame({("story", "10", "Glass"): (100, 400), ("story", "11", "Salt"): (50, 0)})
    contributions = dimension_contributions(frame, DAY, BASELINE)
    assert contributions.to_dict("records") == [
        {"kind": "story", "value": "10", "label": "Glass", "observed": 400.0, "expected": 100.0},
        {"kind": "story", "value": "11", "label": "Salt", "observed": 0.0, "expected": 50.0},
    ]
    # a value missing on some baseline days counts 0 there
    sparse = pd.DataFrame(
        [("country", "BR", "BR", DAY, 9.0), ("country", "BR", "BR", BASELINE[0], 4.0)],
        columns=["kind", "value", "label", "day", "amount"],
    )
    assert dimension_contributions(sparse, DAY, BASELINE)["expected"].tolist() == [0.0]


def test_a_spike_caused_by_one_story_names_it_with_its_share_and_release() -> None:
    frame = long_frame(
        {
            ("story", "10", "The Glass Orchard"): (100, 420),
            ("story", "11", "Salt & Signal"): (100, 110),
            ("country", "US", "US", ): (150, 380),
            ("country", "BR", "BR"): (50, 150),
            ("acquisition_source", "organic", "organic"): (120, 300),
            ("acquisition_source", "search", "search"): (80, 230),
        }
    )  # fmt: skip
    contributions = dimension_contributions(frame, DAY, BASELINE)
    releases = [Release(10, 1014, 14, "The Glass Orchard · Ch. 14"), Release(11, 1102, 2, "x")]
    source = likely_source(contributions, SPIKE, "readers", releases)
    assert source.kind == RELEASE
    assert (source.value, source.label, source.story_id) == ("10", "The Glass Orchard", 10)
    assert source.share == pytest.approx(320 / 330)
    assert source.releases == (releases[0],)
    assert source.summary == (
        "Story 'The Glass Orchard' accounts for 97% of the extra readers; chapter 14 was "
        "released that day."
    )
    assert [item.value for item in source.top["story"]] == ["10", "11"]
    # without a release that day it is the story itself
    plain = likely_source(contributions, SPIKE, "readers")
    assert plain.kind == "story"
    assert plain.releases == ()
    assert plain.summary == "Story 'The Glass Orchard' accounts for 97% of the extra readers."


def test_a_spike_caused_by_one_country_names_the_country() -> None:
    frame = long_frame(
        {
            ("story", "10", "Glass"): (100, 180),
            ("story", "11", "Salt"): (100, 180),
            ("country", "US", "US"): (180, 190),
            ("country", "BR", "BR"): (20, 170),
            ("acquisition_source", "organic", "organic"): (100, 180),
            ("acquisition_source", "search", "search"): (100, 180),
        }
    )
    source = likely_source(dimension_contributions(frame, DAY, BASELINE), SPIKE, "views")
    assert (source.kind, source.value) == ("country", "BR")
    assert source.share == pytest.approx(150 / 160)
    assert source.story_id is None
    assert source.summary == "Readers in BR account for 94% of the extra views."


def test_a_drop_is_attributed_to_what_went_missing() -> None:
    frame = long_frame(
        {
            ("story", "10", "Glass"): (100, 95),
            ("story", "11", "Salt"): (100, 100),
            ("acquisition_source", "ads", "ads"): (80, 5),
            ("acquisition_source", "organic", "organic"): (120, 120),
        }
    )
    source = likely_source(dimension_contributions(frame, DAY, BASELINE), DROP, "revenue")
    assert (source.kind, source.label) == ("acquisition_source", "ads")
    assert source.share == 1.0
    assert source.summary == "Readers who came through ads account for 100% of the lost revenue."


def test_a_proportional_change_has_no_single_source() -> None:
    frame = long_frame(
        {
            ("story", "10", "Glass"): (100, 200),
            ("story", "11", "Salt"): (100, 200),
            ("country", "US", "US"): (150, 300),
            ("country", "BR", "BR"): (50, 100),
        }
    )
    releases = [Release(10, 1014, 14, "Glass · Ch. 14"), Release(11, 1103, 3, "Salt · Ch. 3")]
    source = likely_source(
        dimension_contributions(frame, DAY, BASELINE), SPIKE, "readers", releases
    )
    assert source.kind is None
    assert source.share is None
    assert source.summary == (
        "No single story, country or acquisition source stands out: the change is spread "
        "across them; chapters 3 and 14 were released that day."
    )
    empty = likely_source(dimension_contributions(frame.iloc[0:0], DAY, BASELINE), DROP, "views")
    assert empty.kind is None
    assert empty.top == {}


def test_attribution_is_deterministic_on_ties() -> None:
    frame = long_frame({("story", "11", "B"): (10, 60), ("story", "10", "A"): (10, 60)})
    contributions = dimension_contributions(frame, DAY, BASELINE)
    first = likely_source(contributions, SPIKE, "readers")
    again = likely_source(contributions.iloc[::-1], SPIKE, "readers")
    assert first == again
    assert first.kind is None  # two stories share the spike: neither reaches half of it
    assert [item.value for item in first.top["story"]] == ["10", "11"]


def test_describe_source_wording() -> None:
    assert describe_source("writer", "Ada Quill", 0.755, SPIKE, "revenue") == (
        "Writer 'Ada Quill' accounts for 76% of the extra revenue."
    )
    assert describe_source(
        "release", "Glass", 1.3, SPIKE, "views", [Release(10, 1, None, "Glass · Ch. ?")]
    ) == ("Story 'Glass' accounts for 100% of the extra views; a chapter was released that day.")
    with pytest.raises(ValueError, match="direction"):
        likely_source(
            pd.DataFrame(columns=["kind", "value", "label", "observed", "expected"]), "up", "views"
        )
