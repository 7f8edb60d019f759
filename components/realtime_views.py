"""Real-time page pieces: the KPI tiles, the per-minute activity chart and the most-read
stories of the last hour. Pure: plain numbers and rows in, Dash components or a plotly
figure out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html
from dash.development.base_component import Component

from components.figures import titled_figure
from components.formatting import format_int, format_value
from components.ids import kpi_value_id
from components.theme import METRIC_COLORS, rgba

#: Series of the per-minute chart: (column, legend name, colour).
EVENTS_COLOR = "#94a3b8"
SERIES = (
    ("events", "Events", EVENTS_COLOR),
    ("views", "Chapter opens", METRIC_COLORS["views"]),
    ("readers", "Readers", METRIC_COLORS["unique_readers"]),
)


@dataclass(frozen=True)
class TileData:
    """One real-time tile: ``value`` in ``unit`` (``count`` or ``money`` in minor units)."""

    key: str
    label: str
    value: float | None
    unit: str
    help_text: str
    icon: str


def realtime_tile(tile: TileData, *, currency: str = "USD") -> Component:
    """A KPI tile without a comparison: label, big number, one line of explanation."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.I(className=f"bi {tile.icon} me-2", **{"aria-hidden": "true"}),
                        tile.label,
                    ],
                    className="kpi-label",
                ),
                html.Div(
                    format_value(tile.value, tile.unit, currency),
                    id=kpi_value_id(tile.key),
                    className="kpi-value",
                ),
                html.Div(tile.help_text, className="kpi-footer"),
            ]
        ),
        className="kpi-card h-100",
    )


def realtime_tiles(tiles: Sequence[TileData], *, currency: str = "USD") -> Component:
    """The tiles in one row (four across on laptops, two on tablets)."""
    return dbc.Row(
        [
            dbc.Col(realtime_tile(tile, currency=currency), xs=12, sm=6, xl=3, className="mb-3")
            for tile in tiles
        ],
        className="g-3",
    )


def per_minute_figure(
    minutes: Sequence[datetime],
    series: Mapping[str, Sequence[int]],
    *,
    last_minute_partial: bool = True,
) -> go.Figure:
    """Events (bars), chapter opens and readers (lines) per UTC minute; ``series`` maps
    ``events``, ``views``, ``readers`` to one value per minute of ``minutes`` (oldest
    first). With ``last_minute_partial`` the newest minute is still running: its bar is
    drawn faded and labelled "so far", and the lines stop at the last complete minute (so
    they do not plunge at the right edge)."""
    x = list(minutes)
    complete = len(x) - 1 if last_minute_partial and x else len(x)
    traces = []
    for column, name, color in SERIES:
        values = [int(value) for value in series.get(column, [])]
        if column == "events":
            opacity = [0.45] * complete + [0.2] * (len(x) - complete)
            note = [""] * complete + [" (this minute so far)"] * (len(x) - complete)
            traces.append(
                {
                    "type": "bar",
                    "x": x,
                    "y": values,
                    "name": name,
                    "customdata": note,
                    "marker": {
                        "color": rgba(color, 1.0),
                        "opacity": opacity,
                        "line": {"width": 0},
                    },
                    "hovertemplate": f"{name}: %{{y:,}}%{{customdata}}<extra></extra>",
                }
            )
        else:
            traces.append(
                {
                    "type": "scatter",
                    "x": x[:complete],
                    "y": values[:complete],
                    "name": name,
                    "mode": "lines",
                    "line": {"color": color, "width": 2.2, "shape": "spline", "smoothing": 0.4},
                    "hovertemplate": f"{name}: %{{y:,}}<extra></extra>",
                }
            )
    layout = {
        "bargap": 0.15,
        "margin": {"l": 56, "r": 16, "t": 56, "b": 40},
        "xaxis": {
            "title": {"text": "Minute (UTC)"},
            "tickformat": "%H:%M",
            "hoverformat": "%H:%M UTC",
        },
        "yaxis": {"tickformat": ",d", "rangemode": "tozero"},
    }
    return titled_figure(
        "Activity per minute, last 60 minutes", "Per minute", traces, layout, height=340
    )


def top_stories_table(rows: Sequence[Mapping[str, Any]]) -> Component:
    """The most-read stories of the last hour: ``rows`` have ``story_id``, ``title``,
    ``views`` (chapter opens) and ``readers``, best first. Titles link to the story page."""
    if not rows:
        return html.P("No chapter opens in the last hour.", className="text-secondary mb-0")
    header = html.Thead(
        html.Tr(
            [
                html.Th("#", className="text-secondary", style={"width": "2.5rem"}),
                html.Th("Story"),
                html.Th("Opens", className="text-end", title="Chapter opens in the last hour"),
                html.Th("Readers", className="text-end", title="Distinct readers who opened it"),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(str(rank), className="text-secondary tabular"),
                    html.Td(
                        html.A(
                            row.get("title") or f"Story {row['story_id']}",
                            href=f"/stories/{row['story_id']}",
                            className="story-link",
                        )
                    ),
                    html.Td(format_int(row["views"]), className="text-end tabular"),
                    html.Td(format_int(row["readers"]), className="text-end tabular"),
                ]
            )
            for rank, row in enumerate(rows, start=1)
        ]
    )
    return dbc.Table(
        [header, body], hover=True, responsive=True, size="sm", className="align-middle mb-0"
    )


def as_of_text(as_of: datetime, refresh_seconds: int) -> str:
    """``"Updated 14:03:21 UTC · refreshes every 5 s"``."""
    return f"Updated {as_of:%H:%M:%S} UTC · refreshes every {refresh_seconds} s"
