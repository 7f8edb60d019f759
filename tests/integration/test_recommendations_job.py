"""The ``recommendations`` job end to end on tests/recommendation_fixtures.py's platform
(raw events → rollups → bulk input queries → rules → stored advice), through
``app.jobs.runner.run_job``, on SQLite and PostgreSQL: it finds the planted drop-off chapter
and hiatus, a rerun is idempotent, dismissed advice stays dismissed after a rerun, and the
input queries agree with the rollups they read on both backends."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.jobs.registry import JOBS
from app.jobs.runner import run_job
from data.db import make_session_factory
from data.models import (
    Chapter,
    JobRun,
    ReaderChapterProgress,
    Recommendation,
    RecommendationDismissal,
    StoryReaderDaily,
)
from data.queries.filters import Scope
from data.queries.recommendations import writer_recommendations
from data.recommendation_store import (
    RecommendationRecord,
    recommendation_as_of,
    recommendation_inputs,
    replace_recommendations,
)
from data.recommendations import (
    RecommendationNotFound,
    dismiss_recommendation,
    restore_recommendation,
)
from tests.recommendation_fixtures import (
    PLANTED_DROPOFF_CHAPTER,
    PLANTED_DROPOFF_CHAPTER_ID,
    PLANTED_STORY,
    build_recommendation_platform,
)

TODAY = datetime.now(UTC).date()
DROPOFF = f"dropoff:{PLANTED_STORY}:{PLANTED_DROPOFF_CHAPTER_ID}"


@pytest.fixture
def planted(session):
    return build_recommendation_platform(session, TODAY)


@pytest.fixture
def sessions(engine):
    return make_session_factory(engine)


def stored(sessions, writer_id: int) -> list[Recommendation]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Recommendation)
                .where(Recommendation.writer_id == writer_id)
                .order_by(Recommendation.rank)
            )
        )


def test_the_job_finds_the_planted_dropoff_and_hiatus(planted, sessions) -> None:
    assert JOBS["recommendations"].interval_seconds == 6 * 3600
    result = run_job(sessions, "recommendations")
    assert result.status == "succeeded", result.error
    ada = stored(sessions, 1)
    assert result.rows_written == len(ada) + len(stored(sessions, 2))
    by_kind = {item.kind: item for item in ada}

    dropoff = by_kind["dropoff"]
    assert dropoff.fingerprint == DROPOFF
    assert dropoff.story_id == PLANTED_STORY
    assert dropoff.chapter_id == PLANTED_DROPOFF_CHAPTER_ID
    assert dropoff.evidence["chapter_number"] == PLANTED_DROPOFF_CHAPTER
    assert dropoff.evidence["next_chapter_number"] == PLANTED_DROPOFF_CHAPTER + 1
    assert dropoff.evidence["loss"] > 0.5
    assert dropoff.evidence["median_loss"] < 0.15
    assert f"after chapter {PLANTED_DROPOFF_CHAPTER}" in dropoff.title

    cadence = by_kind["cadence"]
    assert cadence.story_id == PLANTED_STORY
    assert cadence.fingerprint == f"cadence:{PLANTED_STORY}:{planted.hiatus_start.date()}"
    assert cadence.evidence["hiatus_start"] == planted.hiatus_start.isoformat()
    assert cadence.evidence["hiatus_end"] == planted.hiatus_end.isoformat()
    assert cadence.evidence["ongoing"] is False
    assert cadence.evidence["usual_days"] == 7
    assert cadence.evidence["days"] == 42
    assert cadence.evidence["weekly_after"] < 0.5 * cadence.evidence["weekly_before"]

    # Ranked by priority; each row carries the run that wrote it.
    assert [item.rank for item in ada] == list(range(1, len(ada) + 1))
    assert [item.priority for item in ada] == sorted((i.priority for i in ada), reverse=True)
    assert {item.job_run_id for item in ada} == {result.run_id}
    # The regular story of writer 2 gets neither kind of advice.
    assert not {"dropoff", "cadence"} & {item.kind for item in stored(sessions, 2)}


def test_rerun_is_idempotent_and_dismissals_survive_it(planted, sessions) -> None:
    first = run_job(sessions, "recommendations")
    before = [(r.fingerprint, r.rank, r.title, r.detail, r.evidence) for r in stored(sessions, 1)]
    with sessions() as session:
        assert dismiss_recommendation(session, 1, DROPOFF, user_id=None) is True
        assert dismiss_recommendation(session, 1, DROPOFF, user_id=None) is False
        session.commit()

    second = run_job(sessions, "recommendations")
    assert second.status == "succeeded"
    assert second.rows_written == first.rows_written
    after = [(r.fingerprint, r.rank, r.title, r.detail, r.evidence) for r in stored(sessions, 1)]
    assert after == before
    assert {r.job_run_id for r in stored(sessions, 1)} == {second.run_id}
    with sessions() as session:
        listing = writer_recommendations(session, Scope(writer_id=1), include_dismissed=True)
        assert DROPOFF not in [item.fingerprint for item in listing.active]
        assert [item.fingerprint for item in listing.dismissed] == [DROPOFF]
        assert listing.dismissed_count == 1
        assert restore_recommendation(session, 1, DROPOFF) is True
        session.commit()
        assert DROPOFF in [
            item.fingerprint for item in writer_recommendations(session, Scope(writer_id=1)).active
        ]
    with sessions() as session:
        succeeded = session.scalar(
            select(func.count())
            .select_from(JobRun)
            .where(JobRun.job_name == "recommendations", JobRun.status == "succeeded")
        )
        assert succeeded == 2


def test_a_dismissal_needs_the_writers_own_current_advice(planted, sessions) -> None:
    run_job(sessions, "recommendations")
    with sessions() as session:
        for writer_id, fingerprint in ((2, DROPOFF), (1, "dropoff:10:999"), (1, None), (1, 7)):
            with pytest.raises(RecommendationNotFound):
                dismiss_recommendation(session, writer_id, fingerprint, user_id=None)
        session.rollback()
        count = session.scalar(select(func.count()).select_from(RecommendationDismissal))
        assert count == 0


def test_replacing_a_set_is_atomic_per_writer(planted, sessions) -> None:
    run_job(sessions, "recommendations")
    theirs = [(r.fingerprint, r.rank) for r in stored(sessions, 2)]
    record = RecommendationRecord("momentum", "momentum:10", "t", "d", "e", 1.0, {}, 10)
    with sessions() as session:
        assert replace_recommendations(session, 1, [record]) == 1
        session.rollback()  # a failed run leaves the previous set whole
    assert DROPOFF in [r.fingerprint for r in stored(sessions, 1)]
    with sessions() as session:
        replace_recommendations(session, 1, [record])
        session.commit()
        with pytest.raises(ValueError, match="duplicate"):
            replace_recommendations(session, 1, [record, record])
        session.rollback()
    assert [(r.fingerprint, r.rank) for r in stored(sessions, 1)] == [("momentum:10", 1)]
    assert [(r.fingerprint, r.rank) for r in stored(sessions, 2)] == theirs
    with pytest.raises(ValueError, match="unknown recommendation kind"):
        RecommendationRecord("nonsense", "x", "t", "d", "e", 1.0)


def test_inputs_match_the_rollups(planted, session) -> None:
    as_of = recommendation_as_of(session, TODAY)
    assert as_of == TODAY - timedelta(days=1) or as_of < TODAY
    inputs = recommendation_inputs(
        session, 2, as_of, weekly_days=400, opens_days=90, segment_days=28
    )
    # Own-time opens by weekday and hour: the same as counting the progress rows in Python.
    rows = session.execute(
        select(ReaderChapterProgress.first_started_at, Chapter.published_at)
        .join(
            Chapter,
            (Chapter.story_id == ReaderChapterProgress.story_id)
            & (Chapter.number == ReaderChapterProgress.chapter_number),
        )
        .where(ReaderChapterProgress.writer_id == 2)
    ).all()
    start = as_of - timedelta(days=89)
    expected = Counter(
        (opened.weekday(), opened.hour)
        for opened, published in rows
        if (opened - published).total_seconds() > 86400 and start <= opened.date() <= as_of
    )
    got = {
        (int(d), int(h)): int(n)
        for d, h, n in inputs.opens_by_hour[["weekday", "hour", "opens"]].itertuples(index=False)
    }
    assert got == dict(expected)
    assert sum(got.values()) == 20 * 19  # the late readers' binge
    # Weekly distinct readers per story: the same as counting story_reader_daily in Python.
    days = session.execute(
        select(StoryReaderDaily.story_id, StoryReaderDaily.day, StoryReaderDaily.reader_id).where(
            StoryReaderDaily.writer_id == 2
        )
    ).all()
    weeks: dict[tuple[int, object], set[int]] = {}
    for story, day, reader in days:
        weeks.setdefault((story, day - timedelta(days=day.weekday())), set()).add(reader)
    got_weeks = {
        (int(s), w): int(n)
        for s, w, n in inputs.weekly_readers[["story_id", "week", "readers"]].itertuples(
            index=False
        )
    }
    assert got_weeks == {key: len(readers) for key, readers in weeks.items()}
    # Chapters: whole-life counts and release-day opens.
    chapters = inputs.chapters.set_index("number")
    assert chapters.loc[1, "reached"] == 80
    assert chapters.loc[1, "views"] == 80
    assert chapters.loc[1, "release_day_opens"] == 60
    # Segments: everyone is in US / iOS; the window's readers add up.
    assert set(inputs.segments["country"]) == {"US"}
    assert inputs.segments["current"].sum() > 0
