"""Benchmark: the nightly ``forecasts`` job on the demo platform — fit time per series and the
full run time.

Usage::

    flock /tmp/legato-bench.lock .venv/bin/python bench/forecast.py \
        [--source cache|build] [--scale 1] [--runs 1]

1. Builds a fresh, migrated SQLite database in a temporary directory with the demo platform's
   catalog and rollups:

   - ``--source cache`` (the default when ``bench/.cache/demo-10m.db`` exists): copies the
     tables the job reads (writers, stories, writer_daily, story_daily, story_reader_daily)
     from the cached 10M-event demo database, opened read-only and immutable (the cache is
     never modified);
   - ``--source build``: generates the demo platform (seed 42, 180 days, ``--scale``) into it.

2. Runs the job ``--runs`` times through the runner (``run_job``: lock, ``job_runs`` record,
   commit), and prints the full run time, the series per model, the fit time per series
   (p50/p95/max, from each forecast's ``fit_seconds``: backtest folds + final fit + sampling)
   by model, the time of one Prophet fit, and how often Prophet beat the baseline.

The catalog of the demo is fixed (20 writers, 120 stories), so the series count and the
fit work do not depend on the scale; the readers series' input queries do. Numbers depend on
the machine and on other processes: run under the shared flock.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app.analytics import forecasting  # noqa: E402
from app.jobs.runner import run_job  # noqa: E402
from data.db import make_engine, make_session_factory  # noqa: E402
from data.demo import generate_demo_platform  # noqa: E402
from data.forecast_store import forecast_as_of, forecast_inputs  # noqa: E402
from data.migrate import upgrade  # noqa: E402
from data.models import Forecast  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "demo-10m.db"
DEMO_END = date(2026, 6, 30)
COPIED_TABLES = ("writers", "stories", "writer_daily", "story_daily", "story_reader_daily")


def copy_from_cache(path: Path) -> str:
    """Copy the job's input tables from the cached demo database, attached read-only and
    immutable (URI filenames enabled explicitly, so SQLite refuses any write to it)."""
    connection = sqlite3.connect(f"file:{path}", uri=True)
    try:
        connection.execute("ATTACH DATABASE ? AS cache", (f"file:{CACHE}?mode=ro&immutable=1",))
        for table in COPIED_TABLES:
            columns = [row[1] for row in connection.execute(f"PRAGMA main.table_info({table})")]
            names = ", ".join(columns)
            connection.execute(
                f"INSERT INTO main.{table} ({names}) SELECT {names} FROM cache.{table}"
            )
        connection.commit()
        connection.execute("DETACH DATABASE cache")
        connection.execute("ANALYZE")
        counts = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in COPIED_TABLES
        }
    finally:
        connection.close()
    return "cached 10M demo: " + ", ".join(f"{table} {count:,}" for table, count in counts.items())


def build_demo(url: str, scale: float) -> str:
    engine = make_engine(url)
    try:
        summary = generate_demo_platform(engine, seed=42, scale=scale, days=180, end=DEMO_END)
    finally:
        engine.dispose()
    return f"demo scale {scale:g}: {summary.events:,} events"


def one_fit_seconds(sessions, today: date, repeat: int = 5) -> float:
    """Median time of one Prophet fit + forecast on the platform's revenue series."""
    with sessions() as session:
        as_of = forecast_as_of(session, today)
        history = forecast_inputs(session, as_of, forecasting.MAX_HISTORY_DAYS)[0].values
    values = history.to_numpy()
    start = history.index[0]
    forecasting._prophet_forecast(values, start, forecasting.HORIZON_DAYS, False)  # warm up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        forecasting._prophet_forecast(values, start, forecasting.HORIZON_DAYS, False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    array = np.array(values)
    return (
        f"p50 {np.percentile(array, 50):6.2f}s  p95 {np.percentile(array, 95):6.2f}s  "
        f"max {array.max():6.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", choices=("cache", "build"))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    source = args.source or ("cache" if CACHE.exists() else "build")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("legato.jobs").setLevel(logging.INFO)

    with tempfile.TemporaryDirectory(prefix="legato-forecast-bench-") as directory:
        path = Path(directory) / "bench.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        started = time.perf_counter()
        described = copy_from_cache(path) if source == "cache" else build_demo(url, args.scale)
        print(f"{described} (prepared in {time.perf_counter() - started:.0f} s)")
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        print(f"load average {os.getloadavg()[0]:.2f}; cpus {os.cpu_count()}")
        try:
            fit = one_fit_seconds(sessions, DEMO_END)
            print(f"one Prophet fit + 90-day forecast with 1000 sample paths: {fit:.2f} s")
            # as of the demo's last day: forecast_as_of takes the last day with data
            for run in range(1, args.runs + 1):
                result = run_job(sessions, "forecasts", trigger="bench")
                error = f" — {result.error}" if result.error else ""
                print(
                    f"run {run}: {result.status} in {result.seconds:.1f} s, "
                    f"{result.rows_written:,} rows{error}"
                )
            with sessions() as session:
                rows = session.execute(
                    select(
                        Forecast.scope,
                        Forecast.metric,
                        Forecast.model,
                        Forecast.fit_seconds,
                        Forecast.history_days,
                        Forecast.mase,
                        Forecast.baseline_mase,
                        Forecast.prophet_mase,
                        Forecast.coverage_80,
                    ).where(Forecast.is_current.is_(True))
                ).all()
                current = session.scalar(select(func.count()).select_from(Forecast))
            frame = pd.DataFrame(
                rows,
                columns=[
                    "scope",
                    "metric",
                    "model",
                    "seconds",
                    "history_days",
                    "mase",
                    "baseline_mase",
                    "prophet_mase",
                    "coverage_80",
                ],
            )
            print(f"{len(frame)} series ({current} forecasts stored)")
            print(frame.groupby(["scope", "model"]).size().unstack(fill_value=0).to_string())
            print("fit time per series (backtest folds + final fit + sample paths):")
            for model, group in frame.groupby("model"):
                print(f"  {model:<15} n={len(group):<4} {percentiles(list(group['seconds']))}")
            print(f"  all             n={len(frame):<4} {percentiles(list(frame['seconds']))}")
            backtested = frame[frame["model"].isin(("prophet", "seasonal_naive"))]
            if len(backtested):
                won = (backtested["model"] == "prophet").mean()
                print(
                    f"Prophet beat the seasonal-naive baseline on {won:.0%} of "
                    f"{len(backtested)} backtested series; median MASE shown "
                    f"{backtested['mase'].median():.2f} (baseline "
                    f"{backtested['baseline_mase'].median():.2f})"
                )
                for model, group in backtested.groupby("model"):
                    print(
                        f"  {model:<15} backtest coverage of the 80% band: median "
                        f"{group['coverage_80'].median():.0%} (p10 "
                        f"{group['coverage_80'].quantile(0.1):.0%}, p90 "
                        f"{group['coverage_80'].quantile(0.9):.0%})"
                    )
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
