"""Chapter retention and drop-off, reader types, next-chapter hooks, paywall conversion
and entry-chapter cohorts of one story, from ``reader_chapter_progress``.

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

from data.models import Chapter, ChapterDaily, ReaderChapterProgress, StoryDaily, StoryReaderDaily
from data.queries.common import bounds, ratio, story_in_scope
from data.queries.filters import Period, Scope
from data.sql import latest, seconds_between, utc_day

P = ReaderChapterProgress
READER_TYPES = ("release_day", "binge", "catch_up")
RELEASE_DAY_SECONDS = 24 * 3600
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
    """Subquery of the story's starting readers (optionally: who opened chapter 1 in the
    period)."""
    first = aliased(P)
    statement = select(first.reader_id).where(
        first.story_id == story_id,
        first.chapter_number == 1,
        first.first_started_at.is_not(None),
    )
    if period is not None:
        start, end = bounds(period)
        statement = statement.where(first.first_started_at >= start, first.first_started_at < end)
    return statement


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
    starters = _starters(story_id, period).subquery()
    readers = dict(
        session.execute(
            select(P.chapter_number, func.count())
            .where(P.story_id == story_id, P.first_started_at.is_not(None))
            .group_by(P.chapter_number)
        ).all()
    )
    reached = dict(
        session.execute(
            select(P.chapter_number, func.count())
            .join(starters, starters.c.reader_id == P.reader_id)
            .where(P.story_id == story_id, P.first_started_at.is_not(None))
            .group_by(P.chapter_number)
        ).all()
    )
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


def _reader_types(story_id: int):
    """Subquery ``(reader_id, reader_type)`` for every reader who opened a chapter."""
    started = P.first_started_at.is_not(None)
    per_day = (
        select(P.reader_id, func.count().label("n"))
        .where(P.story_id == story_id, started)
        .group_by(P.reader_id, utc_day(P.first_started_at))
        .subquery()
    )
    busiest = (
        select(per_day.c.reader_id, func.max(per_day.c.n).label("most"))
        .group_by(per_day.c.reader_id)
        .subquery()
    )
    delay = seconds_between(P.first_started_at, Chapter.published_at)
    release_day = case(
        (and_(Chapter.published_at.is_not(None), delay <= RELEASE_DAY_SECONDS), 1), else_=0
    )
    counts = (
        select(
            P.reader_id,
            func.count().label("started"),
            func.sum(release_day).label("release_day"),
        )
        .join(Chapter, Chapter.id == P.chapter_id)
        .where(P.story_id == story_id, started)
        .group_by(P.reader_id)
        .subquery()
    )
    kind = case(
        (counts.c.release_day >= counts.c.started * RELEASE_DAY_MIN_SHARE, literal("release_day")),
        (busiest.c.most >= BINGE_MIN_CHAPTERS_PER_DAY, literal("binge")),
        else_=literal("catch_up"),
    )
    return (
        select(counts.c.reader_id, kind.label("reader_type"))
        .join(busiest, busiest.c.reader_id == counts.c.reader_id)
        .subquery()
    )


def reader_type_mix(session: Session, scope: Scope, story_id: int) -> pd.DataFrame:
    """Readers of each type (``READER_TYPE_COLUMNS``, all three types, in ``READER_TYPES``
    order); ``share`` of the story's readers who opened any chapter."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=READER_TYPE_COLUMNS)
    types = _reader_types(story_id)
    counts = dict(
        session.execute(
            select(types.c.reader_type, func.count()).group_by(types.c.reader_type)
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


def retention_by_reader_type(session: Session, scope: Scope, story_id: int) -> pd.DataFrame:
    """Retention curves per reader type (``TYPE_RETENTION_COLUMNS``): for each type and
    catalog chapter, the type's starting readers who reached it and their share."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=TYPE_RETENTION_COLUMNS)
    chapters = _chapters(session, story_id)["chapter_number"].tolist()
    types = _reader_types(story_id)
    starters = _starters(story_id, None).subquery()
    rows = session.execute(
        select(types.c.reader_type, P.chapter_number, func.count())
        .select_from(P)
        .join(starters, starters.c.reader_id == P.reader_id)
        .join(types, types.c.reader_id == P.reader_id)
        .where(P.story_id == story_id, P.first_started_at.is_not(None))
        .group_by(types.c.reader_type, P.chapter_number)
    ).all()
    counts = {(kind, number): int(n) for kind, number, n in rows}
    records = []
    for kind in READER_TYPES:
        base = counts.get((kind, 1), 0)
        for number in chapters:
            reached = counts.get((kind, number), 0)
            records.append((kind, number, reached, reached / base if base else 0.0))
    return pd.DataFrame(records, columns=TYPE_RETENTION_COLUMNS)


def hook_rates(
    session: Session, scope: Scope, story_id: int, period: Period | None = None
) -> pd.DataFrame:
    """Next-chapter hook rates (``HOOK_COLUMNS``), one row per catalog chapter that has a
    published next chapter. ``period`` limits completers to those who completed the
    chapter in it."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=HOOK_COLUMNS)
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
    counts = {n: (int(c), int(a), int(b)) for n, c, a, b in session.execute(statement).all()}
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
        .where(reach.c.number.in_([int(n) for n in paid["chapter_number"]]))
        .group_by(reach.c.number)
    ).all()
    counts = {int(n): (int(r), int(u), int(w)) for n, r, u, w in rows}
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


def entry_chapter_cohorts(
    session: Session, scope: Scope, story_id: int, max_offset: int = 10
) -> pd.DataFrame:
    """Readers grouped by the chapter they first opened in the story (``entry_chapter``;
    ties by the lowest number), long format (``ENTRY_COHORT_COLUMNS``): for each cohort
    and ``offset`` 0..``max_offset``, cohort members who opened chapter entry + offset and
    their ``share`` of the cohort. Offsets past the story's last chapter are left out."""
    if story_in_scope(session, scope, story_id) is None:
        return pd.DataFrame(columns=ENTRY_COHORT_COLUMNS)
    started = P.first_started_at.is_not(None)
    firsts = (
        select(P.reader_id, func.min(P.first_started_at).label("at"))
        .where(P.story_id == story_id, started)
        .group_by(P.reader_id)
        .subquery()
    )
    first_row = aliased(P)
    entry = (
        select(firsts.c.reader_id, func.min(first_row.chapter_number).label("entry"))
        .join(
            first_row,
            and_(
                first_row.story_id == story_id,
                first_row.reader_id == firsts.c.reader_id,
                first_row.first_started_at == firsts.c.at,
            ),
        )
        .group_by(firsts.c.reader_id)
        .subquery()
    )
    offset = (P.chapter_number - entry.c.entry).label("offset")
    rows = session.execute(
        select(entry.c.entry, offset, func.count())
        .join(entry, entry.c.reader_id == P.reader_id)
        .where(P.story_id == story_id, started, P.chapter_number >= entry.c.entry)
        .where(P.chapter_number - entry.c.entry <= max_offset)
        .group_by(entry.c.entry, offset)
    ).all()
    counts = {(int(e), int(o)): int(n) for e, o, n in rows}
    last = max((int(n) for n in _chapters(session, story_id)["chapter_number"]), default=0)
    records = []
    for entry_chapter in sorted({e for e, _ in counts}):
        size = counts.get((entry_chapter, 0), 0)
        for step in range(min(max_offset, last - entry_chapter) + 1):
            reached = counts.get((entry_chapter, step), 0)
            records.append((entry_chapter, size, step, reached, reached / size if size else 0.0))
    return pd.DataFrame(records, columns=ENTRY_COHORT_COLUMNS)
