"""Admin Jobs page (``/admin/jobs``): the registered jobs with their state, recent runs,
and "Run now".

The jobs and the way to start one come from a :class:`JobConsole` handed to
:func:`register` by the app (``app.jobs.console.JobConsole``: callbacks may not import
``app.jobs``). Starting returns at once; the job runs in the background and the page
follows it through ``job_runs`` and ``job_locks`` (polled every second while something
runs, every five seconds otherwise), so a long job never blocks a request and every admin
sees the same state. The runner's database lock prevents double runs; when a job already
holds it, "Run now" starts nothing and the page says so.

Admin only: the request guard refuses these callbacks to writers (their ids start with
``admin-``) and the plain functions below check the role again (``AccessDenied``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import AccessDenied, Viewer, current_viewer, logger
from components import ids
from components.feedback import error_alert
from components.job_views import job_state_view, jobs_list, run_button_children, runs_table
from components.pages.admin_jobs import IDLE_POLL_MS, RUNNING_POLL_MS
from data.db import utcnow
from data.queries.admin import (
    JobLockRow,
    JobRunRow,
    held_job_locks,
    latest_job_runs,
    recent_job_runs,
)

RECENT_RUNS = 30
#: What :meth:`JobConsole.start` returns.
STARTED, QUEUED, ALREADY_RUNNING, UNKNOWN = "started", "queued", "running", "unknown"


class JobEntry(Protocol):
    """A registered job as the page lists it."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def interval_seconds(self) -> int: ...


class JobConsole(Protocol):
    """What the page needs from the app's job machinery."""

    def catalog(self) -> Sequence[JobEntry]:
        """Every registered job, in display order."""
        ...

    def repair(self) -> list[str]:
        """Free the locks of job processes that are gone and mark their runs interrupted."""
        ...

    def start(self, job_name: str, *, requested_by: str) -> str:
        """Start ``job_name`` in the background; ``STARTED`` (in this process), ``QUEUED``
        (sent to the workers), ``ALREADY_RUNNING`` (its lock is held; nothing started) or
        ``UNKNOWN``. Returns at once."""
        ...


def _admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise AccessDenied("administrators only")


# --------------------------------------------------------------------------- state


def effective_status(run: JobRunRow, lock: JobLockRow | None, *, latest: bool) -> str:
    """A run's status as the page shows it: a ``running`` run is ``interrupted`` when its
    job holds no lease (its process died) or a newer run of the job exists."""
    if run.status == "running" and (lock is None or not latest):
        return "interrupted"
    return run.status


def job_state(run: JobRunRow | None, lock: JobLockRow | None) -> dict[str, Any]:
    """The state of one job (see ``components.job_views``) from its newest run and its
    lease: a held lease means running, even before the run's row exists."""
    if run is None:
        if lock is not None:
            return {"status": "running", "started_at": lock.acquired_at}
        return {"status": "never"}
    status = effective_status(run, lock, latest=True)
    if lock is not None and status != "running":
        return {"status": "running", "started_at": lock.acquired_at}
    return {
        "status": status,
        "started_at": run.started_at,
        "seconds": run.seconds,
        "rows_written": run.rows_written,
        "error": run.error,
    }


@dataclass(frozen=True)
class JobsView:
    """The page's data at one moment: each job's state, recent runs (display dicts) and
    whether anything runs."""

    states: dict[str, dict[str, Any]]
    runs: list[dict[str, Any]]
    running: bool


def build_jobs_view(
    session: Session, viewer: Viewer, catalog: Sequence[JobEntry], now: datetime
) -> JobsView:
    """States of the jobs in ``catalog`` and the ``RECENT_RUNS`` newest runs at ``now``.
    Raises ``AccessDenied`` for non-admins."""
    _admin(viewer)
    names = [job.name for job in catalog]
    locks = held_job_locks(session, now)
    latest = latest_job_runs(session, names)
    states = {name: job_state(latest.get(name), locks.get(name)) for name in names}
    runs = []
    for run in recent_job_runs(session, limit=RECENT_RUNS):
        newest = latest.get(run.job_name)
        runs.append(
            {
                "id": run.id,
                "job_name": run.job_name,
                "trigger": run.trigger,
                "requested_by": (run.params or {}).get("requested_by"),
                "status": effective_status(
                    run,
                    locks.get(run.job_name),
                    latest=newest is None or newest.id == run.id,
                ),
                "started_at": run.started_at,
                "seconds": run.seconds,
                "rows_written": run.rows_written,
                "error": run.error,
            }
        )
    running = any(state["status"] == "running" for state in states.values())
    return JobsView(states, runs, running)


def jobs_rows(catalog: Sequence[JobEntry], view: JobsView) -> list[dict[str, Any]]:
    """The rows of ``components.job_views.jobs_list``."""
    return [
        {
            "name": job.name,
            "description": job.description,
            "interval_seconds": job.interval_seconds,
            "state": view.states.get(job.name, {"status": "never"}),
        }
        for job in catalog
    ]


def start_job(
    session: Session, viewer: Viewer, console: JobConsole, job_name: str, now: datetime
) -> tuple[bool, str]:
    """Ask ``console`` to run ``job_name`` now for ``viewer``. Returns (started, message);
    when the job already runs, the message says where and since when."""
    _admin(viewer)
    outcome = console.start(job_name, requested_by=viewer.display_name or f"user {viewer.user_id}")
    if outcome == STARTED:
        return True, f"Started {job_name}. Its progress shows below."
    if outcome == QUEUED:
        return True, (
            f"Queued {job_name} for the job workers. Its progress shows below as soon as "
            "a worker picks it up."
        )
    if outcome == ALREADY_RUNNING:
        lock = held_job_locks(session, now).get(job_name)
        since = f" since {lock.acquired_at:%H:%M:%S} UTC ({lock.holder})" if lock else ""
        return False, (
            f"{job_name} is already running{since}; a job never runs twice at once. "
            "Nothing new was started."
        )
    return False, f"There is no job called '{job_name}'."


# --------------------------------------------------------------------------- wiring


def register(app: Dash, sessions: sessionmaker[Session], console: JobConsole) -> None:
    """Wire the Jobs page's callbacks onto ``app``; jobs are listed and started through
    ``console``."""

    @app.callback(
        Output(ids.ADMIN_JOBS_LIST, "children"),
        Output(ids.ADMIN_JOBS_STATUS, "children"),
        Input(ids.ADMIN_JOBS_LOAD, "data"),
    )
    def load(_load: int):
        try:
            viewer = current_viewer()
            if viewer.is_admin:
                console.repair()
            catalog = console.catalog()
            now = utcnow()
            with sessions() as session:
                view = build_jobs_view(session, viewer, catalog, now)
        except AccessDenied:
            return None, error_alert("This page is for administrators only.")
        except Exception:
            logger.exception("jobs page failed")
            return None, error_alert("We couldn't load the jobs. Please try again.")
        return jobs_list(jobs_rows(catalog, view), now), None

    @app.callback(
        Output({"type": ids.ADMIN_JOBS_STATE, "index": ALL}, "children"),
        Output({"type": ids.ADMIN_JOBS_RUN, "index": ALL}, "disabled"),
        Output({"type": ids.ADMIN_JOBS_RUN, "index": ALL}, "children"),
        Output(ids.ADMIN_JOBS_RUNS, "children"),
        Output(ids.ADMIN_JOBS_POLL, "interval"),
        Input(ids.ADMIN_JOBS_POLL, "n_intervals"),
        Input(ids.ADMIN_JOBS_VERSION, "data"),
    )
    def poll(_n: int | None, _version: int):
        names = [item["id"]["index"] for item in ctx.outputs_list[0]]
        try:
            viewer = current_viewer()
            now = utcnow()
            with sessions() as session:
                view = build_jobs_view(session, viewer, console.catalog(), now)
        except AccessDenied:
            raise PreventUpdate from None
        except Exception:
            logger.exception("jobs poll failed")
            return (
                [no_update] * len(names),
                [no_update] * len(names),
                [no_update] * len(names),
                no_update,
                IDLE_POLL_MS,
            )
        states = [view.states.get(name, {"status": "never"}) for name in names]
        running = [state["status"] == "running" for state in states]
        return (
            [job_state_view(state, now) for state in states],
            running,
            [run_button_children(flag) for flag in running],
            runs_table(view.runs),
            # Poll fast while a job runs, and once right after "Run now" (its thread may not
            # hold the lock yet).
            RUNNING_POLL_MS
            if view.running or ctx.triggered_id == ids.ADMIN_JOBS_VERSION
            else IDLE_POLL_MS,
        )

    @app.callback(
        Output(ids.ADMIN_JOBS_MESSAGE, "children"),
        Output(ids.ADMIN_JOBS_VERSION, "data"),
        Input({"type": ids.ADMIN_JOBS_RUN, "index": ALL}, "n_clicks"),
        State(ids.ADMIN_JOBS_VERSION, "data"),
        prevent_initial_call=True,
    )
    def run_now(_clicks: list[int | None], version: int | None):
        if not (ctx.triggered_id and ctx.triggered and ctx.triggered[0].get("value")):
            raise PreventUpdate
        job_name = str(ctx.triggered_id["index"])
        try:
            viewer = current_viewer()
            with sessions() as session:
                ok, message = start_job(session, viewer, console, job_name, utcnow())
        except AccessDenied:
            ok, message = False, "Administrators only."
        except Exception:
            logger.exception("run now failed for %s", job_name)
            ok, message = False, f"We couldn't start {job_name}. Please try again."
        alert: Component = dbc.Alert(
            message,
            color="info" if ok else "warning",
            dismissable=True,
            className="py-2",
            id="admin-jobs-message-alert",
        )
        return alert, (version or 0) + 1
