"""The Alerts page: days when readers, views or revenue were far outside their usual range,
newest first, each with its likely source (filled by callbacks.alerts), an "All / Unread"
switch and "Mark all as read"."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading
from components.panels import page_header

ALL, UNREAD = "all", "unread"
SHOW_OPTIONS = ((ALL, "All"), (UNREAD, "Unread"))


def layout(**_query: Any) -> Component:
    """Header, the message area, the switch and "Mark all as read", and the list."""
    return html.Div(
        [
            dcc.Store(id=ids.ALERTS_VERSION, data=0),
            page_header(
                "Alerts",
                ids.ALERTS_TITLE,
                ids.ALERTS_SUBTITLE,
                lead="Spikes and drops in your daily readers, views and revenue, judged against "
                "the usual level for that weekday, with what most likely caused them. "
                "Checked every hour for the last 3 complete days (UTC).",
            ),
            html.Div(id=ids.ALERTS_MESSAGE),
            html.Div(
                [
                    dbc.RadioItems(
                        id=ids.ALERTS_SHOW,
                        options=[{"label": label, "value": key} for key, label in SHOW_OPTIONS],
                        value=ALL,
                        inline=True,
                        className="metric-switch",
                        inputClassName="btn-check",
                        labelClassName="btn btn-sm btn-outline-primary me-1 mb-1",
                        labelCheckedClassName="active",
                    ),
                    dbc.Button(
                        [
                            html.I(className="bi bi-check2-all me-1", **{"aria-hidden": "true"}),
                            "Mark all as read",
                        ],
                        id=ids.ALERTS_MARK_ALL,
                        color="primary",
                        outline=True,
                        size="sm",
                        disabled=True,
                    ),
                ],
                className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-3",
            ),
            html.Div(id=ids.ALERTS_STATUS),
            loading(html.Div(id=ids.ALERTS_LIST)),
        ]
    )
