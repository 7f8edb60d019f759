"""Benchmark: every writer-dashboard query and the real-time queries at 10M events.

Usage::

    flock /tmp/legato-bench.lock .venv/bin/python bench/queries.py [--scale 10] [--repeat 5]
        [--writers 5] [--build-only]

Builds the demo platform (``scale`` 10 ≈ 10,000,000 events, seed 42, 180 days ending
``DEMO_END``) once into ``bench/.cache/demo-<scale>.db`` (SQLite; built into a temporary file
and renamed when complete, reused afterwards; a cache built by an older schema revision is
upgraded in place and its derived tables backfilled, see ``upgrade_cached_database``), then
times each query ``--repeat`` times for ``--writers`` writers (the busiest, the median and
the quietest ones) over the last 28 days, prints p50/p95 per query in milliseconds, and does the same for a naive pandas computation
over the writer's raw events (load the events, compute KPIs and chapter retention).
Target (SQLite): every writer-dashboard query p95 < 150 ms, real-time < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from data.db import make_engine, make_session_factory
from data.demo import generate_demo_platform
from data.migrate import alembic_config, current_revision, upgrade
from data.models import Event, Story, StoryReaderSummary, WriterDaily
from data.progress import rebuild_story_reader_summaries
from data.queries import (
    annotations,
    audience,
    content,
    engagement,
    growth,
    overview,
    rankings,
    realtime,
    retention,
)
from data.queries.filters import Period, Scope

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
DEMO_END = date(2026, 6, 30)
TARGET_MS = 150.0
REALTIME_TARGET_MS = 100.0


def cached_database(scale: float) -> Path:
    """The cached demo database for ``scale``, built first when missing."""
    CACHE_DIR.mkdir(exist_ok=True)
    label = "10m" if scale == 10 else f"scale{scale:g}"
    path = CACHE_DIR / f"demo-{label}.db"
    if path.exists():
        return path
    building = path.with_suffix(".building")
    for leftover in CACHE_DIR.glob(f"{building.name}*"):
        leftover.unlink()
    url = f"sqlite:///{building}"
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    try:
        summary = generate_demo_platform(engine, seed=42, scale=scale, days=180, end=DEMO_END)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    finally:
        engine.dispose()
    print(
        f"built {path.name}: {summary.events:,} events in {time.perf_counter() - started:.0f} s "
        f"(rollups {summary.rollup_seconds:.0f} s)",
        flush=True,
    )
    building.rename(path)
    return path


def upgrade_cached_database(path: Path) -> None:
    """Bring a cached demo database built by an older revision to the newest schema
    without regenerating its events: run the migrations, backfill the derived tables they
    add with the rollup job's own maintenance functions (0003's story tables; 0005 fills its
    writer tables itself), then refresh the planner statistics. A no-op when the database
    is already up to date."""
    url = f"sqlite:///{path}"
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if current_revision(url) == head:
        return
    started = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            if session.scalar(select(func.count()).select_from(StoryReaderSummary)) == 0:
                rebuild_story_reader_summaries(session)
            session.commit()
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.commit()
    finally:
        engine.dispose()
    print(f"upgraded {path.name} in {time.perf_counter() - started:.0f} s", flush=True)


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000.0, q))


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def pick_writers(session: Session, count: int, period: Period) -> list[int]:
    """The busiest, median and quietest writers by views in the period (``count`` spread)."""
    rows = session.execute(
        select(WriterDaily.writer_id, func.sum(WriterDaily.chapter_views).label("views"))
        .where(WriterDaily.day.between(period.start, period.end))
        .group_by(WriterDaily.writer_id)
        .order_by(func.sum(WriterDaily.chapter_views).desc())
    ).all()
    ids = [int(row[0]) for row in rows]
    picks = np.linspace(0, len(ids) - 1, num=min(count, len(ids))).round().astype(int)
    return [ids[i] for i in dict.fromkeys(picks)]


def top_story(session: Session, writer_id: int, period: Period) -> int:
    ranked = rankings.rank_stories(session, Scope(writer_id), period, "views", limit=1)
    return int(ranked["story_id"].iloc[0])


def writer_queries(
    session: Session, writer_id: int, period: Period
) -> dict[str, Callable[[], object]]:
    scope = Scope(writer_id)
    story = top_story(session, writer_id, period)
    return {
        "overview.overview_kpis": lambda: overview.overview_kpis(session, scope, period),
        "overview.daily_series": lambda: overview.daily_series(session, scope, period),
        "content.story_performance": lambda: content.story_performance(session, scope, period),
        "content.chapter_performance": lambda: content.chapter_performance(
            session, scope, story, period
        ),
        "content.revenue_summary": lambda: content.revenue_summary(session, scope, period),
        "retention.chapter_retention": lambda: retention.chapter_retention(session, scope, story),
        "retention.reader_type_mix": lambda: retention.reader_type_mix(session, scope, story),
        "retention.retention_by_reader_type": lambda: retention.retention_by_reader_type(
            session, scope, story
        ),
        "retention.hook_rates": lambda: retention.hook_rates(session, scope, story),
        "retention.paywall_conversion": lambda: retention.paywall_conversion(session, scope, story),
        "retention.entry_chapter_cohorts": lambda: retention.entry_chapter_cohorts(
            session, scope, story
        ),
        "audience.audience_breakdown": lambda: audience.audience_breakdown(
            session, scope, period, "country"
        ),
        "audience.new_vs_returning": lambda: audience.new_vs_returning(session, scope, period),
        "audience.weekly_cohorts": lambda: audience.weekly_cohorts(
            session, scope, Period(period.end - timedelta(days=55), period.end)
        ),
        "engagement.activity_histogram": lambda: engagement.activity_histogram(
            session, scope, period
        ),
        "engagement.most_engaged_readers": lambda: engagement.most_engaged_readers(
            session, scope, period
        ),
        "growth.growth_totals": lambda: growth.growth_totals(session, scope, period.end),
        "rankings.rank_stories": lambda: rankings.rank_stories(session, scope, period, "revenue"),
        "rankings.comparison_frames": lambda: rankings.comparison_frames(
            session, scope, story, period
        ),
        "annotations.release_annotations": lambda: annotations.release_annotations(
            session, scope, period
        ),
    }


def naive_pandas(session: Session, writer_id: int, period: Period, story: int) -> None:
    """What a dashboard would do without rollups: load the writer's raw events, then
    compute the overview KPIs and one story's chapter retention in pandas."""
    events = pd.read_sql(
        select(
            Event.event_type,
            Event.reader_id,
            Event.story_id,
            Event.chapter_id,
            Event.occurred_at,
            Event.read_seconds,
            Event.revenue_minor,
        ).where(Event.writer_id == writer_id),
        session.connection(),
    )
    events["day"] = pd.to_datetime(events["occurred_at"]).dt.date
    window = events[(events["day"] >= period.start) & (events["day"] <= period.end)]
    starts = window["event_type"] == "chapter_start"
    _ = (
        int(starts.sum()),
        window["reader_id"].nunique(),
        window["read_seconds"].sum(),
        window["revenue_minor"].sum(),
    )
    opened = events[(events["event_type"] == "chapter_start") & (events["story_id"] == story)]
    reach = opened.groupby("chapter_id")["reader_id"].nunique()
    _ = reach / reach.iloc[0] if len(reach) else reach


def report(name: str, samples: list[float], target: float) -> str:
    p50, p95 = percentile_ms(samples, 50), percentile_ms(samples, 95)
    flag = "ok" if p95 < target else "SLOW"
    return f"{name:<40} {p50:9.1f} {p95:9.1f}  {flag}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    path = cached_database(args.scale)
    upgrade_cached_database(path)
    if args.build_only:
        return
    engine = make_engine(f"sqlite:///{path}")
    with make_session_factory(engine)() as session:
        events = session.scalar(select(func.count()).select_from(Event))
        end = session.scalar(select(func.max(WriterDaily.day)))
        end = end if isinstance(end, date) else date.fromisoformat(str(end))
        period = Period.last_days(28, end)
        writers = pick_writers(session, args.writers, period)
        stories = session.scalar(select(func.count()).select_from(Story))
        print(
            f"{path.name}: {events:,} events, {stories:,} stories; period {period.start}..{period.end};"
            f" writers {writers}; repeat {args.repeat}; load average {os.getloadavg()[0]:.2f}"
        )
        samples: dict[str, list[float]] = {}
        naive: list[float] = []
        for writer in writers:
            queries = writer_queries(session, writer, period)
            for name, function in queries.items():
                function()  # warm the page cache and statement caches
                samples.setdefault(name, []).extend(timed(function) for _ in range(args.repeat))
            story = top_story(session, writer, period)
            naive.extend(
                timed(lambda w=writer, s=story: naive_pandas(session, w, period, s))
                for _ in range(max(1, args.repeat // 2))
            )
        now = datetime.combine(end, datetime.min.time()) + timedelta(hours=20)
        realtime_samples = []
        realtime.realtime_snapshot(session, now)
        for _ in range(args.repeat * 3):
            realtime_samples.append(timed(lambda: realtime.realtime_snapshot(session, now)))
        session.execute(text("SELECT 1"))
    engine.dispose()
    print(f"{'query (writer dashboard, 28 days)':<40} {'p50 ms':>9} {'p95 ms':>9}")
    for name, values in samples.items():
        print(report(name, values, TARGET_MS))
    print(report("realtime.realtime_snapshot (platform)", realtime_samples, REALTIME_TARGET_MS))
    print(report("naive pandas over raw events", naive, TARGET_MS))
    print(f"load average after: {os.getloadavg()[0]:.2f} (2 cores, shared machine)")


if __name__ == "__main__":
    main()
