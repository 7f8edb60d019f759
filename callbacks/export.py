"""Export page: the writer's metrics for the period as an Excel workbook or a CSV file
(``data.queries.export.export_file``), built in a Dash background callback with a
progress bar and handed to the browser by ``dcc.Download``.

Access rules hold for the background job too. The job runs outside the request (a child
process with the diskcache manager, a worker with Celery) where nobody is signed in, so
it never reads the scope from the browser. Instead:

1. the Download button's ordinary callback runs in the signed-in request (login, CSRF
   and the admin-id rules of ``app.auth.guard`` apply as to every callback), resolves the
   scope from the account with ``callbacks.common.resolve_filters`` (a writer's own,
   whatever the picker says) and issues an *export ticket*: the scope, period, format and
   tables, signed with the app's ``SECRET_KEY`` and valid for ``TICKET_MAX_AGE_SECONDS``;
2. the background callback takes only that ticket; it rejects a ticket whose signature
   does not verify or that has expired (a forged or edited payload), and exports exactly
   what the ticket names.

The job's own start and progress requests go to ``/_dash-update-component`` like any
callback, so they need the same signed-in session and CSRF header.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from dash import Dash, Input, Output, State, dcc, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import AccessDenied, Viewer, filter_inputs, friendly_errors
from callbacks.page_context import build_for_viewer, page_context, reporting_currency
from components import ids
from components.pages.export import (
    CSV,
    HIDDEN,
    SHOWN,
    TABLES,
    XLSX,
    ExportTableInfo,
    export_ready,
    export_summary,
)
from data.queries.annotations import story_titles
from data.queries.export import EXPORT_TABLES, ExportFile, export_file
from data.queries.filters import FilterError, Period, Scope

TICKET_SALT = "legato.export-ticket.v1"
#: How long a ticket stays valid: long enough for a queued job to start, short enough
#: that a leaked ticket is soon useless.
TICKET_MAX_AGE_SECONDS = 600
FORMATS = (XLSX, CSV)
TABLE_LABELS = {key: label for key, label, _ in TABLES}


@dataclass(frozen=True)
class ExportRequest:
    """What one export contains, as authorised for the account that asked: ``writer_id``
    (``None``: the whole platform, admins only), the period's ``start``/``end``, the
    ``file_format`` (``xlsx``/``csv``) and ``tables`` (``None``: every table). ``who``
    names the scope for messages; ``user_id`` records who asked."""

    user_id: int
    writer_id: int | None
    who: str
    start: date
    end: date
    file_format: str
    tables: tuple[str, ...] | None

    @property
    def scope(self) -> Scope:
        return Scope(writer_id=self.writer_id)

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    if not secret:
        raise AccessDenied("exports need the app's SECRET_KEY")
    return URLSafeTimedSerializer(secret, salt=TICKET_SALT)


def issue_ticket(request: ExportRequest, secret: str) -> str:
    """``request`` signed with ``secret`` (the app's ``SECRET_KEY``) and timestamped."""
    return _serializer(secret).dumps(
        {
            "user": request.user_id,
            "writer": request.writer_id,
            "who": request.who,
            "start": request.start.isoformat(),
            "end": request.end.isoformat(),
            "format": request.file_format,
            "tables": list(request.tables) if request.tables is not None else None,
        }
    )


def read_ticket(
    ticket: object, secret: str, *, max_age: int = TICKET_MAX_AGE_SECONDS
) -> ExportRequest:
    """The export request a ticket carries. Raises ``AccessDenied`` when ``ticket`` is not
    a ticket signed with ``secret``, is older than ``max_age`` seconds, or is malformed."""
    if not isinstance(ticket, str) or not ticket:
        raise AccessDenied("the export request is missing")
    try:
        data = _serializer(secret).loads(ticket, max_age=max_age)
    except SignatureExpired as error:
        raise AccessDenied("the export request expired; press Download again") from error
    except BadSignature as error:
        raise AccessDenied("the export request is not valid") from error
    try:
        writer = data["writer"]
        tables = data["tables"]
        return ExportRequest(
            user_id=int(data["user"]),
            writer_id=None if writer is None else int(writer),
            who=str(data["who"]),
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            file_format=str(data["format"]),
            tables=None if tables is None else tuple(str(t) for t in tables),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise AccessDenied("the export request is not valid") from error


def export_request(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object,
    file_format: object,
    table: object,
    *,
    today: date,
) -> ExportRequest:
    """The export ``viewer`` asks for with the page's controls: the scope from the account
    (writers: their own, whatever ``requested_writer`` says), the filter bar's period,
    ``file_format`` (``xlsx``: every table; ``csv``: ``table``). Raises ``AccessDenied``
    and ``FilterError`` (bad period, unknown format or table)."""
    context = page_context(
        session, viewer, requested_writer, preset, start, end, compare, today=today
    )
    if file_format not in FORMATS:
        raise FilterError("Choose Excel or CSV.")
    tables: tuple[str, ...] | None = None
    if file_format == CSV:
        if table not in EXPORT_TABLES:
            raise FilterError("Choose the table to put in the CSV file.")
        tables = (str(table),)
    period = context.filters.period
    return ExportRequest(
        user_id=viewer.user_id,
        writer_id=context.filters.scope.writer_id,
        who=context.who,
        start=period.start,
        end=period.end,
        file_format=str(file_format),
        tables=tables,
    )


ProgressFn = Callable[[int, str], None]


def _no_progress(_percent: int, _label: str) -> None:
    return None


def run_export(
    session: Session,
    request: ExportRequest,
    *,
    currency: str = "USD",
    progress: ProgressFn = _no_progress,
) -> ExportFile:
    """Build the file ``request`` names (``data.queries.export.export_file``), reporting
    ``progress(percent, label)`` along the way. Raises ``FilterError`` from the query layer
    (e.g. an unknown table in a hand-made request)."""
    progress(10, "Checking the request…")
    period = request.period
    what = "every table" if request.tables is None else TABLE_LABELS[request.tables[0]].lower()
    progress(30, f"Reading {period.days} days of {what} for {request.who}…")
    result = export_file(
        session,
        request.scope,
        period,
        request.file_format,
        request.tables,
        currency=currency,
    )
    progress(100, "Ready")
    return result


@dataclass(frozen=True)
class ExportSummaryView:
    """What the Export page's summary callback shows."""

    subtitle: str
    summary: Component
    table_style: dict[str, str]


def build_export_summary(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object,
    file_format: object,
    table: object,
    *,
    today: date,
) -> ExportSummaryView:
    """The tables the export will hold for ``viewer``'s scope and period, with row counts
    (one per day for the daily tables, one per story for stories). Raises
    ``AccessDenied`` and ``FilterError``."""
    context = page_context(
        session, viewer, requested_writer, preset, start, end, compare, today=today
    )
    days = context.filters.period.days
    stories = len(story_titles(session, context.filters.scope))
    rows = {"daily": days, "stories": stories, "revenue": days}
    infos = [
        ExportTableInfo(key, label, description, rows[key]) for key, label, description in TABLES
    ]
    chosen_format = file_format if file_format in FORMATS else XLSX
    return ExportSummaryView(
        context.subtitle,
        export_summary(infos, file_format=str(chosen_format), table=str(table)),
        SHOWN if chosen_format == CSV else HIDDEN,
    )


def _forget_inherited_connections(sessions: sessionmaker[Session], parent_pid: int) -> None:
    """In a job process forked from the web process, start a fresh connection pool: a
    database connection must never be shared across processes (SQLAlchemy's
    ``Engine.dispose(close=False)`` leaves the parent's connections alone)."""
    bind = sessions.kw.get("bind")
    if os.getpid() != parent_pid and isinstance(bind, Engine):
        bind.dispose(close=False)


def _download(result: ExportFile) -> dict[str, Any]:
    return dcc.send_bytes(result.content, result.filename, type=result.mimetype)


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Export callbacks onto ``app``: the summary, the Download button (issues
    the ticket) and the background export job (needs the app's background callback
    manager, see ``app.dash_app``)."""
    parent_pid = os.getpid()
    filter_states = [State(i.component_id, i.component_property) for i in filter_inputs()]

    def secret() -> str:
        return str(app.server.config.get("SECRET_KEY") or "")

    @app.callback(
        Output(ids.EXPORT_SUBTITLE, "children"),
        Output(ids.EXPORT_STATUS, "children"),
        Output(ids.EXPORT_SUMMARY, "children"),
        Output(ids.EXPORT_TABLE_WRAPPER, "style"),
        *filter_inputs(),
        Input(ids.EXPORT_FORMAT, "value"),
        Input(ids.EXPORT_TABLE, "value"),
    )
    @friendly_errors("your export", lambda alert: ("", alert, [], HIDDEN))
    def update_summary(*values: object) -> tuple:  # filters, format, table
        view = build_for_viewer(sessions, build_export_summary, *values)
        return view.subtitle, None, view.summary, view.table_style

    @app.callback(
        Output(ids.EXPORT_TICKET, "data"),
        Output(ids.EXPORT_MESSAGE, "children"),
        Input(ids.EXPORT_BUTTON, "n_clicks"),
        *filter_states,
        State(ids.EXPORT_FORMAT, "value"),
        State(ids.EXPORT_TABLE, "value"),
        prevent_initial_call=True,
    )
    @friendly_errors("your export", lambda alert: (no_update, alert))
    def request_export(clicks: object, *values: object) -> tuple:  # filters, format, table
        if not clicks:
            raise PreventUpdate
        request = build_for_viewer(sessions, export_request, *values)
        return issue_ticket(request, secret()), None

    @app.callback(
        Output(ids.EXPORT_DOWNLOAD, "data"),
        Output(ids.EXPORT_RESULT, "children"),
        Input(ids.EXPORT_TICKET, "data"),
        background=True,
        progress=[Output(ids.EXPORT_PROGRESS, "value"), Output(ids.EXPORT_PROGRESS, "label")],
        progress_default=[0, ""],
        running=[
            (Output(ids.EXPORT_BUTTON, "disabled"), True, False),
            (Output(ids.EXPORT_PROGRESS_WRAPPER, "style"), SHOWN, HIDDEN),
            (Output(ids.EXPORT_CANCEL, "style"), SHOWN, HIDDEN),
            (Output(ids.EXPORT_RESULT, "style"), HIDDEN, SHOWN),
        ],
        cancel=[Input(ids.EXPORT_CANCEL, "n_clicks")],
        interval=400,
        prevent_initial_call=True,
    )
    @friendly_errors("your export", lambda alert: (no_update, alert))
    def export_job(set_progress: Callable[[tuple[int, str]], None], ticket: object) -> tuple:
        if not ticket:
            raise PreventUpdate
        request = read_ticket(ticket, secret())
        _forget_inherited_connections(sessions, parent_pid)
        with sessions() as session:
            result = run_export(
                session,
                request,
                currency=reporting_currency(app),
                progress=lambda percent, label: set_progress((percent, label)),
            )
        return _download(result), export_ready(result.filename, len(result.content))
