"""Content performance per story and per chapter, and revenue by source.

Definitions (docs/metrics.md, "Content performance"): every counter comes from the daily
rollups over the period's UTC days; a story's ``unique_readers`` is distinct readers with any
activity on it (``story_reader_daily``); a chapter's ``new_readers`` is readers who opened
it for the first time in the period (``reader_chapter_progress``). Revenue is in minor units
of the reporting currency, split by source (chapter unlocks, tips, subscriptions). The
engagement score is added by ``app.analytics.engagement.story_engagement_score`` from the
columns these frames carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data.models import (
    Chapter,
    ChapterDaily,
    ReaderChapterProgress,
    Story,
    StoryDaily,
    StoryReaderDaily,
    WriterDaily,
)
from data.queries.common import bounds, ratio, scoped, story_in_scope
from data.queries.filters import Period, Scope

SRD = StoryReaderDaily

#: Counter columns of the performance frames, in order.
CONTENT_COUNTERS = (
    "views",
    "reading_seconds",
    "completions",
    "likes",
    "comments",
    "shares",
    "follows",
    "unlocks",
    "tips",
    "subscriptions",
    "revenue_unlock",
    "revenue_tip",
    "revenue_subscription",
)
STORY_COLUMNS = [
    "story_id",
    "title",
    "genre",
    "status",
    "writer_id",
    "chapters",
    *CONTENT_COUNTERS,
    "unique_readers",
    "revenue",
    "completion_rate",
    "revenue_per_reader",
]


def _sums(table: type) -> list:
    c = table
    return [
        func.coalesce(func.sum(c.chapter_views), 0).label("views"),
        func.coalesce(func.sum(c.reading_seconds), 0).label("reading_seconds"),
        func.coalesce(func.sum(c.completions), 0).label("completions"),
        func.coalesce(func.sum(c.likes), 0).label("likes"),
        func.coalesce(func.sum(c.comments), 0).label("comments"),
        func.coalesce(func.sum(c.shares), 0).label("shares"),
        func.coalesce(func.sum(c.follows), 0).label("follows"),
        func.coalesce(func.sum(c.unlocks), 0).label("unlocks"),
        func.coalesce(func.sum(c.tips), 0).label("tips"),
        func.coalesce(func.sum(c.subscriptions), 0).label("subscriptions"),
        func.coalesce(func.sum(c.revenue_unlock_minor), 0).label("revenue_unlock"),
        func.coalesce(func.sum(c.revenue_tip_minor), 0).label("revenue_tip"),
        func.coalesce(func.sum(c.revenue_subscription_minor), 0).label("revenue_subscription"),
    ]


def _finish(result: pd.DataFrame) -> pd.DataFrame:
    for name in (*CONTENT_COUNTERS, "unique_readers"):
        result[name] = result[name].fillna(0).astype("int64")
    result["revenue"] = (
        result["revenue_unlock"] + result["revenue_tip"] + result["revenue_subscription"]
    )
    result["completion_rate"] = ratio(result["completions"], result["views"])
    result["revenue_per_reader"] = ratio(result["revenue"], result["unique_readers"])
    return result


def story_performance(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    story_ids: list[int] | None = None,
    genre: str | None = None,
) -> pd.DataFrame:
    """One row per catalog story of the scope (optionally only ``story_ids`` / ``genre``),
    stories without activity included with zeros, ordered by ``story_id``; columns
    ``STORY_COLUMNS``. Ids outside the scope are ignored (never another writer's data).
    """
    catalog = scoped(
        select(
            Story.id,
            Story.title,
            Story.genre,
            Story.status,
            Story.writer_id,
            select(func.count(Chapter.id))
            .where(Chapter.story_id == Story.id)
            .scalar_subquery()
            .label("chapters"),
        ).order_by(Story.id),
        Story.writer_id,
        scope,
    )
    if story_ids is not None:
        catalog = catalog.where(Story.id.in_(story_ids))
    if genre is not None:
        catalog = catalog.where(Story.genre == genre)
    stories = pd.DataFrame(
        session.execute(catalog).all(),
        columns=["story_id", "title", "genre", "status", "writer_id", "chapters"],
    )
    if stories.empty:
        return pd.DataFrame(columns=STORY_COLUMNS)
    ids = [int(value) for value in stories["story_id"]]
    in_period = StoryDaily.day.between(period.start, period.end)
    sums = select(StoryDaily.story_id, *_sums(StoryDaily)).where(in_period)
    readers = select(SRD.story_id, func.count(func.distinct(SRD.reader_id))).where(
        SRD.day.between(period.start, period.end)
    )
    if not (scope.is_platform and story_ids is None and genre is None):
        sums = sums.where(StoryDaily.story_id.in_(ids))
        readers = readers.where(SRD.story_id.in_(ids))
    sums_frame = pd.DataFrame(
        session.execute(sums.group_by(StoryDaily.story_id)).all(),
        columns=["story_id", *CONTENT_COUNTERS],
    )
    readers_frame = pd.DataFrame(
        session.execute(readers.group_by(SRD.story_id)).all(),
        columns=["story_id", "unique_readers"],
    )
    result = stories.merge(sums_frame, on="story_id", how="left").merge(
        readers_frame, on="story_id", how="left"
    )
    return _finish(result)[STORY_COLUMNS].reset_index(drop=True)


CHAPTER_COLUMNS = [
    "chapter_id",
    "number",
    "title",
    "is_paid",
    "published_at",
    *CONTENT_COUNTERS,
    "new_readers",
    "revenue",
    "completion_rate",
]


def chapter_performance(
    session: Session, scope: Scope, story_id: int, period: Period
) -> pd.DataFrame:
    """One row per catalog chapter of ``story_id`` by number (``CHAPTER_COLUMNS``), with
    the period's counters; empty when the story is not in the scope."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=CHAPTER_COLUMNS)
    chapters = pd.DataFrame(
        session.execute(
            select(Chapter.id, Chapter.number, Chapter.title, Chapter.is_paid, Chapter.published_at)
            .where(Chapter.story_id == story_id)
            .order_by(Chapter.number)
        ).all(),
        columns=["chapter_id", "number", "title", "is_paid", "published_at"],
    )
    sums = pd.DataFrame(
        session.execute(
            select(ChapterDaily.chapter_id, *_sums(ChapterDaily))
            .where(
                ChapterDaily.story_id == story_id,
                ChapterDaily.day.between(period.start, period.end),
            )
            .group_by(ChapterDaily.chapter_id)
        ).all(),
        columns=["chapter_id", *CONTENT_COUNTERS],
    )
    result = _finish(
        chapters.merge(sums, on="chapter_id", how="left").merge(
            _new_readers_by_number(session, story_id, chapters["number"].tolist(), period),
            on="number",
            how="left",
        )
    )
    result = result.rename(columns={"unique_readers": "new_readers"})
    result["is_paid"] = result["is_paid"].astype(bool)
    return result[CHAPTER_COLUMNS].reset_index(drop=True)


def _new_readers_by_number(
    session: Session, story_id: int, numbers: list[int], period: Period
) -> pd.DataFrame:
    """Readers of ``story_id`` who opened chapter ``number`` (one of ``numbers``) for the
    first time in ``period``: ``number``, ``unique_readers``. One index range per chapter
    (``…_story_id_chapter_number``: story, number, first open), so only the period's first
    opens are read, not every progress row of the story (a popular story has 100,000)."""
    if not numbers:
        return pd.DataFrame(columns=["number", "unique_readers"])
    start, end = bounds(period)
    p = ReaderChapterProgress
    rows = session.execute(
        select(p.chapter_number, func.count())
        .where(
            p.story_id == story_id,
            p.chapter_number.in_(numbers),
            and_(p.first_started_at >= start, p.first_started_at < end),
        )
        .group_by(p.chapter_number)
    ).all()
    return pd.DataFrame(rows, columns=["number", "unique_readers"])


@dataclass(frozen=True)
class RevenueSummary:
    """Revenue of a scope over a period, in minor units; ``by_day`` has one row per day
    (``day``, ``unlocks``, ``tips``, ``subscriptions``, ``total``), ``by_story`` one row
    per story with revenue (``story_id``, ``title``, the same columns), by total."""

    total: int
    unlocks: int
    tips: int
    subscriptions: int
    unique_readers: int
    paying_readers: int
    revenue_per_reader: float
    revenue_per_paying_reader: float
    by_day: pd.DataFrame
    by_story: pd.DataFrame


def revenue_summary(session: Session, scope: Scope, period: Period) -> RevenueSummary:
    """Revenue by source for the scope and period (see :class:`RevenueSummary`).

    ``unique_readers`` is distinct readers active on the scope's stories in the period;
    ``paying_readers`` those of them with any revenue in the period.
    """
    in_period = WriterDaily.day.between(period.start, period.end)
    daily = pd.DataFrame(
        session.execute(
            scoped(
                select(
                    WriterDaily.day,
                    func.sum(WriterDaily.revenue_unlock_minor),
                    func.sum(WriterDaily.revenue_tip_minor),
                    func.sum(WriterDaily.revenue_subscription_minor),
                )
                .where(in_period)
                .group_by(WriterDaily.day),
                WriterDaily.writer_id,
                scope,
            )
        ).all(),
        columns=["day", "unlocks", "tips", "subscriptions"],
    ).set_index("day")
    by_day = pd.DataFrame(index=pd.Index(period.day_list(), name="day")).join(daily).fillna(0)
    by_day = by_day.astype("int64")
    by_day["total"] = by_day.sum(axis=1)
    stories = story_performance(session, scope, period)
    by_story = stories.loc[
        stories["revenue"] > 0,
        ["story_id", "title", "revenue_unlock", "revenue_tip", "revenue_subscription", "revenue"],
    ].rename(
        columns={
            "revenue_unlock": "unlocks",
            "revenue_tip": "tips",
            "revenue_subscription": "subscriptions",
            "revenue": "total",
        }
    )
    by_story = by_story.sort_values(["total", "story_id"], ascending=[False, True])
    readers_statement = scoped(
        select(
            func.count(func.distinct(SRD.reader_id)),
            func.count(func.distinct(SRD.reader_id)).filter(SRD.revenue_minor > 0),
        ).where(SRD.day.between(period.start, period.end)),
        SRD.writer_id,
        scope,
    )
    readers, paying = session.execute(readers_statement).one()
    totals = by_day[["unlocks", "tips", "subscriptions", "total"]].sum()
    total = int(totals["total"])
    return RevenueSummary(
        total=total,
        unlocks=int(totals["unlocks"]),
        tips=int(totals["tips"]),
        subscriptions=int(totals["subscriptions"]),
        unique_readers=int(readers or 0),
        paying_readers=int(paying or 0),
        revenue_per_reader=total / readers if readers else 0.0,
        revenue_per_paying_reader=total / paying if paying else 0.0,
        by_day=by_day.reset_index(),
        by_story=by_story.reset_index(drop=True),
    )
