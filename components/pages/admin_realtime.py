"""Admin: the platform in real time (active readers, reading now, revenue and signups
today, activity per minute over the last hour, the most-read stories of the hour),
refreshed by a ``dcc.Interval``."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import empty_state
from components.realtime_views import TileData, realtime_tiles

REFRESH_SECONDS = 5
#: The tiles (key, label, unit, explanation, icon); the callback fills in the values.
TILES = (
    ("active_readers", "Active readers", "count", "Any event in the last 5 minutes", "bi-people"),
    ("reading_now", "Reading now", "count", "Opened or read a chapter, last 5 min", "bi-book"),
    (
        "revenue_today",
        "Revenue today",
        "money",
        "Since 00:00 UTC, all revenue sources",
        "bi-cash-coin",
    ),
    (
        "signups_today",
        "Signups today",
        "count",
        "New reader accounts since 00:00 UTC",
        "bi-person-plus",
    ),
)


def tiles(values: dict[str, float | None], *, currency: str = "USD") -> Component:
    """The tiles with ``values`` by tile key (missing values show as a dash)."""
    return realtime_tiles(
        [
            TileData(key, label, values.get(key), unit, help_text, icon)
            for key, label, unit, help_text, icon in TILES
        ],
        currency=currency,
    )


def quiet_state() -> Component:
    """What the activity card shows when nothing happened in the last hour."""
    return empty_state(
        "Nothing is happening right now",
        "No events arrived in the last 60 minutes. Readers' activity appears here within "
        "seconds of reaching the ingest API.",
        icon="bi-moon-stars",
    )


def layout(**_query: Any) -> Component:
    """Header with the refresh time, the tiles, the per-minute chart and the top stories."""
    return html.Div(
        [
            dcc.Interval(id=ids.ADMIN_RT_INTERVAL, interval=REFRESH_SECONDS * 1000),
            html.Div(
                [
                    html.Div(
                        [
                            html.H1("Real-time", className="h3 mb-1"),
                            html.P(
                                "What readers are doing on Legato right now.",
                                className="text-secondary mb-0",
                            ),
                        ]
                    ),
                    html.Div(
                        [
                            html.Span(className="live-dot me-2", **{"aria-hidden": "true"}),
                            html.Span("Connecting…", id=ids.ADMIN_RT_AS_OF),
                        ],
                        className="small text-secondary d-flex align-items-center",
                        role="status",
                    ),
                ],
                className="d-flex justify-content-between align-items-end flex-wrap gap-2 mb-4",
            ),
            html.Div(id=ids.ADMIN_RT_STATUS),
            html.Div(tiles({}), id=ids.ADMIN_RT_TILES, className="mb-2"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.Div(
                                        dcc.Graph(
                                            id=ids.ADMIN_RT_CHART,
                                            config={"displayModeBar": False, "responsive": True},
                                            style={"height": "340px"},
                                        ),
                                        id=ids.ADMIN_RT_CHART_WRAPPER,
                                    ),
                                    html.Div(id=ids.ADMIN_RT_EMPTY),
                                ]
                            ),
                            className="chart-card h-100",
                        ),
                        xl=8,
                        className="mb-4",
                    ),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.H2("Most read, last hour", className="h5 mb-3"),
                                    html.Div(id=ids.ADMIN_RT_TOP),
                                ]
                            ),
                            className="chart-card h-100",
                        ),
                        xl=4,
                        className="mb-4",
                    ),
                ],
                className="g-3",
            ),
        ]
    )
