"""Acceptance for the admin console, in headless Chromium: the admin sees live numbers on
Real-time, creates a write key that is shown once and revokes it, and runs the rollups job
from the Jobs page and sees it complete.

``test_screenshots_on_the_demo_platform`` (only with ``LEGATO_SCREENSHOTS=1``) writes
``docs/screenshots/admin-{realtime,access,jobs}.png`` at 1440×900 from the demo platform
with an hour of live traffic sent through the ingest API.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from app.auth.api_keys import create_api_key
from app.database import get_database
from components import ids
from data.db import utcnow
from data.models import ApiKey, Chapter, JobLock
from tests.browser.helpers import (
    api_request,
    by_id,
    click,
    confirm,
    fill,
    open_as_admin,
    sign_in,
    start,
)
from tests.browser.screens import SCREENSHOTS, only_when_refreshing, set_page_area

pytestmark = pytest.mark.browser


def send(base: str, key: str, events: list[dict]) -> None:
    """Post ``events`` to the ingest API (batches of 500) and check they were accepted."""
    for offset in range(0, len(events), 500):
        batch = events[offset : offset + 500]
        answer = api_request(f"{base}/api/v1/events/track-batch", key, {"batch": batch})
        assert answer["accepted"] == len(batch), answer


def iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def live_events(now: datetime, readers: int, *, prefix: str = "live") -> list[dict]:
    """Chapter opens of ``readers`` readers over the last three minutes (story 10)."""
    return [
        {
            "message_id": f"{prefix}-{index}",
            "event": "chapter_start",
            "user_id": f"{prefix}-reader-{index}",
            "story_id": 10,
            "chapter_id": 100,
            "timestamp": iso(now - timedelta(seconds=20 + 40 * index)),
        }
        for index in range(readers)
    ]


def tile(dash_duo, key: str) -> int | None:
    """The number on tile ``key`` (read in one script: the tiles re-render every refresh)."""
    text = dash_duo.driver.execute_script(
        "const el = document.getElementById(arguments[0]); return el ? el.textContent : null;",
        ids.kpi_value_id(key),
    )
    return int(text.replace(",", "")) if text and text.replace(",", "").isdigit() else None


def create_key(dash_duo, name: str, source: str) -> str:
    """On the Access page: fill the new-key form with ``name`` and ``source``, submit it and
    return the plaintext write key once the one-time box shows it (``lgw_…``)."""
    form = ids.access_form_id
    fill(dash_duo, form("key", "name"), name)
    fill(dash_duo, form("key", "source"), source)
    click(dash_duo, dash_duo.find_element(f"#{form('key', 'submit')}"))
    box = dash_duo.wait_for_element(f"#{ids.ADMIN_ACCESS_NEW_KEY_VALUE}", timeout=10)
    WebDriverWait(dash_duo.driver, 10).until(
        lambda _driver: (box.get_attribute("value") or "").startswith("lgw_")
    )
    return box.get_attribute("value")


def test_admin_sees_live_numbers_on_real_time(dash_duo, write_key_server) -> None:
    base = start(dash_duo, write_key_server)
    send(base, write_key_server.config["TEST_WRITE_KEY"], live_events(utcnow(), 4))
    open_as_admin(dash_duo, base, "/admin/realtime")
    WebDriverWait(dash_duo.driver, 15).until(
        lambda _d: tile(dash_duo, "active_readers") is not None
    )
    assert tile(dash_duo, "active_readers") >= 4
    assert tile(dash_duo, "reading_now") >= 4
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_RT_TOP}", "The Glass Orchard", timeout=10)
    dash_duo.wait_for_element(f"#{ids.ADMIN_RT_CHART} .main-svg", timeout=10)
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_RT_AS_OF}", "Updated", timeout=10)
    # It refreshes by itself: more readers arrive and the tile follows within seconds.
    before = tile(dash_duo, "active_readers")
    send(base, write_key_server.config["TEST_WRITE_KEY"], live_events(utcnow(), 3, prefix="later"))
    WebDriverWait(dash_duo.driver, 15).until(
        lambda _d: (tile(dash_duo, "active_readers") or 0) >= before + 3
    )


def test_admin_creates_a_write_key_sees_it_once_and_revokes_it(dash_duo, write_key_server) -> None:
    base = start(dash_duo, write_key_server)
    open_as_admin(dash_duo, base, "/admin/access")
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_ACCESS_KEYS}", "web", timeout=15)
    form = ids.access_form_id

    # Invalid input: field messages, and no key.
    fill(dash_duo, form("key", "source"), "Not a source!")
    click(dash_duo, dash_duo.find_element(f"#{form('key', 'submit')}"))
    dash_duo.wait_for_contains_text(
        f"#{ids.access_feedback_id('key', 'name')}", "Name the key", timeout=10
    )
    assert (
        "needs a source"
        in dash_duo.find_element(f"#{ids.access_feedback_id('key', 'source')}").text
    )
    assert not dash_duo.find_element(f"#{ids.ADMIN_ACCESS_NEW_KEY}").is_displayed()

    plaintext = create_key(dash_duo, "Web app v2", "web-v2")
    assert dash_duo.find_element(f"#{ids.ADMIN_ACCESS_NEW_KEY}").is_displayed()
    assert "Copy the new key now" in dash_duo.find_element(f"#{ids.ADMIN_ACCESS_NEW_KEY}").text
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_ACCESS_KEYS}", plaintext[:12], timeout=10)
    assert plaintext not in dash_duo.find_element(f"#{ids.ADMIN_ACCESS_KEYS}").text
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_ACCESS_AUDIT}", "Created API key", timeout=10)

    click(dash_duo, dash_duo.find_element(f"#{ids.ADMIN_ACCESS_NEW_KEY_DONE}"))
    WebDriverWait(dash_duo.driver, 10).until(
        lambda _driver: not dash_duo.find_element(f"#{ids.ADMIN_ACCESS_NEW_KEY}").is_displayed()
    )
    assert dash_duo.find_element(f"#{ids.ADMIN_ACCESS_NEW_KEY_VALUE}").get_attribute("value") == ""
    dash_duo.driver.refresh()  # shown once: never again, not even after a reload
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_ACCESS_KEYS}", plaintext[:12], timeout=15)
    assert plaintext not in dash_duo.driver.page_source

    with get_database(write_key_server).session() as session:
        key_id = session.scalar(select(ApiKey.id).where(ApiKey.source == "web-v2"))
    click(dash_duo, by_id(dash_duo, {"index": key_id, "type": ids.ADMIN_ACCESS_REVOKE}))
    confirm(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_ACCESS_KEY_MESSAGE}", "revoked", timeout=10)
    dash_duo.wait_for_contains_text(f"#admin-access-key-row-{key_id}", "Revoked", timeout=10)
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_ACCESS_AUDIT}", "Revoked API key", timeout=10)


def test_admin_runs_the_rollups_job_and_sees_it_complete(dash_duo, write_key_server) -> None:
    base = start(dash_duo, write_key_server)
    send(base, write_key_server.config["TEST_WRITE_KEY"], live_events(utcnow(), 5))  # work to do
    with get_database(write_key_server).session() as session:  # another process runs this one
        now = utcnow()
        session.add(
            JobLock(
                job_name="experiment_exposures",
                holder="worker:9",
                acquired_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        )
        session.commit()
    open_as_admin(dash_duo, base, "/admin/jobs")
    state = {"index": "rollups", "type": ids.ADMIN_JOBS_STATE}
    button = by_id(dash_duo, {"index": "rollups", "type": ids.ADMIN_JOBS_RUN})
    WebDriverWait(dash_duo.driver, 15).until(lambda _d: "Never run" in by_id(dash_duo, state).text)
    busy = by_id(dash_duo, {"index": "experiment_exposures", "type": ids.ADMIN_JOBS_RUN})
    WebDriverWait(dash_duo.driver, 15).until(lambda _d: not busy.is_enabled())
    assert "Running" in busy.text

    click(dash_duo, button)
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_JOBS_MESSAGE}", "Started rollups", timeout=10)
    WebDriverWait(dash_duo.driver, 20).until(lambda _d: "Succeeded" in by_id(dash_duo, state).text)
    assert "rows" in by_id(dash_duo, state).text
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_JOBS_RUNS}", "Run now · Admin", timeout=10)
    assert by_id(dash_duo, {"index": "rollups", "type": ids.ADMIN_JOBS_RUN}).is_enabled()

    click(dash_duo, busy)  # disabled: nothing happens; the runner's lock is the real guard
    console = write_key_server.extensions["legato.jobs.console"]
    assert console.start("experiment_exposures", requested_by="test") == "running"


# --------------------------------------------------------------------------- screenshots


def _traffic(now: datetime, chapters: list[tuple[int, int]], seed: int = 7) -> list[dict]:
    """An hour of plausible live traffic on the demo catalog: chapter opens, progress,
    likes, unlocks, tips and signups, busier towards now."""
    rng = random.Random(seed)
    events: list[dict] = []
    popular = chapters[:40]
    for minute in range(63):  # a little more than the chart's hour, so it starts full
        moment = now - timedelta(minutes=62 - minute)
        readers = 12 + minute // 3 + rng.randint(0, 8)
        for index in range(readers):
            story, chapter = popular[min(int(rng.expovariate(0.18)), len(popular) - 1)]
            reader = f"live-{rng.randint(1, 900)}"
            at = moment + timedelta(seconds=rng.randint(0, 59))
            base_id = f"m{minute}-{index}"
            events.append(
                {"message_id": f"{base_id}-s", "event": "chapter_start", "user_id": reader,
                 "story_id": story, "chapter_id": chapter, "timestamp": iso(at)}
            )  # fmt: skip
            if rng.random() < 0.6:
                events.append(
                    {"message_id": f"{base_id}-p", "event": "chapter_progress", "user_id": reader,
                     "story_id": story, "chapter_id": chapter, "timestamp": iso(at),
                     "progress_pct": rng.randint(20, 100), "read_seconds": 120}
                )  # fmt: skip
            if rng.random() < 0.05:
                events.append(
                    {"message_id": f"{base_id}-u", "event": "chapter_unlock", "user_id": reader,
                     "story_id": story, "chapter_id": chapter, "timestamp": iso(at),
                     "revenue_minor": 199, "currency": "USD"}
                )  # fmt: skip
        if rng.random() < 0.3:
            events.append(
                {"message_id": f"m{minute}-signup", "event": "signup",
                 "user_id": f"new-{minute}", "timestamp": iso(moment)}
            )  # fmt: skip
    return [event for event in events if event["timestamp"] <= iso(now)]


def top(dash_duo) -> None:
    """Scroll to the top at once (Bootstrap's smooth scrolling would still be moving when
    the screenshot is taken)."""
    dash_duo.driver.execute_script(
        "document.documentElement.style.scrollBehavior = 'auto'; window.scrollTo(0, 0);"
    )
    WebDriverWait(dash_duo.driver, 5).until(
        lambda driver: driver.execute_script("return window.scrollY;") == 0
    )


@only_when_refreshing
def test_screenshots_on_the_demo_platform(dash_duo, make_server) -> None:
    from data.demo import create_demo_accounts, generate_demo_platform

    app = make_server(INGEST_RATE_LIMIT="")
    with get_database(app).session() as session:
        generate_demo_platform(session, scale=0.1, days=90)
        accounts = create_demo_accounts(session)
        _, key = create_api_key(session, name="Reader apps", kind="write", source="apps")
        chapters = list(
            session.execute(
                select(Chapter.story_id, Chapter.id).where(Chapter.number <= 3).order_by(Chapter.id)
            ).all()
        )
        session.commit()
    admin_email, admin_password = next((e, p) for e, p, role, _ in accounts if role == "admin")
    base = start(dash_duo, app)
    send(base, key, _traffic(utcnow(), [tuple(row) for row in chapters]))
    set_page_area(dash_duo)
    sign_in(dash_duo, base, admin_email, admin_password, timeout=30)

    dash_duo.driver.get(f"{base}/admin/realtime")
    dash_duo.wait_for_element(f"#{ids.ADMIN_RT_CHART} .main-svg", timeout=30)
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_RT_AS_OF}", "Updated", timeout=15)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "admin-realtime.png"))

    dash_duo.driver.get(f"{base}/admin/jobs")
    button = by_id(dash_duo, {"index": "rollups", "type": ids.ADMIN_JOBS_RUN})
    click(dash_duo, button)
    state = {"index": "rollups", "type": ids.ADMIN_JOBS_STATE}
    WebDriverWait(dash_duo.driver, 60).until(lambda _d: "Succeeded" in by_id(dash_duo, state).text)
    click(dash_duo, by_id(dash_duo, {"index": "experiment_exposures", "type": ids.ADMIN_JOBS_RUN}))
    state = {"index": "experiment_exposures", "type": ids.ADMIN_JOBS_STATE}
    WebDriverWait(dash_duo.driver, 60).until(lambda _d: "Succeeded" in by_id(dash_duo, state).text)
    top(dash_duo)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "admin-jobs.png"))

    dash_duo.driver.get(f"{base}/admin/access")
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_ACCESS_KEYS}", "Reader apps", timeout=15)
    create_key(dash_duo, "iOS app", "ios")
    dash_duo.wait_for_contains_text(f"#{ids.ADMIN_ACCESS_AUDIT}", "iOS app", timeout=10)
    top(dash_duo)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "admin-access.png"))
