"""Schemathesis fuzzes every operation of ``/api/openapi.json`` against a live server and
finds no 5xx and no response (status, content type, headers, body) that the document does
not describe. Two runs, each with the key its operations need:

- ``write-key``: ingest (native and Segment-compatible), the assignment API (a running
  experiment ``cover-test``, the document's example key) and the document itself;
- ``read-key``: every read API operation with a platform read key (the documented
  example ids are the small platform's writer 1, story 10 and reader 1).

Bounded: a fixed seed, few examples per operation (``LEGATO_FUZZ_EXAMPLES``, default 10,
raises it for a longer run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from app.database import get_database
from data.experiments import create_experiment, start_experiment
from tests.experiments.helpers import ACTOR, form

pytestmark = pytest.mark.slow

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
#: run name → (key fixture, schemathesis operation filter)
RUNS = {
    "write-key": ("write_key", ["--exclude-tag", "Read"]),
    "read-key": ("read_key", ["--include-tag", "Read"]),
}


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """The contract does not depend on the backend (storage is tested on both)."""
    return sqlite_url


def _start_cover_test(app: Flask) -> None:
    with get_database(app).session() as session:
        create_experiment(session, form("cover-test"), ACTOR)
        start_experiment(session, "cover-test", ACTOR)
        session.commit()


@pytest.mark.parametrize("run", list(RUNS))
def test_schemathesis_finds_no_server_errors_or_contract_violations(
    run: str,
    ingest_app: Flask,
    live_server: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    key_fixture, operations = RUNS[run]
    key = request.getfixturevalue(key_fixture)
    if run == "write-key":
        _start_cover_test(ingest_app)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server}/api/openapi.json",
        *operations,
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        os.environ.get("LEGATO_FUZZ_EXAMPLES", "10"),
        "--seed",
        "20260301",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
