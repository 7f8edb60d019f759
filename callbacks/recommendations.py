"""Recommendations page: the writer's stored advice (``data.queries.recommendations``,
written by the ``recommendations`` job) as cards, and the Dismiss / Restore buttons
(``data.recommendations``).

Scope: a writer always sees and dismisses their own advice, whatever the writer picker value
or a forged button id says (the writer id comes from the signed-in account, and a
fingerprint that is not among that writer's current advice is refused); an admin sees, and
may dismiss on their behalf, the advice of the writer picked in the picker, and is asked to
pick one on "All writers". The period filter does not apply: advice is computed over each
metric's own window (docs/metrics.md, "Recommendations").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker

from callbacks.common import (
    AccessDenied,
    Viewer,
    clicked,
    current_viewer,
    error_message,
    friendly_errors,
    resolve_scope,
)
from callbacks.page_context import reporting_currency, scope_name
from components import ids
from components.recommendation_views import (
    RecommendationCardData,
    all_dismissed_state,
    not_computed_state,
    nothing_to_recommend_state,
    pick_writer_state,
    recommendation_list,
)
from data.queries.recommendations import (
    KIND_LABELS,
    RECOMMENDATIONS_EVERY_HOURS,
    StoredRecommendation,
    writer_recommendations,
)
from data.recommendations import (
    RecommendationNotFound,
    dismiss_recommendation,
    restore_recommendation,
)

logger = logging.getLogger("legato.callbacks")
INTERVAL = f"every {RECOMMENDATIONS_EVERY_HOURS} hours"


@dataclass(frozen=True)
class RecommendationsView:
    """What the list callback puts on the page."""

    subtitle: str
    content: Component


def card_data(item: StoredRecommendation) -> RecommendationCardData:
    """The card of one stored recommendation."""
    return RecommendationCardData(
        fingerprint=item.fingerprint,
        kind=item.kind,
        kind_label=KIND_LABELS.get(item.kind, item.kind.replace("_", " ").capitalize()),
        rank=item.rank,
        title=item.title,
        detail=item.detail,
        expected_effect=item.expected_effect,
        facts=tuple(item.evidence.get("facts") or ()),
        story_id=item.story_id,
        story_title=item.story_title,
        chapter_number=item.chapter_number,
        dismissed_at=item.dismissed_at,
    )


def build_recommendations(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    show_dismissed: object,
    *,
    currency: str = "USD",
) -> RecommendationsView:
    """The subtitle and the list (or the empty state that says why there is none) for
    ``viewer`` (writers: always their own). Raises ``AccessDenied``."""
    scope = resolve_scope(viewer, requested_writer)
    who = scope_name(session, scope)
    listing = writer_recommendations(session, scope, include_dismissed=bool(show_dismissed))
    if scope.is_platform:
        return RecommendationsView(who, pick_writer_state())
    subtitle = f"{who} · recomputed {INTERVAL}"
    if listing.computed_at is None and listing.last_run_at is None:
        return RecommendationsView(subtitle, not_computed_state(INTERVAL))
    if not listing.active and not listing.dismissed:
        if listing.dismissed_count:
            return RecommendationsView(subtitle, all_dismissed_state(listing.dismissed_count))
        return RecommendationsView(
            subtitle, nothing_to_recommend_state(listing.last_run_at, INTERVAL)
        )
    content = recommendation_list(
        [card_data(item) for item in listing.active],
        [card_data(item) for item in listing.dismissed],
        computed_at=listing.computed_at,
        dismissed_count=listing.dismissed_count,
        currency=currency,
    )
    if not listing.active:
        content = html.Div([all_dismissed_state(listing.dismissed_count), content])
    return RecommendationsView(subtitle, content)


def _writer_for(viewer: Viewer, requested_writer: object) -> int:
    scope = resolve_scope(viewer, requested_writer)
    if scope.is_platform:
        raise AccessDenied("pick a writer first")
    return int(scope.writer_id)  # type: ignore[arg-type]


def dismiss(
    session: Session, viewer: Viewer, requested_writer: object, fingerprint: object
) -> tuple[bool, str]:
    """Dismiss ``fingerprint`` of the viewer's writer (admins: the picked writer) and
    commit. Returns (ok, message); a fingerprint that is not among that writer's current
    advice (another writer's, a made-up one) is refused and nothing is written."""
    try:
        writer_id = _writer_for(viewer, requested_writer)
        added = dismiss_recommendation(session, writer_id, fingerprint, user_id=viewer.user_id)
    except (AccessDenied, RecommendationNotFound) as error:
        session.rollback()
        if isinstance(error, RecommendationNotFound):
            return False, "That recommendation no longer exists; the list has been refreshed."
        return False, error_message(error)
    session.commit()
    if not added:
        return True, "That recommendation was already dismissed."
    return True, "Dismissed. It stays hidden when recommendations are recomputed."


def restore(
    session: Session, viewer: Viewer, requested_writer: object, fingerprint: object
) -> tuple[bool, str]:
    """Undo the dismissal of ``fingerprint`` for the viewer's writer (admins: the picked
    writer) and commit. Returns (ok, message)."""
    try:
        writer_id = _writer_for(viewer, requested_writer)
    except AccessDenied as error:
        return False, error_message(error)
    removed = restore_recommendation(session, writer_id, fingerprint)
    session.commit()
    if not removed:
        return False, "That recommendation is not dismissed."
    return True, "Restored."


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Recommendations callbacks onto ``app``."""

    @app.callback(
        Output(ids.RECO_SUBTITLE, "children"),
        Output(ids.RECO_LIST, "children"),
        Input(ids.WRITER_SELECT, "value"),
        Input(ids.RECO_SHOW_DISMISSED, "value"),
        Input(ids.RECO_VERSION, "data"),
    )
    @friendly_errors("your recommendations", lambda alert: ("", alert))
    def update_recommendations(writer, show_dismissed, _version) -> tuple:
        viewer = current_viewer()
        with sessions() as session:
            view = build_recommendations(
                session, viewer, writer, show_dismissed, currency=reporting_currency(app)
            )
        return view.subtitle, view.content

    @app.callback(
        Output(ids.RECO_MESSAGE, "children"),
        Output(ids.RECO_VERSION, "data"),
        Input({"type": ids.RECO_DISMISS, "index": ALL}, "n_clicks"),
        Input({"type": ids.RECO_RESTORE, "index": ALL}, "n_clicks"),
        State(ids.WRITER_SELECT, "value"),
        State(ids.RECO_VERSION, "data"),
        prevent_initial_call=True,
    )
    def change(_dismiss, _restore, writer, version) -> tuple:
        if not clicked():
            raise PreventUpdate
        action = dismiss if ctx.triggered_id["type"] == ids.RECO_DISMISS else restore
        fingerprint = ctx.triggered_id["index"]
        try:
            viewer = current_viewer()
            with sessions() as session:
                ok, message = action(session, viewer, writer, fingerprint)
        except AccessDenied as error:
            ok, message = False, error_message(error)
        except Exception:
            logger.exception("recommendation %s failed", action.__name__)
            ok, message = False, "We couldn't save that. Please try again."
        alert = dbc.Alert(
            message,
            color="success" if ok else "warning",
            dismissable=True,
            duration=6000,
            className="py-2",
            id="reco-message-alert",
        )
        return alert, (version or 0) + 1
