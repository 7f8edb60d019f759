"""Storage of the recommendations job: what the rules read about a writer, and the atomic
replacement of the writer's stored advice (read side and dismissals:
``data.queries.recommendations``, ``data.recommendations``).

Contract:

- :func:`recommendation_as_of` — the last day the advice is based on: yesterday (the last
  complete UTC day), or the last day with any rollup row when that is earlier (a platform
  whose data stops, like a demo database, is judged at its last day, not after weeks of
  silence that would read as a hiatus of every story).
- :func:`recommendation_inputs` — one writer's inputs in a handful of bulk queries over the
  rollups and the catalog (never raw events, never one query per chapter): stories,
  chapters with their whole-life counts (``story_chapter_stats``, ``chapter_daily``) and
  release-day opens (``reader_chapter_progress``), distinct readers per story and week
  (``story_reader_daily``), own-time chapter opens by UTC weekday and hour
  (``reader_chapter_progress``) and active readers per trait combination in two windows
  (``writer_reader_daily`` with ``readers``). The frames' columns are the ``*_COLUMNS``
  below, the same as ``app.analytics.recommendations`` documents.
- :func:`replace_recommendations` — deletes the writer's stored advice and inserts the new
  set (ranked 1..n in the given order) in the caller's transaction; never commits, so a
  reader sees the whole previous set or the whole new one. Dismissals
  (``recommendation_dismissals``) are keyed by fingerprint and are not touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, delete, func, insert, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Integer

from data.db import utcnow
from data.models import (
    RELEASE_DAY_SECONDS,
    Chapter,
    ChapterDaily,
    Reader,
    ReaderChapterProgress,
    Recommendation,
    Story,
    StoryChapterStats,
    StoryReaderDaily,
    Writer,
    WriterDaily,
    WriterReaderDaily,
)
from data.recommendation_inputs import (
    CHAPTER_COLUMNS,
    HOUR_COLUMNS,
    SEGMENT_COLUMNS,
    STORY_COLUMNS,
    WEEKLY_COLUMNS,
    RecommendationRecord,
)
from data.sql import seconds_between, week_start

P = ReaderChapterProgress
_COUNTS = ("readers", "reached", "paywall_reached", "unlocked", "views", "completions")


class _weekday(FunctionElement[int]):  # noqa: N801  (reads like the SQL it renders)
    """The UTC weekday of a naive-UTC timestamp, 0 = Sunday … 6 = Saturday."""

    type = Integer()
    name = "weekday"
    inherit_cache = True


class _hour(FunctionElement[int]):  # noqa: N801
    """The UTC hour (0–23) of a naive-UTC timestamp."""

    type = Integer()
    name = "hour"
    inherit_cache = True


def _arg(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(_weekday)
def _weekday_default(element: _weekday, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(DOW FROM {_arg(element, compiler, **kw)}) AS INTEGER)"


@compiles(_weekday, "sqlite")
def _weekday_sqlite(element: _weekday, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%w', {_arg(element, compiler, **kw)}) AS INTEGER)"


@compiles(_hour)
def _hour_default(element: _hour, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(HOUR FROM {_arg(element, compiler, **kw)}) AS INTEGER)"


@compiles(_hour, "sqlite")
def _hour_sqlite(element: _hour, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%H', {_arg(element, compiler, **kw)}) AS INTEGER)"


@dataclass(frozen=True)
class RecommendationInputs:
    """One writer's inputs as of ``as_of`` (frames with the ``*_COLUMNS`` of this module)."""

    writer_id: int
    as_of: date
    stories: pd.DataFrame
    chapters: pd.DataFrame
    weekly_readers: pd.DataFrame
    opens_by_hour: pd.DataFrame
    segments: pd.DataFrame


def recommendation_as_of(session: Session, today: date) -> date:
    """The last day the advice is based on (see the module docstring)."""
    yesterday = today - timedelta(days=1)
    last = session.scalar(select(func.max(WriterDaily.day)).where(WriterDaily.day <= yesterday))
    return last or yesterday


def writer_ids(session: Session) -> list[int]:
    """Every catalog writer's id, ascending."""
    return list(session.scalars(select(Writer.id).order_by(Writer.id)))


def _frame(session: Session, statement: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(statement).all(), columns=columns)


def _chapters(session: Session, writer_id: int, as_of: date) -> pd.DataFrame:
    stories = select(Story.id).where(Story.writer_id == writer_id)
    catalog = _frame(
        session,
        select(
            Chapter.story_id,
            Chapter.id,
            Chapter.number,
            Chapter.title,
            Chapter.word_count,
            Chapter.published_at,
            Chapter.is_paid,
            Chapter.price_minor,
        )
        .where(Chapter.story_id.in_(stories))
        .order_by(Chapter.story_id, Chapter.number),
        CHAPTER_COLUMNS[:8],
    )
    stats = _frame(
        session,
        select(
            StoryChapterStats.story_id,
            StoryChapterStats.chapter_number,
            StoryChapterStats.readers,
            StoryChapterStats.reached,
            StoryChapterStats.paywall_reached,
            StoryChapterStats.unlocked,
        ).where(StoryChapterStats.story_id.in_(stories)),
        ["story_id", "number", "readers", "reached", "paywall_reached", "unlocked"],
    )
    daily = _frame(
        session,
        select(
            ChapterDaily.chapter_id,
            func.sum(ChapterDaily.chapter_views),
            func.sum(ChapterDaily.completions),
        )
        .where(ChapterDaily.story_id.in_(stories), ChapterDaily.day <= as_of)
        .group_by(ChapterDaily.chapter_id),
        ["chapter_id", "views", "completions"],
    )
    delay = seconds_between(P.first_started_at, Chapter.published_at)
    release_day = _frame(
        session,
        select(P.story_id, P.chapter_number, func.count())
        .join(Chapter, and_(Chapter.story_id == P.story_id, Chapter.number == P.chapter_number))
        .where(
            P.story_id.in_(stories),
            P.first_started_at.is_not(None),
            Chapter.published_at.is_not(None),
            delay <= RELEASE_DAY_SECONDS,
        )
        .group_by(P.story_id, P.chapter_number),
        ["story_id", "number", "release_day_opens"],
    )
    merged = catalog.merge(stats, on=["story_id", "number"], how="left")
    merged = merged.merge(daily, on="chapter_id", how="left")
    merged = merged.merge(release_day, on=["story_id", "number"], how="left")
    for column in (*_COUNTS, "release_day_opens"):
        merged[column] = pd.to_numeric(merged[column]).fillna(0).astype("int64")
    merged["word_count"] = pd.to_numeric(merged["word_count"]).fillna(0).astype("int64")
    merged["is_paid"] = merged["is_paid"].fillna(False).astype(bool)
    return merged[CHAPTER_COLUMNS]


def _weekly_readers(session: Session, writer_id: int, start: date, as_of: date) -> pd.DataFrame:
    week = week_start(StoryReaderDaily.day)
    frame = _frame(
        session,
        select(
            StoryReaderDaily.story_id, week, func.count(func.distinct(StoryReaderDaily.reader_id))
        )
        .where(
            StoryReaderDaily.writer_id == writer_id,
            StoryReaderDaily.day >= start,
            StoryReaderDaily.day <= as_of,
        )
        .group_by(StoryReaderDaily.story_id, week),
        WEEKLY_COLUMNS,
    )
    frame["week"] = pd.to_datetime(frame["week"]).dt.date
    return frame


def _opens_by_hour(session: Session, writer_id: int, start: date, as_of: date) -> pd.DataFrame:
    stories = select(Story.id).where(Story.writer_id == writer_id)
    weekday, hour = _weekday(P.first_started_at), _hour(P.first_started_at)
    frame = _frame(
        session,
        select(weekday, hour, func.count())
        .join(Chapter, and_(Chapter.story_id == P.story_id, Chapter.number == P.chapter_number))
        .where(
            P.story_id.in_(stories),
            P.first_started_at >= datetime.combine(start, time.min),
            P.first_started_at < datetime.combine(as_of + timedelta(days=1), time.min),
            Chapter.published_at.is_not(None),
            seconds_between(P.first_started_at, Chapter.published_at) > RELEASE_DAY_SECONDS,
        )
        .group_by(weekday, hour),
        HOUR_COLUMNS,
    )
    # SQL counts weekdays from Sunday; the rules (like ``date.weekday``) from Monday.
    frame["weekday"] = (frame["weekday"].astype(int) + 6) % 7
    frame["hour"] = frame["hour"].astype(int)
    return frame


def _segments(session: Session, writer_id: int, window_days: int, as_of: date) -> pd.DataFrame:
    current_start = as_of - timedelta(days=window_days - 1)
    previous_start = current_start - timedelta(days=window_days)
    W = WriterReaderDaily  # noqa: N806
    per_reader = (
        select(
            W.reader_id,
            func.max(case((W.day >= current_start, 1), else_=0)).label("current"),
            func.max(case((W.day < current_start, 1), else_=0)).label("previous"),
        )
        .where(W.writer_id == writer_id, W.day >= previous_start, W.day <= as_of)
        .group_by(W.reader_id)
        .subquery()
    )
    traits = (Reader.country, Reader.device, Reader.age_band, Reader.acquisition_source)
    frame = _frame(
        session,
        select(
            *traits,
            func.sum(per_reader.c.previous),
            func.sum(per_reader.c.current),
            func.sum(per_reader.c.previous * per_reader.c.current),
        )
        .select_from(per_reader)
        .outerjoin(Reader, Reader.id == per_reader.c.reader_id)
        .group_by(*traits),
        SEGMENT_COLUMNS,
    )
    for column in ("previous", "current", "retained"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype("int64")
    frame[["country", "device", "age_band", "acquisition_source"]] = frame[
        ["country", "device", "age_band", "acquisition_source"]
    ].astype(object)
    return frame


def recommendation_inputs(
    session: Session,
    writer_id: int,
    as_of: date,
    *,
    weekly_days: int,
    opens_days: int,
    segment_days: int,
) -> RecommendationInputs:
    """The inputs of the rules for ``writer_id`` as of ``as_of``: weekly readers over the
    ``weekly_days`` up to ``as_of``, own-time opens (first opens more than 24 hours after
    the chapter's publication) over the ``opens_days`` up to it, and active readers per
    trait combination in the last ``segment_days`` and the ``segment_days`` before. A
    writer without stories or data gets frames without rows."""
    stories = _frame(
        session,
        select(Story.id, Story.title, Story.status, Story.paywall_from_chapter)
        .where(Story.writer_id == writer_id)
        .order_by(Story.id),
        STORY_COLUMNS,
    )
    stories["paywall_from_chapter"] = stories["paywall_from_chapter"].astype(object)
    return RecommendationInputs(
        writer_id=writer_id,
        as_of=as_of,
        stories=stories,
        chapters=_chapters(session, writer_id, as_of),
        weekly_readers=_weekly_readers(
            session, writer_id, as_of - timedelta(days=weekly_days - 1), as_of
        ),
        opens_by_hour=_opens_by_hour(
            session, writer_id, as_of - timedelta(days=opens_days - 1), as_of
        ),
        segments=_segments(session, writer_id, segment_days, as_of),
    )


def replace_recommendations(
    session: Session,
    writer_id: int,
    records: Iterable[RecommendationRecord],
    *,
    job_run_id: int | None = None,
    computed_at: datetime | None = None,
) -> int:
    """Make ``records`` (best first) the writer's stored advice, replacing what was stored
    (see the module docstring). Does not commit. Returns the rows written. Raises
    ``ValueError`` for two records with one fingerprint."""
    computed_at = computed_at or utcnow()
    rows = []
    seen: set[str] = set()
    for position, record in enumerate(records, start=1):
        if record.fingerprint in seen:
            raise ValueError(f"duplicate recommendation fingerprint {record.fingerprint!r}")
        seen.add(record.fingerprint)
        rows.append(
            {
                "writer_id": writer_id,
                "story_id": record.story_id,
                "chapter_id": record.chapter_id,
                "kind": record.kind,
                "fingerprint": record.fingerprint,
                "rank": position,
                "priority": float(record.priority),
                "title": record.title,
                "detail": record.detail,
                "expected_effect": record.expected_effect,
                "evidence": record.evidence,
                "computed_at": computed_at,
                "job_run_id": job_run_id,
            }
        )
    session.execute(
        delete(Recommendation).where(Recommendation.writer_id == writer_id),
        execution_options={"synchronize_session": False},
    )
    if rows:
        session.execute(insert(Recommendation), rows)
    return len(rows)
