"""Events ingested over the API reach the daily rollups through the rollup job, run from
the CLI (``flask jobs run rollups``), including late and backfilled events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.database import get_database
from data.models import ChapterDaily, WriterDaily
from tests.ingest.conftest import bearer


def chapter_views(app: Flask, chapter_id: int) -> dict:
    with get_database(app).session() as session:
        rows = session.execute(
            select(ChapterDaily.day, ChapterDaily.chapter_views).where(
                ChapterDaily.chapter_id == chapter_id
            )
        ).all()
    return dict(rows)


def test_ingested_and_backfilled_events_are_rolled_up_by_the_cli_job(
    ingest_app: Flask, client: FlaskClient, write_key: str
) -> None:
    runner = ingest_app.test_cli_runner()
    assert runner.invoke(args=["jobs", "run", "rollups"]).exit_code == 0
    now = datetime.now(UTC)
    backfill_day = (now - timedelta(days=400)).date()
    batch = [
        {"message_id": f"v{i}", "event": "chapter_start", "user_id": f"x{i}", "story_id": 20, "chapter_id": 200}
        for i in range(3)
    ] + [
        {"message_id": "old", "event": "chapter_start", "user_id": "x9", "story_id": 20, "chapter_id": 200,
         "timestamp": (now - timedelta(days=400)).isoformat()},
    ]  # fmt: skip
    assert (
        client.post(
            "/api/v1/events/track-batch", json={"batch": batch}, headers=bearer(write_key)
        ).status_code
        == 200
    )
    before = chapter_views(ingest_app, 200)
    result = runner.invoke(args=["jobs", "run", "rollups"])
    assert result.exit_code == 0, result.output
    after = chapter_views(ingest_app, 200)
    assert after[now.date()] == before.get(now.date(), 0) + 3
    assert after[backfill_day] == 1
    with get_database(ingest_app).session() as session:
        writer_two = session.execute(
            select(WriterDaily.chapter_views).where(
                WriterDaily.writer_id == 2, WriterDaily.day == backfill_day
            )
        ).scalar_one()
    assert writer_two == 1  # writer enriched from the catalog at ingest
    # Running again changes nothing.
    assert runner.invoke(args=["jobs", "run", "rollups"]).exit_code == 0
    assert chapter_views(ingest_app, 200) == after
