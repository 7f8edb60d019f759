"""Acceptance, in headless Chromium: an admin creates an experiment (fixing a validation
error first), starts it (the header says days remaining are estimated after the first
day), traffic arrives through the real HTTP APIs (assignment + ingest), and after "Recompute
now" (the analysis job runs in the background and the page polls for the new snapshot) the
results page shows the lift and a sample-ratio-mismatch alert for skewed traffic.

Set ``LEGATO_SCREENSHOTS=1`` to refresh ``docs/screenshots/experiments-*.png``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from app.database import get_database
from components.ids import exp_feedback_id, exp_form_id
from data.experiments import fold_exposure_events
from tests.browser.helpers import api_request, click, confirm, fill, open_as_admin, start
from tests.browser.screens import SCREENSHOTS, refreshing

pytestmark = pytest.mark.browser


def shoot(dash_duo, name: str) -> None:
    """When refreshing the screenshots, save the window (1440×900) as
    ``docs/screenshots/experiments-<name>.png``; otherwise nothing."""
    if refreshing():
        dash_duo.driver.set_window_size(1440, 900)
        dash_duo.driver.save_screenshot(str(SCREENSHOTS / f"experiments-{name}.png"))


def click_on(dash_duo, selector: str) -> None:
    """``click`` the element of ``selector`` once it is there (at most 10 seconds)."""
    click(dash_duo, dash_duo.wait_for_element(selector, timeout=10))


def test_create_start_traffic_and_results(dash_duo, write_key_server) -> None:
    base = start(dash_duo, write_key_server)
    key = write_key_server.config["TEST_WRITE_KEY"]
    open_as_admin(dash_duo, base, "/admin/experiments")
    dash_duo.wait_for_contains_text("#admin-exp-list", "No experiments yet", timeout=15)

    # An invalid form shows field messages and creates nothing.
    fill(dash_duo, exp_form_id("new", "key"), "cover-test")
    fill(dash_duo, exp_form_id("new", "name"), "Brighter cover")
    fill(dash_duo, exp_form_id("new", "hypothesis"), "A brighter cover raises unlocks.")
    fill(dash_duo, exp_form_id("new", "variant-weight-1"), "60")
    click_on(dash_duo, f"#{exp_form_id('new', 'submit')}")
    dash_duo.wait_for_contains_text(
        f"#{exp_feedback_id('new', 'weights')}", "sum to 100%", timeout=10
    )
    shoot(dash_duo, "form")
    assert "No experiments yet" in dash_duo.find_element("#admin-exp-list").text

    fill(dash_duo, exp_form_id("new", "variant-weight-1"), "50")
    click_on(dash_duo, f"#{exp_form_id('new', 'submit')}")
    dash_duo.wait_for_contains_text("#admin-exp-header", "Brighter cover", timeout=15)
    # (the shared filters' query string follows the path: ?range=28d&compare=previous)
    assert urlsplit(dash_duo.driver.current_url).path == "/admin/experiments/cover-test"

    # The first visit analysed the (small, empty) experiment on demand and stored it.
    dash_duo.wait_for_contains_text("#admin-exp-freshness", "Computed", timeout=15)
    click_on(dash_duo, "#admin-exp-start:not([disabled])")
    confirm(dash_duo)
    dash_duo.wait_for_contains_text("#admin-exp-action-message", "running", timeout=10)
    dash_duo.wait_for_contains_text("#admin-exp-facts", "estimate after the first day", timeout=10)
    assert "started just now" in dash_duo.find_element("#admin-exp-facts").text

    # Traffic: 300 readers through the assignment API, then conversions through ingest.
    assigned: dict[str, str] = {}
    for index in range(300):
        answer = api_request(
            f"{base}/api/v1/experiments/cover-test/assignment?user_id=r{index}", key
        )
        assert answer["in_experiment"] is True
        assigned[f"r{index}"] = answer["variant"]
    events = []
    for index, (unit, variant) in enumerate(sorted(assigned.items())):
        converts = index % 2 == 0 if variant == "treatment" else index % 10 == 0
        if converts:
            events.append(
                {
                    "message_id": f"unlock-{unit}",
                    "event": "chapter_unlock",
                    "user_id": unit,
                    "story_id": 10,
                    "chapter_id": 101,
                    "revenue_minor": 199,
                    "currency": "USD",
                }
            )
    # Skew: a client sends its own exposures, all to treatment, for 150 more readers.
    events += [
        {
            "message_id": f"exp-extra-{i}",
            "event": "experiment_exposure",
            "user_id": f"extra-{i}",
            "properties": {"experiment": "cover-test", "variant": "treatment"},
        }
        for i in range(150)
    ]
    # The extra treatment readers convert like the assigned ones, so the lift stays large
    # (treatment ~50% vs control ~10%) whatever the experiment's random salt does.
    events += [
        {
            "message_id": f"unlock-extra-{i}",
            "event": "chapter_unlock",
            "user_id": f"extra-{i}",
            "story_id": 10,
            "chapter_id": 101,
            "revenue_minor": 199,
            "currency": "USD",
        }
        for i in range(0, 150, 2)
    ]
    result = api_request(f"{base}/api/v1/events/track-batch", key, {"batch": events})
    assert result["accepted"] == len(events), result
    with get_database(write_key_server).session() as session:  # the experiment_exposures job
        assert fold_exposure_events(session) == 150
        session.commit()

    # The page shows the stored snapshot (taken before the traffic) until it is recomputed.
    dash_duo.driver.get(f"{base}/admin/experiments/cover-test")
    dash_duo.wait_for_contains_text("#admin-exp-srm", "No exposures yet", timeout=15)
    click_on(dash_duo, "#admin-exp-recompute:not([disabled])")
    dash_duo.wait_for_contains_text("#admin-exp-srm-alert", "Sample ratio mismatch", timeout=30)
    dash_duo.wait_for_contains_text("#admin-exp-freshness", "Computed just now", timeout=10)
    table = dash_duo.wait_for_element("#admin-exp-metrics table", timeout=15)
    text = table.text
    assert "Unlock conversion" in text
    assert "Better" in text  # treatment converts far more often
    lift_cells = [
        c.text for c in table.find_elements(By.CSS_SELECTOR, "td") if c.text.startswith("+")
    ]
    assert lift_cells, text
    dash_duo.wait_for_element("#admin-exp-forest .main-svg", timeout=10)
    shoot(dash_duo, "results")

    dash_duo.driver.get(f"{base}/admin/experiments")
    dash_duo.wait_for_contains_text("#admin-exp-list", "SRM alert", timeout=15)
    assert "Running" in dash_duo.find_element("#admin-exp-list").text
    shoot(dash_duo, "list")
