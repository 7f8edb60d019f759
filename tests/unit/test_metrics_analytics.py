"""Pure metric computations in app.analytics: engagement, drop-off, cadence, growth."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from app.analytics.cadence import detect_hiatuses, usual_cadence_days
from app.analytics.dropoff import abnormal_losses
from app.analytics.engagement import reader_segment, story_engagement_score
from app.analytics.growth import relative_change
from tests.metrics_fixtures import STORY_10_ENGAGEMENT


def test_engagement_score_of_the_fixture_story() -> None:
    score = story_engagement_score(
        readers=6, views=15, completions=12, reading_seconds=4500,
        likes=2, comments=1, shares=1, follows=1,
    )  # fmt: skip
    assert score == pytest.approx(STORY_10_ENGAGEMENT)
    assert score == pytest.approx(74.166667, abs=1e-6)


def test_engagement_score_bounds_and_vectors() -> None:
    zero = story_engagement_score(
        readers=0, views=0, completions=0, reading_seconds=0, likes=0, comments=0, shares=0,
        follows=0,
    )  # fmt: skip
    assert zero == 0.0
    full = story_engagement_score(
        readers=np.array([1, 2]), views=np.array([1, 2]), completions=np.array([5, 1]),
        reading_seconds=np.array([7200, 0]), likes=np.array([9, 0]), comments=0, shares=0,
        follows=0,
    )  # fmt: skip
    assert list(full) == pytest.approx([100.0, 25.0])


def test_reader_segments() -> None:
    assert list(reader_segment(np.array([1, 2, 3, 8, 9, 28]), 28)) == [
        "casual", "casual", "regular", "regular", "loyal", "loyal",
    ]  # fmt: skip
    assert reader_segment(3, 30) == "regular"
    with pytest.raises(ValueError, match="period_days"):
        reader_segment(1, 0)


def test_abnormal_losses() -> None:
    checks = abnormal_losses([None, 0.10, 0.12, 0.11, 0.45, 0.10])
    assert checks[0] is None
    assert [c.abnormal for c in checks[1:]] == [False, False, False, True, False]
    assert checks[4].median_loss == pytest.approx(0.11)
    # MAD = 0.01 -> spread max(0.014826, 0.02) = 0.02 -> z = (0.45 - 0.11) / 0.02 = 17
    assert checks[4].z_score == pytest.approx(17.0)
    assert not any(c.abnormal for c in abnormal_losses([None, 0.1, 0.9])[1:])  # too few
    assert abnormal_losses([None]) == [None]


def test_hiatus_detection() -> None:
    start = datetime(2026, 1, 1)
    weekly = [start + timedelta(days=7 * n) for n in range(4)]
    assert usual_cadence_days(weekly) == 7.0
    assert usual_cadence_days(weekly[:2]) is None
    late = [*weekly, weekly[-1] + timedelta(days=30)]
    found = detect_hiatuses(late)
    assert [(h.start, h.end, h.days) for h in found] == [(weekly[-1], late[-1], 30.0)]
    ongoing = detect_hiatuses(weekly, as_of=weekly[-1] + timedelta(days=21))
    assert [(h.start, h.end, h.usual_days) for h in ongoing] == [(weekly[-1], None, 7.0)]
    assert detect_hiatuses(weekly, as_of=weekly[-1] + timedelta(days=20)) == []
    assert detect_hiatuses(weekly[:2], as_of=start + timedelta(days=400)) == []


def test_relative_change() -> None:
    assert relative_change(15, 10) == pytest.approx(0.5)
    assert relative_change(5, 0) is None
    assert relative_change(0, 4) == pytest.approx(-1.0)
