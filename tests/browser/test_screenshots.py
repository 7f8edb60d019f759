"""Refresh the writer-page screenshots in docs/screenshots (1440×900, headless Chromium) on
a demo platform with every background job run, as a writer account sees it. The
Recommendations and Alerts pages are shot by their own browser tests on fixtures with a
planted drop-off, hiatus and spike (the demo's recent days may hold no anomaly).

Skipped unless ``LEGATO_SCREENSHOTS=1``: it builds a demo platform and fits real Prophet
models (a few minutes), and it rewrites files under docs/. The admin console's screenshots
come from ``test_admin_console_browser.py``'s refresher::

    LEGATO_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py \
        tests/browser/test_admin_console_browser.py tests/browser/test_recommendations_browser.py \
        tests/browser/test_alerts_browser.py
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from app.database import get_database
from app.jobs.registry import JOBS
from components import ids
from data.models import StoryDaily
from tests.browser.helpers import run_job_ok, sign_in, start
from tests.browser.screens import SCREENSHOTS, only_when_refreshing, set_page_area

pytestmark = [pytest.mark.browser, only_when_refreshing]

#: No Dash request in flight and no loading spinner shown: the page has settled.
SETTLED = """
return !document.querySelector('[data-dash-is-loading="true"]')
    && !document.querySelector('._dash-loading-callback')
    && !document.querySelector('.spinner-border:not([style*="display: none"])');
"""


def _settle(dash_duo, seconds: float = 60) -> None:
    WebDriverWait(dash_duo.driver, seconds).until(lambda d: d.execute_script(SETTLED))
    time.sleep(1.0)  # plotly's transitions and fonts


def _shot(dash_duo, base: str, path: str, title_id: str, name: str) -> None:
    dash_duo.driver.get(f"{base}{path}")
    dash_duo.wait_for_element(f"#{title_id}", timeout=30)
    _settle(dash_duo)
    dash_duo.driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'});")
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def _scroll_shot(dash_duo, element_id: str, name: str) -> None:
    """A second screenshot of the page scrolled to ``element_id`` (below the fold)."""
    dash_duo.driver.execute_script(
        "const top = document.getElementById(arguments[0]).getBoundingClientRect().top;"
        "window.scrollTo({top: window.scrollY + top - 140, behavior: 'instant'});",
        element_id,
    )
    time.sleep(0.5)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_writer_page_screenshots(dash_duo, make_server) -> None:
    from data.demo import create_demo_accounts, generate_demo_platform

    app = make_server()
    database = get_database(app)
    with database.session() as session:
        generate_demo_platform(session, scale=0.5, days=180)
        accounts = create_demo_accounts(session)
        session.commit()
    for name in JOBS:  # every stored result the pages read
        run_job_ok(app, name)
    writer_email, writer_password, _, writer_id = next(a for a in accounts if a[2] == "writer")
    with database.session() as session:
        story_id = session.scalar(
            select(StoryDaily.story_id)
            .where(StoryDaily.writer_id == writer_id)
            .group_by(StoryDaily.story_id)
            .order_by(func.sum(StoryDaily.unique_readers).desc())
            .limit(1)
        )

    base = start(dash_duo, app)
    set_page_area(dash_duo)
    dash_duo.driver.get(f"{base}/login")
    time.sleep(0.5)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "login.png"))
    sign_in(dash_duo, base, writer_email, writer_password, timeout=30)

    _shot(dash_duo, base, "/", ids.OVERVIEW_TITLE, "overview")
    _shot(dash_duo, base, "/stories", ids.STORIES_TITLE, "stories")
    _shot(dash_duo, base, f"/stories/{story_id}", ids.STORY_TITLE, "story-detail")
    _shot(dash_duo, base, "/audience", ids.AUDIENCE_TITLE, "audience")
    _shot(dash_duo, base, "/revenue", ids.REVENUE_TITLE, "revenue")
    _scroll_shot(dash_duo, ids.REVENUE_FORECAST_NOTE, "revenue-forecast")
    _shot(dash_duo, base, "/growth", ids.GROWTH_TITLE, "growth")
    _shot(dash_duo, base, "/export", ids.EXPORT_TITLE, "export")
