"""Anomaly detection on daily series, and the likely source of an anomaly (docs/metrics.md,
"Alerts"). Pure computation: numpy, pandas and scipy only, no storage.

**Expected value and range of a day** (:func:`expected_range`). A day ``t`` is judged
against the ``BASELINE_WEEKS`` full weeks before it (days ``t−7K … t−1``, fewer weeks when
the series is younger, never fewer than ``MIN_HISTORY_DAYS`` days), with a multiplicative
weekly model ``y = level(d) × weekday(d) × (1 + ε)``:

1. *level*: the mean of each of those weeks (a full week holds every weekday once, so the
   weekly pattern cancels), with a robust linear trend through the weekly means (Theil–Sen:
   the median of the pairwise slopes, so one unusual week does not bend it), read off at
   ``t`` — a growing story is expected to keep growing, not judged against its old level;
2. *weekday factor*: per weekday, the median of ``y ÷ level`` over the history days of that
   weekday, rescaled so that the seven factors average 1 (weekends 40% lower, or a weekly
   release day, are part of the expectation, not anomalies);
3. *spread*: the relative errors ``y ÷ (level × weekday) − 1`` of each baseline week
   predicted by the same fit on the other weeks (held out, so the error of estimating the
   level and the factors counts too); their median absolute deviation × 1.4826 (a standard
   deviation for normal noise that ignores a few outlying days) times the expected value.
   It is never below ``√expected`` (counting
   noise: a day with 25 expected readers varies by ±5 from chance alone), nor the mean
   absolute held-out error of that weekday × √(π/2) (the same standard deviation for normal
   noise, but it also sees lumpy series — revenue that comes as a few purchases on some days and nothing
   on most — whose median error is 0), nor ``MIN_RELATIVE_SPREAD`` of the expected value,
   nor ``MIN_SPREAD``;
4. *range*: ``expected ± THRESHOLD_Z × spread``, the lower end clipped at 0.

**Anomaly** (:func:`judge_day`): the observed value is outside the range *and* differs from
the expected value by at least ``MIN_RELATIVE_DEVIATION`` of it and by the caller's
``min_deviation`` (a per-metric floor, so 3 readers instead of 1 is not an alert). The
``score`` is ``|observed − expected| ÷ spread``; the severity is ``high`` from
``SEVERITY_Z["high"]``, ``medium`` from ``SEVERITY_Z["medium"]``, else ``low``.

**Too little history**: no judgement (``None``) for a day fewer than ``MIN_HISTORY_DAYS``
days after the series' first non-zero day, or when fewer than ``MIN_ACTIVE_DAYS`` days of
its baseline window are non-zero.

**Likely source** (:func:`dimension_contributions`, :func:`likely_source`). The anomalous
day's value broken down by a dimension (story, writer, reader country, acquisition
source) is compared with each value's expected value: the median of the same weekday over
the ``ATTRIBUTION_WEEKS`` weeks before (a missing day counts as 0). A value's *share of the
deviation* is its own deviation ÷ the dimension's total deviation (how much of the extra —
or missing — amount it accounts for); its *excess* is that share minus its share of the
expected total (a country that always brings 80% of readers and brings 80% of the extra
readers explains nothing). The source named is the value with the largest excess across
dimensions, when its share is at least ``MIN_SOURCE_SHARE`` and its excess at least
``MIN_SOURCE_EXCESS``; a story that had a chapter released that day makes the source a
``release``. Otherwise the change is spread out (kind ``None``). Ties break on the order
of ``SOURCE_KINDS``, then the value, so the answer is deterministic.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

#: Full weeks before a day that form its baseline.
BASELINE_WEEKS = 8
#: Days a series must have existed (since its first non-zero day) before a day is judged:
#: four weeks, so every weekday has been seen four times.
MIN_HISTORY_DAYS = 28
#: Non-zero days the baseline window needs (a mostly empty series has no pattern to judge).
MIN_ACTIVE_DAYS = 14
#: Half-width of the expected range in spreads: with normal noise a normal day falls outside
#: it about once in 2,000 days (about once in 400 with the spread estimated from 8 weeks).
THRESHOLD_Z = 3.5
#: The spread is at least this share of the expected value …
MIN_RELATIVE_SPREAD = 0.05
#: … and at least this much (in the series' unit).
MIN_SPREAD = 1.0
#: An anomaly differs from the expected value by at least this share of it.
MIN_RELATIVE_DEVIATION = 0.2
#: Scales a median absolute deviation to a standard deviation (normal noise).
MAD_SCALE = 1.4826
#: Scales a mean absolute deviation to a standard deviation (normal noise): √(π/2).
MAE_SCALE = math.sqrt(math.pi / 2)
#: Severity by score (|observed − expected| ÷ spread), highest first.
SEVERITY_Z: dict[str, float] = {"high": 8.0, "medium": 5.0, "low": THRESHOLD_Z}
SPIKE, DROP = "spike", "drop"

#: Dimensions a deviation is attributed to, in tie-break order.
SOURCE_KINDS = ("story", "writer", "country", "acquisition_source")
#: A story's deviation on a day it released a chapter is reported as this kind.
RELEASE = "release"
#: Weeks of the same weekday that give a dimension value its expected value.
ATTRIBUTION_WEEKS = 4
#: A source is named when it accounts for at least this share of the deviation …
MIN_SOURCE_SHARE = 0.5
#: … and that share exceeds its usual share of the total by at least this much.
MIN_SOURCE_EXCESS = 0.25
#: How the summary names a metric's deviation, per direction.
DEVIATION_NOUNS: dict[str, dict[str, str]] = {
    "readers": {SPIKE: "the extra readers", DROP: "the missing readers"},
    "views": {SPIKE: "the extra views", DROP: "the missing views"},
    "revenue": {SPIKE: "the extra revenue", DROP: "the lost revenue"},
}


# --------------------------------------------------------------------------- detection


@dataclass(frozen=True)
class Expectation:
    """What a day was expected to be: ``expected`` within ``low`` … ``high``.

    ``spread`` is one standard deviation of a normal day (the range is ``THRESHOLD_Z``
    spreads each side); ``level`` the trend level at the day, ``weekday_factor`` its
    weekday's factor (``expected = level × weekday_factor``), ``trend_per_week`` the
    level's change per week, ``history_days`` the baseline days used."""

    day: date
    expected: float
    low: float
    high: float
    spread: float
    level: float
    weekday_factor: float
    trend_per_week: float
    history_days: int


@dataclass(frozen=True)
class Anomaly:
    """A day outside its expected range. ``direction`` is ``spike`` or ``drop``,
    ``severity`` ``low``/``medium``/``high``, ``score`` the deviation in spreads and
    ``relative_change`` ``(observed − expected) ÷ expected`` (``None`` when 0 was
    expected)."""

    day: date
    observed: float
    expected: float
    low: float
    high: float
    direction: str
    severity: str
    score: float
    relative_change: float | None
    expectation: Expectation


def daily_values(series: pd.Series) -> pd.Series:
    """``series`` as floats on a consecutive daily ``date`` index from its first to its last
    day (missing days 0; NaN counts as 0). Accepts ``date``, ``datetime`` or ``Timestamp``
    index values."""
    if series.empty:
        return pd.Series([], index=pd.Index([], dtype=object), dtype=float)
    index = pd.DatetimeIndex(pd.to_datetime(pd.Index(series.index))).normalize()
    values = pd.Series(series.to_numpy(dtype=float), index=index).fillna(0.0)
    values = values.groupby(level=0).sum()
    full = pd.date_range(values.index.min(), values.index.max(), freq="D")
    values = values.reindex(full, fill_value=0.0)
    return pd.Series(values.to_numpy(), index=pd.Index([d.date() for d in full]), dtype=float)


def _mad(values: np.ndarray) -> float:
    """Median absolute deviation from the median, scaled to a standard deviation."""
    if values.size == 0:
        return 0.0
    return float(MAD_SCALE * np.median(np.abs(values - np.median(values))))


@functools.lru_cache(maxsize=16)
def _pairs(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)`` with ``i < j < count``."""
    first, second = np.triu_indices(count, k=1)
    return first, second


def _theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``(slope, intercept)`` of the Theil–Sen line: the median of the slopes between all
    pairs of points, and the intercept ``median(y) − slope × median(x)`` (as
    ``scipy.stats.theilslopes``, without its confidence interval)."""
    if len(x) < 2:
        return 0.0, float(np.median(y)) if len(y) else 0.0
    first, second = _pairs(len(x))
    run = x[second] - x[first]
    valid = run != 0
    slope = float(np.median((y[second] - y[first])[valid] / run[valid])) if valid.any() else 0.0
    return slope, float(np.median(y) - slope * np.median(x))


def _fit(history: np.ndarray, offsets: np.ndarray) -> tuple[float, float, np.ndarray]:
    """``(slope, intercept, weekday factors)`` of whole weeks: ``history`` and ``offsets``
    (day offsets from the judged day) are ``weeks × 7`` arrays whose columns are weekdays
    (column 0 is the judged day's weekday). A Theil–Sen line through the weekly means, then
    per column the median ratio of value to level, rescaled to average 1."""
    slope, intercept = _theil_sen(offsets.mean(axis=1), history.mean(axis=1))
    level = intercept + slope * offsets
    if (level > 0).all():
        factors = np.median(history / level, axis=0)
    else:  # a trend down to zero: use the days whose level is still positive
        factors = np.ones(7)
        for column in range(7):
            positive = level[:, column] > 0
            if positive.any():
                factors[column] = np.median(history[positive, column] / level[positive, column])
    if factors.mean() > 0:
        factors = factors / factors.mean()
    return slope, intercept, factors


def _held_out_errors(history: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Errors of each week predicted by a fit on the other weeks: relative ``y ÷ prediction
    − 1`` (days predicted as 0 left out, flat) and absolute ``y − prediction`` (every day,
    ``weeks × 7`` like ``history``).
    Out-of-sample errors include the error of estimating the level and the weekday factors,
    which in-sample residuals hide (with eight weeks they understate the spread of a new day
    by about a quarter)."""
    relative, absolute = [], []
    weeks = history.shape[0]
    for week in range(weeks):
        keep = np.arange(weeks) != week
        slope, intercept, factors = _fit(history[keep], offsets[keep])
        predicted = np.maximum(intercept + slope * offsets[week], 0.0) * factors
        positive = predicted > 0
        relative.append(history[week][positive] / predicted[positive] - 1.0)
        absolute.append(history[week] - predicted)
    if not relative:
        return np.array([]), np.zeros((0, 7))
    return np.concatenate(relative), np.vstack(absolute)


@dataclass(frozen=True)
class _Daily:
    """A series normalised for the detector: consecutive daily ``values`` from ``start``."""

    start: date | None
    values: np.ndarray

    @classmethod
    def of(cls, series: pd.Series) -> _Daily:
        values = daily_values(series)
        if values.empty:
            return cls(None, np.array([]))
        return cls(values.index[0], values.to_numpy(dtype=float))

    def window(self, first: date, days: int) -> np.ndarray:
        """``days`` values from ``first`` (0 outside the series)."""
        result = np.zeros(days)
        if self.start is None:
            return result
        begin = (first - self.start).days
        lo, hi = max(begin, 0), min(begin + days, len(self.values))
        if hi > lo:
            result[lo - begin : hi - begin] = self.values[lo:hi]
        return result

    def first_nonzero_before(self, day: date) -> date | None:
        if self.start is None:
            return None
        end = max(min((day - self.start).days, len(self.values)), 0)
        nonzero = np.flatnonzero(self.values[:end])
        return None if nonzero.size == 0 else self.start + timedelta(days=int(nonzero[0]))

    def at(self, day: date) -> float:
        return float(self.window(day, 1)[0])


def _expectation(daily: _Daily, day: date) -> Expectation | None:
    """:func:`expected_range` on a normalised series."""
    first = daily.first_nonzero_before(day)
    if first is None or (day - first).days < MIN_HISTORY_DAYS:
        return None
    weeks = min(BASELINE_WEEKS, (day - first).days // 7)
    history = daily.window(day - timedelta(days=7 * weeks), 7 * weeks)
    if int(np.count_nonzero(history)) < MIN_ACTIVE_DAYS:
        return None
    # weeks × 7: column 0 holds the judged day's weekday (offsets −7k)
    offsets = np.arange(-7 * weeks, 0, dtype=float).reshape(weeks, 7)
    history = history.reshape(weeks, 7)
    slope, intercept, factors = _fit(history, offsets)
    relative_errors, absolute_errors = _held_out_errors(history, offsets)
    relative_spread = _mad(relative_errors)
    # the judged day's weekday only (column 0): weekends vary less in absolute terms
    lumpy_spread = MAE_SCALE * float(np.mean(np.abs(absolute_errors[:, 0])))
    level = max(intercept, 0.0)
    factor = float(factors[0])
    expected = level * factor
    spread = max(
        relative_spread * expected,
        lumpy_spread,
        math.sqrt(expected),
        MIN_RELATIVE_SPREAD * expected,
        MIN_SPREAD,
    )
    return Expectation(
        day=day,
        expected=expected,
        low=max(expected - THRESHOLD_Z * spread, 0.0),
        high=expected + THRESHOLD_Z * spread,
        spread=spread,
        level=level,
        weekday_factor=factor,
        trend_per_week=7.0 * slope,
        history_days=7 * weeks,
    )


def expected_range(series: pd.Series, day: date) -> Expectation | None:
    """The expected value and range of ``day`` from the days of ``series`` before it (see
    the module docstring); ``None`` when the series has too little history to judge it.
    ``series`` is indexed by day (missing days count as 0); its value on ``day`` and after
    is not used."""
    return _expectation(_Daily.of(series), day)


def _severity(score: float) -> str:
    for name, threshold in SEVERITY_Z.items():
        if score >= threshold:
            return name
    return "low"


def _assess(
    daily: _Daily, day: date, min_deviation: float
) -> tuple[Expectation | None, Anomaly | None]:
    """The day's expectation (``None``: cannot be judged) and its anomaly (``None``: none)."""
    expectation = _expectation(daily, day)
    if expectation is None:
        return None, None
    observed = daily.at(day)
    if expectation.low <= observed <= expectation.high:
        return expectation, None
    deviation = observed - expectation.expected
    needed = max(min_deviation, MIN_RELATIVE_DEVIATION * expectation.expected)
    if abs(deviation) < needed or deviation == 0:
        return expectation, None
    score = abs(deviation) / expectation.spread
    anomaly = Anomaly(
        day=day,
        observed=observed,
        expected=expectation.expected,
        low=expectation.low,
        high=expectation.high,
        direction=SPIKE if deviation > 0 else DROP,
        severity=_severity(score),
        score=score,
        relative_change=deviation / expectation.expected if expectation.expected else None,
        expectation=expectation,
    )
    return expectation, anomaly


def _judge(daily: _Daily, day: date, min_deviation: float) -> Anomaly | None:
    return _assess(daily, day, min_deviation)[1]


def judge_day(series: pd.Series, day: date, *, min_deviation: float = 0.0) -> Anomaly | None:
    """The anomaly on ``day`` of ``series`` (its value that day against
    :func:`expected_range`), or ``None`` when the day is normal, too small a change (below
    ``min_deviation`` in the series' unit or ``MIN_RELATIVE_DEVIATION``), or cannot be
    judged (too little history)."""
    return _judge(_Daily.of(series), day, float(min_deviation))


def detect_anomalies(
    series: pd.Series, days: Iterable[date], *, min_deviation: float = 0.0
) -> list[Anomaly]:
    """:func:`judge_day` for each of ``days`` (each judged against the days before it only),
    the anomalies by day."""
    daily = _Daily.of(series)
    found = [_judge(daily, day, float(min_deviation)) for day in sorted(set(days))]
    return [anomaly for anomaly in found if anomaly is not None]


def judged_days(
    series: pd.Series, days: Iterable[date], *, min_deviation: float = 0.0
) -> dict[date, Anomaly | None]:
    """Each of ``days`` that can be judged (enough history), mapped to its anomaly or
    ``None`` when it is normal; days that cannot be judged are left out. Callers that store
    anomalies use it to tell "normal now" (retract an old alert) from "not judged"."""
    daily = _Daily.of(series)
    result: dict[date, Anomaly | None] = {}
    for day in sorted(set(days)):
        expectation, anomaly = _assess(daily, day, float(min_deviation))
        if expectation is not None:
            result[day] = anomaly
    return result


# --------------------------------------------------------------------------- attribution


@dataclass(frozen=True)
class Release:
    """A chapter published on the anomalous day (``number`` its chapter number)."""

    story_id: int
    chapter_id: int
    number: int | None
    label: str


@dataclass(frozen=True)
class Contribution:
    """One dimension value on the anomalous day: ``observed`` vs ``expected``, its
    ``share`` of the dimension's deviation and its ``expected_share`` of the expected
    total."""

    kind: str
    value: str
    label: str
    observed: float
    expected: float
    share: float
    expected_share: float

    @property
    def excess(self) -> float:
        return self.share - self.expected_share


@dataclass(frozen=True)
class Attribution:
    """The likely source of a deviation.

    ``kind`` is one of ``SOURCE_KINDS``, ``RELEASE`` (a story that released a chapter that
    day) or ``None`` (no single source stands out); ``value`` and ``label`` name it (a
    story id and title, a writer id and name, a country code, an acquisition source),
    ``share`` is the part of the deviation it accounts for (0–1), ``story_id`` the story
    for story and release sources, ``releases`` the chapters that story (or, without a
    story source, the scope) released that day, ``summary`` one sentence saying it, and
    ``top`` the largest contributors per dimension (evidence)."""

    kind: str | None
    value: str | None
    label: str | None
    share: float | None
    story_id: int | None
    releases: tuple[Release, ...]
    summary: str
    top: dict[str, list[Contribution]] = field(default_factory=dict)


CONTRIBUTION_COLUMNS = ["kind", "value", "label", "observed", "expected"]


def dimension_contributions(
    frame: pd.DataFrame, day: date, baseline_days: Sequence[date]
) -> pd.DataFrame:
    """Observed and expected amount per dimension value on ``day``.

    ``frame`` is long: ``kind``, ``value``, ``label``, ``day``, ``amount`` for ``day`` and
    ``baseline_days`` (the same weekday of earlier weeks); a value missing on a day had 0.
    Returns ``CONTRIBUTION_COLUMNS``: ``observed`` = the amount on ``day``, ``expected`` =
    the median over ``baseline_days``; values that are 0 on every day are left out. Sorted
    by kind and value."""
    if frame.empty:
        return pd.DataFrame(columns=CONTRIBUTION_COLUMNS)
    data = frame.assign(value=frame["value"].astype(str), amount=frame["amount"].astype(float))
    labels = data.groupby(["kind", "value"])["label"].first()
    wide = data.pivot_table(
        index=["kind", "value"], columns="day", values="amount", aggfunc="sum", fill_value=0.0
    )
    wide = wide.reindex(columns=[day, *baseline_days], fill_value=0.0)
    baseline = wide[list(baseline_days)].median(axis=1) if baseline_days else 0.0
    result = pd.DataFrame(
        {"observed": wide[day].astype(float), "expected": baseline}, index=wide.index
    )
    result = result[(result["observed"] != 0) | (result["expected"] != 0)]
    result = result.join(labels).reset_index().sort_values(["kind", "value"])
    return result[CONTRIBUTION_COLUMNS].reset_index(drop=True)


def _contributions(frame: pd.DataFrame, direction: str) -> dict[str, list[Contribution]]:
    """Per kind, its values' contributions in the anomaly's direction, best first (a kind
    whose own total did not move that way explains nothing and is left out)."""
    sign = 1.0 if direction == SPIKE else -1.0
    result: dict[str, list[Contribution]] = {}
    for kind in SOURCE_KINDS:
        part = frame[frame["kind"] == kind]
        if part.empty:
            continue
        total_expected = float(part["expected"].sum())
        total_deviation = sign * float(part["observed"].sum() - total_expected)
        if total_deviation <= 0:
            continue
        items = [
            Contribution(
                kind=kind,
                value=str(row.value),
                label=str(row.label),
                observed=float(row.observed),
                expected=float(row.expected),
                share=sign * (float(row.observed) - float(row.expected)) / total_deviation,
                expected_share=float(row.expected) / total_expected if total_expected else 0.0,
            )
            for row in part.itertuples(index=False)
        ]
        items.sort(key=lambda item: (-item.excess, -item.share, item.value))
        result[kind] = items
    return result


def _percent(share: float) -> str:
    return f"{round(min(max(share, 0.0), 1.0) * 100)}%"


def _chapters(releases: Sequence[Release]) -> str:
    numbers = sorted({r.number for r in releases if r.number is not None})
    if not numbers:
        return "a chapter was" if len(releases) == 1 else f"{len(releases)} chapters were"
    if len(numbers) == 1:
        return f"chapter {numbers[0]} was"
    return "chapters " + ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]} were"


def _subject(kind: str, label: str) -> str:
    if kind in ("story", RELEASE):
        return f"Story '{label}' accounts"
    if kind == "writer":
        return f"Writer '{label}' accounts"
    if kind == "country":
        return f"Readers in {label} account"
    return f"Readers who came through {label} account"


def describe_source(
    kind: str | None,
    label: str | None,
    share: float | None,
    direction: str,
    metric: str,
    releases: Sequence[Release] = (),
) -> str:
    """One sentence naming the source, e.g. "Story 'X' accounts for 82% of the extra
    readers; chapter 14 was released that day." (``releases``: that story's releases, or
    for ``kind`` ``None`` the scope's releases that day)."""
    noun = DEVIATION_NOUNS.get(metric, {}).get(direction, f"the change in {metric}")
    if kind is None or label is None or share is None:
        text = "No single story, country or acquisition source stands out: the change is spread across them"
        if releases:
            return f"{text}; {_chapters(releases)} released that day."
        return f"{text}."
    text = f"{_subject(kind, label)} for {_percent(share)} of {noun}"
    if releases:
        return f"{text}; {_chapters(releases)} released that day."
    return f"{text}."


def likely_source(
    contributions: pd.DataFrame,
    direction: str,
    metric: str,
    releases: Sequence[Release] = (),
    *,
    top: int = 3,
) -> Attribution:
    """The likely source of a ``direction`` (``spike``/``drop``) deviation of ``metric``
    from ``contributions`` (``CONTRIBUTION_COLUMNS``, as :func:`dimension_contributions`
    gives them for one or more kinds) and the chapters released that day (see the module
    docstring). ``top`` contributors per kind are kept as evidence. Deterministic."""
    if direction not in (SPIKE, DROP):
        raise ValueError(f"direction must be {SPIKE!r} or {DROP!r}, not {direction!r}")
    by_kind = _contributions(contributions, direction)
    leaders = [items[0] for items in by_kind.values()]
    leaders.sort(key=lambda item: (-item.excess, SOURCE_KINDS.index(item.kind)))
    evidence = {kind: items[:top] for kind, items in by_kind.items()}
    best = leaders[0] if leaders else None
    if best is None or best.share < MIN_SOURCE_SHARE or best.excess < MIN_SOURCE_EXCESS:
        return Attribution(
            None, None, None, None, None, tuple(releases),
            describe_source(None, None, None, direction, metric, releases), evidence,
        )  # fmt: skip
    story_id = int(best.value) if best.kind == "story" and best.value.isdigit() else None
    own = tuple(r for r in releases if story_id is not None and r.story_id == story_id)
    kind = RELEASE if own and direction == SPIKE else best.kind
    share = min(max(best.share, 0.0), 1.0)
    return Attribution(
        kind=kind,
        value=best.value,
        label=best.label,
        share=share,
        story_id=story_id,
        releases=own,
        summary=describe_source(kind, best.label, share, direction, metric, own),
        top=evidence,
    )


def contribution_records(attribution: Attribution) -> dict[str, list[dict[str, object]]]:
    """``attribution.top`` as plain JSON-ready dicts (rounded numbers)."""
    return {
        kind: [
            {
                "value": item.value,
                "label": item.label,
                "observed": round(item.observed, 2),
                "expected": round(item.expected, 2),
                "share": round(item.share, 4),
                "expected_share": round(item.expected_share, 4),
            }
            for item in items
        ]
        for kind, items in attribution.top.items()
    }
