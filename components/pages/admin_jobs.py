"""Admin: background jobs. Each job with its schedule, its last run and a "Run now"
button; the recent runs with durations, rows written and failures with their error.
Polled while open (every second while something runs)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading

IDLE_POLL_MS = 5000
RUNNING_POLL_MS = 1000


def layout(**_query: Any) -> Component:
    """Header, the jobs card, the run-now message and the recent runs."""
    return html.Div(
        [
            dcc.Store(id=ids.ADMIN_JOBS_LOAD, data=0),
            dcc.Store(id=ids.ADMIN_JOBS_VERSION, data=0),
            dcc.Interval(id=ids.ADMIN_JOBS_POLL, interval=IDLE_POLL_MS),
            html.Div(
                [
                    html.H1("Jobs", className="h3 mb-1"),
                    html.P(
                        "Background jobs fold raw events into the tables the dashboards read. "
                        "They run on a schedule; run one now after a backfill or a fix.",
                        className="text-secondary mb-0",
                    ),
                ],
                className="mb-4",
            ),
            html.Div(id=ids.ADMIN_JOBS_STATUS),
            html.Div(id=ids.ADMIN_JOBS_MESSAGE),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("Scheduled jobs", className="h5 mb-2"),
                        loading(html.Div(id=ids.ADMIN_JOBS_LIST)),
                    ]
                ),
                className="chart-card mb-4",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("Recent runs", className="h5 mb-3"),
                        html.Div(id=ids.ADMIN_JOBS_RUNS),
                    ]
                ),
                className="chart-card",
            ),
        ]
    )
