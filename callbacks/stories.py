"""Stories page: the viewer's stories with their key metrics for the period, the quick
search, and opening a story from the table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from dash import Dash, Input, Output, Patch, no_update
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from app.analytics.engagement import engagement_scores
from app.analytics.growth import relative_change
from callbacks.common import Viewer, filter_inputs, friendly_errors
from callbacks.page_context import build_for_viewer, page_context, reporting_currency
from components import ids
from components.feedback import empty_state
from components.formatting import CURRENCY_SYMBOLS, ZERO_DECIMAL_CURRENCIES, minor_to_major
from components.pages.stories import story_columns
from data.queries.content import story_performance
from data.queries.overview import writer_choices

NO_STORIES_HELP = (
    "Stories appear here as soon as your reading app sends their catalogue to Legato "
    "(see the API guide). Admins: pick a writer above, or All writers."
)
NO_READING_HELP = (
    "None of these stories was read in this period, so every number below is zero. "
    "Try a longer period."
)


@dataclass(frozen=True)
class StoriesView:
    """What the Stories callback puts on the page: ``rows`` for the grid (JSON-ready, money
    in major units) and its ``columns``."""

    subtitle: str
    status: Component | None
    rows: list[dict]
    columns: list[dict]


def story_href(story_id: int, query: str = "") -> str:
    """The address of a story's page, keeping the filters' ``query``."""
    return f"/stories/{int(story_id)}{query}"


def _money(value: float, currency: str) -> float:
    major = minor_to_major(float(value), currency) or 0.0
    return round(major, 0 if currency in ZERO_DECIMAL_CURRENCIES else 2)


def story_rows(
    current: pd.DataFrame,
    comparison: pd.DataFrame,
    *,
    currency: str = "USD",
    query: str = "",
    writer_names: dict[int, str] | None = None,
) -> list[dict]:
    """One grid row per story of ``current`` (a ``story_performance`` frame; ``row_id`` is
    the story id as text, the grid's row id) with the views
    change against ``comparison`` (same stories, the comparison period; ``None`` when it
    had no views), the engagement score (0–100, one decimal), reading time in hours, money
    in major units of ``currency`` and the story's ``href``. ``writer_names`` adds a
    ``writer`` column (the platform view)."""
    if current.empty:
        return []
    scores = engagement_scores(current)
    before = dict(
        zip(comparison["story_id"].astype(int), comparison["views"].astype(int), strict=True)
    )
    rows = []
    for row, score in zip(current.itertuples(index=False), scores, strict=True):
        story_id = int(row.story_id)
        record = {
            "row_id": str(story_id),
            "story_id": story_id,
            "title": str(row.title),
            "genre": str(row.genre or "–"),
            "status": str(row.status or "–"),
            "chapters": int(row.chapters),
            "views": int(row.views),
            "views_change": relative_change(int(row.views), before.get(story_id, 0)),
            "unique_readers": int(row.unique_readers),
            "reading_hours": round(float(row.reading_seconds) / 3600, 1),
            "completion_rate": float(row.completion_rate),
            "likes": int(row.likes),
            "follows": int(row.follows),
            "revenue": _money(row.revenue, currency),
            "revenue_per_reader": _money(row.revenue_per_reader, currency),
            "engagement": round(float(score), 1),
            "href": story_href(story_id, query),
        }
        if writer_names is not None:
            record["writer"] = writer_names.get(int(row.writer_id), f"writer {row.writer_id}")
        rows.append(record)
    return rows


def build_stories(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object = "previous",
    *,
    today: date,
    currency: str = "USD",
) -> StoriesView:
    """The Stories page for ``viewer`` and the filter values (as ``filter_inputs()``
    delivers them): a writer's own stories, or an admin's chosen writer's (every story,
    with a Writer column, for All writers). Raises ``AccessDenied`` and ``FilterError``."""
    context = page_context(
        session, viewer, requested_writer, preset, start, end, compare, today=today
    )
    filters = context.filters
    current = story_performance(session, filters.scope, filters.period)
    comparison = story_performance(session, filters.scope, filters.comparison)
    names = dict(writer_choices(session)) if filters.scope.is_platform else None
    rows = story_rows(
        current, comparison, currency=currency, query=filters.query, writer_names=names
    )
    count = len(rows)
    subtitle = context.subtitle_with(f"{count} stor{'y' if count == 1 else 'ies'}")
    if not rows:
        status: Component | None = empty_state(
            "No stories yet", NO_STORIES_HELP, icon="bi-journal-text"
        )
    elif not any(row["views"] or row["unique_readers"] for row in rows):
        status = empty_state("No reading in this period", NO_READING_HELP, icon="bi-book")
    else:
        status = None
    columns = story_columns(
        currency_symbol=CURRENCY_SYMBOLS.get(currency, f"{currency} "),
        money_decimals=0 if currency in ZERO_DECIMAL_CURRENCIES else 2,
        show_writer=names is not None,
    )
    return StoriesView(subtitle, status, rows, columns)


def clicked_story_href(cell: object) -> str | None:
    """The story address for a grid ``cellClicked`` event (``rowId`` is the story id), or
    ``None`` when the event names no story."""
    if not isinstance(cell, dict):
        return None
    try:
        return story_href(int(cell.get("rowId")))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _failed(alert: Component) -> tuple:
    return "", alert, [], no_update


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Stories page callbacks onto ``app``."""

    @app.callback(
        Output(ids.STORIES_SUBTITLE, "children"),
        Output(ids.STORIES_STATUS, "children"),
        Output(ids.STORIES_GRID, "rowData"),
        Output(ids.STORIES_GRID, "columnDefs"),
        *filter_inputs(),
    )
    @friendly_errors("your stories", _failed)
    def update_stories(*filters: object) -> tuple:
        view = build_for_viewer(sessions, build_stories, *filters, currency=reporting_currency(app))
        return view.subtitle, view.status, view.rows, view.columns

    @app.callback(
        Output(ids.STORIES_GRID, "dashGridOptions"),
        Input(ids.STORIES_SEARCH, "value"),
        prevent_initial_call=True,
    )
    def search_stories(text: object) -> Patch:
        options = Patch()
        options["quickFilterText"] = text if isinstance(text, str) else ""
        return options

    @app.callback(
        Output(ids.STORIES_NAVIGATE, "href"),
        Input(ids.STORIES_GRID, "cellClicked"),
        prevent_initial_call=True,
    )
    def open_story(cell: object) -> object:
        return clicked_story_href(cell) or no_update
