"""Benchmark: the assignment endpoint over HTTP, and analysing an experiment of 1,000,000
exposures (the SQL, the stored snapshot the results page reads, and the page's statistics).

Usage::

    flock /tmp/legato-bench.lock .venv/bin/python bench/experiments.py \
        [--seconds 10] [--clients 4] [--workers 2] [--units 1000000]
        [--skip-assignment] [--skip-analysis]

1. Assignment: serves the real app (``app:create_app()``) under gunicorn with ``--workers``
   sync workers, as the Procfile does, on a fresh SQLite file, starts an experiment and
   calls ``GET /api/v1/experiments/<key>/assignment?user_id=…`` from ``--clients`` HTTP
   clients for ``--seconds`` (after a 1 s warm-up): first with a new unit per call (every
   call writes an exposure and an event), then with the units of the first phase again
   (returning units: the sticky read path). Prints assignments/s, p50/p99 latency and the
   gunicorn processes' CPU time per assignment (what the server needs whatever else the
   machine runs: compare that first when other processes share the cores).
2. Analysis: the experiment with ``--units`` exposures (50/50) and ~0.6 events per unit
   (unlocks, chapter starts/completes, reading heartbeats) is built once into
   ``bench/.cache/experiments-<units>.db`` (into a temporary file, renamed when complete;
   reused afterwards and upgraded in place to the newest schema). Times
   ``data.experiments.experiment_sums`` (the SQL, best of 2), ``refresh_snapshot`` (what
   the ``experiment_analysis`` job does per experiment: the SQL plus storing the snapshot)
   and the results page's work: ``load_snapshot`` + ``build_report`` (best of 5), and
   ``count_exposures`` with the on-demand limit (how a page without a snapshot decides).

Numbers depend on the machine and on other processes: run under the shared flock and
compare runs made back to back.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from app.auth.api_keys import create_api_key  # noqa: E402
from data.db import make_engine, make_session_factory, utcnow  # noqa: E402
from data.experiments import (  # noqa: E402
    Actor,
    ExperimentForm,
    VariantInput,
    create_experiment,
    get_experiment,
    start_experiment,
)
from data.migrate import upgrade  # noqa: E402
from data.models import ExperimentExposure  # noqa: E402
from data.writes import insert_events  # noqa: E402

ACTOR = Actor(None, "bench")
CACHE_DIR = ROOT / "bench" / ".cache"
ANALYSIS_KEY = "bench-analysis"


def _form(key: str) -> ExperimentForm:
    return ExperimentForm(
        key=key,
        name=key,
        variants=(VariantInput("control", "Control", 50), VariantInput("treatment", "T", 50)),
        goal_metrics=("unlock_conversion", "chapter_completion_rate"),
        guardrail_metrics=("reading_time", "revenue_per_reader"),
        engine="bayesian",
    )


def _load_phase(port: int, key: str, seconds: float, clients: int, unit_of) -> tuple[int, list]:
    """Call the endpoint from ``clients`` threads for ``seconds``; ``unit_of(client, n)``
    names the unit of a client's n-th call. Returns (calls made, latencies per client)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {key}"}
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection.request(
                "GET",
                f"/api/v1/experiments/bench-http/assignment?user_id={unit_of(index, n)}",
                headers=headers,
            )
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            latencies[index].append(time.perf_counter() - started)
            n += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(len(per) for per in latencies), latencies


def _report(
    label: str, calls: int, latencies: list[list[float]], elapsed: float, cpu: float
) -> None:
    flat = sorted(x for per in latencies for x in per)
    print(
        f"  {label}: {calls / elapsed:,.0f} assignments/s; "
        f"p50 {statistics.median(flat) * 1000:.1f} ms, p99 {flat[int(len(flat) * 0.99)] * 1000:.1f} ms; "
        f"server CPU {cpu / calls * 1000:.2f} ms per assignment",
        flush=True,
    )


def bench_assignment(seconds: float, clients: int, workers: int) -> None:
    from bench.ingest import gunicorn_cpu_seconds, start_gunicorn, stop

    with tempfile.TemporaryDirectory(prefix="legato-bench-") as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session:
                _, key = create_api_key(session, name="bench", kind="write", source="bench")
                create_experiment(session, _form("bench-http"), ACTOR)
                start_experiment(session, "bench-http", ACTOR)
                session.commit()
        finally:
            engine.dispose()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        env = {
            "APP_ENV": "production",
            "SECRET_KEY": "bench-secret",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(Path(folder) / "instance"),
            "JOBS_IN_PROCESS": "false",
            "LOG_LEVEL": "WARNING",
        }
        process = start_gunicorn("app:create_app()", port, workers, 1, env)
        print(
            f"assignment API (HTTP, gunicorn {workers} sync workers, SQLite, {clients} clients, "
            f"{seconds:g} s per phase, {os.cpu_count()} cores):",
            flush=True,
        )
        try:
            _load_phase(port, key, 1.0, clients, lambda c, n: f"warm{c}-{n}")
            cpu = gunicorn_cpu_seconds(process.pid)
            started = time.perf_counter()
            calls, latencies = _load_phase(port, key, seconds, clients, lambda c, n: f"c{c}-{n}")
            elapsed = time.perf_counter() - started
            _report(
                "new unit per call",
                calls,
                latencies,
                elapsed,
                gunicorn_cpu_seconds(process.pid) - cpu,
            )
            made = [len(per) for per in latencies]
            cpu = gunicorn_cpu_seconds(process.pid)
            started = time.perf_counter()
            calls, latencies = _load_phase(
                port, key, seconds, clients, lambda c, n: f"c{c}-{n % made[c]}"
            )
            elapsed = time.perf_counter() - started
            _report(
                "returning units",
                calls,
                latencies,
                elapsed,
                gunicorn_cpu_seconds(process.pid) - cpu,
            )
        finally:
            stop(process)


def _build_analysis_database(path: Path, units: int) -> None:
    """Load the analysis experiment into a new database at ``path`` (see the docstring)."""
    building = path.with_suffix(".building")
    for leftover in CACHE_DIR.glob(f"{building.name}*"):
        leftover.unlink()
    url = f"sqlite:///{building}"
    upgrade(url)
    engine = make_engine(url)
    rng = random.Random(7)
    loaded = time.perf_counter()
    message = 0
    try:
        with make_session_factory(engine)() as session:
            experiment = create_experiment(session, _form(ANALYSIS_KEY), ACTOR)
            start_experiment(session, experiment.key, ACTOR)
            session.commit()
            start = utcnow() - timedelta(days=14)
            chunk = 50_000
            for offset in range(0, units, chunk):
                exposures, events = [], []
                for i in range(offset, min(offset + chunk, units)):
                    unit = f"u{i}"
                    variant = "control" if rng.random() < 0.5 else "treatment"
                    at = start + timedelta(seconds=rng.randrange(14 * 86400))
                    exposures.append(
                        {
                            "experiment_id": experiment.id,
                            "unit_id": unit,
                            "variant_key": variant,
                            "first_exposed_at": at,
                        }
                    )
                    rate = 0.10 if variant == "control" else 0.11
                    for kind, p, extra in (
                        ("chapter_unlock", rate, {"revenue_minor": 199, "chapter_id": 101}),
                        ("chapter_start", 0.25, {"chapter_id": 100}),
                        ("chapter_complete", 0.15, {"chapter_id": 100}),
                        (
                            "chapter_progress",
                            0.1,
                            {"read_seconds": rng.randrange(30, 900), "chapter_id": 100},
                        ),
                    ):
                        if rng.random() < p:
                            message += 1
                            when = at + timedelta(hours=rng.randrange(1, 100))
                            events.append(
                                {
                                    "source": "bench",
                                    "message_id": f"b{message}",
                                    "event_type": kind,
                                    "event_name": kind,
                                    "user_id": unit,
                                    "occurred_at": when,
                                    "received_at": when,
                                    **extra,
                                }
                            )
                session.execute(insert(ExperimentExposure), exposures)
                insert_events(session, events)
                session.commit()
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    building.rename(path)
    print(
        f"built {path.name}: {units:,} exposures and {message:,} events "
        f"in {time.perf_counter() - loaded:,.0f} s",
        flush=True,
    )


def bench_analysis(units: int) -> None:
    from callbacks.admin_experiments import report_from
    from data.experiments import (
        ON_DEMAND_MAX_EXPOSURES,
        count_exposures,
        experiment_sums,
        load_snapshot,
        refresh_snapshot,
    )

    CACHE_DIR.mkdir(exist_ok=True)
    path = CACHE_DIR / f"experiments-{units}.db"
    if not path.exists():
        _build_analysis_database(path, units)
    url = f"sqlite:///{path}"
    upgrade(url)  # a cache built by an older revision gets the new tables and indexes
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            experiment = get_experiment(session, ANALYSIS_KEY)
            assert experiment is not None, f"{path} has no experiment {ANALYSIS_KEY!r}"
            sql = []
            for _ in range(2):
                started = time.perf_counter()
                data = experiment_sums(session, experiment)
                sql.append(time.perf_counter() - started)
            started = time.perf_counter()
            refresh_snapshot(session, experiment)
            session.commit()
            job = time.perf_counter() - started
            page = []
            for _ in range(5):
                started = time.perf_counter()
                stored = load_snapshot(session, experiment.id)
                assert stored is not None
                assert stored.data is not None
                report = report_from(experiment, stored.data, stored.computed_at)
                page.append(time.perf_counter() - started)
            started = time.perf_counter()
            count_exposures(session, experiment.id, limit=ON_DEMAND_MAX_EXPOSURES)
            decide = time.perf_counter() - started
    finally:
        engine.dispose()
    lift = report.metrics[0].comparisons[0].lift
    print(
        f"analyse {data.units:,} exposed units (SQLite, {len(data.cohorts)} arm-day cohorts; "
        f"unlock lift {lift:+.3f}, SRM {report.srm.level}):\n"
        f"  experiment_sums (SQL): {min(sql):,.2f} s\n"
        f"  experiment_analysis job, this experiment (SQL + store snapshot): {job:,.2f} s\n"
        f"  results page from the snapshot (load + statistics): {min(page) * 1000:,.0f} ms\n"
        f"  no-snapshot check (count exposures up to {ON_DEMAND_MAX_EXPOSURES:,}): "
        f"{decide * 1000:,.0f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--skip-assignment", action="store_true")
    parser.add_argument("--skip-analysis", action="store_true")
    args = parser.parse_args()
    if not args.skip_assignment:
        bench_assignment(args.seconds, args.clients, args.workers)
    if not args.skip_analysis:
        bench_analysis(args.units)


if __name__ == "__main__":
    main()
