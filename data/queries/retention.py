"""Chapter retention and drop-off, reader types, next-chapter hooks, paywall conversion
and entry-chapter cohorts of one story, from ``reader_chapter_progress`` and its per-reader
fold ``story_reader_summary`` (starting readers, entry chapters and reader-type inputs).

Definitions (docs/metrics.md, "Retention and drop-off"):

- *starting readers*: readers who opened chapter 1. A starting reader *reaches* chapter k
  when they opened chapter k. ``retention`` = reached ÷ starting readers; ``loss`` at k =
  1 − reached(k) ÷ reached(k − 1).
- *reader type* of a reader in a story: **release-day** when at least half of the
  chapters they opened were opened within 24 hours of the chapter's publication; else
  **binge** when they opened 3 or more of the story's chapters (for the first time) on
  one UTC day; else **catch-up**.
- *hook rate* of chapter k: of the readers who completed k, the share who opened k + 1
  within 24 hours (7 days) of the later of their completion and k + 1's publication.
- *paywall conversion* of a paid chapter k: readers who reached it (opened or unlocked
  it, or completed k − 1) and unlocked it, ÷ readers who reached it.

Every function returns an empty frame with the documented columns when the story is not
in the scope (or has no data). Abnormal losses are flagged by
``app.analytics.dropoff.abnormal_losses`` from the ``loss`` column.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, case, func, literal, select, union
from sqlalchemy.orm import Session, aliased

from data.models import (
    Chapter,
    ChapterDaily,
    ReaderChapterProgress,
    StoryChapterStats,
    StoryDaily,
    StoryEntryCohort,
    StoryReaderDaily,
    StoryReaderSummary,
)
from data.queries.common import bounds, ratio, story_in_scope
from data.queries.filters import Period, Scope
from data.sql import latest, seconds_between

P = ReaderChapterProgress
S = StoryReaderSummary
READER_TYPES = ("release_day", "binge", "catch_up")
RELEASE_DAY_MIN_SHARE = 0.5
BINGE_MIN_CHAPTERS_PER_DAY = 3
HOOK_WINDOWS = {"24h": 24 * 3600, "7d": 7 * 24 * 3600}

RETENTION_COLUMNS = [
    "chapter_number",
    "chapter_id",
    "title",
    "readers",
    "reached",
    "retention",
    "loss",
]
TYPE_RETENTION_COLUMNS = ["reader_type", "chapter_number", "reached", "retention"]
READER_TYPE_COLUMNS = ["reader_type", "readers", "share"]
HOOK_COLUMNS = ["chapter_number", "completers", "next_24h", "next_7d", "rate_24h", "rate_7d"]
PAYWALL_COLUMNS = [
    "chapter_number",
    "chapter_id",
    "price_minor",
    "reached",
    "unlocked",
    "conversion",
    "read_without_unlock",
    "unlock_revenue",
]
#: The counts ``story_chapter_stats`` stores per story and chapter (data.models.progress).
STATS_COUNTS = (
    "readers",
    "reached",
    "reached_release_day",
    "reached_binge",
    "reached_catch_up",
    "completers",
    "next_24h",
    "next_7d",
    "paywall_reached",
    "unlocked",
    "read_without_unlock",
)
ENTRY_COHORT_COLUMNS = ["entry_chapter", "readers", "offset", "reached", "share"]


def _chapters(session: Session, story_id: int) -> pd.DataFrame:
    return pd.DataFrame(
        session.execute(
            select(Chapter.number, Chapter.id, Chapter.title, Chapter.is_paid, Chapter.price_minor)
            .where(Chapter.story_id == story_id)
            .order_by(Chapter.number)
        ).all(),
        columns=["chapter_number", "chapter_id", "title", "is_paid", "price_minor"],
    )


def _starters(story_id: int, period: Period | None):
    """``story_reader_summary`` rows of the story's starting readers (optionally: who
    opened chapter 1 in the period)."""
    statement = select(S.reader_id).where(
        S.story_id == story_id, S.first_chapter_started_at.is_not(None)
    )
    if period is not None:
        start, end = bounds(period)
        statement = statement.where(
            S.first_chapter_started_at >= start, S.first_chapter_started_at < end
        )
    return statement


def retention_counts(
    session: Session, story_id: int, period: Period | None = None
) -> tuple[dict[int, int], dict[int, int]]:
    """Live per-chapter counts of :func:`chapter_retention`: ``(readers, reached)`` by
    chapter number (chapters with no reader left out)."""
    starters = _starters(story_id, period).subquery()
    readers = session.execute(
        select(P.chapter_number, func.count())
        .where(P.story_id == story_id, P.first_started_at.is_not(None))
        .group_by(P.chapter_number)
    ).all()
    reached = session.execute(
        select(P.chapter_number, func.count())
        .join(starters, starters.c.reader_id == P.reader_id)
        .where(P.story_id == story_id, P.first_started_at.is_not(None))
        .group_by(P.chapter_number)
    ).all()
    return {int(n): int(c) for n, c in readers}, {int(n): int(c) for n, c in reached}


def stored_chapter_stats(session: Session, story_id: int) -> dict[int, dict[str, int]]:
    """The story's ``story_chapter_stats`` rows by chapter number (``STATS_COUNTS`` each)."""
    rows = session.execute(
        select(
            StoryChapterStats.chapter_number,
            *(StoryChapterStats.__table__.c[name] for name in STATS_COUNTS),
        ).where(StoryChapterStats.story_id == story_id)
    ).all()
    return {int(row[0]): dict(zip(STATS_COUNTS, map(int, row[1:]), strict=True)) for row in rows}


def chapter_retention(
    session: Session, scope: Scope, story_id: int, period: Period | None = None
) -> pd.DataFrame:
    """One row per catalog chapter (``RETENTION_COLUMNS``): ``readers`` who opened it at
    all, ``reached`` = starting readers who opened it, ``retention`` = reached ÷ starting
    readers, ``loss`` vs the previous chapter (NaN for chapter 1 or after a chapter
    nobody reached). ``period`` limits the starting readers to those who opened chapter 1
    in it (a cohort); the chapters they reached may be opened later."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=RETENTION_COLUMNS)
    chapters = _chapters(session, story_id)
    if period is None:
        stored = stored_chapter_stats(session, story_id)
        readers = {n: row["readers"] for n, row in stored.items()}
        reached = {n: row["reached"] for n, row in stored.items()}
    else:
        readers, reached = retention_counts(session, story_id, period)
    result = chapters[["chapter_number", "chapter_id", "title"]].copy()
    result["readers"] = [int(readers.get(n, 0)) for n in result["chapter_number"]]
    result["reached"] = [int(reached.get(n, 0)) for n in result["chapter_number"]]
    base = int(reached.get(1, 0))
    result["retention"] = result["reached"] / base if base else 0.0
    previous = result["reached"].shift(1)
    result["loss"] = [
        float("nan") if pd.isna(before) or before == 0 else 1.0 - now / before
        for now, before in zip(result["reached"], previous, strict=True)
    ]
    result["loss"] = result["loss"].astype(float)
    return result[RETENTION_COLUMNS].reset_index(drop=True)


def _reader_type():
    """The reader type of a ``story_reader_summary`` row (docs/metrics.md)."""
    return case(
        (
            S.release_day_starts >= S.chapters_started * RELEASE_DAY_MIN_SHARE,
            literal("release_day"),
        ),
        (S.busiest_day_starts >= BINGE_MIN_CHAPTERS_PER_DAY, literal("binge")),
        else_=literal("catch_up"),
    )


def reader_type_mix(session: Session, scope: Scope, story_id: int) -> pd.DataFrame:
    """Readers of each type (``READER_TYPE_COLUMNS``, all three types, in ``READER_TYPES``
    order); ``share`` of the story's readers who opened any chapter."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=READER_TYPE_COLUMNS)
    kind = _reader_type()
    counts = dict(
        session.execute(
            select(kind, func.count()).where(S.story_id == story_id).group_by(kind)
        ).all()
    )
    result = pd.DataFrame(
        {
            "reader_type": list(READER_TYPES),
            "readers": [int(counts.get(t, 0)) for t in READER_TYPES],
        }
    )
    total = int(result["readers"].sum())
    result["share"] = result["readers"] / total if total else 0.0
    return result


def type_reached_counts(session: Session, story_id: int) -> dict[tuple[str, int], int]:
    """Live counts of :func:`retention_by_reader_type`: starting readers of each reader type
    who opened each chapter, by ``(reader_type, chapter_number)`` (zeros left out)."""
    kind = _reader_type()
    rows = session.execute(
        select(kind, P.chapter_number, func.count())
        .select_from(S)
        .join(P, and_(P.story_id == S.story_id, P.reader_id == S.reader_id))
        .where(
            S.story_id == story_id,
            S.first_chapter_started_at.is_not(None),
            P.first_started_at.is_not(None),
        )
        .group_by(kind, P.chapter_number)
    ).all()
    return {(str(kind), int(number)): int(n) for kind, number, n in rows}


def retention_by_reader_type(session: Session, scope: Scope, story_id: int) -> pd.DataFrame:
    """Retention curves per reader type (``TYPE_RETENTION_COLUMNS``): for each type and
    catalog chapter, the type's starting readers who reached it and their share."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=TYPE_RETENTION_COLUMNS)
    chapters = _chapters(session, story_id)["chapter_number"].tolist()
    stored = stored_chapter_stats(session, story_id)
    counts = {
        (kind, number): row[f"reached_{kind}"]
        for number, row in stored.items()
        for kind in READER_TYPES
    }
    records = []
    for kind in READER_TYPES:
        base = counts.get((kind, 1), 0)
        for number in chapters:
            reached = counts.get((kind, number), 0)
            records.append((kind, number, reached, reached / base if base else 0.0))
    return pd.DataFrame(records, columns=TYPE_RETENTION_COLUMNS)


def hook_counts(
    session: Session, story_id: int, period: Period | None = None
) -> dict[int, tuple[int, int, int]]:
    """Live counts of :func:`hook_rates`: ``(completers, next_24h, next_7d)`` by chapter
    number, for chapters with a published next chapter and at least one completer."""
    following = aliased(Chapter)
    then = aliased(P)
    clock = latest(P.first_completed_at, following.published_at)
    gap = seconds_between(then.first_started_at, clock)

    def within(seconds: int):
        return func.count(then.first_started_at).filter(gap <= seconds)

    statement = (
        select(
            P.chapter_number, func.count(), within(HOOK_WINDOWS["24h"]), within(HOOK_WINDOWS["7d"])
        )
        .join(
            following,
            and_(following.story_id == P.story_id, following.number == P.chapter_number + 1),
        )
        .outerjoin(
            then,
            and_(
                then.story_id == P.story_id,
                then.reader_id == P.reader_id,
                then.chapter_number == P.chapter_number + 1,
            ),
        )
        .where(
            P.story_id == story_id,
            P.first_completed_at.is_not(None),
            following.published_at.is_not(None),
        )
        .group_by(P.chapter_number)
    )
    if period is not None:
        start, end = bounds(period)
        statement = statement.where(P.first_completed_at >= start, P.first_completed_at < end)
    return {int(n): (int(c), int(a), int(b)) for n, c, a, b in session.execute(statement).all()}


def hook_rates(
    session: Session, scope: Scope, story_id: int, period: Period | None = None
) -> pd.DataFrame:
    """Next-chapter hook rates (``HOOK_COLUMNS``), one row per catalog chapter that has a
    published next chapter. ``period`` limits completers to those who completed the
    chapter in it."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=HOOK_COLUMNS)
    if period is None:
        counts = {
            n: (row["completers"], row["next_24h"], row["next_7d"])
            for n, row in stored_chapter_stats(session, story_id).items()
        }
    else:
        counts = hook_counts(session, story_id, period)
    published = session.execute(
        select(Chapter.number).where(
            Chapter.story_id == story_id, Chapter.published_at.is_not(None)
        )
    ).scalars()
    numbers = sorted(set(published))
    records = []
    for number in numbers:
        if number + 1 not in numbers:
            continue
        completers, day, week = counts.get(number, (0, 0, 0))
        records.append((number, completers, day, week))
    result = pd.DataFrame(records, columns=HOOK_COLUMNS[:4])
    result["rate_24h"] = ratio(result["next_24h"], result["completers"])
    result["rate_7d"] = ratio(result["next_7d"], result["completers"])
    return result[HOOK_COLUMNS]


def paywall_counts(session: Session, story_id: int) -> dict[int, tuple[int, int, int]]:
    """Live counts of :func:`paywall_conversion` for every chapter number (paid or not):
    ``(reached, unlocked, read_without_unlock)`` (numbers nobody reached left out)."""
    reach = union(
        select(P.reader_id, P.chapter_number.label("number")).where(P.story_id == story_id),
        select(P.reader_id, (P.chapter_number + 1).label("number")).where(
            P.story_id == story_id, P.first_completed_at.is_not(None)
        ),
    ).subquery()
    at = aliased(P)
    rows = session.execute(
        select(
            reach.c.number,
            func.count(),
            func.count(at.unlocked_at),
            func.count(at.first_started_at).filter(at.unlocked_at.is_(None)),
        )
        .select_from(reach)
        .outerjoin(
            at,
            and_(
                at.story_id == story_id,
                at.reader_id == reach.c.reader_id,
                at.chapter_number == reach.c.number,
            ),
        )
        .group_by(reach.c.number)
    ).all()
    return {int(n): (int(r), int(u), int(w)) for n, r, u, w in rows}


def paywall_conversion(session: Session, scope: Scope, story_id: int) -> pd.DataFrame:
    """One row per paid catalog chapter (``PAYWALL_COLUMNS``) since the story began:
    ``reached``, ``unlocked``, ``conversion`` = unlocked ÷ reached, readers who opened it
    without an unlock (subscribers) and the chapter's unlock revenue (minor units)."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=PAYWALL_COLUMNS)
    chapters = _chapters(session, story_id)
    paid = chapters[chapters["is_paid"].astype(bool)]
    if paid.empty:
        return pd.DataFrame(columns=PAYWALL_COLUMNS)
    stored = stored_chapter_stats(session, story_id)
    counts = {
        n: (row["paywall_reached"], row["unlocked"], row["read_without_unlock"])
        for n, row in stored.items()
    }
    revenue = dict(
        session.execute(
            select(ChapterDaily.chapter_id, func.sum(ChapterDaily.revenue_unlock_minor))
            .where(ChapterDaily.story_id == story_id)
            .group_by(ChapterDaily.chapter_id)
        ).all()
    )
    records = []
    for number, chapter_id, price in zip(
        paid["chapter_number"], paid["chapter_id"], paid["price_minor"], strict=True
    ):
        reached, unlocked, without = counts.get(int(number), (0, 0, 0))
        records.append(
            (
                int(number),
                int(chapter_id),
                None if pd.isna(price) else int(price),
                reached,
                unlocked,
                unlocked / reached if reached else 0.0,
                without,
                int(revenue.get(int(chapter_id)) or 0),
            )
        )
    return pd.DataFrame(records, columns=PAYWALL_COLUMNS)


def story_revenue_per_reader(
    session: Session, scope: Scope, story_id: int, period: Period
) -> float:
    """The story's revenue in the period ÷ its distinct readers in the period (0.0 when
    there were none or the story is not in the scope)."""
    if story_in_scope(session, scope, story_id) is None:
        return 0.0
    revenue = session.scalar(
        select(
            func.coalesce(
                func.sum(
                    StoryDaily.revenue_unlock_minor
                    + StoryDaily.revenue_tip_minor
                    + StoryDaily.revenue_subscription_minor
                ),
                0,
            )
        ).where(StoryDaily.story_id == story_id, StoryDaily.day.between(period.start, period.end))
    )
    readers = session.scalar(
        select(func.count(func.distinct(StoryReaderDaily.reader_id))).where(
            StoryReaderDaily.story_id == story_id,
            StoryReaderDaily.day.between(period.start, period.end),
        )
    )
    return float(revenue) / readers if readers else 0.0


def entry_cohort_counts(
    session: Session, story_id: int, max_offset: int | None = None
) -> dict[tuple[int, int], int]:
    """Live counts of :func:`entry_chapter_cohorts`: cohort members who opened chapter
    entry + offset, by ``(entry_chapter, offset)`` (offsets up to ``max_offset``, all when
    ``None``; zeros left out)."""
    offset = (P.chapter_number - S.entry_chapter).label("offset")
    statement = (
        select(S.entry_chapter, offset, func.count())
        .select_from(S)
        .join(P, and_(P.story_id == S.story_id, P.reader_id == S.reader_id))
        .where(
            S.story_id == story_id,
            P.first_started_at.is_not(None),
            P.chapter_number >= S.entry_chapter,
        )
        .group_by(S.entry_chapter, offset)
    )
    if max_offset is not None:
        statement = statement.where(P.chapter_number - S.entry_chapter <= max_offset)
    return {(int(e), int(o)): int(n) for e, o, n in session.execute(statement).all()}


def entry_chapter_cohorts(
    session: Session, scope: Scope, story_id: int, max_offset: int = 10
) -> pd.DataFrame:
    """Readers grouped by the chapter they first opened in the story (``entry_chapter``;
    ties by the lowest number), long format (``ENTRY_COHORT_COLUMNS``): for each cohort
    and ``offset`` 0..``max_offset``, cohort members who opened chapter entry + offset and
    their ``share`` of the cohort. Offsets past the story's last chapter are left out."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=ENTRY_COHORT_COLUMNS)
    stored = StoryEntryCohort
    counts = {
        (int(e), int(o)): int(n)
        for e, o, n in session.execute(
            select(stored.entry_chapter, stored.chapter_offset, stored.reached).where(
                stored.story_id == story_id, stored.chapter_offset <= max_offset
            )
        ).all()
    }
    last = max((int(n) for n in _chapters(session, story_id)["chapter_number"]), default=0)
    records = []
    for entry_chapter in sorted({e for e, _ in counts}):
        size = counts.get((entry_chapter, 0), 0)
        for step in range(min(max_offset, last - entry_chapter) + 1):
            reached = counts.get((entry_chapter, step), 0)
            records.append((entry_chapter, size, step, reached, reached / size if size else 0.0))
    return pd.DataFrame(records, columns=ENTRY_COHORT_COLUMNS)
