"""Schemathesis fuzzes every ingest operation from ``/api/openapi.json`` against a live
server and finds no 5xx and no response (status, content type, headers, body) that the
document does not describe. Bounded: a fixed seed, few examples per operation
(``LEGATO_FUZZ_EXAMPLES``, default 10, raises it for a longer run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """The contract does not depend on the backend (storage is tested on both)."""
    return sqlite_url


def test_schemathesis_finds_no_server_errors_or_contract_violations(
    live_server: str, write_key: str, tmp_path: Path
) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {write_key}",
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
