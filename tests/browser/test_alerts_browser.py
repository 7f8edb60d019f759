"""The Alerts page in headless Chromium: a writer signs in through the real form, opens
/alerts, sees their alert (numbers, source, link to the story) and not another writer's, and
marks it read. Alerts are stored directly on tests/factories.py's small platform."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.dash_app import EXTENSION_KEY
from components import ids
from tests.alerts_fixtures import add_alert
from tests.browser.helpers import TIMEOUT, click, signed_in
from tests.browser.screens import save_page_screenshot
from tests.factories import ACCOUNTS, WRITER_PASSWORD, build_small_platform

pytestmark = pytest.mark.browser
DAY = date(2026, 3, 4)


@pytest.fixture
def dash_app(make_server):
    """The small platform with one alert of writer 1's (its id in ``TEST_ALERT_ID``) and
    one of writer 2's, which writer 1 must not see (overrides conftest's ``dash_app``)."""

    def seed(session):
        build_small_platform(session, datetime.now(UTC).date())
        mine = add_alert(session, day=DAY)
        add_alert(
            session,
            writer_id=2,
            day=DAY,
            source_kind="story",
            source_label="Night Ledger",
            story_id=20,
            summary="Story 'Night Ledger' accounts for 82% of the extra readers.",
        )
        return {"TEST_ALERT_ID": mine.id}

    return make_server(seed).extensions[EXTENSION_KEY]


def test_a_writer_opens_alerts_and_marks_one_read(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD)
    dash_duo.wait_for_contains_text(f"#{ids.NAV}", "Alerts", timeout=TIMEOUT)
    # The navigation counts the unread alert...
    dash_duo.wait_for_text_to_equal(f"#{ids.NAV} .shell-nav-badge", "1", timeout=TIMEOUT)

    dash_duo.driver.get(f"{base}/alerts")
    dash_duo.wait_for_text_to_equal(f"#{ids.ALERTS_TITLE}", "Alerts", timeout=TIMEOUT)
    dash_duo.wait_for_text_to_equal(
        f"#{ids.ALERTS_SUBTITLE}", "Ada Quill · 1 unread of 1 alert", timeout=TIMEOUT
    )
    alert_id = dash_app.server.config["TEST_ALERT_ID"]
    item = f"#{ids.alert_item_id(alert_id)}"
    dash_duo.wait_for_contains_text(item, "Readers spiked on Wednesday, Mar 4, 2026", TIMEOUT)
    text = dash_duo.find_element(item).text
    assert "140 (+133.3%) vs about 60 expected" in text
    assert "The Glass Orchard accounts for 82% of the extra readers" in text
    assert "New" in text
    assert "Night Ledger" not in dash_duo.find_element(f"#{ids.ALERTS_LIST}").text
    link = dash_duo.driver.find_element(By.CSS_SELECTOR, f"{item} a.alert-story-link")
    assert link.get_attribute("href").endswith("/stories/10")
    assert "alert-unread" in dash_duo.find_element(item).get_attribute("class")
    save_page_screenshot(dash_duo, "alerts")

    button = dash_duo.driver.find_element(
        By.XPATH, f"//*[@id='{ids.alert_item_id(alert_id)}']//button"
    )
    assert button.text == "Mark as read"
    click(dash_duo, button)
    dash_duo.wait_for_contains_text(f"#{ids.ALERTS_MESSAGE}", "Marked as read.", TIMEOUT)
    dash_duo.wait_for_text_to_equal(
        f"#{ids.ALERTS_SUBTITLE}", "Ada Quill · 0 unread of 1 alert", timeout=TIMEOUT
    )
    dash_duo.wait_for_element(f"{item}:not(.alert-unread)", timeout=TIMEOUT)
    # ...and drops the badge as soon as it is read, without a navigation.
    WebDriverWait(dash_duo.driver, TIMEOUT).until(
        lambda driver: not driver.find_elements(By.CSS_SELECTOR, f"#{ids.NAV} .shell-nav-badge")
    )
    assert "Mark as read" not in dash_duo.find_element(item).text
    assert dash_duo.find_element(f"#{ids.ALERTS_MARK_ALL}").get_attribute("disabled")
    # Still read after a reload: the mark is stored, not just shown.
    dash_duo.driver.refresh()
    dash_duo.wait_for_text_to_equal(
        f"#{ids.ALERTS_SUBTITLE}", "Ada Quill · 0 unread of 1 alert", timeout=TIMEOUT
    )
