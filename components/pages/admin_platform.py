"""Admin: the whole platform at a glance (KPI cards across every writer, and the
writers ranked)."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading

WRITER_COLUMNS = [
    {"field": "writer", "headerName": "Writer", "flex": 2, "minWidth": 180, "pinned": "left"},
    {"field": "stories", "headerName": "Stories", "type": "numericColumn", "flex": 1},
    {
        "field": "views",
        "headerName": "Views",
        "type": "numericColumn",
        "flex": 1,
        "valueFormatter": {"function": "d3.format(',')(params.value)"},
    },
    {
        "field": "unique_readers",
        "headerName": "Unique readers",
        "type": "numericColumn",
        "flex": 1,
        "valueFormatter": {"function": "d3.format(',')(params.value)"},
    },
    {
        "field": "reading_hours",
        "headerName": "Reading hours",
        "type": "numericColumn",
        "flex": 1,
        "valueFormatter": {"function": "d3.format(',.1f')(params.value)"},
    },
    {
        "field": "completion_rate",
        "headerName": "Completion",
        "type": "numericColumn",
        "flex": 1,
        "valueFormatter": {"function": "d3.format('.1%')(params.value)"},
    },
    {
        "field": "follows",
        "headerName": "New followers",
        "type": "numericColumn",
        "flex": 1,
        "valueFormatter": {"function": "d3.format(',')(params.value)"},
    },
    {
        "field": "revenue",
        "headerName": "Revenue",
        "type": "numericColumn",
        "flex": 1,
        "sort": "desc",
        "valueFormatter": {"function": "d3.format('$,.2f')(params.value)"},
    },
]


def writers_grid(rows: list[dict]) -> Component:
    """The sortable, filterable writers table."""
    return dag.AgGrid(
        id=ids.ADMIN_PLATFORM_WRITERS,
        rowData=rows,
        columnDefs=WRITER_COLUMNS,
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        dashGridOptions={"animateRows": False, "domLayout": "autoHeight"},
        className="ag-theme-alpine",
        style={"width": "100%"},
    )


def layout(**_query: Any) -> Component:
    """Header, platform KPI grid and the writers table."""
    return html.Div(
        [
            html.Div(
                [
                    html.H1("Platform", className="h3 mb-1"),
                    html.P(
                        "Every writer on Legato, for the selected period.",
                        className="text-secondary mb-0",
                    ),
                ],
                className="mb-4",
            ),
            html.Div(id=ids.ADMIN_PLATFORM_STATUS),
            loading(html.Div(id=ids.ADMIN_PLATFORM_KPIS, className="mb-2")),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("Writers", className="h5 mb-3"),
                        loading(html.Div(writers_grid([]), className="writers-grid")),
                    ]
                ),
                className="chart-card",
            ),
        ]
    )
