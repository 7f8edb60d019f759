"""Admin console callbacks (Real-time, Keys and users, Jobs) as plain functions with the
session fixture, and their pure components."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from callbacks.admin_access import (
    build_lists,
    feedback_outputs,
    revoke,
    set_active,
    submit_key,
    submit_reset,
    submit_user,
)
from callbacks.admin_jobs import (
    ALREADY_RUNNING,
    QUEUED,
    STARTED,
    UNKNOWN,
    build_jobs_view,
    effective_status,
    job_state,
    jobs_rows,
    start_job,
)
from callbacks.admin_realtime import build_realtime
from callbacks.common import AccessDenied, Viewer
from components.access_views import describe_audit
from components.ids import kpi_value_id
from components.job_views import format_duration, format_interval, jobs_list, runs_table
from data.models import ApiKey, AuditLog, JobLock, JobRun, User
from data.queries.admin import JobLockRow, JobRunRow
from tests.factories import ACCOUNTS, build_small_platform
from tests.metrics_fixtures import NOW, build_metrics_platform

TODAY = datetime.now(UTC).date()
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")


def _json(component) -> str:
    return json.dumps(
        component.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False
    )


def _text_of(component, component_id: str):
    tree = json.loads(_json(component))

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == component_id:
                return props.get("children")
            for value in props.values():
                if (found := walk(value)) is not None:
                    return found
        elif isinstance(node, list):
            for item in node:
                if (found := walk(item)) is not None:
                    return found
        return None

    return walk(tree)


# --------------------------------------------------------------------------- real-time


def test_realtime_shows_the_snapshot_formatted(session) -> None:
    build_metrics_platform(session)
    view = build_realtime(session, ADMIN, NOW, currency="USD")
    assert _text_of(view.tiles, kpi_value_id("active_readers")) == "2"
    assert _text_of(view.tiles, kpi_value_id("reading_now")) == "1"
    assert _text_of(view.tiles, kpi_value_id("revenue_today")) == "$3.00"
    assert _text_of(view.tiles, kpi_value_id("signups_today")) == "1"
    assert view.quiet is False
    assert view.as_of.startswith("Updated 12:00:30 UTC")
    names = [trace.name for trace in view.figure.data]
    assert names == ["Events", "Chapter opens", "Readers"]
    assert sum(view.figure.data[0].y) == 5
    assert len(view.figure.data[0].x) == 60
    top = _json(view.top_stories)
    assert "Glass Orchard" in top
    assert "Salt" in top
    assert "/stories/10" in top


def test_realtime_is_quiet_when_nothing_happens(session) -> None:
    build_metrics_platform(session)
    view = build_realtime(session, ADMIN, NOW + timedelta(days=30))
    assert view.quiet is True
    assert _text_of(view.tiles, kpi_value_id("active_readers")) == "0"
    assert "No chapter opens in the last hour" in _json(view.top_stories)


def test_realtime_is_for_admins_only(session) -> None:
    with pytest.raises(AccessDenied):
        build_realtime(session, WRITER, NOW)


# --------------------------------------------------------------------------- keys and users


@pytest.fixture
def platform(session):
    build_small_platform(session, TODAY)
    return session


def _count(session, model) -> int:
    return int(session.scalar(select(func.count()).select_from(model)))


def test_lists_show_keys_accounts_and_writer_choices(platform) -> None:
    outcome = submit_key(platform, ADMIN, {"name": "web", "kind": "write", "source": "web"})
    assert outcome.ok
    lists = build_lists(platform, ADMIN)
    keys = _json(lists.keys)
    assert outcome.plaintext[:12] in keys
    assert outcome.plaintext not in keys  # the list never shows the key itself
    assert "source web" in keys
    users = _json(lists.users)
    assert ACCOUNTS.writer_email in users
    assert ACCOUNTS.admin_email in users
    assert "You" in users  # the admin's own row, which has no Disable button
    assert '"action": "disable", "index": 3' not in users
    assert [o["label"] for o in lists.key_writer_options] == [
        "The whole platform",
        "Ada Quill",
        "Bram Stoker-Lite",
    ]
    assert lists.user_writer_options[0] == {"label": "Ada Quill", "value": "1"}
    assert "Created API key" in _json(lists.audit)
    with pytest.raises(AccessDenied):
        build_lists(platform, WRITER)


def test_key_form_messages_and_the_key_shown_once(platform) -> None:
    bad = submit_key(platform, ADMIN, {"name": "", "kind": "write", "source": "Bad!"})
    assert not bad.ok
    assert bad.plaintext is None
    assert set(bad.field_messages) == {"name", "source"}
    outputs = feedback_outputs("key", bad)
    assert outputs[0].startswith("Name the key")  # name
    assert outputs[4:7] == [True, True, False]  # invalid: name, source, writer
    assert _count(platform, ApiKey) == 0
    # A read key ignores a stale source value (the form hides the field).
    read = submit_key(platform, ADMIN, {"name": "BI", "kind": "read", "source": "x", "writer": "2"})
    everything = submit_key(platform, ADMIN, {"name": "DW", "kind": "read", "writer": "platform"})
    assert everything.description == "Read key 'DW' (Platform)."
    assert read.ok
    assert read.plaintext.startswith("lgr_")
    assert read.description == "Read key 'BI' (Bram Stoker-Lite)."
    unknown = submit_key(platform, ADMIN, {"name": "BI", "kind": "read", "writer": "77"})
    assert unknown.field_messages == {"writer": "There is no writer with id 77."}
    with pytest.raises(AccessDenied):
        submit_key(platform, WRITER, {"name": "x", "kind": "write", "source": "web"})


def test_revoke_through_the_page(platform) -> None:
    made = submit_key(platform, ADMIN, {"name": "web", "kind": "write", "source": "web"})
    key_id = platform.scalar(select(ApiKey.id))
    assert made.ok
    assert revoke(platform, ADMIN, key_id) == (
        True,
        f"Key 'web' ({made.plaintext[:12]}…) revoked: requests with it are refused now.",
    )
    ok, message = revoke(platform, ADMIN, key_id)
    assert not ok
    assert "already revoked" in message
    assert "Revoked" in _json(build_lists(platform, ADMIN).keys)


def test_account_form_disable_enable_and_reset(platform) -> None:
    bad = submit_user(
        platform,
        ADMIN,
        {"email": "new@example.com", "role": "writer", "writer": "", "password": "short"},
    )
    assert set(bad.field_messages) == {"writer", "password"}
    assert _count(platform, User) == 3
    admin = submit_user(
        platform,
        ADMIN,
        # An admin account ignores a leftover writer choice (the form hides it).
        {"email": "ops@example.com", "role": "admin", "writer": "1", "password": "long-enough-1"},
    )
    assert admin.ok, admin.field_messages
    ops = platform.scalar(select(User).where(User.email == "ops@example.com"))
    assert ops.writer_id is None

    assert set_active(platform, ADMIN, 1, False) == (
        True,
        f"{ACCOUNTS.writer_email} is disabled and was signed out everywhere.",
    )
    assert set_active(platform, ADMIN, 3, False) == (False, "You can't disable your own account.")
    assert set_active(platform, ADMIN, 1, True)[0]

    short = submit_reset(platform, ADMIN, 2, {"password": "tiny"})
    assert short.field_messages == {"password": "Use at least 10 characters."}
    done = submit_reset(platform, ADMIN, 2, {"password": "a-new-password"})
    assert done.ok
    assert "other sessions have ended" in done.message
    actions = list(platform.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["user.create", "user.disable", "user.enable", "user.reset_password"]


def test_describe_audit_lines() -> None:
    assert (
        describe_audit(
            "api_key.create",
            {"name": "web", "kind": "write", "prefix": "lgw_abc", "source": "web"},
        )
        == "Created API key lgw_abc… 'web' (write, source web)"
    )
    assert (
        describe_audit("api_key.create", {"name": "bi", "kind": "read", "prefix": "lgr_x"})
        == "Created API key lgr_x… 'bi' (read, platform)"
    )
    assert describe_audit("user.disable", {"email": "a@b.c"}) == "Disabled account a@b.c"
    assert describe_audit("user.create", {"email": "a@b.c", "role": "admin"}) == (
        "Created account a@b.c (admin)"
    )


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class FakeJob:
    name: str
    description: str
    interval_seconds: int


class FakeConsole:
    """Records start requests; answers with ``outcome``."""

    def __init__(self, outcome: str = STARTED) -> None:
        self.outcome = outcome
        self.started: list[tuple[str, str]] = []

    def catalog(self) -> list[FakeJob]:
        return [FakeJob("rollups", "Roll up.", 60), FakeJob("experiment_exposures", "Fold.", 60)]

    def start(self, job_name: str, *, requested_by: str) -> str:
        self.started.append((job_name, requested_by))
        return self.outcome


T0 = datetime(2026, 11, 24, 12, 0, 0)


def _run(run_id: int, status: str, *, name: str = "rollups", minutes: int = 0) -> JobRunRow:
    started = T0 + timedelta(minutes=minutes)
    finished = None if status == "running" else started + timedelta(seconds=2.5)
    error = "ValueError: boom" if status == "failed" else None
    return JobRunRow(run_id, name, "scheduler", status, started, finished, 7, error, None)


def test_job_state_follows_runs_and_locks() -> None:
    lock = JobLockRow("rollups", "host:1", T0, T0 + timedelta(minutes=30))
    assert job_state(None, None) == {"status": "never"}
    assert job_state(None, lock) == {"status": "running", "started_at": T0}
    assert job_state(_run(1, "running"), lock)["status"] == "running"
    assert job_state(_run(1, "running"), None)["status"] == "interrupted"  # process died
    done = job_state(_run(1, "succeeded"), None)
    assert (done["status"], done["seconds"], done["rows_written"]) == ("succeeded", 2.5, 7)
    assert job_state(_run(1, "failed"), lock)["status"] == "running"  # a new run holds the lock
    assert effective_status(_run(1, "running"), lock, latest=False) == "interrupted"


def test_jobs_view_and_components(platform) -> None:
    platform.add_all(
        [
            JobRun(job_name="rollups", trigger="scheduler", status="failed",
                   started_at=T0, finished_at=T0 + timedelta(seconds=3), rows_written=0,
                   error="OperationalError: database is locked"),
            JobRun(job_name="rollups", trigger="console", status="running",
                   started_at=T0 + timedelta(minutes=1), params={"requested_by": "Admin"}),
            JobLock(job_name="rollups", holder="web:42", acquired_at=T0 + timedelta(minutes=1),
                    expires_at=T0 + timedelta(minutes=31)),
        ]
    )  # fmt: skip
    platform.commit()
    console = FakeConsole()
    now = T0 + timedelta(minutes=1, seconds=20)
    view = build_jobs_view(platform, ADMIN, console.catalog(), now)
    assert view.running is True
    assert view.states["rollups"]["status"] == "running"
    assert view.states["experiment_exposures"] == {"status": "never"}
    assert [(r["status"], r["requested_by"]) for r in view.runs] == [
        ("running", "Admin"),
        ("failed", None),
    ]
    listing = _json(jobs_list(jobs_rows(console.catalog(), view), now))
    assert "Running…" in listing
    assert "20 s so far" in listing
    assert "every minute" in listing
    table = _json(runs_table(view.runs))
    assert "job-run-failed" in table
    assert "database is locked" in table
    assert "Run now · Admin" in table
    with pytest.raises(AccessDenied):
        build_jobs_view(platform, WRITER, console.catalog(), now)


def test_start_job_messages(platform) -> None:
    console = FakeConsole(STARTED)
    assert start_job(platform, ADMIN, console, "rollups", T0) == (
        True,
        "Started rollups. Its progress shows below.",
    )
    assert console.started == [("rollups", "Admin")]
    assert start_job(platform, ADMIN, FakeConsole(QUEUED), "alerts", T0) == (
        True,
        "Queued alerts for the job workers. Its progress shows below as soon as a worker "
        "picks it up.",
    )
    platform.add(
        JobLock(
            job_name="rollups",
            holder="web:42",
            acquired_at=T0,
            expires_at=T0 + timedelta(minutes=30),
        )
    )
    platform.commit()
    ok, message = start_job(platform, ADMIN, FakeConsole(ALREADY_RUNNING), "rollups", T0)
    assert not ok
    assert "already running since 12:00:00 UTC (web:42)" in message
    assert "Nothing new was started" in message
    assert start_job(platform, ADMIN, FakeConsole(UNKNOWN), "nope", T0) == (
        False,
        "There is no job called 'nope'.",
    )
    with pytest.raises(AccessDenied):
        start_job(platform, WRITER, console, "rollups", T0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "–"), (0.42, "0.4 s"), (12.4, "12 s"), (75, "1 min 15 s"), (3720, "1 h 2 min")],
)
def test_format_duration(seconds, text) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (60, "every minute"),
        (300, "every 5 minutes"),
        (3600, "hourly"),
        (86400, "daily"),
        (45, "every 45 s"),
    ],
)
def test_format_interval(seconds, text) -> None:
    assert format_interval(seconds) == text


# --------------------------------------------------------------------------- layouts


def _ids_in(node, found: list) -> None:
    if isinstance(node, dict):
        props = node.get("props", {})
        if "id" in props:
            found.append(json.dumps(props["id"], sort_keys=True))
        for value in props.values():
            _ids_in(value, found)
    elif isinstance(node, list):
        for item in node:
            _ids_in(item, found)


@pytest.mark.parametrize("path", ["/admin/realtime", "/admin/access", "/admin/jobs"])
def test_console_pages_are_admin_only_with_unique_ids(path: str) -> None:
    from components.pages import PAGES

    (page,) = [page for page in PAGES if page.path == path]
    assert page.admin_only
    found: list[str] = []
    _ids_in(json.loads(_json(page.layout())), found)
    duplicates = {component_id for component_id in found if found.count(component_id) > 1}
    assert not duplicates
    assert all(
        json.loads(component_id).startswith("admin-")
        for component_id in found
        if "kpi-" not in component_id
    )
