"""The Export page: the writer's metrics for the chosen period as an Excel workbook (one
sheet per table) or a CSV file (one table), built by a background job with a progress
bar and delivered by ``dcc.Download``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading
from components.formatting import format_int
from components.panels import page_header

XLSX = "xlsx"
CSV = "csv"
FORMATS = (
    (XLSX, "Excel workbook (.xlsx): every table, one sheet each"),
    (CSV, "CSV file (.csv): one table"),
)
#: The export tables (``data.queries.export.EXPORT_TABLES``) as the page names them.
TABLES = (
    (
        "daily",
        "Daily metrics",
        "One row per day: views, readers, reading time, completions, "
        "completion rate, new followers, revenue.",
    ),
    (
        "stories",
        "Stories",
        "One row per story with the period's views, readers, "
        "interactions, revenue by source and completion rate.",
    ),
    (
        "revenue",
        "Revenue by day",
        "One row per day: chapter unlocks, tips, subscriptions and the total.",
    ),
)
HIDDEN: dict[str, str] = {"display": "none"}
SHOWN: dict[str, str] = {}


@dataclass(frozen=True)
class ExportTableInfo:
    """One table of the export and how many rows it will have."""

    key: str
    label: str
    description: str
    rows: int


def export_summary(tables: list[ExportTableInfo], *, file_format: str, table: str) -> Component:
    """What the download will contain: the tables (only ``table`` for CSV) with their
    row counts and contents."""
    chosen = [info for info in tables if file_format != CSV or info.key == table]
    return html.Ul(
        [
            html.Li(
                [
                    html.Strong(info.label),
                    html.Span(
                        f" · {format_int(info.rows)} row{'s' if info.rows != 1 else ''}",
                        className="text-secondary",
                    ),
                    html.Div(info.description, className="small text-secondary"),
                ],
                className="mb-2",
            )
            for info in chosen
        ],
        className="export-tables list-unstyled mb-0",
    )


def export_ready(filename: str, size_bytes: int) -> Component:
    """The message shown once the file has been handed to the browser."""
    size = (
        f"{size_bytes / 1024:,.1f} KB"
        if size_bytes < 1024 * 1024
        else (f"{size_bytes / 1024 / 1024:,.1f} MB")
    )
    return dbc.Alert(
        [
            html.I(className="bi bi-check-circle me-2"),
            "Downloaded ",
            html.Code(filename),
            f" ({size}). Check your browser's downloads.",
        ],
        color="success",
        className="mb-0 mt-3",
    )


def layout(**_query: Any) -> Component:
    """Header, status, the export form (format, table, summary), the download button
    with its progress bar and cancel button, and the download itself."""
    form = dbc.Card(
        dbc.CardBody(
            [
                html.H2("Your file", className="h5 mb-3"),
                dbc.Label("Format", html_for=ids.EXPORT_FORMAT, className="fw-semibold"),
                dbc.RadioItems(
                    id=ids.EXPORT_FORMAT,
                    options=[{"label": label, "value": key} for key, label in FORMATS],
                    value=XLSX,
                    className="mb-3",
                ),
                html.Div(
                    [
                        dbc.Label("Table", html_for=ids.EXPORT_TABLE, className="fw-semibold"),
                        dbc.Select(
                            id=ids.EXPORT_TABLE,
                            options=[{"label": label, "value": key} for key, label, _ in TABLES],
                            value=TABLES[0][0],
                            className="mb-3 export-table-select",
                        ),
                    ],
                    id=ids.EXPORT_TABLE_WRAPPER,
                    style=HIDDEN,
                ),
                html.Div(
                    [
                        dbc.Button(
                            [html.I(className="bi bi-download me-2"), "Download"],
                            id=ids.EXPORT_BUTTON,
                            color="primary",
                            n_clicks=0,
                        ),
                        dbc.Button(
                            "Cancel",
                            id=ids.EXPORT_CANCEL,
                            color="link",
                            className="ms-2",
                            n_clicks=0,
                            style=HIDDEN,
                        ),
                    ],
                    className="d-flex align-items-center",
                ),
                html.Div(
                    dbc.Progress(
                        id=ids.EXPORT_PROGRESS,
                        value=0,
                        label="",
                        striped=True,
                        animated=True,
                        className="mt-3 export-progress",
                        style={"height": "1.4rem"},
                    ),
                    id=ids.EXPORT_PROGRESS_WRAPPER,
                    style=HIDDEN,
                    role="status",
                    **{"aria-live": "polite"},
                ),
                html.Div(id=ids.EXPORT_MESSAGE, **{"aria-live": "polite"}),
                html.Div(id=ids.EXPORT_RESULT, **{"aria-live": "polite"}),
                dcc.Store(id=ids.EXPORT_TICKET),
                dcc.Download(id=ids.EXPORT_DOWNLOAD),
            ]
        ),
        className="chart-card h-100",
    )
    contents = dbc.Card(
        dbc.CardBody(
            [
                html.H2("What's in it", className="h5 mb-3"),
                loading(html.Div(id=ids.EXPORT_SUMMARY)),
                html.P(
                    "Numbers are exactly what the dashboards show for the period. Excel "
                    "shows money in your reporting currency; CSV keeps it in minor units "
                    "(cents) so it adds up exactly.",
                    className="small text-secondary mt-3 mb-0",
                ),
            ]
        ),
        className="chart-card h-100",
    )
    return html.Div(
        [
            page_header(
                "Export",
                ids.EXPORT_TITLE,
                ids.EXPORT_SUBTITLE,
                lead="Download your metrics for the chosen period to use in a spreadsheet.",
            ),
            html.Div(id=ids.EXPORT_STATUS),
            dbc.Row(
                [dbc.Col(form, xs=12, lg=5), dbc.Col(contents, xs=12, lg=7)],
                className="g-3",
            ),
        ]
    )
