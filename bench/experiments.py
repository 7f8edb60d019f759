"""Benchmark: the assignment endpoint over HTTP, and analysing an experiment of 1,000,000
exposures.

Usage::

    flock /tmp/legato-bench.lock .venv/bin/python bench/experiments.py \
        [--seconds 10] [--clients 4] [--units 1000000]

1. Assignment: serves the real app (``create_app``) with werkzeug's threaded server on a
   fresh SQLite file, starts an experiment and calls
   ``GET /api/v1/experiments/<key>/assignment?user_id=…`` from ``--clients`` keep-alive
   HTTP clients for ``--seconds``; every call is a new unit (so every call writes an
   exposure and an event). Prints assignments/s and p50/p99 latency.
2. Analysis: bulk-loads ``--units`` exposures (50/50) and ~0.6 events per unit (unlocks,
   chapter starts/completes, reading heartbeats) into another experiment, then times
   ``data.experiments.experiment_sums`` (the SQL) and ``build_report`` (the statistics).

Numbers depend on the machine and on other processes: run under the shared flock.
"""

from __future__ import annotations

import argparse
import http.client
import random
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
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.analytics.experiment_report import CohortSums, VariantSpec, build_report  # noqa: E402
from app.auth.api_keys import create_api_key  # noqa: E402
from app.database import get_database  # noqa: E402
from callbacks.admin_experiments import metric_specs  # noqa: E402
from data.db import utcnow  # noqa: E402
from data.experiments import (  # noqa: E402
    Actor,
    ExperimentForm,
    VariantInput,
    create_experiment,
    experiment_sums,
    start_experiment,
)
from data.migrate import upgrade  # noqa: E402
from data.models import ExperimentExposure  # noqa: E402
from data.writes import insert_events  # noqa: E402

ACTOR = Actor(None, "bench")


def _form(key: str) -> ExperimentForm:
    return ExperimentForm(
        key=key,
        name=key,
        variants=(VariantInput("control", "Control", 50), VariantInput("treatment", "T", 50)),
        goal_metrics=("unlock_conversion", "chapter_completion_rate"),
        guardrail_metrics=("reading_time", "revenue_per_reader"),
        engine="bayesian",
    )


def bench_assignment(app, key: str, seconds: float, clients: int) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
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
                f"/api/v1/experiments/bench-http/assignment?user_id=c{index}-{n}",
                headers=headers,
            )
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            latencies[index].append(time.perf_counter() - started)
            n += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    server.shutdown()
    flat = sorted(x for per in latencies for x in per)
    print(
        f"assignment API (HTTP, werkzeug threaded, SQLite, {clients} clients, new unit per call): "
        f"{len(flat) / elapsed:,.0f} assignments/s; "
        f"p50 {statistics.median(flat) * 1000:.1f} ms, p99 {flat[int(len(flat) * 0.99)] * 1000:.1f} ms"
    )


def bench_analysis(app, units: int) -> None:
    rng = random.Random(7)
    with get_database(app).session() as session:
        experiment = create_experiment(session, _form("bench-analysis"), ACTOR)
        start_experiment(session, experiment.key, ACTOR)
        session.commit()
        start = utcnow() - timedelta(days=14)
        loaded = time.perf_counter()
        chunk = 50_000
        message = 0
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
        print(
            f"loaded {units:,} exposures and {message:,} events in {time.perf_counter() - loaded:,.1f} s"
        )
        timings = []
        for _ in range(2):
            t0 = time.perf_counter()
            data = experiment_sums(session, experiment)
            t1 = time.perf_counter()
            report = build_report(
                [VariantSpec(v.key, v.name, v.weight, v.is_control) for v in experiment.variants],
                metric_specs(experiment),
                [CohortSums(c.variant, c.day, c.n, c.sums) for c in data.cohorts],
                excluded_units=data.excluded_units,
                engine=experiment.engine,
                sequential=experiment.sequential,
                days_running=14,
            )
            t2 = time.perf_counter()
            timings.append((t1 - t0, t2 - t1))
        sql, stats = min(timings)
        lift = report.metrics[0].comparisons[0].lift
        print(
            f"analyse {sum(n for _, n in report.arms):,} exposed units (SQLite): SQL sums {sql:,.2f} s, "
            f"statistics {stats * 1000:,.0f} ms ({len(data.cohorts)} arm-day cohorts; "
            f"unlock lift {lift:+.3f}, SRM {report.srm.level})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--units", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        app = create_app(
            {
                "APP_ENV": "test",
                "DATABASE_URL": url,
                "INSTANCE_PATH": str(Path(folder) / "instance"),
                "SECRET_KEY": "bench",
                "LOG_LEVEL": "WARNING",
            }
        )
        with get_database(app).session() as session:
            _, key = create_api_key(session, name="bench", kind="write", source="bench")
            create_experiment(session, _form("bench-http"), ACTOR)
            start_experiment(session, "bench-http", ACTOR)
            session.commit()
        bench_assignment(app, key, args.seconds, args.clients)
        bench_analysis(app, args.units)


if __name__ == "__main__":
    main()
