"""Rankings and comparisons of stories (definitions: docs/metrics.md, "Rankings").

Ranking is a sort of :func:`data.queries.content.story_performance` by one of
``RANKABLE_METRICS``; the comparison gives one story's row with the frames it is compared
against (the writer's other stories, the platform's stories of the same genre), so the
median and percentile are computed by ``app.analytics`` without exposing other writers'
rows to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.models import Story
from data.queries.common import story_in_scope
from data.queries.content import STORY_COLUMNS, story_performance
from data.queries.filters import FilterError, Period, Scope

RANKABLE_METRICS = (
    "views",
    "unique_readers",
    "reading_seconds",
    "completions",
    "completion_rate",
    "likes",
    "comments",
    "shares",
    "follows",
    "revenue",
    "revenue_per_reader",
)


def rank_stories(
    session: Session,
    scope: Scope,
    period: Period,
    metric: str = "views",
    *,
    descending: bool = True,
    limit: int | None = None,
    genre: str | None = None,
) -> pd.DataFrame:
    """The scope's stories sorted by ``metric`` (ties by story id), with a 1-based
    ``rank`` column first. Raises ``FilterError`` for a metric not in ``RANKABLE_METRICS``
    or a non-positive ``limit``."""
    if metric not in RANKABLE_METRICS:
        raise FilterError(f"metric must be one of {', '.join(RANKABLE_METRICS)}")
    if limit is not None and limit < 1:
        raise FilterError("limit must be at least 1")
    stories = story_performance(session, scope, period, genre=genre)
    if stories.empty:
        return pd.DataFrame(columns=["rank", *STORY_COLUMNS])
    ordered = stories.sort_values(
        [metric, "story_id"], ascending=[not descending, True], kind="mergesort"
    ).reset_index(drop=True)
    if limit is not None:
        ordered = ordered.head(limit)
    ordered.insert(0, "rank", range(1, len(ordered) + 1))
    return ordered


@dataclass(frozen=True)
class ComparisonFrames:
    """``story``: the story's performance row; ``writer_stories``: every story of its
    writer (itself included); ``genre_stories``: every platform story of its genre."""

    story: pd.Series
    writer_stories: pd.DataFrame
    genre_stories: pd.DataFrame


def comparison_frames(
    session: Session, scope: Scope, story_id: int, period: Period
) -> ComparisonFrames | None:
    """The frames a story is compared with, or ``None`` when it is not in the scope."""
    story = story_in_scope(session, scope, story_id)
    if story is None:
        return None
    # One performance frame for the union of both sets: the writer's stories of the
    # genre are counted once.
    ids = session.scalars(
        select(Story.id).where(or_(Story.writer_id == story.writer_id, Story.genre == story.genre))
    )
    stories = story_performance(session, Scope(), period, story_ids=list(ids))
    writer_stories = stories[stories["writer_id"] == story.writer_id].reset_index(drop=True)
    genre_stories = stories[stories["genre"] == story.genre].reset_index(drop=True)
    row = writer_stories.loc[writer_stories["story_id"] == story_id].iloc[0]
    return ComparisonFrames(row, writer_stories, genre_stories)
