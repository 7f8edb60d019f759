"""Benchmark: the ingest API under gunicorn, driven over HTTP, against a naive baseline.

Usage::

    .venv/bin/python bench/ingest.py [--seconds 20] [--naive-seconds 10] [--batch 500]
        [--clients 4] [--workers 2]

Starts the real app (``app:create_app()``) under gunicorn with ``--workers`` sync workers on
a fresh SQLite file (or on the PostgreSQL database ``DATABASE_URL`` points at, migrated
first), creates a catalog and a write key, and posts native batches of ``--batch`` events
(``POST /api/v1/events/track-batch``) from ``--clients`` concurrent HTTP clients for
``--seconds``. Then it does the same against ``bench/naive_ingest.py`` (one ORM insert and
one commit per event) on the same kind of database. Prints, for both: sustained events/s
(events acknowledged with 200 divided by the wall time), p50/p99 batch latency, and the
ratio, and the CPU time the gunicorn processes used (events per CPU-second tells what the
server needs regardless of other load on the machine; on PostgreSQL the database server's
own CPU is not included). Every event carries a unique message id, so every one is a real
insert. Client timestamps lie up to 30 s before sending, as with batching SDKs: that
scatters inserts over the time indexes the way real traffic does.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.api_keys import create_api_key  # noqa: E402
from data.db import make_engine, make_session_factory  # noqa: E402
from data.migrate import upgrade  # noqa: E402
from data.models import Chapter, Story, Writer  # noqa: E402

PATH = "/api/v1/events/track-batch"
PLACEHOLDER = b"@@@@@@@@@@"  # replaced by a request number: unique message ids per request
TEMPLATES = 16
READERS = 5_000
WRITERS, STORIES_PER_WRITER, CHAPTERS_PER_STORY = 20, 6, 20


@dataclass
class Stats:
    """What one driven phase measured."""

    events: int = 0
    batches: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""
    server_cpu: float = 0.0  # CPU seconds the gunicorn processes used while driven
    client_cpu: float = 0.0  # CPU seconds this load generator used while driving

    def line(self, label: str) -> str:
        rate = self.events / self.seconds if self.seconds else 0.0
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000 if ordered else 0.0
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else 0.0
        per_cpu = self.events / self.server_cpu if self.server_cpu else 0.0
        return (
            f"{label:<34} {rate:>10,.0f} events/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   "
            f"({self.events:,} events in {self.batches:,} batches, {self.seconds:.1f} s, "
            f"{self.errors} errors{': ' + self.first_error if self.first_error else ''}; "
            f"gunicorn used {self.server_cpu:.1f} CPU-s = {per_cpu:,.0f} events per CPU-s, "
            f"the clients {self.client_cpu:.1f} CPU-s)"
        )

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def prepare_database(url: str) -> str:
    """Migrate ``url``, add a catalog (if empty) and return a new write key."""
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            if session.get(Writer, 1) is None:
                joined = datetime(2025, 1, 1)
                for writer_id in range(1, WRITERS + 1):
                    session.add(
                        Writer(
                            id=writer_id,
                            handle=f"bench{writer_id}",
                            display_name=f"Bench {writer_id}",
                            joined_at=joined,
                        )
                    )
                session.flush()
                for story_id in range(1, WRITERS * STORIES_PER_WRITER + 1):
                    session.add(
                        Story(
                            id=story_id,
                            writer_id=(story_id - 1) // STORIES_PER_WRITER + 1,
                            title=f"Story {story_id}",
                            genre="fantasy",
                            created_at=joined,
                        )
                    )
                session.flush()
                for story_id in range(1, WRITERS * STORIES_PER_WRITER + 1):
                    for number in range(1, CHAPTERS_PER_STORY + 1):
                        session.add(
                            Chapter(
                                id=story_id * 100 + number,
                                story_id=story_id,
                                number=number,
                                title=f"Chapter {number}",
                            )
                        )
            _, token = create_api_key(
                session, name="bench", kind="write", source=f"bench{random.randrange(10**6)}"
            )
            session.commit()
    finally:
        engine.dispose()
    return token


def batch_templates(batch: int, seed: int = 7) -> list[bytes]:
    """JSON batch bodies whose message ids contain :data:`PLACEHOLDER`: a realistic mix of
    reading events from a pool of readers, client timestamps up to 30 s before sending
    (with ``sent_at``, so clock-skew correction runs), writer ids left to the catalog."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    kinds = (
        ["story_view"]
        + ["chapter_start"] * 2
        + ["chapter_progress"] * 5
        + [
            "chapter_complete",
            "like",
        ]
    )
    templates = []
    for template in range(TEMPLATES):
        events = []
        for index in range(batch):
            story = rng.randrange(1, WRITERS * STORIES_PER_WRITER + 1)
            chapter = story * 100 + rng.randrange(1, CHAPTERS_PER_STORY + 1)
            kind = rng.choice(kinds)
            event = {
                "message_id": f"{PLACEHOLDER.decode()}-{template:02d}-{index:04d}",
                "event": kind,
                "user_id": f"reader-{rng.randrange(READERS)}",
                "story_id": story,
                "chapter_id": chapter,
                "timestamp": (now - timedelta(seconds=rng.randrange(30))).isoformat(),
                "properties": {"platform": rng.choice(["ios", "android", "web"])},
                "context": {"app": {"version": "5.2.0"}, "locale": "en-US"},
            }
            if kind == "chapter_progress":
                event["progress_pct"] = rng.randrange(0, 101)
                event["read_seconds"] = rng.randrange(5, 120)
            events.append(event)
        # sent_at = the templates' "now": occurred_at = received_at - (sent_at - timestamp),
        # i.e. up to 30 s before the request, however late in the run it is sent.
        templates.append(json.dumps({"batch": events, "sent_at": now.isoformat()}).encode())
    return templates


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(
    target: str, port: int, workers: int, threads: int, env: dict[str, str]
) -> subprocess.Popen:
    """Start gunicorn serving ``target`` and wait until it answers (60 s at most)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start within 60 s")


def gunicorn_cpu_seconds(master: int) -> float:
    """User + system CPU seconds used so far by the gunicorn master and its workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == master or int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def drive(port: int, token: str, templates: list[bytes], seconds: float, clients: int) -> Stats:
    """Post batches from ``clients`` threads for ``seconds``; only 200s count as events."""
    stats = Stats()
    lock = threading.Lock()
    numbers = itertools.count()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    cpu_start = time.process_time()
    end = start + seconds

    def client() -> None:
        while time.perf_counter() < end:
            number = next(numbers)
            body = templates[number % len(templates)].replace(PLACEHOLDER, b"%010d" % number)
            began = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                connection.request("POST", PATH, body, headers)
                response = connection.getresponse()
                payload = response.read()
                connection.close()
            except OSError as error:
                with lock:
                    stats.errors += 1
                    stats.first_error = stats.first_error or repr(error)
                continue
            elapsed = time.perf_counter() - began
            with lock:
                if response.status == 200:
                    stats.events += json.loads(payload)["accepted"]
                    stats.batches += 1
                    stats.latencies.append(elapsed)
                else:
                    stats.errors += 1
                    stats.first_error = stats.first_error or f"{response.status} {payload[:200]!r}"

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats.seconds = time.perf_counter() - start
    stats.client_cpu = time.process_time() - cpu_start
    return stats


def run_phase(
    target: str, url: str, token: str, args: argparse.Namespace, seconds: float, tmp: Path
) -> Stats:
    port = _free_port()
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": "bench-secret",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp / "instance"),
        "JOBS_IN_PROCESS": "false",
        "LOG_LEVEL": "WARNING",
        "INGEST_RATE_LIMIT": "100000/second",
    }
    process = start_gunicorn(target, port, args.workers, args.threads, env)
    try:
        templates = batch_templates(args.batch)
        drive(port, token, [t.replace(b'"@@', b'"warm@@') for t in templates], 2.0, args.clients)
        cpu_before = gunicorn_cpu_seconds(process.pid)
        stats = drive(port, token, templates, seconds, args.clients)
        stats.server_cpu = gunicorn_cpu_seconds(process.pid) - cpu_before
        return stats
    finally:
        stop(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="timed run of the app")
    parser.add_argument("--naive-seconds", type=float, default=10.0, help="timed naive run")
    parser.add_argument("--batch", type=int, default=500, help="events per request")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (>1: gthread worker)"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="legato-bench-") as tmp_name:
        tmp = Path(tmp_name)
        shared_url = os.environ.get("DATABASE_URL", "")
        if shared_url.startswith("postgresql"):
            fast_url = naive_url = shared_url
            backend = "postgresql"
        else:
            fast_url = f"sqlite:///{tmp / 'ingest.db'}"
            naive_url = f"sqlite:///{tmp / 'naive.db'}"
            backend = "sqlite"
        print(
            f"ingest benchmark: {backend}, gunicorn {args.workers} workers x {args.threads} "
            "threads, "
            f"{args.clients} clients, batches of {args.batch}, {os.cpu_count()} cores",
            flush=True,
        )
        fast = run_phase(
            "app:create_app()", fast_url, prepare_database(fast_url), args, args.seconds, tmp
        )
        print(fast.line("app (Core bulk insert-or-ignore)"), flush=True)
        naive = run_phase(
            "bench.naive_ingest:app",
            naive_url,
            prepare_database(naive_url),
            args,
            args.naive_seconds,
            tmp,
        )
        print(naive.line("naive (ORM insert + commit/event)"), flush=True)
        ratio = fast.rate / naive.rate if naive.rate else float("inf")
        print(f"{'speed-up':<34} {ratio:>10.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
