"""``story_reader_summary``, ``story_chapter_stats`` and ``story_entry_cohorts`` maintenance
(data/progress.py) on SQLite and PostgreSQL, against the hand-built platform of
tests/metrics_fixtures.py: exact rows, idempotency, late events and catalog publication
changes; the stored counts always equal the live count functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Chapter, StoryEntryCohort, StoryReaderSummary
from data.progress import (
    rebuild_story_reader_summaries,
    refresh_story_chapter_stats,
    update_reader_progress,
)
from data.queries.filters import Scope
from data.queries.retention import (
    READER_TYPES,
    entry_chapter_cohorts,
    entry_cohort_counts,
    hook_counts,
    paywall_counts,
    reader_type_mix,
    retention_counts,
    stored_chapter_stats,
    type_reached_counts,
)
from data.writes import insert_events, rebuild_rollups
from tests.metrics_fixtures import at, build_metrics_platform, day

S = StoryReaderSummary

#: (story, reader) -> (writer, first open, entry chapter, chapter 1 open, chapters opened,
#: release-day opens, most opens on one day), worked out from the fixture's docstring.
EXPECTED = {
    (10, 1): (1, at(0, 1), 1, at(0, 1), 4, 4, 1),
    (10, 2): (1, at(22, 10), 1, at(22, 10), 3, 0, 3),
    (10, 3): (1, at(3, 0), 1, at(3, 0), 2, 0, 1),
    (10, 4): (1, at(0, 5), 1, at(0, 5), 1, 1, 1),  # the d60 re-open does not count
    (10, 5): (1, at(30, 0), 1, at(30, 0), 4, 0, 1),
    (10, 6): (1, at(50, 0), 2, None, 1, 0, 1),
    (11, 3): (1, at(60, 11, 50, 30), 1, at(60, 11, 50, 30), 1, 0, 1),
    (20, 1): (2, at(5, 8), 1, at(5, 8), 1, 0, 1),
}


@pytest.fixture
def platform(session: Session) -> Session:
    build_metrics_platform(session)
    return session


def _summaries(session: Session) -> dict[tuple[int, int], tuple[Any, ...]]:
    session.expire_all()
    rows = session.scalars(select(S).order_by(S.story_id, S.reader_id)).all()
    return {
        (r.story_id, r.reader_id): (
            r.writer_id,
            r.first_started_at,
            r.entry_chapter,
            r.first_chapter_started_at,
            r.chapters_started,
            r.release_day_starts,
            r.busiest_day_starts,
        )
        for r in rows
    }


#: story 10's stored per-chapter counts (STATS_COUNTS order), worked out from the fixture:
#: readers, reached, reached by type (release-day r1 r4, binge r2, catch-up r3 r5),
#: completers/next 24h/next 7d, paywall reached/unlocked/read without unlock (stored for
#: every chapter, paid or not; chapter 5 does not exist but is "reached" by finishing 4).
STORY_10_STATS = {
    1: (5, 5, 2, 1, 2, 4, 3, 4, 5, 0, 5),
    2: (5, 4, 1, 1, 2, 3, 3, 3, 5, 0, 5),
    3: (3, 3, 1, 1, 1, 3, 1, 1, 3, 2, 1),
    4: (2, 2, 1, 0, 1, 0, 0, 0, 3, 1, 1),
    5: (0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0),
}


def _stats(session: Session, story_id: int) -> dict[int, tuple[int, ...]]:
    session.expire_all()
    return {n: tuple(row.values()) for n, row in stored_chapter_stats(session, story_id).items()}


def _assert_stored_equals_live(session: Session) -> None:
    """Every story's stored counts equal the live count functions' answers."""
    for story_id in (10, 11, 20):
        readers, reached = retention_counts(session, story_id)
        by_type = type_reached_counts(session, story_id)
        hooks = hook_counts(session, story_id)
        paywall = paywall_counts(session, story_id)
        for number, row in stored_chapter_stats(session, story_id).items():
            assert row["readers"] == readers.get(number, 0)
            assert row["reached"] == reached.get(number, 0)
            for kind in READER_TYPES:
                assert row[f"reached_{kind}"] == by_type.get((kind, number), 0)
            assert (row["completers"], row["next_24h"], row["next_7d"]) == hooks.get(
                number, (0, 0, 0)
            )
            assert (row["paywall_reached"], row["unlocked"], row["read_without_unlock"]) == (
                paywall.get(number, (0, 0, 0))
            )
        stored = {
            (r.entry_chapter, r.chapter_offset): r.reached
            for r in session.scalars(
                select(StoryEntryCohort).where(StoryEntryCohort.story_id == story_id)
            )
        }
        assert stored == entry_cohort_counts(session, story_id)


def _start(reader: int, chapter: int, when: datetime, number: int) -> dict[str, Any]:
    return {
        "source": "test", "message_id": f"late{number}", "event_type": "chapter_start",
        "event_name": "chapter_start", "user_id": f"r{reader}", "reader_id": reader,
        "writer_id": 1, "story_id": 10, "chapter_id": chapter, "occurred_at": when,
        "received_at": at(61),
    }  # fmt: skip


def test_summary_rows_exact(platform: Session) -> None:
    assert _summaries(platform) == EXPECTED


def test_chapter_stats_exact(platform: Session) -> None:
    assert _stats(platform, 10) == STORY_10_STATS
    assert _stats(platform, 11) == {1: (1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1)}
    cohorts = platform.scalars(
        select(StoryEntryCohort)
        .where(StoryEntryCohort.story_id == 10)
        .order_by(StoryEntryCohort.entry_chapter, StoryEntryCohort.chapter_offset)
    ).all()
    assert [(r.entry_chapter, r.chapter_offset, r.reached) for r in cohorts] == [
        (1, 0, 5), (1, 1, 4), (1, 2, 3), (1, 3, 2), (2, 0, 1),
    ]  # fmt: skip
    _assert_stored_equals_live(platform)


def test_summary_is_idempotent_and_order_independent(platform: Session) -> None:
    update_reader_progress(platform, [day(50), day(3)])
    update_reader_progress(platform)
    update_reader_progress(platform, [])
    rebuild_rollups(platform, [day(22), day(0)])
    rebuild_story_reader_summaries(platform)
    rebuild_story_reader_summaries(platform, [])
    assert refresh_story_chapter_stats(platform, []) == 0
    refresh_story_chapter_stats(platform, [10])
    platform.commit()
    assert _summaries(platform) == EXPECTED
    assert _stats(platform, 10) == STORY_10_STATS
    _assert_stored_equals_live(platform)


def test_late_events_recompute_the_readers_whole_path(platform: Session) -> None:
    # r6 (chapter 2 on d50 only) turns out to have opened chapter 1 on d49 and chapter 3
    # on d50: entry moves to chapter 1 and two first opens now share d50.
    insert_events(platform, [_start(6, 100, at(49, 23), 1), _start(6, 102, at(50, 1), 2)])
    platform.flush()
    rebuild_rollups(platform, [day(49), day(50)])
    platform.commit()
    expected = dict(EXPECTED)
    expected[(10, 6)] = (1, at(49, 23), 1, at(49, 23), 3, 0, 2)
    assert _summaries(platform) == expected
    mix = reader_type_mix(platform, Scope(1), 10).set_index("reader_type")["readers"]
    assert mix.to_dict() == {"release_day": 2, "binge": 1, "catch_up": 3}
    grid = entry_chapter_cohorts(platform, Scope(1), 10)
    assert grid.loc[grid["offset"] == 0, ["entry_chapter", "readers"]].values.tolist() == [[1, 6]]
    stats = dict(STORY_10_STATS)
    # r6 is now a starting (catch-up) reader and opened chapter 3 without an unlock.
    stats[1] = (6, 6, 2, 1, 3, 4, 3, 4, 6, 0, 6)
    stats[2] = (5, 5, 1, 1, 3, 3, 3, 3, 5, 0, 5)
    stats[3] = (4, 4, 1, 1, 2, 3, 1, 1, 4, 2, 2)
    assert _stats(platform, 10) == stats
    _assert_stored_equals_live(platform)
    rebuild_rollups(platform)  # a full rebuild agrees with the incremental one
    platform.commit()
    assert _summaries(platform) == expected
    assert _stats(platform, 10) == stats


def test_rebuild_after_a_publication_change(platform: Session) -> None:
    # Chapter 1 of story 10 re-dated to d3: r3's d3 00:00 open becomes a release-day open.
    platform.get(Chapter, 100).published_at = at(3)
    platform.flush()
    rebuild_story_reader_summaries(platform, [10])
    platform.commit()
    assert _summaries(platform)[(10, 3)] == (1, at(3, 0), 1, at(3, 0), 2, 1, 1)
    assert _summaries(platform)[(20, 1)] == EXPECTED[(20, 1)]
    assert _stats(platform, 10)[1][2:5] == (3, 1, 1)  # r3 joins r1 and r4 as release-day
    _assert_stored_equals_live(platform)
