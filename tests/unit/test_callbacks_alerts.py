"""Alerts page callbacks as plain functions on tests/factories.py's small platform with alert
rows stored directly: what the list shows, the scope rules (a writer never reads or marks
another writer's alerts, whatever a forged call says; admins see a picked writer's alerts
read-only and mark the platform's), the unread count and the empty states."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from callbacks.alerts import build_alerts, mark_read
from callbacks.common import AccessDenied, Viewer
from components import ids
from data.models import Alert
from data.queries.alerts import list_alerts, mark_alerts_read, unread_alert_count
from data.queries.filters import FilterError, Scope
from tests.alerts_fixtures import add_alert
from tests.factories import build_small_platform

TODAY = datetime.now(UTC).date()
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
OTHER = Viewer(user_id=2, role="writer", writer_id=2, display_name="Bram")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")
UNLINKED = Viewer(user_id=4, role="writer", writer_id=None, display_name="Nobody")
WEDNESDAY = date(2026, 3, 4)


def tree(component) -> dict:
    return json.loads(json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json()))


def text_of(component) -> str:
    """Every string in the component tree, joined by single spaces."""
    parts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            walk(node.get("props", {}).get("children"))

    walk(tree(component))
    return " ".join(" ".join(parts).split())


def props_with(component, key: str, value) -> list[dict]:
    """Props of every node whose ``key`` prop equals ``value``."""
    found = []

    def walk(node) -> None:
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get(key) == value:
                found.append(props)
            for child in props.values():
                walk(child)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree(component))
    return found


@pytest.fixture
def platform(session):
    build_small_platform(session, TODAY)
    ada = add_alert(session, day=WEDNESDAY)
    ada_drop = add_alert(
        session,
        metric="revenue",
        day=date(2026, 3, 2),
        direction="drop",
        observed=1234.0,
        expected=9000.0,
        expected_low=6000.0,
        expected_high=12000.0,
        severity="medium",
        score=6.0,
        source_kind="country",
        source_label="BR",
        source_share=0.64,
        story_id=None,
        summary="Readers in BR account for 64% of the lost revenue.",
        evidence={},
        read_at=datetime(2026, 3, 3, 8, 0),
    )
    bram = add_alert(
        session,
        writer_id=2,
        day=WEDNESDAY,
        source_kind="story",
        source_label="Night Ledger",
        story_id=20,
        summary="Story 'Night Ledger' accounts for 90% of the extra readers.",
        evidence={},
    )
    platform_alert = add_alert(
        session, writer_id=None, metric="views", day=WEDNESDAY, source_kind=None,
        source_label=None, source_share=None, story_id=None, evidence={},
        summary="No single story, country or acquisition source stands out.",
    )  # fmt: skip
    session.commit()
    session.info["ids"] = {
        "ada": ada.id,
        "ada_drop": ada_drop.id,
        "bram": bram.id,
        "platform": platform_alert.id,
    }
    return session


def alert_ids(session) -> dict[str, int]:
    return session.info["ids"]


def read_state(session) -> dict[int, bool]:
    session.expire_all()
    return {a.id: a.read_at is not None for a in session.scalars(select(Alert))}


def test_a_writer_sees_their_alerts_with_numbers_and_source(platform) -> None:
    view = build_alerts(platform, WRITER, None, "all")
    assert view.subtitle == "Ada Quill · 1 unread of 2 alerts"
    assert view.status is None
    assert view.mark_all_disabled is False
    text = text_of(view.content)
    ada, drop = alert_ids(platform)["ada"], alert_ids(platform)["ada_drop"]
    assert text.index("Readers spiked on Wednesday, Mar 4, 2026") < text.index(
        "Revenue dropped on Monday, Mar 2, 2026"
    )  # newest day first
    assert "140 (+133.3%) vs about 60 expected · usual range for a Wednesday: 40 – 80" in text
    assert (
        "The Glass Orchard accounts for 82% of the extra readers; chapter 14 was released "
        "that day." in text
    )
    assert "$12.34 (-86.3%) vs about $90.00 expected" in text
    assert "Readers in Brazil account for 64% of the lost revenue." in text
    assert "Night Ledger" not in text  # Bram's alert
    links = props_with(view.content, "href", "/stories/10")
    assert [link["children"] for link in links] == ["The Glass Orchard"]
    assert props_with(view.content, "id", ids.alert_item_id(ada))
    buttons = props_with(view.content, "id", {"type": ids.ALERTS_MARK_ONE, "index": ada})
    assert len(buttons) == 1
    assert not props_with(view.content, "id", {"type": ids.ALERTS_MARK_ONE, "index": drop})
    badges = [p["children"] for p in props_with(view.content, "color", "danger")]
    assert "High" in badges


def test_a_forged_writer_picker_value_still_shows_the_own_alerts(platform) -> None:
    view = build_alerts(platform, WRITER, 2, "all")
    assert view.subtitle.startswith("Ada Quill")
    assert "Night Ledger" not in text_of(view.content)
    bram = build_alerts(platform, OTHER, 1, "all")
    assert bram.subtitle == "Bram Stoker-Lite · 1 unread of 1 alert"
    assert "Night Ledger accounts for 82% of the extra readers." in text_of(bram.content)
    with pytest.raises(AccessDenied):
        build_alerts(platform, UNLINKED, None, "all")


def test_a_writer_cannot_mark_another_writers_alert(platform) -> None:
    ids_ = alert_ids(platform)
    ok, message = mark_read(platform, WRITER, 2, ids_["bram"])  # forged id and picker value
    assert ok is False
    assert message == "That alert is not one of your unread alerts; nothing was changed."
    assert read_state(platform)[ids_["bram"]] is False
    ok, message = mark_read(platform, WRITER, 2, None)  # "mark all" with a forged picker
    assert (ok, message) == (True, "Marked 1 alert as read.")
    state = read_state(platform)
    assert state[ids_["ada"]] is True
    assert state[ids_["bram"]] is False
    assert state[ids_["platform"]] is False
    assert mark_read(platform, WRITER, None, None) == (True, "There were no unread alerts.")


def test_marking_one_alert_read(platform) -> None:
    ids_ = alert_ids(platform)
    assert mark_read(platform, OTHER, None, ids_["bram"]) == (True, "Marked as read.")
    assert read_state(platform)[ids_["bram"]] is True
    assert mark_read(platform, OTHER, None, ids_["bram"])[0] is False  # already read
    for bad in ("abc", -3, True, 1.5):
        ok, message = mark_read(platform, OTHER, None, bad)
        assert ok is False
        assert "alert ids must be" in message


def test_admins_see_a_writers_alerts_read_only_and_mark_the_platforms(platform) -> None:
    ids_ = alert_ids(platform)
    bram = build_alerts(platform, ADMIN, 2, "all")
    assert bram.subtitle == "Bram Stoker-Lite · 1 unread of 1 alert"
    assert bram.mark_all_disabled is True
    assert "Only Bram Stoker-Lite can mark these alerts as read" in text_of(bram.status)
    assert not props_with(bram.content, "id", {"type": ids.ALERTS_MARK_ONE, "index": ids_["bram"]})
    ok, message = mark_read(platform, ADMIN, 2, ids_["bram"])
    assert ok is False
    assert message == "You can't see this: only Bram Stoker-Lite can mark their alerts as read."
    assert read_state(platform)[ids_["bram"]] is False

    everyone = build_alerts(platform, ADMIN, 0, "all")
    assert everyone.subtitle == "All writers · 1 unread of 1 alert"
    text = text_of(everyone.content)
    assert "Views spiked on Wednesday, Mar 4, 2026" in text
    assert "No single story, country or acquisition source stands out" in text
    assert "Night Ledger" not in text
    assert everyone.mark_all_disabled is False
    assert mark_read(platform, ADMIN, 0, None) == (True, "Marked 1 alert as read.")
    assert read_state(platform)[ids_["platform"]] is True
    with pytest.raises(AccessDenied):
        build_alerts(platform, ADMIN, 99, "all")  # no such writer


def test_unread_filter_and_empty_states(platform) -> None:
    unread = build_alerts(platform, WRITER, None, "unread")
    text = text_of(unread.content)
    assert "Readers spiked" in text
    assert "Revenue dropped" not in text
    mark_read(platform, WRITER, None, None)
    caught_up = build_alerts(platform, WRITER, None, "unread")
    assert "No unread alerts" in text_of(caught_up.content)
    assert caught_up.subtitle == "Ada Quill · 0 unread of 2 alerts"
    assert caught_up.mark_all_disabled is True
    platform.execute(Alert.__table__.delete())
    platform.commit()
    empty = build_alerts(platform, WRITER, None, "unread")
    assert empty.subtitle == "Ada Quill · no alerts"
    text = text_of(empty.content)
    assert "No alerts yet" in text
    assert "checks your daily readers, views and revenue every hour" in text
    assert "4 weeks of history" in text


def test_queries_keep_to_the_scope(platform) -> None:
    ids_ = alert_ids(platform)
    assert unread_alert_count(platform, 1) == 1
    assert unread_alert_count(platform, 2) == 1
    assert unread_alert_count(platform, None) == 1
    assert unread_alert_count(platform, 3) == 0
    listing = list_alerts(platform, Scope(1))
    assert [item.id for item in listing.items] == [ids_["ada"], ids_["ada_drop"]]
    assert (listing.total, listing.unread) == (2, 1)
    assert listing.items[0].story_title == "The Glass Orchard"
    assert listing.items[0].releases == ({"number": 14, "label": "The Glass Orchard · Ch. 14"},)
    # a story of another writer is never titled in this writer's list
    platform.execute(Alert.__table__.update().where(Alert.id == ids_["ada"]).values(story_id=20))
    assert list_alerts(platform, Scope(1)).items[0].story_title is None
    marked = mark_alerts_read(platform, Scope(1), user_id=1, alert_ids=[ids_["bram"], ids_["ada"]])
    assert marked == 1
    with pytest.raises(FilterError, match="at most"):
        mark_alerts_read(platform, Scope(1), user_id=1, alert_ids=range(1, 600))
    assert mark_alerts_read(platform, Scope(1), user_id=1, alert_ids=[]) == 0
