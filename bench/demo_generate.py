"""Benchmark: generate the demo platform into a fresh database and time each phase.

Usage::

    .venv/bin/python bench/demo_generate.py [--scale 1.0] [--days 180] [--seed 42]
        [--database-url URL]

Without ``--database-url`` a fresh SQLite file in a temporary directory is migrated
(``data.migrate.upgrade``) and removed afterwards. A given URL must point at an empty,
migratable database; it is migrated first and kept. Prints events, seconds and events/s
for generation + insert, and the rollup rebuild separately.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.db import make_engine
from data.demo import DemoSummary, generate_demo_platform
from data.migrate import upgrade


def run(url: str, *, scale: float, days: int, seed: int, end: date | None) -> DemoSummary:
    """Migrate ``url``, generate the demo into it and return the summary."""
    upgrade(url)
    engine = make_engine(url)
    try:
        return generate_demo_platform(engine, seed=seed, scale=scale, days=days, end=end)
    finally:
        engine.dispose()


def report(summary: DemoSummary, url: str) -> str:
    """A human-readable report of ``summary``."""
    rollup_rate = summary.events / summary.rollup_seconds if summary.rollup_seconds else 0.0
    return "\n".join(
        [
            f"database            {url}",
            f"window              {summary.start} .. {summary.end} (exclusive)",
            f"catalog             {summary.writers} writers, {summary.stories} stories, "
            f"{summary.chapters} chapters, {summary.readers} readers",
            f"events              {summary.events:,}",
            f"generate            {summary.generate_seconds:8.2f} s",
            f"insert              {summary.insert_seconds:8.2f} s",
            f"generate + insert   {summary.seconds:8.2f} s  "
            f"({summary.events_per_second:,.0f} events/s)",
            f"rollup rebuild      {summary.rollup_seconds:8.2f} s  "
            f"({rollup_rate:,.0f} events/s, {summary.rollup_rows:,} rollup rows)",
            f"total               {summary.seconds + summary.rollup_seconds:8.2f} s",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="readers/events multiplier")
    parser.add_argument("--days", type=int, default=180, help="days of events")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    parser.add_argument("--database-url", default=None, help="default: fresh temp SQLite")
    args = parser.parse_args(argv)

    if args.database_url:
        summary = run(
            args.database_url, scale=args.scale, days=args.days, seed=args.seed, end=args.end
        )
        print(report(summary, args.database_url))
        return 0
    with tempfile.TemporaryDirectory(prefix="legato-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        summary = run(url, scale=args.scale, days=args.days, seed=args.seed, end=args.end)
        print(report(summary, url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
