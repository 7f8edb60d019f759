"""The recommendation rules (app.analytics.recommendations) on hand-built inputs with planted
patterns: each rule finds its pattern, stays silent on a regular story and refuses to speak
on too little data; ranking and fingerprints are stable."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from app.analytics import recommendations as rules
from app.analytics.recommendations import (
    RecommendationRecord,
    WriterInputs,
    cadence_recommendations,
    chapter_length_recommendations,
    dropoff_recommendations,
    momentum_recommendations,
    paywall_recommendations,
    rank,
    recommend,
    release_time_recommendation,
    segment_recommendations,
)
from data.recommendation_inputs import (
    CHAPTER_COLUMNS,
    HOUR_COLUMNS,
    SEGMENT_COLUMNS,
    STORY_COLUMNS,
    WEEKLY_COLUMNS,
)

AS_OF = date(2026, 6, 28)  # a Sunday: the week of Jun 22 is the last complete one
START = datetime(2026, 1, 5, 18)  # a Monday


def stories(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=STORY_COLUMNS)


def chapters_of(
    story_id: int,
    reached: list[int],
    *,
    every_days: int = 7,
    release_days: list[int] | None = None,
    views: list[int] | None = None,
    completions: list[int] | None = None,
    words: list[int] | None = None,
    paid_from: int | None = None,
    paywall_reached: dict[int, int] | None = None,
    unlocked: dict[int, int] | None = None,
    release_day_opens: int = 0,
) -> pd.DataFrame:
    """Chapters 1..n of one story; ``reached[k-1]`` starting readers reached chapter k."""
    n = len(reached)
    days = release_days or [every_days * i for i in range(n)]
    rows = []
    for i in range(n):
        number = i + 1
        paid = paid_from is not None and number >= paid_from
        rows.append(
            {
                "story_id": story_id,
                "chapter_id": story_id * 100 + number,
                "number": number,
                "title": f"Part {number}",
                "word_count": (words or [2000] * n)[i],
                "published_at": START + timedelta(days=days[i]),
                "is_paid": paid,
                "price_minor": 50 if paid else None,
                "readers": reached[i],
                "reached": reached[i],
                "paywall_reached": (paywall_reached or {}).get(number, reached[i]),
                "unlocked": (unlocked or {}).get(number, 0),
                "views": (views or reached)[i],
                "completions": (completions or [int(r * 0.9) for r in reached])[i],
                "release_day_opens": release_day_opens,
            }
        )
    return pd.DataFrame(rows, columns=CHAPTER_COLUMNS)


def steady(start: int, n: int, keep: float = 0.92, *, cliff: int | None = None) -> list[int]:
    """Reached counts losing ``1 - keep`` per chapter, and 70% into chapter ``cliff``."""
    values = [start]
    for number in range(2, n + 1):
        share = 0.3 if number == cliff else keep
        values.append(round(values[-1] * share))
    return values


def weekly(story_id: int, counts: dict[date, int]) -> pd.DataFrame:
    return pd.DataFrame([(story_id, week, n) for week, n in counts.items()], columns=WEEKLY_COLUMNS)


NO_HOURS = pd.DataFrame(columns=HOUR_COLUMNS)
NO_SEGMENTS = pd.DataFrame(columns=SEGMENT_COLUMNS)


# --------------------------------------------------------------------------- drop-off


def test_dropoff_names_the_chapter_readers_leave_after() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None))
    reached = steady(400, 12, cliff=7)
    found = dropoff_recommendations(story, chapters_of(1, reached), AS_OF)
    assert len(found) == 1
    advice = found[0]
    assert advice.kind == "dropoff"
    assert advice.story_id == 1
    assert advice.chapter_id == 106  # chapter 6: readers open it, then don't open chapter 7
    assert advice.evidence["chapter_number"] == 6
    assert advice.evidence["next_chapter_number"] == 7
    assert advice.fingerprint == "dropoff:1:106"
    assert "after chapter 6" in advice.title
    assert advice.evidence["loss"] == pytest.approx(0.7, abs=0.01)
    assert advice.evidence["median_loss"] == pytest.approx(0.08, abs=0.01)
    # Half the excess loss: (0.70 − 0.08) × reached(6) / 2 readers go on to chapter 7.
    excess = (advice.evidence["loss"] - advice.evidence["median_loss"]) * reached[5]
    assert advice.evidence["readers_kept_next"] == pytest.approx(excess / 2, abs=0.05)
    assert advice.priority == pytest.approx(excess / 2, abs=0.05)
    assert f"≈ {round(excess / 2):,} more readers going on to chapter 7" in advice.expected_effect
    json.dumps(advice.evidence)  # storable as JSON


def test_dropoff_says_whether_readers_quit_inside_the_chapter() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None))
    reached = steady(400, 12, cliff=7)
    completions = [int(r * 0.9) for r in reached]
    completions[5] = int(reached[5] * 0.4)  # chapter 6 mostly abandoned half-way
    inside = dropoff_recommendations(
        story, chapters_of(1, reached, completions=completions), AS_OF
    )[0]
    assert "give up inside it" in inside.detail
    ending = dropoff_recommendations(story, chapters_of(1, reached), AS_OF)[0]
    assert "rewrite the ending" in ending.detail


def test_regular_story_gets_no_dropoff_advice() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None))
    assert dropoff_recommendations(story, chapters_of(1, steady(400, 12)), AS_OF) == []


def test_dropoff_refuses_too_little_data() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None))
    few = steady(rules.MIN_STARTING_READERS - 1, 12, cliff=7)
    assert dropoff_recommendations(story, chapters_of(1, few), AS_OF) == []
    # Chapters younger than MIN_CHAPTER_AGE_DAYS are not judged (readers are still coming).
    recent = [(AS_OF - date(2026, 1, 5)).days - 10 + i for i in range(12)]
    young = chapters_of(1, steady(400, 12, cliff=7), release_days=recent)
    assert dropoff_recommendations(story, young, AS_OF) == []


def test_loss_after_a_hiatus_is_left_to_the_cadence_rule() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None))
    days = [0, 7, 14, 21, 28, 35, 77, 84, 91, 98, 105, 112]  # 42 days before chapter 7
    found = dropoff_recommendations(
        story, chapters_of(1, steady(400, 12, cliff=7), release_days=days), AS_OF
    )
    assert found == []


# --------------------------------------------------------------------------- cadence


def _mondays(first: date, count: int) -> list[date]:
    return [first + timedelta(days=7 * i) for i in range(count)]


def test_cadence_names_the_hiatus_and_the_readers_lost() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None))
    days = [0, 7, 14, 21, 28, 35, 77, 84, 91, 98, 105, 112, 119, 126, 133, 140, 147, 154, 161, 168]
    chapters = chapters_of(1, steady(400, len(days)), release_days=days)
    weeks = dict.fromkeys(_mondays(date(2026, 1, 5), 6), 120)
    weeks |= dict.fromkeys(_mondays(date(2026, 2, 16), 6), 0)
    weeks |= dict.fromkeys(_mondays(date(2026, 3, 23), 15), 60)
    found = cadence_recommendations(story, chapters, weekly(1, weeks), AS_OF)
    assert len(found) == 1
    advice = found[0]
    assert advice.kind == "cadence"
    assert advice.story_id == 1
    assert advice.evidence["hiatus_start"] == (START + timedelta(days=35)).isoformat()
    assert advice.evidence["hiatus_end"] == (START + timedelta(days=77)).isoformat()
    assert advice.evidence["ongoing"] is False
    assert advice.evidence["days"] == 42
    assert advice.evidence["usual_days"] == 7
    assert advice.evidence["weekly_before"] == 120
    assert advice.evidence["weekly_after"] == 60
    assert advice.evidence["readers_lost"] == 60
    assert advice.fingerprint == "cadence:1:2026-02-09"
    assert "42-day break" in advice.title
    assert "50%" in advice.title
    assert "≈ 30 more readers a week" in advice.expected_effect
    assert advice.priority == pytest.approx(30 * rules.PAST_HIATUS_WEIGHT)


def test_ongoing_hiatus_is_reported_unless_the_story_is_completed() -> None:
    days = [7 * i for i in range(20)]  # the last release: May 18, 6 weeks before AS_OF
    chapters = chapters_of(1, steady(400, 20), release_days=days)
    weeks = dict.fromkeys(_mondays(date(2026, 1, 5), 20), 100)
    weeks |= dict.fromkeys(_mondays(date(2026, 5, 25), 5), 40)
    ongoing = cadence_recommendations(
        stories((1, "Glass Orchard", "ongoing", None)), chapters, weekly(1, weeks), AS_OF
    )
    assert [a.evidence["ongoing"] for a in ongoing] == [True]
    assert "has had no new chapter for" in ongoing[0].title
    assert ongoing[0].evidence["weekly_after"] == 40
    finished = cadence_recommendations(
        stories((1, "Glass Orchard", "completed", None)), chapters, weekly(1, weeks), AS_OF
    )
    assert finished == []


def test_cadence_is_silent_on_a_regular_story_and_on_too_little_data() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None))
    regular = chapters_of(1, steady(400, 25), release_days=[7 * i for i in range(25)])
    weeks = dict.fromkeys(_mondays(date(2026, 1, 5), 25), 100)
    assert cadence_recommendations(story, regular, weekly(1, weeks), AS_OF) == []
    # Two releases: no usual cadence, so no hiatus.
    two = chapters_of(1, [300, 280], release_days=[0, 90])
    assert cadence_recommendations(story, two, weekly(1, weeks), AS_OF) == []
    # A hiatus on a story too small to measure.
    days = [0, 7, 14, 21, 28, 35, 77, 84, 91, 98, 105, 112]
    small = dict.fromkeys(_mondays(date(2026, 1, 5), 6), 8)
    chapters = chapters_of(1, steady(400, 12), release_days=days)
    assert cadence_recommendations(story, chapters, weekly(1, small), AS_OF) == []


# --------------------------------------------------------------------------- paywall


def test_paywall_too_early_when_readers_leave_there_and_few_unlock() -> None:
    story = stories((1, "Glass Orchard", "ongoing", 6))
    reached = steady(400, 10, cliff=6)
    chapters = chapters_of(
        1, reached, paid_from=6, paywall_reached={6: reached[4]}, unlocked={6: reached[5]}
    )
    found = paywall_recommendations(story, chapters, AS_OF)
    assert [a.fingerprint for a in found] == ["paywall:1:6:later"]
    assert found[0].chapter_id == 106
    assert "too early" in found[0].title
    # The paywall's loss is not reported as an ordinary drop-off too.
    assert dropoff_recommendations(story, chapters, AS_OF) == []


def test_paywall_could_start_earlier_when_it_costs_nothing_and_converts() -> None:
    story = stories((1, "Glass Orchard", "ongoing", 8))
    reached = steady(400, 10)
    chapters = chapters_of(
        1,
        reached,
        paid_from=8,
        paywall_reached={8: reached[7]},
        unlocked={8: int(reached[7] * 0.8)},
    )
    found = paywall_recommendations(story, chapters, AS_OF, currency="USD")
    assert [a.fingerprint for a in found] == ["paywall:1:8:earlier"]
    assert found[0].evidence["extra_unlocks"] == pytest.approx(0.8 * reached[6], rel=0.02)
    assert "USD" in found[0].expected_effect


def test_paywall_refuses_too_little_data() -> None:
    story = stories((1, "Glass Orchard", "ongoing", 6))
    reached = steady(60, 10, cliff=6)
    chapters = chapters_of(1, reached, paid_from=6, unlocked={6: 2})
    assert paywall_recommendations(story, chapters, AS_OF) == []


# --------------------------------------------------------------------------- release time


def _hours(peaks: dict[tuple[int, int], int], rest: int = 10) -> pd.DataFrame:
    rows = [(d, h, peaks.get((d, h), rest)) for d in range(7) for h in range(24)]
    return pd.DataFrame(rows, columns=HOUR_COLUMNS)


def test_release_time_points_at_the_busiest_hours() -> None:
    # Releases on Mondays at 18:00; readers read on their own on Saturday evenings.
    days = [7 * i for i in range(26)]
    chapters = chapters_of(1, steady(400, 26, keep=0.99), release_days=days, release_day_opens=40)
    hours = _hours({(5, h): 200 for h in range(20, 24)})
    found = release_time_recommendation(chapters, hours, AS_OF)
    assert len(found) == 1
    advice = found[0]
    assert (advice.evidence["weekday"], advice.evidence["hour"]) in {(5, 18), (5, 19), (5, 20)}
    assert advice.title.startswith("Release on Saturdays around")
    assert advice.evidence["best_share"] > advice.evidence["current_share"] * 1.3
    assert "Monday 18:00 UTC" in advice.detail


def test_release_time_is_silent_when_releases_already_hit_the_peak_or_data_is_thin() -> None:
    days = [7 * i for i in range(26)]
    chapters = chapters_of(1, steady(400, 26, keep=0.99), release_days=days, release_day_opens=40)
    at_release = _hours({(0, h): 200 for h in range(18, 24)})
    assert release_time_recommendation(chapters, at_release, AS_OF) == []
    thin = _hours({(5, 20): 100}, rest=1)
    assert thin["opens"].sum() < rules.MIN_OWN_TIME_OPENS
    assert release_time_recommendation(chapters, thin, AS_OF) == []


# --------------------------------------------------------------------------- chapter length


def test_long_chapters_that_finish_less_get_length_advice() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None))
    words = [1500, 1800, 2000, 2200, 4000, 4500, 5000, 5500, 1600, 4800, 1900, 5200]
    views = [200] * 12
    completions = [int(200 * (0.95 if w < 3000 else 0.6)) for w in words]
    chapters = chapters_of(1, [200] * 12, views=views, completions=completions, words=words)
    found = chapter_length_recommendations(story, chapters, AS_OF)
    assert [a.fingerprint for a in found] == ["chapter_length:1"]
    assert found[0].evidence["rho"] < -0.5
    assert found[0].evidence["short_rate"] - found[0].evidence["long_rate"] == pytest.approx(
        0.35, abs=0.01
    )
    same = chapters_of(1, [200] * 12, words=words)  # length does not matter here
    assert chapter_length_recommendations(story, same, AS_OF) == []


# --------------------------------------------------------------------------- momentum


def test_momentum_finds_a_story_that_is_taking_off() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None), (2, "Salt", "ongoing", None))
    weeks = {
        date(2026, 6, 1): 40,
        date(2026, 6, 8): 42,
        date(2026, 6, 15): 60,
        date(2026, 6, 22): 75,
    }
    flat = dict.fromkeys(weeks, 50)
    frame = pd.concat([weekly(1, weeks), weekly(2, flat)])
    found = momentum_recommendations(story, frame, AS_OF)
    assert [a.fingerprint for a in found] == ["momentum:1"]
    assert found[0].evidence["weekly"] == [40, 42, 60, 75]
    assert found[0].evidence["change"] == pytest.approx(67.5 / 41 - 1)
    # Too few readers: no momentum, however fast the growth.
    tiny = weekly(1, {monday: n // 10 for monday, n in weeks.items()})
    assert momentum_recommendations(story, tiny, AS_OF) == []


# --------------------------------------------------------------------------- segments


def test_segments_growing_and_churning() -> None:
    rows = [
        ("US", "ios", "18-24", "organic", 400, 380, 300),
        ("BR", "android", "18-24", "social", 60, 160, 50),
        ("DE", "web", "25-34", "ads", 200, 90, 60),
    ]
    found = segment_recommendations(pd.DataFrame(rows, columns=SEGMENT_COLUMNS))
    prints = {a.fingerprint for a in found}
    assert "segment:country:BR:growing" in prints
    assert "segment:country:DE:churning" in prints
    assert len(found) <= rules.MAX_SEGMENT_RECOMMENDATIONS
    small = pd.DataFrame(
        [(*row[:4], *(n // 10 for n in row[4:])) for row in rows], columns=SEGMENT_COLUMNS
    )
    assert segment_recommendations(small) == []


# --------------------------------------------------------------------------- all rules


def test_recommend_ranks_by_priority_and_is_deterministic() -> None:
    story = stories((1, "Glass Orchard", "ongoing", None))
    inputs = WriterInputs(
        writer_id=1,
        as_of=AS_OF,
        stories=story,
        chapters=chapters_of(1, steady(400, 12, cliff=7)),
        weekly_readers=pd.DataFrame(columns=WEEKLY_COLUMNS),
        opens_by_hour=NO_HOURS,
        segments=NO_SEGMENTS,
    )
    first = recommend(inputs)
    assert [a.kind for a in first] == ["dropoff"]
    assert recommend(inputs) == first
    empty = WriterInputs(
        1, AS_OF, pd.DataFrame(columns=STORY_COLUMNS), pd.DataFrame(columns=CHAPTER_COLUMNS),
        pd.DataFrame(columns=WEEKLY_COLUMNS), NO_HOURS, NO_SEGMENTS,
    )  # fmt: skip
    assert recommend(empty) == []


def test_rank_orders_and_dedupes() -> None:
    def item(kind: str, key: str, priority: float) -> RecommendationRecord:
        return RecommendationRecord(kind, key, "t", "d", "e", priority)

    ranked = rank(
        [item("momentum", "b", 1.0), item("dropoff", "a", 5.0), item("cadence", "a", 9.0)]
    )
    assert [(r.fingerprint, r.priority) for r in ranked] == [("a", 9.0), ("b", 1.0)]
