"""Recommendations callbacks as plain functions on tests/recommendation_fixtures.py's
platform (writer 1 has the planted drop-off and hiatus; writer 2 a regular story): what a
writer and an admin see, the empty states, and dismissing — only one's own advice, whatever a
forged request says."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.jobs.runner import run_job
from callbacks.common import AccessDenied, Viewer
from callbacks.recommendations import build_recommendations, dismiss, restore
from components.formatting import DASH
from components.recommendation_views import format_fact
from data.db import make_session_factory
from data.models import RecommendationDismissal
from tests.recommendation_fixtures import (
    PLANTED_DROPOFF_CHAPTER_ID,
    PLANTED_STORY,
    build_recommendation_platform,
)

TODAY = datetime.now(UTC).date()
ADA = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
BRAM = Viewer(user_id=2, role="writer", writer_id=2, display_name="Bram")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")
DROPOFF = f"dropoff:{PLANTED_STORY}:{PLANTED_DROPOFF_CHAPTER_ID}"


def text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


def button_ids(component, kind: str) -> list[str]:
    found = []

    def walk(node) -> None:
        if isinstance(node, dict):
            props = node.get("props", {})
            ident = props.get("id")
            if isinstance(ident, dict) and ident.get("type") == kind:
                found.append(ident["index"])
            for value in props.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(text(component)))
    return found


@pytest.fixture
def platform(session):
    build_recommendation_platform(session, TODAY)
    return session


@pytest.fixture
def computed(platform):
    """The platform after a run of the job through the runner (which records the run)."""
    assert run_job(make_session_factory(platform.get_bind()), "recommendations").status == (
        "succeeded"
    )
    return platform


def dismissals(session) -> int:
    return session.scalar(select(func.count()).select_from(RecommendationDismissal))


def test_before_the_first_run_the_page_says_why_it_is_empty(platform) -> None:
    view = build_recommendations(platform, ADA, None, False)
    assert view.subtitle == "Ada Quill · recomputed every 6 hours"
    assert "No recommendations yet" in text(view.content)
    assert "every 6 hours" in text(view.content)


def test_writer_sees_ranked_cards_with_evidence_and_links(computed) -> None:
    view = build_recommendations(computed, ADA, None, False)
    content = text(view.content)
    assert button_ids(view.content, "reco-dismiss")[:2] == [
        DROPOFF,
        button_ids(view.content, "reco-dismiss")[1],
    ]
    assert button_ids(view.content, "reco-dismiss")[1].startswith("cadence:10:")
    assert "Readers drop off after chapter 4 of \\u201cThe Glass Orchard\\u201d" in content
    assert "Expected effect" in content
    assert "Recovering half the excess loss keeps" in content
    assert f'"/stories/{PLANTED_STORY}"' in content
    assert "The Glass Orchard \\u00b7 Ch. 4" in content
    assert "Loss at this step" in content
    assert "Computed " in content
    assert "Drop-off chapter" in content  # the kind label


def test_writers_see_only_their_own_and_admins_the_picked_writer(computed) -> None:
    forged = build_recommendations(computed, BRAM, 1, False)
    assert forged.subtitle.startswith("Bram Stoker-Lite")
    assert DROPOFF not in button_ids(forged.content, "reco-dismiss")
    assert "Nothing to recommend right now" in text(forged.content)
    admin = build_recommendations(computed, ADMIN, 1, False)
    assert admin.subtitle.startswith("Ada Quill")
    assert DROPOFF in button_ids(admin.content, "reco-dismiss")
    everyone = build_recommendations(computed, ADMIN, 0, False)
    assert everyone.subtitle == "All writers"
    assert "Pick a writer" in text(everyone.content)
    with pytest.raises(AccessDenied):
        build_recommendations(computed, ADMIN, 99, False)


def test_dismiss_hide_show_and_restore(computed) -> None:
    ok, message = dismiss(computed, ADA, None, DROPOFF)
    assert ok, message
    assert dismissals(computed) == 1
    view = build_recommendations(computed, ADA, None, False)
    assert DROPOFF not in button_ids(view.content, "reco-dismiss")
    assert "1 dismissed recommendation hidden" in text(view.content)
    shown = build_recommendations(computed, ADA, None, True)
    assert button_ids(shown.content, "reco-restore") == [DROPOFF]
    assert "Dismissed " in text(shown.content)
    assert dismiss(computed, ADA, None, DROPOFF) == (
        True,
        "That recommendation was already dismissed.",
    )
    assert restore(computed, ADA, None, DROPOFF) == (True, "Restored.")
    assert dismissals(computed) == 0
    assert restore(computed, ADA, None, DROPOFF)[0] is False
    # Every current one dismissed: the page says so.
    for fingerprint in button_ids(
        build_recommendations(computed, ADA, None, False).content, "reco-dismiss"
    ):
        assert dismiss(computed, ADA, None, fingerprint)[0]
    assert "dismissed every recommendation" in text(
        build_recommendations(computed, ADA, None, False).content
    )


def test_a_writer_cannot_dismiss_another_writers_advice(computed) -> None:
    # Bram forges a click on Ada's fingerprint, with and without Ada's id in the picker.
    for requested in (None, 1, "1"):
        ok, message = dismiss(computed, BRAM, requested, DROPOFF)
        assert not ok
        assert "no longer exists" in message
    assert dismissals(computed) == 0
    # Nor restore one of hers (a restore only ever touches the viewer's own dismissals).
    assert dismiss(computed, ADA, None, DROPOFF)[0]
    assert restore(computed, BRAM, 1, DROPOFF)[0] is False
    assert dismissals(computed) == 1
    # Garbage never raises.
    for garbage in (None, 12, "", "x" * 500, {"a": 1}):
        assert dismiss(computed, ADA, None, garbage)[0] is False
    # An admin acts for the picked writer only, and not on "All writers".
    assert dismiss(computed, ADMIN, 0, DROPOFF) == (
        False,
        "You can't see this: pick a writer first.",
    )
    assert restore(computed, ADMIN, 1, DROPOFF) == (True, "Restored.")
    assert dismiss(computed, ADMIN, 1, DROPOFF)[0]
    row = computed.get(RecommendationDismissal, (1, DROPOFF))
    assert row.dismissed_by_id == ADMIN.user_id


def test_format_fact() -> None:
    assert format_fact(1234.4, "count") == "1,234"
    assert format_fact(0.256, "ratio") == "25.6%"
    assert format_fact(42.0, "days") == "42 days"
    assert format_fact(1.0, "days") == "1 day"
    assert format_fact(2300, "words") == "2,300 words"
    assert format_fact(1999, "money") == "$19.99"
    assert format_fact(-1.234, "number") == "-1.23"
    assert format_fact("Saturday 20:00", "text") == "Saturday 20:00"
    assert format_fact(None, "count") == DASH
