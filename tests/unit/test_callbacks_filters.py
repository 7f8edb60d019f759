"""The shared filters as plain functions: the URL query string, the comparison period, the
filter-bar sync and friendly errors (callbacks.common, callbacks.shell)."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from dash.exceptions import PreventUpdate

from callbacks.common import (
    ALL_WRITERS,
    AccessDenied,
    FilterState,
    Viewer,
    comparison_label,
    error_message,
    filter_query,
    friendly_errors,
    normalize_filters,
    parse_filter_query,
    resolve_comparison,
    resolve_filters,
    resolve_period,
)
from callbacks.shell import period_label, sync_filters
from components import ids
from data.queries.filters import FilterError, Period, Scope

TODAY = date(2026, 11, 24)
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


# --------------------------------------------------------------------------- URL query


def test_query_string_parses_presets_custom_ranges_comparison_and_writer() -> None:
    assert parse_filter_query("") is None
    assert parse_filter_query(None) is None
    assert parse_filter_query("?") is None
    assert parse_filter_query("?utm_source=mail") is None  # names no filter: keep the controls
    assert parse_filter_query("?range=7d") == FilterState("7d")
    assert parse_filter_query("?range=90d&compare=year&writer=2") == FilterState(
        "90d", None, None, "year", 2
    )
    custom = parse_filter_query("?start=2026-10-01&end=2026-10-28&compare=previous")
    assert custom == FilterState("custom", "2026-10-01", "2026-10-28", "previous", None)
    assert parse_filter_query("?range=custom") == FilterState("custom")
    assert parse_filter_query("?writer=all").writer is None
    assert parse_filter_query("?writer=abc").writer is None


def test_unknown_values_fall_back_to_defaults() -> None:
    state = normalize_filters(
        FilterState("13d", None, None, "sideways", 5), is_admin=False, today=TODAY
    )
    # A writer never carries a writer id; a preset carries its days for the custom picker.
    assert state == FilterState("28d", "2026-10-28", "2026-11-24", "previous", None)
    admin = normalize_filters(FilterState("7d", writer=None), is_admin=True, today=TODAY)
    assert admin.writer == ALL_WRITERS
    assert admin.start == "2026-11-18"
    bad_dates = normalize_filters(
        FilterState("custom", "2026-02-30", "junk"), is_admin=False, today=TODAY
    )
    assert (bad_dates.start, bad_dates.end) == (None, None)


def test_query_string_round_trip() -> None:
    for state in (
        FilterState("7d", compare="previous"),
        FilterState("90d", compare="year", writer=2),
        FilterState("custom", "2026-10-01", "2026-10-28", "year", None),
    ):
        query = filter_query(state)
        assert parse_filter_query(query) == state
    assert filter_query(FilterState("28d", writer=ALL_WRITERS)) == "?range=28d&compare=previous"
    assert (
        filter_query(FilterState("custom", "2026-10-01", "2026-10-28"))
        == "?range=custom&start=2026-10-01&end=2026-10-28&compare=previous"
    )


# --------------------------------------------------------------------------- comparison


def test_comparison_period_previous_or_same_dates_last_year() -> None:
    period = Period(date(2026, 10, 1), date(2026, 10, 28))
    assert resolve_comparison(period, "previous") == Period(date(2026, 9, 3), date(2026, 9, 30))
    assert resolve_comparison(period, "year") == Period(date(2025, 10, 1), date(2025, 10, 28))
    assert resolve_comparison(period, "bogus") == period.previous()
    leap = Period(date(2028, 2, 29), date(2028, 3, 6))  # as long as the period, always
    assert resolve_comparison(leap, "year") == Period(date(2027, 2, 28), date(2027, 3, 6))
    assert comparison_label(period) == "previous 28 days"
    assert comparison_label(period, "year") == "same period last year"
    assert (
        period_label("custom", "2026-10-01", "2026-10-28", "year")
        == "Oct 1 – Oct 28, 2026 · compared with Oct 1 – Oct 28, 2025"
    )


def test_resolve_filters_bundles_scope_period_comparison_and_query() -> None:
    filters = resolve_filters(WRITER, 2, "7d", None, None, "year", today=TODAY)
    assert filters.scope == Scope(writer_id=1)  # the picker value is ignored for writers
    assert filters.period == Period(date(2026, 11, 18), TODAY)
    assert filters.comparison == Period(date(2025, 11, 18), date(2025, 11, 24))
    assert filters.comparison_label == "same period last year"
    assert filters.query == "?range=7d&compare=year"
    admin = resolve_filters(ADMIN, 2, "28d", None, None, None, today=TODAY)
    assert admin.scope == Scope(writer_id=2)
    assert admin.compare == "previous"
    assert admin.query == "?range=28d&compare=previous&writer=2"
    with pytest.raises(FilterError, match="between"):
        resolve_period("custom", "1999-12-01", "2000-01-05", TODAY)


# --------------------------------------------------------------------------- filter sync


def test_url_sets_the_controls_on_load_and_navigation() -> None:
    controls = FilterState("28d", None, None, "previous", None)
    loaded = sync_filters(WRITER, None, "?range=7d&compare=year", controls, today=TODAY)
    assert loaded.state == FilterState("7d", "2026-11-18", "2026-11-24", "year", None)
    assert loaded.query == "?range=7d&compare=year"
    custom = sync_filters(
        ADMIN, ids.URL, "?start=2026-10-01&end=2026-10-28&writer=2", controls, today=TODAY
    )
    assert custom.state == FilterState("custom", "2026-10-01", "2026-10-28", "previous", 2)
    assert custom.query == "?range=custom&start=2026-10-01&end=2026-10-28&compare=previous&writer=2"


def test_url_without_filters_keeps_the_controls() -> None:
    controls = FilterState("90d", None, None, "year", 2)
    kept = sync_filters(ADMIN, ids.URL, "", controls, today=TODAY)
    assert kept.state == FilterState("90d", "2026-08-27", "2026-11-24", "year", 2)
    assert kept.query == "?range=90d&compare=year&writer=2"


def test_a_control_change_wins_over_the_old_url() -> None:
    controls = FilterState("7d", "2026-08-27", "2026-11-24", "previous", None)
    changed = sync_filters(WRITER, ids.RANGE_PRESET, "?range=90d", controls, today=TODAY)
    assert changed.state.preset == "7d"
    assert changed.query == "?range=7d&compare=previous"
    writer_forged = sync_filters(WRITER, None, "?range=7d&writer=2", controls, today=TODAY)
    assert writer_forged.state.writer is None
    assert "writer" not in writer_forged.query


# --------------------------------------------------------------------------- errors


def test_error_messages() -> None:
    assert error_message(FilterError("Pick a start date.")) == "Pick a start date."
    assert error_message(AccessDenied("administrators only")) == (
        "You can't see this: administrators only."
    )
    assert error_message(RuntimeError("db password is hunter2"), what="your stories") == (
        "We couldn't load your stories. Please try again in a moment."
    )


def test_friendly_errors_turn_exceptions_into_an_in_page_message(caplog) -> None:
    def fallback(alert):
        return "failed", alert

    @friendly_errors("your stories", fallback)
    def broken(kind: str) -> tuple:
        if kind == "filter":
            raise FilterError("The start date is after the end date.")
        if kind == "denied":
            raise AccessDenied("this account is not linked to a writer")
        if kind == "prevent":
            raise PreventUpdate
        if kind == "bug":
            raise KeyError("secret_column")
        return "ok", None

    assert broken("fine") == ("ok", None)
    status, alert = broken("filter")
    assert status == "failed"
    assert "The start date is after the end date." in _text(alert)
    assert "You can't see this: this account is not linked to a writer." in _text(
        broken("denied")[1]
    )
    with pytest.raises(PreventUpdate):
        broken("prevent")
    with caplog.at_level(logging.ERROR, logger="legato.callbacks"):
        status, alert = broken("bug")
    text = _text(alert)
    assert "We couldn't load your stories" in text
    assert "secret_column" not in text
    assert "Traceback" not in text
    assert "your stories" in caplog.text
    assert caplog.records[-1].exc_info is not None  # the traceback goes to the server log
