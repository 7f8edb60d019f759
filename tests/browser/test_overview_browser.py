"""Browser tests in headless Chromium (dash[testing]'s dash_duo): sign in through the real
form and read the Overview's KPIs; admin-only pages stay closed to writers."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from components.ids import RANGE_PRESET, kpi_value_id
from tests.browser.helpers import sign_in, start
from tests.factories import ACCOUNTS, ADMIN_PASSWORD, WRITER_PASSWORD

pytestmark = pytest.mark.browser


def test_writer_signs_in_and_reads_kpis(dash_duo, dash_app) -> None:
    base = start(dash_duo, dash_app)
    dash_duo.driver.get(base)
    assert "/login" in dash_duo.driver.current_url  # anonymous visitors are sent to sign in
    sign_in(dash_duo, base, ACCOUNTS.writer_email, WRITER_PASSWORD)  # lands on the Overview
    # Last 7 days: known answers from tests/factories.py.
    dash_duo.driver.find_element(By.ID, RANGE_PRESET).send_keys("Last 7 days")
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id('views')}", "5", timeout=15)
    dash_duo.wait_for_text_to_equal(f"#{kpi_value_id('revenue')}", "$16.98", timeout=15)
    nav = dash_duo.find_element("#shell-nav").text
    assert "Overview" in nav
    assert "Admin" not in nav
    assert "Platform" not in nav
    assert dash_duo.get_logs() == [] or all(
        "favicon" in entry["message"] for entry in dash_duo.get_logs()
    )


def test_writer_is_refused_admin_page_in_browser(dash_duo, dash_app) -> None:
    base = start(dash_duo, dash_app)
    sign_in(dash_duo, base, ACCOUNTS.writer_email, WRITER_PASSWORD)  # lands on the Overview
    dash_duo.driver.get(f"{base}/admin/platform")
    dash_duo.wait_for_contains_text("#error-message", "administrators only", timeout=10)


def test_admin_sees_platform_page(dash_duo, dash_app) -> None:
    base = start(dash_duo, dash_app)
    sign_in(dash_duo, base, ACCOUNTS.admin_email, ADMIN_PASSWORD)
    # Admin pages sit under one "Admin" menu; its Platform entry opens the page in place.
    dash_duo.wait_for_contains_text("#shell-nav", "Admin", timeout=10)
    dash_duo.find_element("#shell-admin-menu .dropdown-toggle").click()
    dash_duo.wait_for_element("#shell-admin-menu .dropdown-menu.show", timeout=5)
    dash_duo.driver.find_element(By.PARTIAL_LINK_TEXT, "Platform").click()
    dash_duo.wait_for_contains_text("#admin-platform-writers", "Bram Stoker-Lite", timeout=15)
