"""The Stories page: every story of the writer with its key metrics for the period, in a
sortable, filterable table; a click on a row opens the story."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading

COUNT = {"function": "params.value == null ? '–' : d3.format(',')(params.value)"}
PERCENT = {"function": "params.value == null ? '–' : d3.format('.1%')(params.value)"}
HOURS = {"function": "params.value == null ? '–' : d3.format(',.1f')(params.value) + ' h'"}
SCORE = {"function": "params.value == null ? '–' : d3.format('.0f')(params.value)"}
CHANGE = {
    "function": (
        "params.value == null ? (params.data && params.data.views > 0 ? 'new' : '–')"
        " : d3.format('+.1%')(params.value)"
    )
}
CHANGE_CLASSES = {
    "text-positive": "params.value != null && params.value > 0.0005",
    "text-negative": "params.value != null && params.value < -0.0005",
}


def money_formatter(symbol: str, decimals: int = 2) -> dict:
    """An AG Grid value formatter for major currency units: ``$1,234.56``."""
    return {
        "function": (
            f"params.value == null ? '–' : {symbol!r} + d3.format(',.{decimals}f')(params.value)"
        )
    }


def _number(field: str, header: str, formatter: dict, tooltip: str, **extra: Any) -> dict:
    return {
        "field": field,
        "headerName": header,
        "headerTooltip": tooltip,
        "type": "numericColumn",
        "filter": "agNumberColumnFilter",
        "filterParams": {"defaultOption": "greaterThanOrEqual"},
        "valueFormatter": formatter,
        "minWidth": 88,
        **extra,
    }


def story_columns(
    *, currency_symbol: str = "$", money_decimals: int = 2, show_writer: bool = False
) -> list[dict]:
    """Column definitions of the stories table (a Writer column when ``show_writer``).
    Rows carry ``href`` (the story's address) for the title link."""
    money = money_formatter(currency_symbol, money_decimals)
    columns: list[dict] = [
        {
            "field": "title",
            "headerName": "Story",
            "pinned": "left",
            "minWidth": 200,
            "flex": 2,
            "filter": "agTextColumnFilter",
            "cellRenderer": "StoryLink",
            "tooltipField": "title",
        },
    ]
    if show_writer:
        columns.append(
            {
                "field": "writer",
                "headerName": "Writer",
                "minWidth": 150,
                "filter": "agTextColumnFilter",
            }
        )
    columns += [
        {
            "field": "genre",
            "headerName": "Genre",
            "minWidth": 95,
            "filter": "agTextColumnFilter",
        },
        {
            "field": "status",
            "headerName": "Status",
            "minWidth": 95,
            "filter": "agTextColumnFilter",
        },
        _number("chapters", "Chapters", COUNT, "Chapters in the catalogue.", minWidth=80),
        _number("views", "Views", COUNT, "Chapter opens in the period.", sort="desc"),
        _number(
            "views_change",
            "Views Δ",
            CHANGE,
            "Change in views against the comparison period.",
            cellClassRules=CHANGE_CLASSES,
        ),
        _number("unique_readers", "Readers", COUNT, "Distinct readers in the period."),
        _number("reading_hours", "Reading time", HOURS, "Hours spent reading the story."),
        _number("completion_rate", "Completion", PERCENT, "Completions per chapter open."),
        _number("likes", "Likes", COUNT, "Likes in the period.", minWidth=75),
        _number("follows", "Follows", COUNT, "New follows in the period.", minWidth=80),
        _number("revenue", "Revenue", money, "Unlocks, tips and subscriptions."),
        _number(
            "engagement",
            "Engagement",
            SCORE,
            "Engagement score 0–100: completion, interactions and reading time per reader.",
            minWidth=102,
        ),
    ]
    return columns


def stories_grid() -> Component:
    """The sortable, filterable stories table (rows and columns come from the callback)."""
    return dag.AgGrid(
        id=ids.STORIES_GRID,
        rowData=[],
        columnDefs=story_columns(),
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "filter": True,
            "floatingFilter": True,
            "suppressHeaderFilterButton": True,
            "suppressHeaderMenuButton": True,
            "suppressFloatingFilterButton": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        getRowId="params.data.row_id",
        dashGridOptions={
            "animateRows": False,
            "domLayout": "autoHeight",
            "tooltipShowDelay": 300,
            "rowClass": "story-row",
            "localeText": {"noRowsToShow": "No stories match these filters."},
            "pagination": True,
            "paginationPageSize": 25,
            "paginationPageSizeSelector": [25, 50, 100],
            "quickFilterText": "",
        },
        columnSize="responsiveSizeToFit",
        className="ag-theme-alpine",
        style={"width": "100%"},
    )


def layout(**_query: Any) -> Component:
    """Header, status area, the search box and the stories table."""
    return html.Div(
        [
            dcc.Location(id=ids.STORIES_NAVIGATE, refresh="callback-nav"),
            html.Div(
                [
                    html.H1("Stories", id=ids.STORIES_TITLE, className="h3 mb-1"),
                    html.P(id=ids.STORIES_SUBTITLE, className="text-secondary mb-0"),
                ],
                className="mb-4",
            ),
            html.Div(id=ids.STORIES_STATUS),
            dbc.Card(
                dbc.CardBody(
                    [
                        dbc.Row(
                            [
                                dbc.Col(
                                    html.P(
                                        "Click a story to open its chapters, retention and "
                                        "revenue. Sort by clicking a column header; filter "
                                        "with the search box or the boxes under the headers "
                                        "(numbers: at least the value typed).",
                                        className="text-secondary small mb-0",
                                    ),
                                    xs=12,
                                    md=True,
                                ),
                                dbc.Col(
                                    [
                                        dbc.Label(
                                            "Search stories",
                                            html_for=ids.STORIES_SEARCH,
                                            className="visually-hidden",
                                        ),
                                        dbc.InputGroup(
                                            [
                                                dbc.InputGroupText(
                                                    html.I(className="bi bi-search")
                                                ),
                                                dbc.Input(
                                                    id=ids.STORIES_SEARCH,
                                                    type="search",
                                                    placeholder="Search stories",
                                                    debounce=300,
                                                ),
                                            ],
                                            size="sm",
                                        ),
                                    ],
                                    xs=12,
                                    md=4,
                                    lg=3,
                                ),
                            ],
                            className="g-2 align-items-center mb-3",
                        ),
                        loading(html.Div(stories_grid(), className="stories-grid")),
                    ]
                ),
                className="chart-card",
            ),
        ]
    )
