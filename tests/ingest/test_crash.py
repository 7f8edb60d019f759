"""Durability under a crash: gunicorn workers are killed with SIGKILL while clients send.

The app runs under gunicorn (2 sync workers) on a real database. Three clients post
batches with known message ids and, like any SDK, retry the same batch until they get a
200. While they send, one worker is killed after 8 acknowledged batches and another
after 20 (the master respawns them). Afterwards every event a client was told 200 for is
stored, and no message id is stored twice.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app.database import get_database
from tests.ingest.conftest import events_of, make_ingest_app, new_key

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLIENTS, BATCHES, EVENTS = 3, 12, 100
KILL_AFTER = (8, 20)  # acknowledged batches (all clients) before each SIGKILL


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _post(port: int, key: str, body: bytes) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request(
            "POST",
            "/api/v1/events/track-batch",
            body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


@pytest.fixture
def gunicorn_app(db_url: str, tmp_path: Path) -> Iterator[tuple[Flask, str, int, int]]:
    app = make_ingest_app(db_url, tmp_path)
    key = new_key(app)
    port = _free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "crash-test-secret",
        "DATABASE_URL": db_url,
        "INSTANCE_PATH": str(tmp_path / "gunicorn"),
        "LOG_LEVEL": "WARNING",
        "INGEST_RATE_LIMIT": "",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--timeout", "60", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                break
        except OSError:
            pass
        assert server.poll() is None, server.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.2)
    try:
        yield app, key, server.pid, port
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        get_database(app).engine.dispose()


def test_acknowledged_events_survive_sigkilled_workers(
    gunicorn_app: tuple[Flask, str, int, int],
) -> None:
    app, key, master, port = gunicorn_app
    acknowledged: set[str] = set()
    retries = [0]
    done = [0]
    lock = threading.Lock()
    killed: list[int] = []

    def client(number: int) -> None:
        for batch in range(BATCHES):
            ids = [f"c{number}-b{batch}-e{i}" for i in range(EVENTS)]
            body = json.dumps(
                {"batch": [{"message_id": mid, "event": "login", "user_id": mid} for mid in ids]}
            ).encode()
            for attempt in range(200):
                try:
                    status, payload = _post(port, key, body)
                except (OSError, http.client.HTTPException, ValueError):
                    status, payload = 0, {}
                if status == 200:
                    assert payload["rejected"] == []
                    assert payload["accepted"] + payload["duplicates"] == EVENTS
                    with lock:
                        acknowledged.update(ids)
                        done[0] += 1
                    break
                with lock:
                    retries[0] += 1
                time.sleep(min(0.05 * 2**attempt, 0.5))
            else:
                pytest.fail(f"client {number} could not deliver batch {batch}")

    def killer() -> None:
        for threshold in KILL_AFTER:
            while done[0] < threshold:
                time.sleep(0.005)
            workers = _children(master)
            assert workers, "no gunicorn workers found"
            victim = workers[len(killed) % len(workers)]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    reaper = threading.Thread(target=killer)
    for thread in [*threads, reaper]:
        thread.start()
    for thread in [*threads, reaper]:
        thread.join(timeout=180)
    assert len(killed) == len(KILL_AFTER)
    workers = _children(master)
    assert len(workers) == 2  # the master respawned the killed workers
    assert not set(workers) & set(killed)
    assert len(acknowledged) == CLIENTS * BATCHES * EVENTS
    stored = events_of(app)  # fails if any message id is stored twice
    assert acknowledged <= set(stored)
    assert len(stored) == len(acknowledged)
