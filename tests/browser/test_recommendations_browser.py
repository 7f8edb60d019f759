"""Browser test of the Recommendations page in headless Chromium: a writer signs in through
the real form, opens /recommendations from the navigation, sees the planted drop-off card
(tests/recommendation_fixtures.py, after a run of the job), dismisses it and it disappears;
"Show dismissed" brings it back with a Restore button.

``LEGATO_SCREENSHOTS=1`` also writes ``docs/screenshots/recommendations.png``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By

from app.dash_app import EXTENSION_KEY
from components import ids
from tests.browser.helpers import TIMEOUT, click, run_job_ok, signed_in, wait_until
from tests.browser.screens import save_page_screenshot
from tests.factories import ACCOUNTS, WRITER_PASSWORD
from tests.recommendation_fixtures import PLANTED_DROPOFF_CHAPTER, build_recommendation_platform

pytestmark = pytest.mark.browser


@pytest.fixture
def dash_app(make_server):
    """The platform of tests/recommendation_fixtures.py (a planted drop-off and hiatus)
    after a run of the recommendations job (overrides conftest's ``dash_app``)."""

    def seed(session) -> None:
        build_recommendation_platform(session, datetime.now(UTC).date())

    server = make_server(seed)
    run_job_ok(server, "recommendations")
    return server.extensions[EXTENSION_KEY]


def click_when_ready(dash_duo, by: str, selector: str) -> None:
    """Find the element and ``click`` it (scrolled into view, through the DOM: the
    sticky navigation bar or a message may cover it); retried while the list is being
    re-rendered (a stale element) or the element is not there yet."""

    def attempt() -> bool:
        try:
            click(dash_duo, dash_duo.driver.find_element(by, selector))
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return True

    wait_until(dash_duo, attempt, f"a clickable {selector}")


def card_titles(dash_duo) -> list[str]:
    """The cards' titles, read in one script (the list may re-render between two reads)."""
    return dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.reco-title')).map(e => e.textContent)"
    )


def test_writer_dismisses_a_recommendation(dash_duo, dash_app) -> None:
    signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD)
    dash_duo.driver.find_element(By.LINK_TEXT, "Recommendations").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.RECO_TITLE}", "Recommendations", timeout=TIMEOUT)
    headline = f"Readers drop off after chapter {PLANTED_DROPOFF_CHAPTER} of “The Glass Orchard”"
    wait_until(dash_duo, lambda: headline in card_titles(dash_duo), "the drop-off card")
    assert any("42-day break" in title for title in card_titles(dash_duo))
    dash_duo.wait_for_contains_text(f"#{ids.RECO_SUBTITLE}", "Ada Quill", timeout=TIMEOUT)
    save_page_screenshot(dash_duo, "recommendations")

    assert card_titles(dash_duo)[0] == headline  # ranked first
    click_when_ready(dash_duo, By.XPATH, "//*[@id='reco-card-1']//button[contains(., 'Dismiss')]")
    wait_until(dash_duo, lambda: headline not in card_titles(dash_duo), "the card to disappear")
    dash_duo.wait_for_contains_text(f"#{ids.RECO_MESSAGE}", "Dismissed", timeout=TIMEOUT)
    assert any("42-day break" in title for title in card_titles(dash_duo))

    # "Show dismissed" lists it again, with Restore.
    click_when_ready(dash_duo, By.CSS_SELECTOR, f"label[for='{ids.RECO_SHOW_DISMISSED}']")
    wait_until(dash_duo, lambda: headline in card_titles(dash_duo), "the dismissed card")
    assert len(dash_duo.driver.find_elements(By.XPATH, "//button[contains(., 'Restore')]")) == 1
    click_when_ready(dash_duo, By.XPATH, "//button[contains(., 'Restore')]")
    dash_duo.wait_for_contains_text(f"#{ids.RECO_MESSAGE}", "Restored", timeout=TIMEOUT)
    wait_until(
        dash_duo,
        lambda: not dash_duo.driver.find_elements(By.XPATH, "//button[contains(., 'Restore')]"),
        "the card to be active again",
    )
    assert headline in card_titles(dash_duo)
