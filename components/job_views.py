"""Jobs page pieces: the job list with each job's state and "Run now" button, and the
recent runs with failures highlighted. Pure: plain rows in (dicts), Dash components out.

A job *state* is a dict with ``status`` (``running``, ``succeeded``, ``failed``,
``interrupted`` or ``never``), and when it has run: ``started_at``, ``seconds`` (``None``
while running), ``rows_written``, ``error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from components import ids
from components.formatting import DASH, format_int

STATUS_BADGES = {
    "running": ("Running", "primary"),
    "succeeded": ("Succeeded", "success"),
    "failed": ("Failed", "danger"),
    "interrupted": ("Interrupted", "warning"),
    "never": ("Never run", "light"),
}
TRIGGER_LABELS = {"console": "Run now", "scheduler": "Schedule", "cli": "Command line"}


def format_duration(seconds: float | None) -> str:
    """``0.42`` → ``"0.4 s"``, ``75`` → ``"1 min 15 s"``, ``3720`` → ``"1 h 2 min"``."""
    if seconds is None:
        return DASH
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def format_interval(seconds: int) -> str:
    """How often the scheduler runs a job: ``60`` → ``"every minute"``."""
    if seconds % 86400 == 0:
        days = seconds // 86400
        return "daily" if days == 1 else f"every {days} days"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "hourly" if hours == 1 else f"every {hours} hours"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "every minute" if minutes == 1 else f"every {minutes} minutes"
    return f"every {seconds} s"


def status_badge(status: str) -> Component:
    label, color = STATUS_BADGES.get(status, (status.title(), "secondary"))
    icon = (
        [dbc.Spinner(size="sm", spinner_class_name="me-1 job-spinner")]
        if status == "running"
        else []
    )
    text = "text-dark" if color in ("light", "warning") else ""
    if color == "light":
        text += " border"
    return dbc.Badge([*icon, label], color=color, className=f"job-status {text}")


def _when(value: datetime | None) -> str:
    return DASH if value is None else f"{value:%b %-d, %H:%M:%S}"


def job_state_view(state: Mapping[str, Any], now: datetime) -> Component:
    """A job's state in one line: status badge, then when and how it ran."""
    status = state.get("status", "never")
    parts: list[Component | str] = [status_badge(status)]
    started = state.get("started_at")
    if status == "running" and started is not None:
        elapsed = max((now - started).total_seconds(), 0.0)
        parts.append(
            html.Span(
                f"started {_when(started)} UTC · {format_duration(elapsed)} so far",
                className="ms-2",
            )
        )
    elif status in ("succeeded", "failed", "interrupted") and started is not None:
        detail = f"{_when(started)} UTC"
        if state.get("seconds") is not None:
            detail += f" · {format_duration(state['seconds'])}"
        if status == "succeeded":
            detail += f" · {format_int(state.get('rows_written', 0))} rows"
        parts.append(html.Span(detail, className="ms-2"))
        if status == "failed" and state.get("error"):
            parts.append(
                html.Span(
                    first_line(state["error"]),
                    className="ms-2 text-negative job-error-line",
                    title=state["error"],
                )
            )
    return html.Div(parts, className="small text-secondary d-flex align-items-center flex-wrap")


def first_line(error: str, limit: int = 140) -> str:
    """The first line of an error, cut at ``limit`` characters."""
    line = error.strip().splitlines()[0] if error.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def run_button_children(running: bool) -> list[Component | str]:
    """The Run now button's label (a spinner and "Running…" while the job runs)."""
    if running:
        return [dbc.Spinner(size="sm", spinner_class_name="me-2"), "Running…"]
    return [html.I(className="bi bi-play-fill me-1"), "Run now"]


def jobs_list(jobs: Sequence[Mapping[str, Any]], now: datetime) -> Component:
    """The jobs: ``jobs`` have name, description, interval_seconds and state. Each row's
    state and button have pattern-matching ids (index: the job name) so the page's poll
    can update them without re-creating the buttons."""
    if not jobs:
        return html.P("No jobs are registered.", className="text-secondary mb-0")
    items = []
    for job in jobs:
        running = job["state"].get("status") == "running"
        items.append(
            dbc.ListGroupItem(
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                html.Div(
                                    [
                                        html.Span(
                                            job["name"], className="fw-semibold font-monospace"
                                        ),
                                        html.Span(
                                            format_interval(int(job["interval_seconds"])),
                                            className="badge text-bg-light ms-2 fw-normal",
                                        ),
                                    ]
                                ),
                                html.Div(job["description"], className="small text-secondary mb-1"),
                                html.Div(
                                    job_state_view(job["state"], now),
                                    id={"type": ids.ADMIN_JOBS_STATE, "index": job["name"]},
                                ),
                            ],
                            md=9,
                        ),
                        dbc.Col(
                            dbc.Button(
                                run_button_children(running),
                                id={"type": ids.ADMIN_JOBS_RUN, "index": job["name"]},
                                color="primary",
                                outline=True,
                                disabled=running,
                                className="run-now",
                            ),
                            md=3,
                            className="text-md-end mt-2 mt-md-0",
                        ),
                    ],
                    className="align-items-center",
                ),
                id=f"admin-jobs-row-{job['name']}",
            )
        )
    return dbc.ListGroup(items, flush=True)


def runs_table(rows: Sequence[Mapping[str, Any]]) -> Component:
    """Recent runs, newest first: ``rows`` have job_name, trigger, requested_by, status,
    started_at, seconds, rows_written, error. Failed runs are highlighted with their
    error; interrupted ones are marked."""
    if not rows:
        return html.P(
            "No runs yet: jobs run on their schedule, or now with the buttons above.",
            className="text-secondary mb-0",
        )
    header = html.Thead(
        html.Tr(
            [
                html.Th("Started (UTC)"),
                html.Th("Job"),
                html.Th("Trigger"),
                html.Th("Status"),
                html.Th("Duration", className="text-end"),
                html.Th("Rows", className="text-end"),
                html.Th("Error"),
            ]
        )
    )
    body = []
    for row in rows:
        failed = row["status"] == "failed"
        trigger = TRIGGER_LABELS.get(row["trigger"], row["trigger"])
        if row.get("requested_by"):
            trigger = f"{trigger} · {row['requested_by']}"
        error = row.get("error")
        body.append(
            html.Tr(
                [
                    html.Td(_when(row["started_at"]), className="text-nowrap tabular"),
                    html.Td(row["job_name"], className="font-monospace"),
                    html.Td(trigger, className="small"),
                    html.Td(status_badge(row["status"])),
                    html.Td(format_duration(row.get("seconds")), className="text-end tabular"),
                    html.Td(
                        format_int(row["rows_written"]) if row["status"] == "succeeded" else DASH,
                        className="text-end tabular",
                    ),
                    html.Td(
                        html.Pre(error, className="job-error mb-0") if error else None,
                        className="job-error-cell",
                    ),
                ],
                className="job-run-failed" if failed else "",
            )
        )
    return dbc.Table(
        [header, html.Tbody(body)],
        hover=True,
        responsive=True,
        className="align-middle mb-0 jobs-runs",
    )
