"""Recommendations: rules over a writer's metrics that produce concrete, ranked advice
(definitions: docs/metrics.md, "Recommendations").

Pure computation (numpy / pandas / scipy): :func:`recommend` takes one writer's
:class:`WriterInputs` (DataFrames with the documented columns, read by
``data.recommendation_store``) and returns its advice as
``data.recommendation_inputs.RecommendationRecord`` records, best first.
Each record names what it is about (story / chapter), says in plain words what to do, shows
the numbers behind it (``evidence["facts"]``) and the effect to expect *with its basis*, and
carries a ``priority``: the readers the advice is expected to keep or win (per chapter or
per 4 weeks, as its effect says) times the rule's ``KIND_WEIGHTS`` (how directly the effect
follows from the advice). Ranking is by priority, then kind and fingerprint (stable).

The rules (each refuses to speak below its data thresholds, the module constants):

- ``dropoff`` (:func:`dropoff_recommendations`): a chapter after which readers leave
  abnormally often (``app.analytics.dropoff.abnormal_losses``);
- ``cadence`` (:func:`cadence_recommendations`): weekly readers lost over a release hiatus
  (``app.analytics.cadence.detect_hiatuses``), past or still going on;
- ``paywall`` (:func:`paywall_recommendations`): readers lost at the first paid chapter
  against its unlock rate (move it later), or a paywall that costs no readers and converts
  well (one chapter earlier);
- ``release_time`` (:func:`release_time_recommendation`): a weekday and hour at which the
  writer's readers read on their own far more than after the writer's usual release times;
- ``chapter_length`` (:func:`chapter_length_recommendations`): longer chapters of a story
  finished clearly less often than its shorter ones;
- ``momentum`` (:func:`momentum_recommendations`): a story whose weekly readers grow fast
  (worth promoting now);
- ``segment`` (:func:`segment_recommendations`): an audience segment (country, device, age
  band, acquisition source) growing faster than the rest, or churning more.

A ``fingerprint`` identifies the advice across runs (kind, what it concerns and its decisive
parameter): the job stores it, and a writer's dismissal is keyed by it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from app.analytics.cadence import detect_hiatuses
from app.analytics.dropoff import abnormal_losses
from app.analytics.growth import percentile_rank, relative_change
from data.currency import minor_to_major
from data.recommendation_inputs import (
    SEGMENT_DIMENSIONS,
    RecommendationRecord,
)

# --------------------------------------------------------------------------- kinds, inputs

DROPOFF = "dropoff"
RELEASE_TIME = "release_time"
CADENCE = "cadence"
PAYWALL = "paywall"
CHAPTER_LENGTH = "chapter_length"
MOMENTUM = "momentum"
SEGMENT = "segment"
KINDS = (DROPOFF, RELEASE_TIME, CADENCE, PAYWALL, CHAPTER_LENGTH, MOMENTUM, SEGMENT)

#: Priority = expected readers kept or won × this weight: 1 where the effect follows from
#: the writer's own change to a known loss, lower where it is a projection.
KIND_WEIGHTS = {
    DROPOFF: 1.0,
    CADENCE: 1.0,
    PAYWALL: 0.8,
    RELEASE_TIME: 0.5,
    CHAPTER_LENGTH: 0.5,
    MOMENTUM: 0.5,
    SEGMENT: 0.4,
}
#: An ended hiatus is a lesson for the next break, not something to fix now.
PAST_HIATUS_WEIGHT = 0.6
#: At most this many recommendations per writer (the highest priorities).
MAX_RECOMMENDATIONS = 20
#: The share of a measured excess loss that the effect statements assume the advice
#: recovers ("recovering half the excess loss keeps ≈ N more readers").
RECOVERED_SHARE = 0.5


@dataclass(frozen=True)
class WriterInputs:
    """Everything the rules read about one writer, as of ``as_of`` (the last complete UTC
    day the data covers). Frames have the ``*_COLUMNS`` above (possibly no rows)."""

    writer_id: int
    as_of: date
    stories: pd.DataFrame
    chapters: pd.DataFrame
    weekly_readers: pd.DataFrame
    opens_by_hour: pd.DataFrame
    segments: pd.DataFrame
    currency: str = "USD"


def _fact(label: str, value: Any, unit: str = "count") -> dict[str, Any]:
    if isinstance(value, float | np.floating):
        value = round(float(value), 4)
    elif isinstance(value, np.integer):
        value = int(value)
    return {"label": label, "value": value, "unit": unit}


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _int(value: float) -> str:
    return f"{round(value):,}"


def _day(value: date | datetime) -> str:
    return f"{value:%b %-d, %Y}"


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` (``as_of`` covers the whole day)."""
    return datetime.combine(day + timedelta(days=1), time.min)


def _story_titles(stories: pd.DataFrame) -> dict[int, str]:
    return {int(s): str(t) for s, t in zip(stories["story_id"], stories["title"], strict=True)}


def _published(chapters: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Chapters published by the end of ``as_of``, by story and number."""
    published = chapters[chapters["published_at"].notna()].copy()
    published["published_at"] = pd.to_datetime(published["published_at"])
    published = published[published["published_at"] < pd.Timestamp(_end_of(as_of))]
    return published.sort_values(["story_id", "number"]).reset_index(drop=True)


def _rate(numerator: float, denominator: float) -> float:
    return min(float(numerator) / float(denominator), 1.0) if denominator else 0.0


# --------------------------------------------------------------------------- drop-off

#: Chapters published less than this long before ``as_of`` are left out: their readers
#: have not all got there yet, so their "loss" is only lag.
MIN_CHAPTER_AGE_DAYS = 14
#: A story needs this many starting readers (opened chapter 1) to be checked.
MIN_STARTING_READERS = 50
#: A chapter-to-chapter loss is only measured when the previous chapter had this many
#: starting readers (fewer: noise).
MIN_PREVIOUS_READERS = 20
#: The chapter's completion rate is called "low" this far below the story's median.
LOW_COMPLETION_GAP = 0.10
#: Losses are compared from the step into this chapter on: readers sample the first chapters
#: (losses into chapters 2 and 3 are high everywhere), so those are neither flagged nor part
#: of the "usual".
FIRST_COMPARED_CHAPTER = 4
#: An abnormal loss must also be more than chance at the story's usual loss: one-sided
#: binomial p-value of the readers lost, at the median loss, below this...
DROPOFF_MAX_P_VALUE = 0.001
#: ...and lose at least this many readers above the usual loss...
MIN_EXCESS_READERS = 10
#: ...and be at least this far above it (share points): on a large story a loss of 14%
#: against a usual 5% is "significant" yet no cliff worth rewriting a chapter for.
MIN_LOSS_GAP = 0.15


def dropoff_recommendations(
    stories: pd.DataFrame, chapters: pd.DataFrame, as_of: date
) -> list[RecommendationRecord]:
    """One recommendation per abnormal chapter-to-chapter loss (robust z > 3.5, see
    ``app.analytics.dropoff``) in each story with at least ``MIN_STARTING_READERS``
    starting readers, over its chapters published ``MIN_CHAPTER_AGE_DAYS`` before
    ``as_of``. The loss into the first paid chapter is left to the paywall rule, and the
    loss into a chapter that ended a hiatus to the cadence rule (the break explains it).

    Losses are compared from the step into chapter ``FIRST_COMPARED_CHAPTER`` on, and a
    flagged loss must also be unlikely by chance (binomial p < ``DROPOFF_MAX_P_VALUE`` at
    the median loss) and exceed the usual loss by ``MIN_LOSS_GAP`` share points and
    ``MIN_EXCESS_READERS`` readers.

    The advice concerns chapter k − 1, the last one readers opened before leaving (loss at
    k = 1 − reached(k) ÷ reached(k − 1)). Expected effect: recovering ``RECOVERED_SHARE``
    of the excess loss ((loss − median loss) × reached(k − 1)) — that many more readers go
    on to chapter k (the priority) — and, at the story's own retention from k on,
    ``× reached(last) ÷ reached(k)`` of them to the last checked chapter."""
    titles = _story_titles(stories)
    paywalls = _paywall_numbers(stories, chapters)
    cutoff = pd.Timestamp(_end_of(as_of) - timedelta(days=MIN_CHAPTER_AGE_DAYS))
    found: list[RecommendationRecord] = []
    published = _published(chapters, as_of)
    for story_id, story in published.groupby("story_id", sort=True):
        story = story[story["published_at"] < cutoff].reset_index(drop=True)
        numbers = story["number"].astype(int).tolist()
        if len(numbers) < 4 or numbers[0] != 1:
            continue
        reached = story["reached"].astype(float).tolist()
        if reached[0] < MIN_STARTING_READERS:
            continue
        paywall = paywalls.get(int(story_id))
        releases = [ts.to_pydatetime() for ts in story["published_at"]]
        after_break = {h.end for h in detect_hiatuses(releases) if h.end is not None}
        losses: list[float | None] = [None]
        for index in range(1, len(numbers)):
            before = reached[index - 1]
            consecutive = numbers[index] == numbers[index - 1] + 1
            if (
                not consecutive
                or numbers[index] < FIRST_COMPARED_CHAPTER
                or before < MIN_PREVIOUS_READERS
                or numbers[index] == paywall
                or releases[index] in after_break
            ):
                losses.append(None)
            else:
                losses.append(1.0 - reached[index] / before)
        checks = abnormal_losses(losses)
        completion = [
            _rate(c, v) for c, v in zip(story["completions"], story["views"], strict=True)
        ]
        viewed = [rate for rate, v in zip(completion, story["views"], strict=True) if v > 0]
        median_completion = float(np.median(viewed)) if viewed else None
        last_reached = reached[-1]
        for index, check in enumerate(checks):
            if check is None or not check.abnormal:
                continue
            before, now = reached[index - 1], reached[index]
            excess_readers = (check.loss - check.median_loss) * before
            lost = round(before - now)
            p_value = float(stats.binom.sf(lost - 1, round(before), check.median_loss))
            if (
                excess_readers < MIN_EXCESS_READERS
                or check.loss - check.median_loss < MIN_LOSS_GAP
                or p_value >= DROPOFF_MAX_P_VALUE
            ):
                continue
            carried = last_reached / now if now else 0.0
            kept_next = RECOVERED_SHARE * excess_readers
            kept = kept_next * carried
            previous = story.iloc[index - 1]
            number = int(previous["number"])
            rate = completion[index - 1]
            title = titles.get(int(story_id), f"story {story_id}")
            if median_completion is not None and rate < median_completion - LOW_COMPLETION_GAP:
                why = (
                    f"Only {_pct(rate)} of its opens were read to the end (the story's "
                    f"chapters: {_pct(median_completion)}): readers give up inside it. "
                    "Tighten it, or split it in two."
                )
            else:
                why = (
                    f"Most readers who open it finish it ({_pct(rate)}), so its ending is "
                    "where they stop: rewrite the ending to pull readers into the next chapter."
                )
            last_number = numbers[-1]
            found.append(
                RecommendationRecord(
                    kind=DROPOFF,
                    fingerprint=f"{DROPOFF}:{int(story_id)}:{int(previous['chapter_id'])}",
                    title=f"Readers drop off after chapter {number} of “{title}”",
                    detail=(
                        f"{_pct(check.loss)} of the {_int(before)} readers who opened chapter "
                        f"{number} never opened chapter {numbers[index]}; from one chapter to "
                        f"the next this story usually loses {_pct(check.median_loss)}. {why}"
                    ),
                    expected_effect=(
                        f"Recovering half the excess loss keeps ≈ {_int(kept_next)} more "
                        f"readers going on to chapter {numbers[index]}"
                        + (
                            f" and ≈ {_int(kept)} to chapter {last_number}"
                            if kept >= 1 and last_number > numbers[index]
                            else ""
                        )
                        + f" (basis: {_int(excess_readers)} readers lost above the usual loss"
                        + (
                            f"; {_pct(carried)} of those who reach chapter {numbers[index]} "
                            f"read on to chapter {last_number})."
                            if last_number > numbers[index]
                            else ")."
                        )
                    ),
                    priority=round(KIND_WEIGHTS[DROPOFF] * kept_next, 4),
                    evidence={
                        "facts": [
                            _fact(f"Readers who opened chapter {number}", before),
                            _fact(f"…who opened chapter {numbers[index]}", now),
                            _fact("Loss at this step", check.loss, "ratio"),
                            _fact("Usual loss per chapter", check.median_loss, "ratio"),
                            _fact("Robust z-score", check.z_score, "number"),
                            _fact(f"Chapter {number} completion rate", rate, "ratio"),
                        ],
                        "chapter_number": number,
                        "next_chapter_number": int(numbers[index]),
                        "loss": round(check.loss, 6),
                        "median_loss": round(check.median_loss, 6),
                        "z_score": check.z_score,
                        "p_value": round(p_value, 10),
                        "excess_readers": round(excess_readers, 2),
                        "readers_kept_next": round(kept_next, 2),
                        "readers_kept": round(kept, 2),
                        "last_chapter_number": int(last_number),
                    },
                    story_id=int(story_id),
                    chapter_id=int(previous["chapter_id"]),
                )
            )
    return found


# --------------------------------------------------------------------------- cadence

#: Weeks averaged before and after a hiatus.
HIATUS_WINDOW_WEEKS = 4
#: Complete weeks needed after a hiatus (or since an ongoing one began) to measure it.
MIN_WEEKS_AFTER_HIATUS = 2
#: Weekly readers the story needs before the hiatus to be checked.
MIN_WEEKLY_READERS_BEFORE = 20
#: A hiatus is reported when weekly readers fell by at least this share...
MIN_HIATUS_LOSS_SHARE = 0.2
#: ...and by at least this many readers.
MIN_HIATUS_READERS_LOST = 10
#: Hiatuses that began longer ago than this are history, not advice.
HIATUS_LOOKBACK_DAYS = 365


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekly(weekly_readers: pd.DataFrame, story_id: int) -> dict[date, int]:
    rows = weekly_readers[weekly_readers["story_id"] == story_id]
    return {
        pd.Timestamp(week).date(): int(readers)
        for week, readers in zip(rows["week"], rows["readers"], strict=True)
    }


def _weeks_mean(weeks: dict[date, int], mondays: Sequence[date]) -> float:
    return float(np.mean([weeks.get(monday, 0) for monday in mondays])) if mondays else 0.0


def cadence_recommendations(
    stories: pd.DataFrame,
    chapters: pd.DataFrame,
    weekly_readers: pd.DataFrame,
    as_of: date,
) -> list[RecommendationRecord]:
    """Weekly readers lost over each story's most recent hiatus (a gap of at least max(3 ×
    the usual cadence, 14 days), ``app.analytics.cadence``; ongoing when the story is still
    silent at ``as_of``, unless its status is ``completed``) that began within
    ``HIATUS_LOOKBACK_DAYS``.

    ``before``: mean weekly distinct readers over the ``HIATUS_WINDOW_WEEKS`` complete weeks
    that ended before the last release ahead of the gap; ``after``: over the first (up to 4)
    complete weeks from the release that ended it, or for an ongoing hiatus the last (up to
    4) complete weeks inside it — at least ``MIN_WEEKS_AFTER_HIATUS``. Reported when
    ``before`` ≥ ``MIN_WEEKLY_READERS_BEFORE`` and readers lost = before − after is at
    least ``MIN_HIATUS_LOSS_SHARE`` of before and ``MIN_HIATUS_READERS_LOST``. Expected
    effect: keeping (or, ongoing, winning back) ``RECOVERED_SHARE`` of them; priority the
    same, × ``PAST_HIATUS_WEIGHT`` for an ended hiatus."""
    titles = _story_titles(stories)
    statuses = {int(i): str(v) for i, v in zip(stories["story_id"], stories["status"], strict=True)}
    last_complete_monday = _monday(as_of + timedelta(days=1)) - timedelta(days=7)
    horizon = _end_of(as_of)
    found: list[RecommendationRecord] = []
    published = _published(chapters, as_of)
    for story_id, story in published.groupby("story_id", sort=True):
        releases = [ts.to_pydatetime() for ts in story["published_at"]]
        hiatuses = [
            h
            for h in detect_hiatuses(releases, as_of=horizon)
            if h.start.date() >= as_of - timedelta(days=HIATUS_LOOKBACK_DAYS)
        ]
        if not hiatuses:
            continue
        weeks = _weekly(weekly_readers, int(story_id))
        completed = statuses.get(int(story_id)) == "completed"
        for hiatus in reversed(hiatuses):  # the most recent measurable one
            if hiatus.end is None and completed:
                continue  # a finished story is not on a break
            start = hiatus.start.date()
            first_before = _monday(start) - timedelta(days=7 * HIATUS_WINDOW_WEEKS)
            before_weeks = [
                first_before + timedelta(days=7 * i) for i in range(HIATUS_WINDOW_WEEKS)
            ]
            ongoing = hiatus.end is None
            if ongoing:
                inside = _monday(start) + timedelta(days=7)
                after_weeks = []
                monday = last_complete_monday
                while monday >= inside and len(after_weeks) < HIATUS_WINDOW_WEEKS:
                    after_weeks.insert(0, monday)
                    monday -= timedelta(days=7)
            else:
                monday = _monday(hiatus.end.date())
                after_weeks = [
                    monday + timedelta(days=7 * i)
                    for i in range(HIATUS_WINDOW_WEEKS)
                    if monday + timedelta(days=7 * i) <= last_complete_monday
                ]
            if len(after_weeks) < MIN_WEEKS_AFTER_HIATUS:
                continue
            before = _weeks_mean(weeks, before_weeks)
            after = _weeks_mean(weeks, after_weeks)
            lost = before - after
            if (
                before < MIN_WEEKLY_READERS_BEFORE
                or lost < MIN_HIATUS_READERS_LOST
                or lost < MIN_HIATUS_LOSS_SHARE * before
            ):
                break
            share = lost / before
            kept = RECOVERED_SHARE * lost
            title = titles.get(int(story_id), f"story {story_id}")
            usual = (
                f"every {hiatus.usual_days:.0f} day{'s' if round(hiatus.usual_days) != 1 else ''}"
            )
            facts = [
                _fact("Days without a release", hiatus.days, "days"),
                _fact("Usual days between releases", hiatus.usual_days, "days"),
                _fact(f"Weekly readers before (mean of {len(before_weeks)} weeks)", before),
                _fact(
                    f"Weekly readers {'since' if ongoing else 'after'} "
                    f"(mean of {len(after_weeks)} weeks)",
                    after,
                ),
                _fact("Weekly readers lost", lost),
                _fact("Share lost", share, "ratio"),
            ]
            if ongoing:
                headline = f"“{title}” has had no new chapter for {hiatus.days:.0f} days"
                detail = (
                    f"You usually release {usual}; the last chapter came out on "
                    f"{_day(hiatus.start)}. Weekly readers fell from {_int(before)} in the "
                    f"{len(before_weeks)} weeks before the break to {_int(after)} in the last "
                    f"{len(after_weeks)} weeks ({_pct(share)} fewer). Publish the next chapter, "
                    "or tell readers when the story returns."
                )
                effect = (
                    f"Winning back half of the lost weekly readers means ≈ {_int(kept)} more "
                    f"readers a week (basis: {_int(lost)} weekly readers lost since the break)."
                )
                weight = KIND_WEIGHTS[CADENCE]
            else:
                headline = (
                    f"“{title}” lost {_pct(share)} of its weekly readers over a "
                    f"{hiatus.days:.0f}-day break"
                )
                detail = (
                    f"No chapter came out between {_day(hiatus.start)} and {_day(hiatus.end)} "
                    f"(you usually release {usual}). Weekly readers: {_int(before)} in the "
                    f"{len(before_weeks)} weeks before, {_int(after)} in the "
                    f"{len(after_weeks)} weeks after. Before the next break, queue chapters "
                    "or announce the return date."
                )
                effect = (
                    f"Keeping half of them through the next break means ≈ {_int(kept)} more "
                    f"readers a week (basis: {_int(lost)} weekly readers lost over this one)."
                )
                weight = KIND_WEIGHTS[CADENCE] * PAST_HIATUS_WEIGHT
            found.append(
                RecommendationRecord(
                    kind=CADENCE,
                    fingerprint=f"{CADENCE}:{int(story_id)}:{start.isoformat()}",
                    title=headline,
                    detail=detail,
                    expected_effect=effect,
                    priority=round(weight * kept, 4),
                    evidence={
                        "facts": facts,
                        "hiatus_start": hiatus.start.isoformat(),
                        "hiatus_end": hiatus.end.isoformat() if hiatus.end else None,
                        "ongoing": ongoing,
                        "days": round(hiatus.days, 2),
                        "usual_days": round(hiatus.usual_days, 2),
                        "weekly_before": round(before, 2),
                        "weekly_after": round(after, 2),
                        "readers_lost": round(lost, 2),
                    },
                    story_id=int(story_id),
                )
            )
            break
    return found


# --------------------------------------------------------------------------- paywall

#: Readers who must have reached the first paid chapter (opened or unlocked it, or
#: completed the one before) for the paywall to be judged.
MIN_PAYWALL_READERS = 50
#: Free chapter-to-chapter losses needed to know the story's usual loss.
MIN_FREE_LOSSES = 3
#: Below this unlock rate, an abnormal loss at the paywall says "too early".
PAYWALL_LOW_CONVERSION = 0.5
#: From this unlock rate, with no unusual loss at the paywall, it could start earlier...
PAYWALL_HIGH_CONVERSION = 0.6
#: ..."no unusual loss" meaning at most this much above the usual free-chapter loss.
PAYWALL_SIMILAR_LOSS = 0.05
#: How many chapters later the "move it later" advice suggests.
PAYWALL_SHIFT_CHAPTERS = 2
#: Free chapters a story keeps at least (the "earlier" advice never goes below).
MIN_FREE_CHAPTERS = 3
#: The "earlier" advice wins unlocks (revenue), not readers: its priority is the extra
#: unlocks × this, so it ranks below advice that keeps readers.
PAYWALL_EARLIER_WEIGHT = 0.25


def _paywall_numbers(stories: pd.DataFrame, chapters: pd.DataFrame) -> dict[int, int]:
    """The first paid chapter number per story: ``paywall_from_chapter`` when set, else the
    lowest paid chapter."""
    found: dict[int, int] = {}
    paid = chapters[chapters["is_paid"].fillna(False).astype(bool)]
    for story_id, number in paid.groupby("story_id")["number"].min().items():
        found[int(story_id)] = int(number)
    for story_id, wall in zip(stories["story_id"], stories["paywall_from_chapter"], strict=True):
        if wall is not None and not pd.isna(wall):
            found[int(story_id)] = int(wall)
    return found


def paywall_recommendations(
    stories: pd.DataFrame, chapters: pd.DataFrame, as_of: date, *, currency: str = "USD"
) -> list[RecommendationRecord]:
    """Advice on each story's paywall position (first paid chapter P ≥ 2, published
    ``MIN_CHAPTER_AGE_DAYS`` before ``as_of``, reached by ``MIN_PAYWALL_READERS``, with
    ``MIN_FREE_LOSSES`` free chapter-to-chapter losses before it):

    - *later*: the loss into P is abnormal against the free losses (robust z > 3.5, at
      least ``MIN_LOSS_GAP`` above their median) and fewer than ``PAYWALL_LOW_CONVERSION``
      of the readers who reach P unlock it. Expected
      effect: ``RECOVERED_SHARE`` of the excess readers lost at P continue (priority);
    - *earlier*: the loss into P is not abnormal and at most ``PAYWALL_SIMILAR_LOSS`` above
      the usual free loss, at least ``PAYWALL_HIGH_CONVERSION``
      unlock P and more than ``MIN_FREE_CHAPTERS`` chapters are free. Expected effect: at
      the same unlock rate, chapter P − 1's readers unlocking it (count × its price);
      priority = those unlocks × ``PAYWALL_EARLIER_WEIGHT`` (revenue, not readers)."""
    titles = _story_titles(stories)
    walls = _paywall_numbers(stories, chapters)
    cutoff = pd.Timestamp(_end_of(as_of) - timedelta(days=MIN_CHAPTER_AGE_DAYS))
    found: list[RecommendationRecord] = []
    published = _published(chapters, as_of)
    for story_id, story in published.groupby("story_id", sort=True):
        wall = walls.get(int(story_id))
        if wall is None or wall < 2:
            continue
        by_number = story.set_index("number")
        if wall not in by_number.index or wall - 1 not in by_number.index:
            continue
        at_wall = by_number.loc[wall]
        if at_wall["published_at"] >= cutoff:
            continue
        reached_wall = float(at_wall["paywall_reached"])
        before = float(by_number.loc[wall - 1, "reached"])
        if reached_wall < MIN_PAYWALL_READERS or before < MIN_PREVIOUS_READERS:
            continue
        free_losses: list[float | None] = []
        for number in range(2, wall):
            if number in by_number.index and number - 1 in by_number.index:
                prior = float(by_number.loc[number - 1, "reached"])
                if prior >= MIN_PREVIOUS_READERS:
                    free_losses.append(1.0 - float(by_number.loc[number, "reached"]) / prior)
        if len(free_losses) < MIN_FREE_LOSSES:
            continue
        loss = 1.0 - float(at_wall["reached"]) / before
        check = abnormal_losses([*free_losses, loss])[-1]
        if check is None:
            continue
        conversion = _rate(at_wall["unlocked"], reached_wall)
        title = titles.get(int(story_id), f"story {story_id}")
        price = at_wall["price_minor"]
        price_minor = None if price is None or pd.isna(price) else int(price)
        facts = [
            _fact(f"Readers who reached chapter {wall} (first paid)", reached_wall),
            _fact("Unlocked it", at_wall["unlocked"]),
            _fact("Unlock rate", conversion, "ratio"),
            _fact(f"Loss into chapter {wall}", loss, "ratio"),
            _fact("Usual loss per free chapter", check.median_loss, "ratio"),
        ]
        evidence: dict[str, Any] = {
            "paywall_chapter": int(wall),
            "reached": int(reached_wall),
            "unlocked": int(at_wall["unlocked"]),
            "conversion": round(conversion, 6),
            "loss": round(loss, 6),
            "median_loss": round(check.median_loss, 6),
            "z_score": check.z_score,
        }
        if (
            check.abnormal
            and loss - check.median_loss >= MIN_LOSS_GAP
            and conversion < PAYWALL_LOW_CONVERSION
        ):
            excess = (loss - check.median_loss) * before
            kept = RECOVERED_SHARE * excess
            target = wall + PAYWALL_SHIFT_CHAPTERS
            found.append(
                RecommendationRecord(
                    kind=PAYWALL,
                    fingerprint=f"{PAYWALL}:{int(story_id)}:{wall}:later",
                    title=f"The paywall of “{title}” comes too early",
                    detail=(
                        f"{_pct(loss)} of the {_int(before)} readers of chapter {wall - 1} stop "
                        f"at chapter {wall}, the first paid one (free chapters lose "
                        f"{_pct(check.median_loss)}), and only {_pct(conversion)} of those who "
                        f"reach it unlock it. Readers who are further in are more invested: "
                        f"consider starting the paywall at chapter {target}."
                    ),
                    expected_effect=(
                        f"If a later paywall recovers half the excess loss, ≈ {_int(kept)} more "
                        f"readers continue past chapter {wall} (basis: {_int(excess)} readers "
                        f"lost above the usual loss); chapters {wall}–{target - 1} then earn "
                        "no unlocks, so weigh it against their unlock revenue."
                    ),
                    priority=round(KIND_WEIGHTS[PAYWALL] * kept, 4),
                    evidence={
                        **evidence,
                        "facts": facts,
                        "direction": "later",
                        "readers_kept": round(kept, 2),
                    },
                    story_id=int(story_id),
                    chapter_id=int(at_wall["chapter_id"]),
                )
            )
        elif (
            not check.abnormal
            and loss <= check.median_loss + PAYWALL_SIMILAR_LOSS
            and conversion >= PAYWALL_HIGH_CONVERSION
            and wall - 1 > MIN_FREE_CHAPTERS
        ):
            unlocks = conversion * before
            money = (
                f" ≈ {minor_to_major(unlocks * price_minor, currency):,.2f} {currency} at "
                f"chapter {wall}'s price"
                if price_minor
                else ""
            )
            found.append(
                RecommendationRecord(
                    kind=PAYWALL,
                    fingerprint=f"{PAYWALL}:{int(story_id)}:{wall}:earlier",
                    title=f"“{title}” could start its paywall one chapter earlier",
                    detail=(
                        f"{_pct(conversion)} of the readers who reach chapter {wall} unlock it, "
                        f"and the paywall costs no more readers than a free chapter does "
                        f"({_pct(loss)} vs {_pct(check.median_loss)} usually). Chapter "
                        f"{wall - 1} could be the first paid one."
                    ),
                    expected_effect=(
                        f"If the same {_pct(conversion)} of chapter {wall - 1}'s "
                        f"{_int(before)} readers unlocked it: ≈ {_int(unlocks)} more unlocks"
                        f"{money} (basis: the unlock rate of chapter {wall} so far)."
                    ),
                    priority=round(KIND_WEIGHTS[PAYWALL] * PAYWALL_EARLIER_WEIGHT * unlocks, 4),
                    evidence={
                        **evidence,
                        "facts": facts,
                        "direction": "earlier",
                        "extra_unlocks": round(unlocks, 2),
                    },
                    story_id=int(story_id),
                    chapter_id=int(by_number.loc[wall - 1, "chapter_id"]),
                )
            )
    return found


# --------------------------------------------------------------------------- release time

#: Recent releases and own-time opens are counted over this many days up to ``as_of``.
RELEASE_LOOKBACK_DAYS = 90
#: Releases in the look-back needed to know the writer's usual release times.
MIN_RECENT_RELEASES = 4
#: Own-time opens in the look-back needed for a weekly activity profile.
MIN_OWN_TIME_OPENS = 500
#: A release "reaches" the own-time opens of this many hours after it.
RELEASE_WINDOW_HOURS = 6
#: The best slot must catch this much more activity than the usual release times (+30%)...
MIN_RELEASE_TIME_LIFT = 0.3
#: ...and the expected gain be at least this many release-day readers per chapter.
MIN_RELEASE_TIME_READERS = 5
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _window_shares(profile: np.ndarray) -> np.ndarray:
    """For each of the 168 weekly hours, the share of opens in the ``RELEASE_WINDOW_HOURS``
    starting there (wrapping around the week)."""
    total = profile.sum()
    padded = np.concatenate([profile, profile[: RELEASE_WINDOW_HOURS - 1]])
    sums = np.convolve(padded, np.ones(RELEASE_WINDOW_HOURS), mode="valid")[: profile.size]
    return sums / total if total else np.zeros(profile.size)


def release_time_recommendation(
    chapters: pd.DataFrame, opens_by_hour: pd.DataFrame, as_of: date
) -> list[RecommendationRecord]:
    """At most one recommendation: the weekly hour (UTC) whose next
    ``RELEASE_WINDOW_HOURS`` hold the largest share of the writer's own-time opens (opens
    more than a day after publication: when readers read by themselves), when that share is
    at least ``MIN_RELEASE_TIME_LIFT`` above the mean share after the writer's releases of
    the last ``RELEASE_LOOKBACK_DAYS`` (needs ``MIN_RECENT_RELEASES`` releases and
    ``MIN_OWN_TIME_OPENS`` opens, and an expected gain of ``MIN_RELEASE_TIME_READERS``).

    Expected effect: if release-day opens follow reader activity, the median release-day
    readers per chapter × (best share ÷ current share − 1) more readers open each new
    chapter on its first day; priority = that × the kind's weight."""
    start = pd.Timestamp(_end_of(as_of) - timedelta(days=RELEASE_LOOKBACK_DAYS))
    recent = _published(chapters, as_of)
    recent = recent[recent["published_at"] >= start]
    total = float(opens_by_hour["opens"].sum()) if not opens_by_hour.empty else 0.0
    if len(recent) < MIN_RECENT_RELEASES or total < MIN_OWN_TIME_OPENS:
        return []
    profile = np.zeros(7 * 24)
    for weekday, hour, opens in zip(
        opens_by_hour["weekday"], opens_by_hour["hour"], opens_by_hour["opens"], strict=True
    ):
        profile[int(weekday) * 24 + int(hour)] += float(opens)
    shares = _window_shares(profile)
    slots = [ts.weekday() * 24 + ts.hour for ts in recent["published_at"]]
    current = float(np.mean([shares[slot] for slot in slots]))
    best = int(np.argmax(shares))
    best_share = float(shares[best])
    if current > 0 and best_share < current * (1 + MIN_RELEASE_TIME_LIFT):
        return []
    lift = best_share / current - 1 if current > 0 else None
    usual_slot = max(set(slots), key=lambda slot: (slots.count(slot), -slot))
    day_opens = recent["release_day_opens"].astype(float)
    typical = float(np.median(day_opens)) if len(day_opens) else 0.0
    more = typical * lift if lift is not None else typical
    if more < MIN_RELEASE_TIME_READERS:
        return []
    weekday, hour = divmod(best, 24)
    usual_day, usual_hour = divmod(usual_slot, 24)
    lift_text = f"{lift * 100:.0f}% more" if lift is not None else "far more"
    return [
        RecommendationRecord(
            kind=RELEASE_TIME,
            fingerprint=f"{RELEASE_TIME}:{weekday}:{hour:02d}",
            title=f"Release on {WEEKDAYS[weekday]}s around {hour:02d}:00 UTC",
            detail=(
                f"Your readers' own-time reading peaks in the {RELEASE_WINDOW_HOURS} hours "
                f"from {WEEKDAYS[weekday]} {hour:02d}:00 UTC: {_pct(best_share)} of their "
                f"chapter opens of the last {RELEASE_LOOKBACK_DAYS} days fall there, against "
                f"{_pct(current)} in the "
                f"{RELEASE_WINDOW_HOURS} hours after your releases (most often "
                f"{WEEKDAYS[usual_day]} {usual_hour:02d}:00 UTC)."
            ),
            expected_effect=(
                f"If release-day opens follow your readers' activity ({lift_text} of it), "
                f"≈ {_int(more)} more readers would open each new chapter on its first day "
                f"(basis: your chapters' median of {_int(typical)} release-day readers)."
            ),
            priority=round(KIND_WEIGHTS[RELEASE_TIME] * more, 4),
            evidence={
                "facts": [
                    _fact("Best time (UTC)", f"{WEEKDAYS[weekday]} {hour:02d}:00", "text"),
                    _fact(
                        f"Own-time opens in the next {RELEASE_WINDOW_HOURS} h", best_share, "ratio"
                    ),
                    _fact(f"…after your releases ({len(slots)} releases)", current, "ratio"),
                    _fact("Own-time chapter opens counted", total),
                    _fact("Median release-day readers per chapter", typical),
                ],
                "weekday": weekday,
                "hour": hour,
                "best_share": round(best_share, 6),
                "current_share": round(current, 6),
                "releases": len(slots),
                "opens": int(total),
                "extra_readers": round(more, 2),
            },
        )
    ]


# --------------------------------------------------------------------------- chapter length

#: A chapter counts when it has this many opens (its completion rate means something).
MIN_LENGTH_CHAPTER_VIEWS = 30
#: Counted chapters (with a word count) a story needs.
MIN_LENGTH_CHAPTERS = 8
#: Spearman correlation of length and completion rate at most this (negative)...
LENGTH_MAX_CORRELATION = -0.5
#: ...with a p-value below this...
LENGTH_MAX_P_VALUE = 0.05
#: ...and the shorter half finishing at least this much more often (share points).
MIN_LENGTH_COMPLETION_GAP = 0.08


def chapter_length_recommendations(
    stories: pd.DataFrame, chapters: pd.DataFrame, as_of: date
) -> list[RecommendationRecord]:
    """Per story with ``MIN_LENGTH_CHAPTERS`` published chapters that have a word count and
    ``MIN_LENGTH_CHAPTER_VIEWS`` opens: when completion rate (completions ÷ opens) falls with
    length (Spearman ρ ≤ ``LENGTH_MAX_CORRELATION``, p < ``LENGTH_MAX_P_VALUE``) and the
    chapters longer than the median length finish at least ``MIN_LENGTH_COMPLETION_GAP``
    less often than the rest (opens-weighted rates). Expected effect: the long chapters'
    opens × the gap more finished reads; priority = that per long chapter."""
    titles = _story_titles(stories)
    found: list[RecommendationRecord] = []
    published = _published(chapters, as_of)
    for story_id, story in published.groupby("story_id", sort=True):
        counted = story[(story["views"] >= MIN_LENGTH_CHAPTER_VIEWS) & (story["word_count"] > 0)]
        if len(counted) < MIN_LENGTH_CHAPTERS:
            continue
        words = counted["word_count"].astype(float).to_numpy()
        views = counted["views"].astype(float).to_numpy()
        done = np.minimum(counted["completions"].astype(float).to_numpy(), views)
        rates = done / views
        if np.ptp(words) == 0 or np.ptp(rates) == 0:
            continue
        rho, p_value = stats.spearmanr(words, rates)
        if not (rho <= LENGTH_MAX_CORRELATION and p_value < LENGTH_MAX_P_VALUE):
            continue
        median_words = float(np.median(words))
        long = words > median_words
        if long.sum() == 0 or (~long).sum() == 0:
            continue
        long_rate = done[long].sum() / views[long].sum()
        short_rate = done[~long].sum() / views[~long].sum()
        gap = short_rate - long_rate
        if gap < MIN_LENGTH_COMPLETION_GAP:
            continue
        gained = gap * views[long].sum()
        per_chapter = gained / int(long.sum())
        title = titles.get(int(story_id), f"story {story_id}")
        limit = int(round(median_words, -2))
        found.append(
            RecommendationRecord(
                kind=CHAPTER_LENGTH,
                fingerprint=f"{CHAPTER_LENGTH}:{int(story_id)}",
                title=f"Long chapters of “{title}” lose readers: keep them near {limit:,} words",
                detail=(
                    f"Across {len(counted)} chapters, the longer a chapter the less often it is "
                    f"finished (Spearman ρ = {rho:.2f}). The {int(long.sum())} chapters over "
                    f"{limit:,} words were finished by {_pct(long_rate)} of the readers who "
                    f"opened them, the shorter ones by {_pct(short_rate)}. Split long chapters "
                    "or trim them."
                ),
                expected_effect=(
                    f"If the long chapters were finished as often as the short ones: ≈ "
                    f"{_int(gained)} more finished chapter reads ({_int(per_chapter)} per long "
                    f"chapter; basis: their {_int(views[long].sum())} opens × the "
                    f"{gap * 100:.0f}-point gap)."
                ),
                priority=round(KIND_WEIGHTS[CHAPTER_LENGTH] * per_chapter, 4),
                evidence={
                    "facts": [
                        _fact("Chapters compared", len(counted)),
                        _fact("Median length", median_words, "words"),
                        _fact("Completion rate, longer half", long_rate, "ratio"),
                        _fact("Completion rate, shorter half", short_rate, "ratio"),
                        _fact("Spearman ρ (length vs completion)", float(rho), "number"),
                    ],
                    "rho": round(float(rho), 6),
                    "p_value": round(float(p_value), 8),
                    "median_words": median_words,
                    "long_rate": round(float(long_rate), 6),
                    "short_rate": round(float(short_rate), 6),
                    "completions_gained": round(float(gained), 2),
                },
                story_id=int(story_id),
            )
        )
    return found


# --------------------------------------------------------------------------- momentum

#: Complete weeks compared: the last ``MOMENTUM_WEEKS`` against the ``MOMENTUM_WEEKS`` before.
MOMENTUM_WEEKS = 2
#: Weekly readers the earlier weeks need (a story growing from almost nothing is noise).
MIN_MOMENTUM_READERS = 20
#: Growth at least this (+25%)...
MIN_MOMENTUM_CHANGE = 0.25
#: ...and at least this many more weekly readers.
MIN_MOMENTUM_GAIN = 15


def momentum_recommendations(
    stories: pd.DataFrame, weekly_readers: pd.DataFrame, as_of: date
) -> list[RecommendationRecord]:
    """Stories whose mean weekly readers over the last ``MOMENTUM_WEEKS`` complete weeks
    grew by at least ``MIN_MOMENTUM_CHANGE`` and ``MIN_MOMENTUM_GAIN`` readers against the
    ``MOMENTUM_WEEKS`` before (which had at least ``MIN_MOMENTUM_READERS``), and whose
    latest week is not below the one before it (still rising). Expected effect: the same
    growth over the next ``MOMENTUM_WEEKS`` weeks (recent × change more weekly readers);
    priority = that. Evidence also ranks the change among the writer's stories."""
    titles = _story_titles(stories)
    last = _monday(as_of + timedelta(days=1)) - timedelta(days=7)
    recent_weeks = [last - timedelta(days=7 * i) for i in range(MOMENTUM_WEEKS)][::-1]
    earlier_weeks = [recent_weeks[0] - timedelta(days=7 * (i + 1)) for i in range(MOMENTUM_WEEKS)]
    earlier_weeks = earlier_weeks[::-1]
    changes: dict[int, tuple[float, float, float | None, list[int]]] = {}
    for story_id in sorted({int(s) for s in stories["story_id"]}):
        weeks = _weekly(weekly_readers, story_id)
        recent = _weeks_mean(weeks, recent_weeks)
        earlier = _weeks_mean(weeks, earlier_weeks)
        series = [weeks.get(monday, 0) for monday in [*earlier_weeks, *recent_weeks]]
        changes[story_id] = (recent, earlier, relative_change(recent, earlier), series)
    known = [c for _, _, c, _ in changes.values() if c is not None]
    found: list[RecommendationRecord] = []
    for story_id, (recent, earlier, change, series) in changes.items():
        if (
            change is None
            or earlier < MIN_MOMENTUM_READERS
            or change < MIN_MOMENTUM_CHANGE
            or recent - earlier < MIN_MOMENTUM_GAIN
            or series[-1] < series[-2]
        ):
            continue
        projected = recent * change
        rank = percentile_rank(known, change)
        title = titles.get(story_id, f"story {story_id}")
        found.append(
            RecommendationRecord(
                kind=MOMENTUM,
                fingerprint=f"{MOMENTUM}:{story_id}",
                title=f"“{title}” is gaining momentum: promote it now",
                detail=(
                    f"Weekly readers grew from {_int(earlier)} to {_int(recent)} "
                    f"(+{change * 100:.0f}%, the last {MOMENTUM_WEEKS} weeks against the "
                    f"{MOMENTUM_WEEKS} before; week by week: "
                    f"{', '.join(_int(value) for value in series)}). A post to your "
                    "followers or a featured slot adds to a story readers are already "
                    "picking up."
                ),
                expected_effect=(
                    f"If it keeps growing like this for {MOMENTUM_WEEKS} more weeks: ≈ "
                    f"{_int(projected)} more weekly readers (basis: +{change * 100:.0f}% "
                    f"over the last {MOMENTUM_WEEKS} weeks)."
                ),
                priority=round(KIND_WEIGHTS[MOMENTUM] * projected, 4),
                evidence={
                    "facts": [
                        _fact(f"Weekly readers, last {MOMENTUM_WEEKS} weeks", recent),
                        _fact(f"…the {MOMENTUM_WEEKS} weeks before", earlier),
                        _fact("Change", change, "ratio"),
                        _fact(
                            "Better than or as good as (your stories)", (rank or 0) / 100, "ratio"
                        ),
                    ],
                    "weekly": series,
                    "weeks": [monday.isoformat() for monday in [*earlier_weeks, *recent_weeks]],
                    "change": round(change, 6),
                    "projected_gain": round(projected, 2),
                },
                story_id=story_id,
            )
        )
    return found


# --------------------------------------------------------------------------- segments

#: Days of each of the two windows compared (the last 28 days and the 28 before).
SEGMENT_WINDOW_DAYS = 28
#: Readers a segment needs in the window a rule compares from.
MIN_SEGMENT_READERS = 50
#: Two-sided p-value a difference must beat (two-proportion z-test).
SEGMENT_MAX_P_VALUE = 0.01
#: Churning: the segment's readers come back this much less often (share points).
MIN_SEGMENT_RETENTION_GAP = 0.10
#: Growing: the segment's growth beats the writer's whole audience by this much.
MIN_SEGMENT_GROWTH_GAP = 0.25
#: At most this many segment recommendations (the highest priorities).
MAX_SEGMENT_RECOMMENDATIONS = 3
DEVICE_LABELS = {"ios": "iOS", "android": "Android", "web": "the web"}


def segment_label(dimension: str, value: str) -> str:
    """How a segment reads in a sentence: "readers in BR", "readers on iOS", "readers aged
    18-24", "readers who came from ads"."""
    if dimension == "country":
        return f"readers in {value}"
    if dimension == "device":
        return f"readers on {DEVICE_LABELS.get(value, value)}"
    if dimension == "age_band":
        return f"readers aged {value}"
    return f"readers who came from {value}"


def _two_proportion_p(hits_a: float, n_a: float, hits_b: float, n_b: float) -> float:
    if n_a <= 0 or n_b <= 0:
        return 1.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if spread == 0:
        return 1.0
    z = (hits_a / n_a - hits_b / n_b) / spread
    return float(2 * stats.norm.sf(abs(z)))


def segment_recommendations(segments: pd.DataFrame) -> list[RecommendationRecord]:
    """Per known trait value (``SEGMENT_DIMENSIONS``; unknown traits are not a segment):

    - *churning*: of the segment's ``previous`` readers (≥ ``MIN_SEGMENT_READERS``), the
      share ``retained`` is at least ``MIN_SEGMENT_RETENTION_GAP`` below the rest of the
      writer's readers' (p < ``SEGMENT_MAX_P_VALUE``). Effect: previous × gap readers kept
      per 4 weeks at the rest's rate;
    - *growing*: ``current`` readers (≥ ``MIN_SEGMENT_READERS``) grew at least
      ``MIN_SEGMENT_GROWTH_GAP`` more than the whole audience did, and its share of the
      audience rose (p < ``SEGMENT_MAX_P_VALUE``). Effect: the same gain (current −
      previous) again over the next 4 weeks.

    Priority = the effect × the kind's weight; traits that select the same readers count
    once; at most ``MAX_SEGMENT_RECOMMENDATIONS``."""
    if segments.empty:
        return []
    total_prev = float(segments["previous"].sum())
    total_cur = float(segments["current"].sum())
    total_kept = float(segments["retained"].sum())
    overall_change = relative_change(total_cur, total_prev)
    found: list[RecommendationRecord] = []
    for dimension in SEGMENT_DIMENSIONS:
        sums = (
            segments.dropna(subset=[dimension])
            .groupby(dimension)[["previous", "current", "retained"]]
            .sum()
        )
        for value, row in sums.iterrows():
            prev, cur, kept = float(row["previous"]), float(row["current"]), float(row["retained"])
            who = segment_label(dimension, str(value))
            rest_prev = total_prev - prev
            if prev >= MIN_SEGMENT_READERS and rest_prev >= MIN_SEGMENT_READERS:
                rate = kept / prev
                rest_rate = (total_kept - kept) / rest_prev
                p_value = _two_proportion_p(kept, prev, total_kept - kept, rest_prev)
                if rest_rate - rate >= MIN_SEGMENT_RETENTION_GAP and p_value < SEGMENT_MAX_P_VALUE:
                    saved = prev * (rest_rate - rate)
                    found.append(
                        RecommendationRecord(
                            kind=SEGMENT,
                            fingerprint=f"{SEGMENT}:{dimension}:{value}:churning",
                            title=f"You are losing {who}",
                            detail=(
                                f"Of the {_int(prev)} {who} active in the {SEGMENT_WINDOW_DAYS} "
                                f"days before the last {SEGMENT_WINDOW_DAYS}, {_pct(rate)} came "
                                f"back; {_pct(rest_rate)} of your other readers did. Check what "
                                "they read last and how your stories reach them."
                            ),
                            expected_effect=(
                                f"Bringing them back as often as your other readers keeps ≈ "
                                f"{_int(saved)} more readers every {SEGMENT_WINDOW_DAYS} days "
                                f"(basis: {_int(prev)} readers × the "
                                f"{(rest_rate - rate) * 100:.0f}-point gap)."
                            ),
                            priority=round(KIND_WEIGHTS[SEGMENT] * saved, 4),
                            evidence={
                                "facts": [
                                    _fact(f"Active {SEGMENT_WINDOW_DAYS} days before", prev),
                                    _fact("Came back", rate, "ratio"),
                                    _fact("Your other readers came back", rest_rate, "ratio"),
                                ],
                                "dimension": dimension,
                                "value": str(value),
                                "direction": "churning",
                                "counts": [int(prev), int(cur), int(kept)],
                                "p_value": round(p_value, 8),
                            },
                        )
                    )
            change = relative_change(cur, prev)
            if (
                cur >= MIN_SEGMENT_READERS
                and prev > 0
                and change is not None
                and overall_change is not None
                and change - overall_change >= MIN_SEGMENT_GROWTH_GAP
            ):
                p_value = _two_proportion_p(cur, total_cur, prev, total_prev)
                if p_value < SEGMENT_MAX_P_VALUE:
                    gain = cur - prev
                    found.append(
                        RecommendationRecord(
                            kind=SEGMENT,
                            fingerprint=f"{SEGMENT}:{dimension}:{value}:growing",
                            title=f"More and more {who} are finding you",
                            detail=(
                                f"{_int(cur)} {who} were active in the last "
                                f"{SEGMENT_WINDOW_DAYS} days, {_int(prev)} in the "
                                f"{SEGMENT_WINDOW_DAYS} before ({change * 100:+.0f}%, your whole "
                                f"audience {overall_change * 100:+.0f}%). Reach out to them where "
                                "they come from."
                            ),
                            expected_effect=(
                                f"If they keep coming at this pace: ≈ {_int(gain)} more of them "
                                f"in the next {SEGMENT_WINDOW_DAYS} days (basis: the gain of the "
                                f"last {SEGMENT_WINDOW_DAYS} days)."
                            ),
                            priority=round(KIND_WEIGHTS[SEGMENT] * gain, 4),
                            evidence={
                                "facts": [
                                    _fact(f"Active, last {SEGMENT_WINDOW_DAYS} days", cur),
                                    _fact(f"Active, {SEGMENT_WINDOW_DAYS} days before", prev),
                                    _fact("Change", change, "ratio"),
                                    _fact("Whole audience change", overall_change, "ratio"),
                                ],
                                "dimension": dimension,
                                "value": str(value),
                                "direction": "growing",
                                "counts": [int(prev), int(cur), int(kept)],
                                "p_value": round(p_value, 8),
                            },
                        )
                    )
    # Traits that pick out the very same readers (every reader in BR on Android, say) are
    # one finding: keep the first dimension's (``SEGMENT_DIMENSIONS`` order).
    distinct: list[RecommendationRecord] = []
    groups: set[tuple[Any, ...]] = set()
    for item in found:
        group = (item.evidence["direction"], *item.evidence["counts"])
        if group not in groups:
            groups.add(group)
            distinct.append(item)
    distinct.sort(key=_order)
    return distinct[:MAX_SEGMENT_RECOMMENDATIONS]


# --------------------------------------------------------------------------- all rules


def _order(item: RecommendationRecord) -> tuple[float, str, str]:
    return (-item.priority, item.kind, item.fingerprint)


def rank(recommendations: Iterable[RecommendationRecord]) -> list[RecommendationRecord]:
    """``recommendations`` best first (priority, then kind and fingerprint), one per
    fingerprint (the first), at most ``MAX_RECOMMENDATIONS``."""
    seen: set[str] = set()
    ordered = []
    for item in sorted(recommendations, key=_order):
        if item.fingerprint in seen:
            continue
        seen.add(item.fingerprint)
        ordered.append(item)
    return ordered[:MAX_RECOMMENDATIONS]


def recommend(inputs: WriterInputs) -> list[RecommendationRecord]:
    """Every rule over ``inputs``, ranked (:func:`rank`). Deterministic for equal inputs."""
    found: list[RecommendationRecord] = []
    found += dropoff_recommendations(inputs.stories, inputs.chapters, inputs.as_of)
    found += cadence_recommendations(
        inputs.stories, inputs.chapters, inputs.weekly_readers, inputs.as_of
    )
    found += paywall_recommendations(
        inputs.stories, inputs.chapters, inputs.as_of, currency=inputs.currency
    )
    found += release_time_recommendation(inputs.chapters, inputs.opens_by_hour, inputs.as_of)
    found += chapter_length_recommendations(inputs.stories, inputs.chapters, inputs.as_of)
    found += momentum_recommendations(inputs.stories, inputs.weekly_readers, inputs.as_of)
    found += segment_recommendations(inputs.segments)
    return rank(found)
