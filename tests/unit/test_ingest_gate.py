"""The SQLite write gate: ingest writers of all processes take turns, a busy gate times out
(the API answers 503), and a killed holder never leaves it locked."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.ingest.gate import NO_GATE, GateTimeout, WriteGate, gate_for

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


def test_gate_only_for_sqlite_files(tmp_path: Path) -> None:
    assert gate_for("postgresql+psycopg://u@h/db") is NO_GATE
    assert gate_for("sqlite://") is NO_GATE
    gate = gate_for(f"sqlite:///{tmp_path / 'x.db'}")
    assert gate.path == f"{tmp_path / 'x.db'}.ingest-lock"


def test_threads_take_turns(tmp_path: Path) -> None:
    gate = WriteGate(str(tmp_path / "lock"))
    inside, overlaps = [0], [0]

    def work() -> None:
        for _ in range(20):
            with gate.hold():
                inside[0] += 1
                overlaps[0] = max(overlaps[0], inside[0])
                time.sleep(0.001)
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps[0] == 1


def test_a_busy_gate_times_out_and_a_killed_holder_releases_it(tmp_path: Path) -> None:
    path = str(tmp_path / "lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        gate = WriteGate(path, timeout=0.2)
        started = time.monotonic()
        with pytest.raises(GateTimeout), gate.hold():
            pass
        assert 0.2 <= time.monotonic() - started < 2
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        with gate.hold():
            pass
    finally:
        holder.kill()
        holder.wait()
