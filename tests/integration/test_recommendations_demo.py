"""The recommendations job on the demo platform (data/demo.py), whose generator plants
drop-off cliffs and hiatuses: every cliff story gets a drop-off recommendation naming its
cliff chapter, and the hiatus advice is about stories the generator paused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.jobs.runner import run_job
from data.db import make_engine, make_session_factory
from data.demo import build_demo_platform, generate_demo_platform
from data.models import Chapter, Recommendation

END = date(2026, 6, 30)
DEMO = {"seed": 42, "scale": 0.3, "days": 180, "end": END}


@pytest.mark.slow
def test_demo_cliffs_and_hiatuses_are_found(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as session:
            generate_demo_platform(session, **DEMO)
        assert run_job(sessions, "recommendations").status == "succeeded"
        with sessions() as session:
            rows = session.execute(
                select(Recommendation.kind, Recommendation.story_id, Chapter.number).outerjoin(
                    Chapter, Chapter.id == Recommendation.chapter_id
                )
            ).all()
    finally:
        engine.dispose()
    stories = build_demo_platform(**DEMO).stories.set_index("id")
    cliffs = {int(s): int(c) for s, c in stories["cliff_chapter"].items() if c > 0}
    assert len(cliffs) >= 3
    dropoffs = {(story, number) for kind, story, number in rows if kind == "dropoff"}
    assert set(cliffs.items()) <= dropoffs
    paused = set(stories.index[(stories["status"] == "hiatus") | (stories["resumed_gap_days"] > 0)])
    hiatus_advice = {story for kind, story, _ in rows if kind == "cadence"}
    assert hiatus_advice
    assert hiatus_advice <= paused
