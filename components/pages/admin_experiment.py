"""Admin: one experiment's results (``/admin/experiments/<key>``): SRM banner, power and
days remaining, per-metric results with lifts, forest plot, cumulative lift, when the
stored analysis was computed with a "Recompute now" button (and a poll that runs only while
a recomputation is pending), the lifecycle actions (with confirmation) and the settings
form."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.experiments import empty_figure, experiment_form
from components.feedback import loading
from components.pages.admin_experiments import METRIC_OPTIONS

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
#: How often the page asks whether a pending recomputation has been stored.
POLL_MS = 2000


def layout(key: str = "", **_query: Any) -> Component:
    """The results page of experiment ``key`` (filled by ``callbacks.admin_experiments``)."""
    actions = html.Div(
        [
            dbc.Button(
                [html.I(className="bi bi-play-fill me-1"), "Start"],
                id=ids.ADMIN_EXP_START,
                color="success",
                size="sm",
                n_clicks=0,
                disabled=True,
            ),
            dbc.Button(
                [html.I(className="bi bi-stop-fill me-1"), "Stop"],
                id=ids.ADMIN_EXP_STOP,
                color="warning",
                size="sm",
                n_clicks=0,
                disabled=True,
            ),
            dbc.Button(
                [html.I(className="bi bi-archive me-1"), "Archive"],
                id=ids.ADMIN_EXP_ARCHIVE,
                color="secondary",
                outline=True,
                size="sm",
                n_clicks=0,
                disabled=True,
            ),
        ],
        className="d-flex gap-2",
    )
    return html.Div(
        [
            dcc.Store(id=ids.ADMIN_EXP_KEY, data=key),
            dcc.Store(id=ids.ADMIN_EXP_VERSION, data=0),
            dcc.Store(id=ids.ADMIN_EXP_PENDING),
            dcc.ConfirmDialog(id=ids.ADMIN_EXP_CONFIRM),
            dcc.Store(id=ids.ADMIN_EXP_SHOWN),
            dcc.Store(id=ids.ADMIN_EXP_REFRESH, data=0),
            dcc.Interval(id=ids.ADMIN_EXP_POLL, interval=POLL_MS, disabled=True),
            html.A(
                [html.I(className="bi bi-arrow-left me-1"), "All experiments"],
                href="/admin/experiments",
                className="small",
            ),
            html.Div(
                [html.Div(id=ids.ADMIN_EXP_HEADER, className="flex-grow-1"), actions],
                className="d-flex justify-content-between align-items-start mt-2 mb-3 gap-3",
            ),
            html.Div(id=ids.ADMIN_EXP_ACTION_MESSAGE),
            html.Div(id=ids.ADMIN_EXP_STATUS),
            loading(html.Div(id=ids.ADMIN_EXP_SRM)),
            html.Div(id=ids.ADMIN_EXP_POWER),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(
                            [
                                html.Div(
                                    [
                                        html.H2("Results", className="h5 mb-1"),
                                        html.Div(id=ids.ADMIN_EXP_FRESHNESS),
                                    ]
                                ),
                                dbc.Button(
                                    [html.I(className="bi bi-arrow-repeat me-1"), "Recompute now"],
                                    id=ids.ADMIN_EXP_RECOMPUTE,
                                    color="secondary",
                                    outline=True,
                                    size="sm",
                                    n_clicks=0,
                                    disabled=True,
                                ),
                            ],
                            className="d-flex justify-content-between align-items-start gap-3 mb-3",
                        ),
                        loading(html.Div(id=ids.ADMIN_EXP_METRICS)),
                    ]
                ),
                className="chart-card mb-4",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                dcc.Graph(
                                    id=ids.ADMIN_EXP_FOREST,
                                    figure=empty_figure("Loading…"),
                                    config=GRAPH_CONFIG,
                                )
                            ),
                            className="chart-card",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    dcc.Dropdown(
                                        id=ids.ADMIN_EXP_CUMULATIVE_METRIC,
                                        options=[
                                            {"label": text, "value": k}
                                            for k, text in METRIC_OPTIONS
                                        ],
                                        clearable=False,
                                        placeholder="Metric",
                                        className="mb-2",
                                    ),
                                    dcc.Graph(
                                        id=ids.ADMIN_EXP_CUMULATIVE,
                                        figure=empty_figure("Loading…"),
                                        config=GRAPH_CONFIG,
                                    ),
                                ]
                            ),
                            className="chart-card",
                        ),
                        lg=6,
                    ),
                ],
                className="g-4 mb-4",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("Settings", className="h5 mb-1"),
                        html.P(
                            "Drafts can change everything but the key; a running experiment "
                            "can change weights, traffic, texts and metrics (units already "
                            "exposed keep their variant).",
                            className="text-secondary small",
                        ),
                        experiment_form("edit", METRIC_OPTIONS, submit_label="Save changes"),
                    ]
                ),
                className="chart-card",
            ),
        ]
    )
