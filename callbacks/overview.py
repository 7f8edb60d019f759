"""Overview page: KPI cards (with deltas against the comparison period and daily
sparklines) and the daily chart with release and hiatus annotations, for the viewer's
scope and period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from app.analytics.cadence import detect_hiatuses
from callbacks.common import Filters, Viewer, filter_inputs, friendly_errors
from callbacks.page_context import build_for_viewer, page_context, reporting_currency
from components import ids
from components.feedback import empty_state
from components.figures import daily_metric_figure, empty_figure
from components.formatting import CURRENCY_SYMBOLS, format_value
from components.kpi import KpiCardData, kpi_row
from components.pages.overview import CHART_METRICS
from data.queries.annotations import release_annotations, release_history, story_titles
from data.queries.content import story_performance
from data.queries.filters import Period, Scope
from data.queries.overview import KPI_SPECS, Kpi, daily_series, period_totals

UNITS = {spec.key: spec.unit for spec in KPI_SPECS}
LABELS = dict(CHART_METRICS)
NO_DATA_HELP = (
    "Nothing was read in this period. Try a longer period, or check that your reading "
    "apps send events to Legato (see the API guide)."
)
#: Hiatus bands drawn at most (the longest first), so a platform-wide view stays readable.
MAX_HIATUS_BANDS = 6
COMPARISON_NAMES = {"previous": "Previous period", "year": "Same period last year"}


@dataclass(frozen=True)
class OverviewView:
    """Everything the Overview callback puts on the page."""

    subtitle: str
    status: Component | None
    kpis: Component
    figure: go.Figure


def overview_kpi_values(session: Session, filters: Filters) -> list[Kpi]:
    """Every KPI of ``KPI_SPECS`` for the filters' period, with the comparison period's
    value as ``previous``."""
    current = period_totals(session, filters.scope, filters.period)
    before = period_totals(session, filters.scope, filters.comparison)
    return [
        Kpi(spec.key, spec.label, spec.unit, spec.help_text, current[spec.key], before[spec.key])
        for spec in KPI_SPECS
    ]


def _trend(series: pd.Series, unit: str, currency: str) -> tuple[list[float], list[str]]:
    values = series.astype(float)
    shown = values / 100 if unit == "money" else values / 3600 if unit == "seconds" else values
    labels = [
        f"{pd.Timestamp(day):%b %-d}: {format_value(value, unit, currency)}"
        for day, value in values.items()
    ]
    return [float(value) for value in shown], labels


def release_notes(session: Session, scope: Scope, period: Period) -> list[dict]:
    """Chapter releases in the period as chart annotations ``{"day", "label"}``."""
    releases = release_annotations(session, scope, period)
    return [
        {"day": pd.Timestamp(at).date(), "label": label}
        for at, label in zip(releases["at"], releases["label"], strict=True)
    ]


def hiatus_bands(session: Session, scope: Scope, period: Period, *, now: datetime) -> list[dict]:
    """Hiatuses (``app.analytics.cadence``) of a writer's stories that overlap the period,
    clipped to it, as chart bands ``{"start", "end", "label"}`` (at most
    ``MAX_HIATUS_BANDS``, longest first). An ongoing hiatus runs to the period's end (or
    ``now``, when that is earlier); a completed story is finished, not on hiatus, so it has
    no ongoing one. None for the platform scope: a handful of bands picked from every
    writer's stories would say nothing about the platform."""
    if scope.is_platform:
        return []
    period_start = datetime.combine(period.start, time.min)
    period_end = min(datetime.combine(period.end + timedelta(days=1), time.min), now)
    titles = story_titles(session, scope)
    catalog = story_performance(session, scope, period)
    completed = {
        int(story_id)
        for story_id, status in zip(catalog["story_id"], catalog["status"], strict=True)
        if status == "completed"
    }
    found = []
    for story_id, releases in release_history(session, scope).items():
        for hiatus in detect_hiatuses(releases, as_of=period_end):
            if hiatus.end is None and story_id in completed:
                continue
            end = hiatus.end or period_end
            if end <= period_start or hiatus.start >= period_end:
                continue
            found.append(
                {
                    "start": max(hiatus.start, period_start),
                    "end": min(end, period_end),
                    "label": f"Hiatus · {titles.get(story_id, f'story {story_id}')}",
                    "days": hiatus.days,
                }
            )
    found.sort(key=lambda band: (-band["days"], band["start"]))
    return [
        {key: band[key] for key in ("start", "end", "label")} for band in found[:MAX_HIATUS_BANDS]
    ]


def build_overview(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    metric: object,
    *,
    compare: object = "previous",
    today: date,
    now: datetime | None = None,
    currency: str = "USD",
) -> OverviewView:
    """Compute the Overview for ``viewer``: the filter values as ``filter_inputs()``
    delivers them (``compare`` last) and the chart's ``metric``. The scope comes from the
    account (writers) or the picker (admins only). ``now`` (default: the end of ``today``)
    closes an ongoing hiatus. Raises ``AccessDenied`` (unknown writer, unlinked account)
    and ``FilterError`` (bad custom range)."""
    context = page_context(
        session, viewer, requested_writer, preset, start, end, compare, today=today
    )
    filters = context.filters
    scope, period = filters.scope, filters.period
    kpis = overview_kpi_values(session, filters)
    current = daily_series(session, scope, period)
    # Sparklines show complete days only: today's partial count would look like a drop.
    complete = current.iloc[:-1] if period.end == today and len(current) > 2 else current
    cards = []
    for kpi in kpis:
        values, labels = _trend(complete[kpi.key], kpi.unit, currency)
        cards.append(
            KpiCardData(
                kpi.key,
                kpi.label,
                kpi.unit,
                kpi.value,
                kpi.previous,
                kpi.change,
                kpi.help_text,
                trend=values,
                trend_labels=labels,
            )
        )
    metric_key = metric if metric in UNITS else "views"
    has_data = any(kpi.value for kpi in kpis if kpi.key != "completion_rate")
    if not has_data:
        figure = empty_figure(f"Daily {LABELS[metric_key].lower()}", "No activity in this period")
        status = empty_state("No reading activity yet", NO_DATA_HELP, icon="bi-book")
    else:
        comparison = daily_series(session, scope, filters.comparison)
        closing = now or datetime.combine(today + timedelta(days=1), time.min)
        figure = daily_metric_figure(
            current[metric_key],
            comparison[metric_key],
            metric_key=metric_key,
            metric_label=LABELS[metric_key],
            unit=UNITS[metric_key],
            currency_symbol=CURRENCY_SYMBOLS.get(currency, "$"),
            annotations=release_notes(session, scope, period),
            hiatuses=hiatus_bands(session, scope, period, now=closing),
            partial_last_day=period.end == today,
            comparison_name=COMPARISON_NAMES.get(filters.compare, "Comparison period"),
        )
        status = None
    return OverviewView(
        context.subtitle,
        status,
        kpi_row(cards, currency=currency, comparison_label=filters.comparison_label),
        figure,
    )


def _failed(alert: Component) -> tuple:
    return "", alert, [], empty_figure("Daily activity", "")


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Overview callback onto ``app``."""

    @app.callback(
        Output(ids.OVERVIEW_SUBTITLE, "children"),
        Output(ids.OVERVIEW_STATUS, "children"),
        Output(ids.OVERVIEW_KPIS, "children"),
        Output(ids.OVERVIEW_CHART, "figure"),
        *filter_inputs(),
        Input(ids.OVERVIEW_METRIC, "value"),
    )
    @friendly_errors("your overview", _failed)
    def update_overview(
        writer: object, preset: object, start: object, end: object, compare: object, metric: object
    ) -> tuple:
        view = build_for_viewer(
            sessions,
            build_overview,
            writer,
            preset,
            start,
            end,
            metric,
            compare=compare,
            now=datetime.now(UTC).replace(tzinfo=None),
            currency=reporting_currency(app),
        )
        return view.subtitle, view.status, view.kpis, view.figure
