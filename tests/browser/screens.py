"""Screenshots for docs/screenshots, taken by browser tests when ``LEGATO_SCREENSHOTS=1``
(the tests then refresh the README's images of the state they set up)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def refreshing() -> bool:
    """Whether this run refreshes the screenshots."""
    return os.environ.get("LEGATO_SCREENSHOTS") == "1"


#: Marks a test that only refreshes screenshots: skipped unless ``LEGATO_SCREENSHOTS=1``.
only_when_refreshing = pytest.mark.skipif(
    not refreshing(), reason="set LEGATO_SCREENSHOTS=1 to refresh"
)


def set_page_area(dash_duo) -> None:
    """Make the page area itself 1440×900 CSS pixels at scale 1 (a window of that size is
    smaller inside), the size of every screenshot in docs/screenshots."""
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )


def save_page_screenshot(dash_duo, name: str) -> None:
    """When refreshing, save the page as ``docs/screenshots/<name>.png``: a 1440×900 page
    area, scrolled to the top. Otherwise nothing."""
    if not refreshing():
        return
    driver = dash_duo.driver
    set_page_area(dash_duo)
    driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'});")
    time.sleep(1.0)  # layout after the resize, plotly's transitions
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
