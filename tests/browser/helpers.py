"""Plain helpers the browser tests share (the fixtures are in ``tests/browser/conftest.py``).

- ``start``: serve an app with ``dash_duo`` and return its base URL;
- ``sign_in`` / ``signed_in`` / ``open_as_admin``: through the real sign-in form
  (``app/templates/login.html``);
- ``click``, ``fill``, ``select_value``, ``by_id``, ``wait_until``, ``confirm``: small Selenium
  steps that tolerate the sticky navigation bar and Dash's re-rendering;
- ``api_request``: one authorised call to the HTTP API (ingest, experiment assignment);
- ``run_job_ok``: run a background job on a test app and insist that it succeeded.

``dash_duo`` is dash[testing]'s ``DashComposite``; every wait raises selenium's
``TimeoutException`` (failing the test) when its condition is not met in time.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from app.dash_app import EXTENSION_KEY
from app.database import get_database
from app.jobs.runner import run_job
from components import ids
from tests.factories import ACCOUNTS, ADMIN_PASSWORD

if TYPE_CHECKING:
    from dash import Dash
    from dash.testing.composite import DashComposite
    from selenium.webdriver.remote.webelement import WebElement

#: Default seconds a browser step may take (page loads and callbacks on a shared machine).
TIMEOUT = 20
#: The fields of the sign-in form (``app/templates/login.html``, a Flask page, not Dash).
LOGIN_EMAIL = "email"
LOGIN_PASSWORD = "password"
LOGIN_SUBMIT = "login-submit"

T = TypeVar("T")


def start(dash_duo: DashComposite, app: Dash | Flask) -> str:
    """Serve ``app`` (the Dash app, or the Flask server that carries it) without dash_duo's
    wait for the Dash entry point (anonymous visitors get the sign-in page instead) and
    return the base URL, without a trailing slash."""
    dash = app.extensions[EXTENSION_KEY] if isinstance(app, Flask) else app
    dash_duo.start_server(dash, navigate=False)
    return dash_duo.server.url.rstrip("/")


def sign_in(
    dash_duo: DashComposite, base: str, email: str, password: str, *, timeout: float = TIMEOUT
) -> None:
    """Sign in through the real form at ``{base}/login`` and wait until the Overview (where
    signing in lands) shows its title; fails when it does not within ``timeout`` seconds."""
    dash_duo.driver.get(f"{base}/login")
    dash_duo.wait_for_element(f"#{LOGIN_EMAIL}").send_keys(email)
    dash_duo.find_element(f"#{LOGIN_PASSWORD}").send_keys(password)
    dash_duo.find_element(f"#{LOGIN_SUBMIT}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.OVERVIEW_TITLE}", "Overview", timeout=timeout)


def signed_in(
    dash_duo: DashComposite,
    app: Dash | Flask,
    email: str,
    password: str,
    *,
    timeout: float = TIMEOUT,
) -> str:
    """``start`` the app, ``sign_in`` as ``email`` and return the base URL."""
    base = start(dash_duo, app)
    sign_in(dash_duo, base, email, password, timeout=timeout)
    return base


def open_as_admin(dash_duo: DashComposite, base: str, path: str) -> None:
    """Sign in as the small platform's admin (``tests/factories.py``), then load ``path``
    (e.g. ``"/admin/jobs"``); the caller waits for what the page should show."""
    sign_in(dash_duo, base, ACCOUNTS.admin_email, ADMIN_PASSWORD)
    dash_duo.driver.get(f"{base}{path}")


def wait_until(
    dash_duo: DashComposite, condition: Callable[[], T], message: str, timeout: float = TIMEOUT
) -> T:
    """Poll ``condition()`` until it returns something truthy and return that; after
    ``timeout`` seconds fail with ``message`` (say what was awaited)."""
    return WebDriverWait(dash_duo.driver, timeout).until(lambda _driver: condition(), message)


def click(dash_duo: DashComposite, element: WebElement) -> None:
    """Scroll ``element`` to the middle of the window and click it through the DOM, so the
    click lands even where the sticky navigation bar or a message covers the element."""
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element
    )


def fill(dash_duo: DashComposite, element_id: str, text: str) -> None:
    """Replace the text of the input ``element_id`` with ``text`` (scrolled into view
    first, as typing needs the field in the window)."""
    element = dash_duo.find_element(f"#{element_id}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.clear()
    element.send_keys(text)


def select_value(dash_duo: DashComposite, select_id: str, value: str) -> None:
    """Choose the option whose value is ``value`` in the native ``<select>`` ``select_id``
    (the period preset, the comparison...)."""
    Select(dash_duo.driver.find_element(By.ID, select_id)).select_by_value(value)


def by_id(
    dash_duo: DashComposite, component_id: dict[str, Any] | str, timeout: float = TIMEOUT
) -> WebElement:
    """The element of a component id, waiting up to ``timeout`` seconds for it to exist.
    A pattern-matching id (a dict) is looked up as the DOM id Dash renders for it (its
    JSON with sorted keys), which CSS selectors cannot express."""
    raw = (
        json.dumps(component_id, sort_keys=True, separators=(",", ":"))
        if isinstance(component_id, dict)
        else component_id
    )
    return WebDriverWait(dash_duo.driver, timeout).until(
        lambda driver: driver.execute_script("return document.getElementById(arguments[0]);", raw)
    )


def confirm(dash_duo: DashComposite, timeout: float = 10) -> None:
    """Wait for the browser's confirmation dialog (``dcc.ConfirmDialog``) and accept it."""
    WebDriverWait(dash_duo.driver, timeout).until(expected_conditions.alert_is_present())
    dash_duo.driver.switch_to.alert.accept()


def api_request(url: str, key: str, body: dict[str, Any] | None = None, timeout: float = 30) -> Any:
    """Call the HTTP API at ``url`` with the API key ``key`` (``Authorization: Bearer``):
    a POST of ``body`` as JSON, or a GET when ``body`` is ``None``. Returns the decoded JSON
    answer; an error status raises ``urllib.error.HTTPError``."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def run_job_ok(server: Flask, job_name: str) -> None:
    """Run the background job ``job_name`` (a name in ``app.jobs.registry.JOBS``) once on
    ``server``'s database, as the runner would, and fail unless it succeeded."""
    result = run_job(get_database(server).sessions, job_name)
    assert result.status == "succeeded", f"{job_name}: {result.error}"
