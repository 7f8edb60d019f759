"""Overview KPIs and daily series for a writer or the whole platform.

Definitions (docs/metrics.md): views = chapter opens (``chapter_start``); unique readers =
distinct readers with any activity on the scope's stories in the period (from
``story_reader_daily``, never a sum of daily counts); reading time = seconds reported by
``chapter_progress``; completion rate = completions / views; new followers = ``follow``
events; revenue = unlocks + tips + subscriptions, in minor units.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Story, StoryReaderDaily, Writer, WriterDaily
from data.queries.filters import Period, Scope


@dataclass(frozen=True)
class KpiSpec:
    key: str
    label: str
    unit: str  # count | money | ratio | seconds
    help_text: str


KPI_SPECS = (
    KpiSpec("views", "Views", "count", "Chapter opens in the period."),
    KpiSpec("unique_readers", "Unique readers", "count", "Distinct readers of your stories."),
    KpiSpec("reading_seconds", "Reading hours", "seconds", "Time spent reading your chapters."),
    KpiSpec("completion_rate", "Completion rate", "ratio", "Chapter completions per chapter open."),
    KpiSpec("follows", "New followers", "count", "New follows of you or your stories."),
    KpiSpec("revenue", "Revenue", "money", "Unlocks, tips and subscriptions."),
)


@dataclass(frozen=True)
class Kpi:
    """One KPI for a period and its previous period; ``change`` is relative and ``None``
    when the previous value is zero."""

    key: str
    label: str
    unit: str
    help_text: str
    value: float
    previous: float

    @property
    def change(self) -> float | None:
        if not self.previous:
            return None
        return (self.value - self.previous) / abs(self.previous)


_SUMMED = (
    WriterDaily.chapter_views,
    WriterDaily.reading_seconds,
    WriterDaily.completions,
    WriterDaily.follows,
    WriterDaily.revenue_unlock_minor,
    WriterDaily.revenue_tip_minor,
    WriterDaily.revenue_subscription_minor,
)


def _scoped(statement, column, scope: Scope):
    return statement if scope.is_platform else statement.where(column == scope.writer_id)


def unique_readers(session: Session, scope: Scope, period: Period) -> int:
    """Distinct readers active on the scope's stories within ``period``."""
    statement = select(func.count(func.distinct(StoryReaderDaily.reader_id))).where(
        StoryReaderDaily.day.between(period.start, period.end)
    )
    return int(session.scalar(_scoped(statement, StoryReaderDaily.writer_id, scope)) or 0)


def period_totals(session: Session, scope: Scope, period: Period) -> dict[str, float]:
    """Every KPI's value over ``period`` (keys of ``KPI_SPECS``)."""
    statement = select(*(func.coalesce(func.sum(column), 0) for column in _SUMMED)).where(
        WriterDaily.day.between(period.start, period.end)
    )
    views, seconds, completions, follows, unlocks, tips, subs = session.execute(
        _scoped(statement, WriterDaily.writer_id, scope)
    ).one()
    return {
        "views": float(views),
        "unique_readers": float(unique_readers(session, scope, period)),
        "reading_seconds": float(seconds),
        "completion_rate": float(completions) / float(views) if views else 0.0,
        "follows": float(follows),
        "revenue": float(unlocks + tips + subs),
    }


def overview_kpis(session: Session, scope: Scope, period: Period) -> list[Kpi]:
    """KPI values for ``period`` with the previous period alongside."""
    current = period_totals(session, scope, period)
    previous = period_totals(session, scope, period.previous())
    return [
        Kpi(spec.key, spec.label, spec.unit, spec.help_text, current[spec.key], previous[spec.key])
        for spec in KPI_SPECS
    ]


def daily_series(session: Session, scope: Scope, period: Period) -> pd.DataFrame:
    """One row per day of ``period`` (days without data are zero), indexed by ``day``,
    with a column per KPI key plus ``completions``."""
    statement = (
        select(
            WriterDaily.day,
            func.sum(WriterDaily.chapter_views).label("views"),
            func.sum(WriterDaily.reading_seconds).label("reading_seconds"),
            func.sum(WriterDaily.completions).label("completions"),
            func.sum(WriterDaily.follows).label("follows"),
            func.sum(
                WriterDaily.revenue_unlock_minor
                + WriterDaily.revenue_tip_minor
                + WriterDaily.revenue_subscription_minor
            ).label("revenue"),
        )
        .where(WriterDaily.day.between(period.start, period.end))
        .group_by(WriterDaily.day)
    )
    sums = pd.DataFrame(
        session.execute(_scoped(statement, WriterDaily.writer_id, scope)).all(),
        columns=["day", "views", "reading_seconds", "completions", "follows", "revenue"],
    )
    readers_statement = (
        select(
            StoryReaderDaily.day,
            func.count(func.distinct(StoryReaderDaily.reader_id)).label("unique_readers"),
        )
        .where(StoryReaderDaily.day.between(period.start, period.end))
        .group_by(StoryReaderDaily.day)
    )
    readers = pd.DataFrame(
        session.execute(_scoped(readers_statement, StoryReaderDaily.writer_id, scope)).all(),
        columns=["day", "unique_readers"],
    )
    frame = pd.DataFrame(index=pd.Index(period.day_list(), name="day"))
    frame = frame.join(sums.set_index("day")).join(readers.set_index("day")).fillna(0)
    frame = frame.astype(float)
    frame["completion_rate"] = (frame["completions"] / frame["views"]).where(
        frame["views"] > 0, 0.0
    )
    return frame[
        [
            "views",
            "unique_readers",
            "reading_seconds",
            "completion_rate",
            "follows",
            "revenue",
            "completions",
        ]
    ]


def writer_choices(session: Session) -> list[tuple[int, str]]:
    """Every writer as ``(id, display name)``, by name (for the admin writer picker)."""
    rows = session.execute(select(Writer.id, Writer.display_name).order_by(Writer.display_name))
    return [(writer_id, name) for writer_id, name in rows]


def writer_name(session: Session, writer_id: int) -> str | None:
    """The writer's display name, or ``None`` when there is no such writer."""
    return session.scalar(select(Writer.display_name).where(Writer.id == writer_id))


def writer_leaderboard(session: Session, period: Period) -> pd.DataFrame:
    """One row per writer with the period's KPIs (revenue in minor units), by revenue."""
    sums = (
        select(
            WriterDaily.writer_id,
            func.sum(WriterDaily.chapter_views).label("views"),
            func.sum(WriterDaily.reading_seconds).label("reading_seconds"),
            func.sum(WriterDaily.completions).label("completions"),
            func.sum(WriterDaily.follows).label("follows"),
            func.sum(
                WriterDaily.revenue_unlock_minor
                + WriterDaily.revenue_tip_minor
                + WriterDaily.revenue_subscription_minor
            ).label("revenue"),
        )
        .where(WriterDaily.day.between(period.start, period.end))
        .group_by(WriterDaily.writer_id)
        .subquery()
    )
    readers = (
        select(
            StoryReaderDaily.writer_id,
            func.count(func.distinct(StoryReaderDaily.reader_id)).label("unique_readers"),
        )
        .where(StoryReaderDaily.day.between(period.start, period.end))
        .group_by(StoryReaderDaily.writer_id)
        .subquery()
    )
    stories = (
        select(Story.writer_id, func.count(Story.id).label("stories"))
        .group_by(Story.writer_id)
        .subquery()
    )
    statement = (
        select(
            Writer.id.label("writer_id"),
            Writer.display_name.label("writer"),
            func.coalesce(stories.c.stories, 0),
            func.coalesce(sums.c.views, 0),
            func.coalesce(readers.c.unique_readers, 0),
            func.coalesce(sums.c.reading_seconds, 0),
            func.coalesce(sums.c.completions, 0),
            func.coalesce(sums.c.follows, 0),
            func.coalesce(sums.c.revenue, 0),
        )
        .select_from(Writer)
        .outerjoin(sums, sums.c.writer_id == Writer.id)
        .outerjoin(readers, readers.c.writer_id == Writer.id)
        .outerjoin(stories, stories.c.writer_id == Writer.id)
    )
    columns = [
        "writer_id",
        "writer",
        "stories",
        "views",
        "unique_readers",
        "reading_seconds",
        "completions",
        "follows",
        "revenue",
    ]
    frame = pd.DataFrame(session.execute(statement).all(), columns=columns)
    frame["completion_rate"] = (frame["completions"] / frame["views"]).where(
        frame["views"] > 0, 0.0
    )
    return frame.sort_values(["revenue", "views"], ascending=False).reset_index(drop=True)
