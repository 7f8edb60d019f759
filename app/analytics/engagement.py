"""Engagement scores and reader segments (definitions: docs/metrics.md).

Pure functions over plain numbers or numpy arrays / pandas Series (vectorised: every
argument may be a scalar or an array of the same length).

- :func:`story_engagement_score`: 0–100 for a story or chapter over a period;
  :func:`engagement_scores` the same for every row of a table of counters.
- :func:`reader_segment`: casual / regular / loyal from the share of the period's days a
  reader was active with the writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: Weights of the interaction count in the engagement score.
INTERACTION_WEIGHTS = {"likes": 1.0, "comments": 2.0, "shares": 3.0, "follows": 3.0}
#: Weights of the three parts of the engagement score (they sum to 1).
SCORE_WEIGHTS = {"completion": 0.5, "interaction": 0.3, "reading": 0.2}
#: The counters of the engagement score besides the readers (its keyword arguments).
SCORE_COUNTERS = (
    "views",
    "completions",
    "reading_seconds",
    "likes",
    "comments",
    "shares",
    "follows",
)
#: Reading minutes per reader at which the reading part of the score is full.
FULL_READING_MINUTES = 60.0
#: Weighted interactions per reader at which the interaction part of the score is full.
FULL_INTERACTIONS_PER_READER = 1.0

#: Segment thresholds: share of the period's days with activity (lower bounds).
REGULAR_MIN_ACTIVE_SHARE = 0.10
LOYAL_MIN_ACTIVE_SHARE = 0.30
SEGMENTS = ("casual", "regular", "loyal")


def _ratio(numerator: Any, denominator: Any) -> Any:
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), 0.0)


def story_engagement_score(
    *,
    readers: Any,
    views: Any,
    completions: Any,
    reading_seconds: Any,
    likes: Any,
    comments: Any,
    shares: Any,
    follows: Any,
) -> Any:
    """The engagement score, 0–100 (0 when there are no readers or views):

    ``100 × (0.5 × completion rate + 0.3 × min(1, weighted interactions per reader)
    + 0.2 × min(1, reading minutes per reader / 60))`` where completion rate is
    completions ÷ views capped at 1 and weighted interactions are likes + 2 × comments
    + 3 × shares + 3 × follows. Returns a float for scalar inputs, else an array.
    """
    completion = np.minimum(_ratio(completions, views), 1.0)
    interactions = (
        INTERACTION_WEIGHTS["likes"] * np.asarray(likes, dtype=float)
        + INTERACTION_WEIGHTS["comments"] * np.asarray(comments, dtype=float)
        + INTERACTION_WEIGHTS["shares"] * np.asarray(shares, dtype=float)
        + INTERACTION_WEIGHTS["follows"] * np.asarray(follows, dtype=float)
    )
    interaction = np.minimum(_ratio(interactions, readers) / FULL_INTERACTIONS_PER_READER, 1.0)
    reading = np.minimum(_ratio(reading_seconds, readers) / 60.0 / FULL_READING_MINUTES, 1.0)
    score = 100.0 * (
        SCORE_WEIGHTS["completion"] * completion
        + SCORE_WEIGHTS["interaction"] * interaction
        + SCORE_WEIGHTS["reading"] * reading
    )
    score = np.round(score, 6)
    return float(score) if np.ndim(score) == 0 else score


def engagement_scores(counters: Mapping[str, Any], readers: str = "unique_readers") -> np.ndarray:
    """:func:`story_engagement_score` of every row of ``counters`` (a DataFrame, or any
    mapping of column name to equally long values) that holds the ``SCORE_COUNTERS``
    columns and the ``readers`` column: a float array, empty for no rows."""
    scores = story_engagement_score(
        readers=counters[readers], **{name: counters[name] for name in SCORE_COUNTERS}
    )
    return np.asarray(scores, dtype=float).reshape(-1)


def reader_segment(active_days: Any, period_days: int) -> Any:
    """``loyal`` when the reader was active on at least 30% of the period's days,
    ``regular`` from 10%, else ``casual`` (a 28-day period: 1–2 days casual, 3–8 regular,
    9 or more loyal). Returns a str for a scalar, else an object array.

    Raises ``ValueError`` when ``period_days`` is not positive.
    """
    if period_days < 1:
        raise ValueError("period_days must be at least 1")
    share = np.asarray(active_days, dtype=float) / float(period_days)
    # Compare with a tolerance so 3 of 30 days counts as exactly 10%.
    segment = np.where(
        share >= LOYAL_MIN_ACTIVE_SHARE - 1e-9,
        "loyal",
        np.where(share >= REGULAR_MIN_ACTIVE_SHARE - 1e-9, "regular", "casual"),
    ).astype(object)
    return str(segment) if np.ndim(segment) == 0 else segment
