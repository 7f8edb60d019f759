"""data.demo: a deterministic synthetic platform with the patterns dashboards rely on,
bulk-inserted and rolled up so that rollups agree with the raw events.

In-memory checks use ``build_demo_platform`` (no database); database checks run on SQLite
and PostgreSQL through the shared ``session`` fixture.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from data.demo import (
    DEMO_ACCOUNTS,
    DemoAlreadyPresentError,
    DemoPlatform,
    build_demo_platform,
    create_demo_accounts,
    demo_platform_present,
    generate_demo_platform,
)
from data.models import (
    ACQUISITION_SOURCES,
    AGE_BANDS,
    DEVICES,
    REVENUE_EVENT_TYPES,
    Chapter,
    ChapterDaily,
    Event,
    JobState,
    Reader,
    Story,
    StoryDaily,
    StoryReaderDaily,
    User,
    Writer,
    WriterDaily,
)
from data.sql import utc_day
from data.writes import ROLLUP_WATERMARK, rollup_new_events

END = date(2026, 11, 24)  # a Tuesday; events cover the days before it
GENRES = {"fantasy", "romance", "sci-fi", "mystery", "horror", "thriller", "litrpg", "historical"}


@pytest.fixture(scope="module")
def platform() -> DemoPlatform:
    """A mid-sized platform: enough readers for the statistical checks, built in memory."""
    return build_demo_platform(seed=42, scale=0.5, days=120, end=END)


@pytest.fixture(scope="module")
def events(platform: DemoPlatform) -> pd.DataFrame:
    return platform.events.frame()


def chapter_readers(events: pd.DataFrame) -> pd.Series:
    starts = events[events["event_type"] == "chapter_start"]
    return starts.groupby("chapter_id")["reader_id"].nunique()


# --------------------------------------------------------------------------- in memory


def test_same_seed_same_platform_other_seed_other_platform() -> None:
    first = build_demo_platform(seed=3, scale=0.02, days=30, end=END)
    again = build_demo_platform(seed=3, scale=0.02, days=30, end=END)
    other = build_demo_platform(seed=4, scale=0.02, days=30, end=END)
    for name in ("writers", "stories", "chapters", "readers"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    for name, values in vars(first.events).items():
        if isinstance(values, np.ndarray):
            np.testing.assert_array_equal(values, getattr(again.events, name), err_msg=name)
    assert first.events.epoch == again.events.epoch
    assert len(first.events) != len(other.events)
    assert first.events.revenue_minor.clip(0).sum() != other.events.revenue_minor.clip(0).sum()


def test_default_size_meets_the_brief() -> None:
    default = build_demo_platform(end=END)
    assert (len(default.writers), len(default.stories), len(default.chapters)) == (20, 120, 2500)
    assert len(default.readers) == 50_000
    assert len(default.events) >= 1_000_000
    assert (default.start, default.end) == (END - timedelta(days=180), END)
    seconds = default.events.seconds
    assert seconds.min() >= 0
    assert seconds.max() < 180 * 86_400
    assert np.all(np.diff(seconds) >= 0)  # time-ordered, so event ids follow time


def test_catalog(platform: DemoPlatform) -> None:
    stories, chapters = platform.stories, platform.chapters
    assert set(stories["genre"]) <= GENRES
    assert set(stories["status"]) == {"ongoing", "hiatus", "completed"}
    assert stories["title"].is_unique
    assert platform.writers["handle"].is_unique
    # Chapters are numbered 1..n per story and released in order, never after the end.
    for _story_id, group in chapters.groupby("story_id"):
        assert group["number"].tolist() == list(range(1, len(group) + 1))
        assert group["published_at"].is_monotonic_increasing
    assert chapters["published_at"].max() < pd.Timestamp(END)
    assert chapters["title"].str.match(r"^Chapter \d+: \w").all()
    # Paid chapters are exactly those from the story's paywall on, and only they have prices.
    wall = chapters["story_id"].map(stories.set_index("id")["paywall_from_chapter"])
    paid = wall.notna() & (chapters["number"] >= wall.fillna(0))
    assert (chapters["is_paid"] == paid).all()
    assert chapters.loc[paid, "price_minor"].notna().all()
    assert chapters.loc[~paid, "price_minor"].isna().all()
    assert stories["paywall_from_chapter"].notna().mean() > 0.5


def test_hiatus_stories_stopped_releasing(platform: DemoPlatform) -> None:
    last_release = platform.chapters.groupby("story_id")["published_at"].max()
    quiet_days = (pd.Timestamp(END) - last_release).dt.days
    status = platform.stories.set_index("id")["status"]
    assert (quiet_days[status == "hiatus"] >= 21).all()
    assert (quiet_days[status == "ongoing"] <= 7).all()
    assert (platform.stories["writer_id"] == 2).loc[status.to_numpy() == "hiatus"].any()
    # Some ongoing stories paused for weeks and came back.
    gaps = platform.chapters.groupby("story_id")["published_at"].diff().dt.days
    assert platform.chapters.loc[gaps > 20, "story_id"].nunique() >= 5


def test_cliff_stories_lose_most_readers_after_the_cliff(
    platform: DemoPlatform, events: pd.DataFrame
) -> None:
    readers = chapter_readers(events)
    chapters = platform.chapters.set_index(["story_id", "number"])["id"]
    cliffs = platform.stories[platform.stories["cliff_chapter"] > 0]
    assert 3 <= len(cliffs) <= 5
    for story_id, cliff in zip(cliffs["id"], cliffs["cliff_chapter"], strict=True):
        before = readers.get(chapters[(story_id, cliff)], 0)
        after = readers.get(chapters[(story_id, cliff + 1)], 0)
        assert before >= 20, story_id
        assert after < 0.4 * before, (story_id, before, after)


def test_unlocks_are_for_paid_chapters_and_most_paid_readers_unlock(
    platform: DemoPlatform, events: pd.DataFrame
) -> None:
    chapters = platform.chapters.set_index("id")
    unlocks = events[events["event_type"] == "chapter_unlock"]
    assert len(unlocks) > 1000
    assert chapters.loc[unlocks["chapter_id"], "is_paid"].all()
    prices = chapters.loc[unlocks["chapter_id"], "price_minor"].to_numpy(dtype=np.int64)
    assert (unlocks["revenue_minor"].to_numpy(dtype=np.int64) == prices).all()
    paid_ids = chapters.index[chapters["is_paid"]]
    starts = events[(events["event_type"] == "chapter_start") & events["chapter_id"].isin(paid_ids)]
    paid_reads = set(zip(starts["reader_id"], starts["chapter_id"], strict=True))
    unlocked = set(zip(unlocks["reader_id"], unlocks["chapter_id"], strict=True))
    assert len(paid_reads & unlocked) > 0.75 * len(paid_reads)
    assert (events["event_type"] == "subscribe").sum() > 0


def test_event_columns(platform: DemoPlatform, events: pd.DataFrame) -> None:
    revenue_types = {str(t) for t in REVENUE_EVENT_TYPES}
    has_revenue = events["revenue_minor"].notna()
    assert set(events.loc[has_revenue, "event_type"]) == revenue_types
    assert (events.loc[has_revenue, "revenue_minor"] > 0).all()
    subscribe = events[events["event_type"] == "subscribe"]
    assert (subscribe["revenue_minor"] == 499).all()
    progress = events[events["event_type"] == "chapter_progress"]
    assert events["read_seconds"].notna().sum() == len(progress)
    assert progress["progress_pct"].between(1, 100).all()
    # Reading time follows chapter length at a human reading speed (roughly 150-400 wpm).
    complete = progress[progress["progress_pct"] == 100]
    words = complete["chapter_id"].map(platform.chapters.set_index("id")["word_count"])
    per_chapter = complete.groupby(["reader_id", "chapter_id"])["read_seconds"].sum()
    wpm = words.groupby([complete["reader_id"], complete["chapter_id"]]).first() / (
        per_chapter / 60
    )
    assert 150 < wpm.median() < 400
    assert events["reader_id"].notna().all()
    page_views = events[events["event_type"].isin(["page_view", "login", "signup"])]
    assert page_views["story_id"].isna().all()
    assert set(events["event_type"]) >= {
        "signup",
        "login",
        "page_view",
        "story_view",
        "chapter_start",
        "chapter_progress",
        "chapter_complete",
        "like",
        "comment",
        "share",
        "follow",
        "chapter_unlock",
        "tip",
        "subscribe",
    }


def test_weekends_are_busier(events: pd.DataFrame) -> None:
    per_day = events.groupby(events["occurred_at"].dt.normalize()).size()
    weekday = per_day.index.day_of_week
    assert per_day[weekday >= 5].mean() > 1.1 * per_day[(weekday >= 1) & (weekday <= 3)].mean()


def test_release_day_spike_and_binge_readers(platform: DemoPlatform, events: pd.DataFrame) -> None:
    starts = events[events["event_type"] == "chapter_start"]
    published = starts["chapter_id"].map(platform.chapters.set_index("id")["published_at"])
    hours = (starts["occurred_at"] - published).dt.total_seconds() / 3600
    assert (hours >= 0).all()
    # New chapters are read far more on their first day than on their second.
    assert (hours < 24).sum() > 3 * ((hours >= 24) & (hours < 48)).sum()
    # Binge readers read five or more chapters of one story in a day.
    per_reader_day = starts.groupby(["reader_id", "story_id", starts["occurred_at"].dt.date]).size()
    assert (per_reader_day >= 5).sum() > 100
    assert per_reader_day.max() >= 10


def test_readers(platform: DemoPlatform, events: pd.DataFrame) -> None:
    readers = platform.readers
    assert readers["user_id"].tolist() == [f"u{i}" for i in readers["id"]]
    assert set(readers["device"]) == set(DEVICES)
    assert set(readers["age_band"]) == set(AGE_BANDS)
    assert set(readers["acquisition_source"]) == set(ACQUISITION_SOURCES)
    shares = readers["country"].value_counts(normalize=True)
    assert shares.index[0] == "US"
    assert {"GB", "PH", "IN", "CA", "AU", "DE", "BR", "NG"} <= set(shares.index)
    assert readers["signup_date"].is_monotonic_increasing  # ids follow signup order
    assert max(readers["signup_date"]) < END
    in_window = sum(signup >= platform.start for signup in readers["signup_date"])
    assert (events["event_type"] == "signup").sum() == in_window
    # Nobody does anything before signing up (first_seen_at is the signup time).
    first_event = events.groupby("reader_id")["occurred_at"].min()
    signed_up = readers.set_index("id")["first_seen_at"].loc[first_event.index]
    assert (first_event.to_numpy() >= signed_up.to_numpy()).all()


def test_writer_one_is_healthy_and_big(platform: DemoPlatform, events: pd.DataFrame) -> None:
    reads = events[events["event_type"] == "chapter_start"]
    per_writer = reads.groupby("writer_id").size().sort_values(ascending=False)
    assert 1 in per_writer.index[:3]
    first_weeks = reads["occurred_at"] < pd.Timestamp(platform.start) + pd.Timedelta(days=28)
    last_weeks = reads["occurred_at"] >= pd.Timestamp(platform.end) - pd.Timedelta(days=28)
    mine = reads["writer_id"] == 1
    assert (mine & last_weeks).sum() > 1.1 * (mine & first_weeks).sum()
    revenue = events.groupby("writer_id")["revenue_minor"].sum()
    assert revenue.rank(ascending=False)[1] <= 3


# --------------------------------------------------------------------------- database


def scalar(session: Session, statement) -> int:
    return int(session.execute(statement).scalar() or 0)


def event_count(session: Session, event_type: str, scope) -> int:
    return scalar(
        session,
        select(func.count()).where(Event.event_type == event_type, scope.is_not(None)),
    )


def event_sum(session: Session, column, scope, *types: str) -> int:
    return scalar(
        session,
        select(func.sum(column)).where(Event.event_type.in_(types), scope.is_not(None)),
    )


def rollup_sum(session: Session, column) -> int:
    return scalar(session, select(func.sum(column)))


def test_generate_inserts_the_platform_and_consistent_rollups(session: Session) -> None:
    expected = build_demo_platform(seed=7, scale=0.02, days=30, end=END)
    summary = generate_demo_platform(session, seed=7, scale=0.02, days=30, end=END)

    assert (summary.writers, summary.stories, summary.chapters) == (20, 120, 2500)
    assert summary.readers == len(expected.readers) == 1000
    assert summary.events == len(expected.events) > 2000
    assert (summary.start, summary.end) == (END - timedelta(days=30), END)
    assert scalar(session, select(func.count()).select_from(Event)) == summary.events
    assert scalar(session, select(func.count()).select_from(Reader)) == 1000
    assert scalar(session, select(func.count()).select_from(Chapter)) == 2500
    assert scalar(session, select(func.sum(Event.revenue_minor))) == int(
        expected.events.revenue_minor.clip(0).sum()
    )
    assert scalar(session, select(func.count(distinct(Event.source)))) == 1
    assert set(session.execute(select(Story.status).distinct()).scalars()) == {
        "ongoing",
        "hiatus",
        "completed",
    }
    assert session.get(Reader, 1).user_id == "u1"
    assert session.get(Writer, 1).handle == expected.writers["handle"].iloc[0]

    # Rollup totals equal direct counts on the raw events.
    for column, event_type in (
        ("chapter_views", "chapter_start"),
        ("story_views", "story_view"),
        ("completions", "chapter_complete"),
        ("unlocks", "chapter_unlock"),
        ("likes", "like"),
    ):
        assert rollup_sum(session, getattr(WriterDaily, column)) == event_count(
            session, event_type, Event.writer_id
        ), column
        assert rollup_sum(session, getattr(StoryDaily, column)) == event_count(
            session, event_type, Event.story_id
        ), column
        assert rollup_sum(session, getattr(ChapterDaily, column)) == event_count(
            session, event_type, Event.chapter_id
        ), column
    assert rollup_sum(session, StoryDaily.reading_seconds) == event_sum(
        session, Event.read_seconds, Event.story_id, "chapter_progress"
    )
    assert rollup_sum(session, WriterDaily.revenue_unlock_minor) == event_sum(
        session, Event.revenue_minor, Event.writer_id, "chapter_unlock"
    )
    assert rollup_sum(session, StoryReaderDaily.revenue_minor) == event_sum(
        session, Event.revenue_minor, Event.story_id, "chapter_unlock", "tip", "subscribe"
    )
    story_reader_days = (
        select(Event.story_id, utc_day(Event.occurred_at), Event.reader_id)
        .where(Event.story_id.is_not(None), Event.reader_id.is_not(None))
        .distinct()
        .subquery()
    )
    assert scalar(session, select(func.count()).select_from(StoryReaderDaily)) == scalar(
        session, select(func.count()).select_from(story_reader_days)
    )
    assert rollup_sum(session, StoryReaderDaily.events) == scalar(
        session,
        select(func.count()).where(Event.story_id.is_not(None), Event.reader_id.is_not(None)),
    )
    busiest = session.execute(
        select(WriterDaily.day, WriterDaily.unique_readers)
        .where(WriterDaily.writer_id == 1)
        .order_by(WriterDaily.unique_readers.desc(), WriterDaily.day)
        .limit(1)
    ).one()
    assert busiest.unique_readers == scalar(
        session,
        select(func.count(distinct(Event.reader_id))).where(
            Event.writer_id == 1, utc_day(Event.occurred_at) == busiest.day
        ),
    )

    # The rollup job's watermark is at the newest event: nothing left to do.
    newest = scalar(session, select(func.max(Event.id)))
    assert session.get(JobState, ROLLUP_WATERMARK).value == str(newest)
    assert rollup_new_events(session) == 0

    assert demo_platform_present(session)
    with pytest.raises(DemoAlreadyPresentError):
        generate_demo_platform(session, seed=7, scale=0.02, days=30, end=END)


def test_generate_accepts_an_engine_and_refuses_a_used_catalog(sqlite_url: str) -> None:
    from data.db import make_engine

    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            assert not demo_platform_present(session)
            session.add(Writer(id=99, handle="someone", display_name="Someone"))
            session.commit()
        with pytest.raises(DemoAlreadyPresentError):
            generate_demo_platform(engine, scale=0.01, days=7, end=END)
        with Session(engine) as session:
            session.delete(session.get(Writer, 99))
            session.commit()
        summary = generate_demo_platform(engine, seed=1, scale=0.01, days=7, end=END)
        with Session(engine) as session:
            assert scalar(session, select(func.count()).select_from(Event)) == summary.events
            assert demo_platform_present(session)
    finally:
        engine.dispose()


def test_demo_accounts(session: Session) -> None:
    with pytest.raises(ValueError, match="writer 1 does not exist"):
        create_demo_accounts(session)
    assert scalar(session, select(func.count()).select_from(User)) == 0
    session.add_all(
        [
            Writer(id=1, handle="one", display_name="One"),
            Writer(id=2, handle="two", display_name="Two"),
        ]
    )
    session.flush()

    created = create_demo_accounts(session)
    session.commit()
    assert created == list(DEMO_ACCOUNTS)
    users = {user.email: user for user in session.execute(select(User)).scalars()}
    assert set(users) == {"admin@legato.demo", "writer1@legato.demo", "writer2@legato.demo"}
    for email, password, role, writer_id in created:
        assert users[email].role == role
        assert users[email].writer_id == writer_id
        assert users[email].password_hash.startswith("scrypt:")
        assert check_password_hash(users[email].password_hash, password)
    assert users["writer2@legato.demo"].display_name == "Two"

    # Idempotent: nothing new; an account whose password changed is not listed.
    users["writer2@legato.demo"].password_hash = generate_password_hash("changed", method="scrypt")
    session.commit()
    again = create_demo_accounts(session)
    assert [account[0] for account in again] == ["admin@legato.demo", "writer1@legato.demo"]
    assert scalar(session, select(func.count()).select_from(User)) == 3


def test_readers_created_after_the_demo_get_fresh_ids(session) -> None:
    """The demo inserts readers with explicit ids; a reader created afterwards with a
    database-chosen id must not collide (PostgreSQL's sequence is moved past them)."""
    from sqlalchemy import func, select

    from data.demo import generate_demo_platform
    from data.models import Reader

    generate_demo_platform(session, seed=3, scale=0.005, days=14)
    highest = session.scalar(select(func.max(Reader.id)))
    newcomer = Reader(user_id="after-demo-reader")
    session.add(newcomer)
    session.commit()
    assert newcomer.id > highest
