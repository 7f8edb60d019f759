"""Benchmark: the server time of every writer page's initial callbacks at 10M events.

Usage::

    flock /tmp/legato-bench.lock .venv/bin/python bench/dashboard.py [--scale 10]
        [--repeat 5] [--writers 5] [--days 28] [--page audience ...]

Opens (builds first when missing, upgrades when older; see ``bench/queries.py``) the cached
demo platform ``bench/.cache/demo-<scale>.db`` and, for ``--writers`` writers (the
busiest, the median and the quietest), signs each in as a writer account and sends every
page's initial callbacks through the app's real callback route (``/_dash-update-component``
via ``Flask.full_dispatch_request``: the request guard, Dash's dispatch, the callback, the
queries and the JSON encoding of the figures). The page's initial callbacks are read from
the app itself: the callbacks that fire on page load (not ``prevent_initial_call``, not
clientside) whose inputs are all on the page or in the shell, with the inputs' initial
values from the layouts and the filter bar set to the last ``--days`` days of data (the
demo data ends months before today, so a custom range is used). Each callback is called
once to warm caches, then ``--repeat`` times; a page load's time is the sum of its
callbacks. Prints p50/p95 per callback and per page in milliseconds; the shell's own
callbacks (navigation, filter sync) are reported once, separately.

Target: each page's callbacks together under 300 ms p95 on this machine. CSRF checking is
switched off for the bench (it is a constant cost that needs a browser cookie); everything
else runs as in production.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from dash.development.base_component import Component
from flask import Flask
from flask_login import login_user
from sqlalchemy import func, select

from app import create_app, freeze_startup_objects
from app.auth.accounts import AccountUser
from app.dash_app import EXTENSION_KEY
from app.database import get_database
from bench.queries import cached_database, pick_writers, top_story, upgrade_cached_database
from components import ids
from components.pages import PAGES, PageSpec
from components.shell import layout as shell_layout
from data.models import Event, WriterDaily
from data.queries.filters import Period

ROUTE = "/_dash-update-component"
TARGET_MS = 300.0
TEMPLATE_VARIABLE = re.compile(r"<([a-z_]+)>")


@dataclass(frozen=True)
class PageCallback:
    """One initial callback of a page: its output key and the request body to send."""

    key: str
    label: str
    body: dict[str, Any]
    shell: bool


def components_by_id(tree: Any) -> dict[str, Component]:
    """Every component with a string id in a layout tree."""
    found: dict[str, Component] = {}

    def walk(node: Any) -> None:
        if isinstance(node, Component):
            component_id = getattr(node, "id", None)
            if isinstance(component_id, str):
                found[component_id] = node
            for name in getattr(node, "_prop_names", ()):
                walk(getattr(node, name, None))
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(tree)
    return found


def parse_outputs(output: str) -> list[dict[str, str]] | dict[str, str]:
    """Dash's output key (``"..a.children...b.figure.."`` or ``"a.children"``) as the
    request's ``outputs``."""
    if output.startswith(".."):
        parts = output[2:-2].split("...")
        return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]
    component_id, prop = output.rsplit(".", 1)
    return {"id": component_id, "property": prop}


def initial_callbacks(
    callback_list: list[dict[str, Any]], page: PageSpec, values: dict[str, Any]
) -> list[PageCallback]:
    """The callbacks the page fires on load (see the module docstring), with request
    bodies whose input values come from ``values`` (the filter bar, the URL) or else from
    the layouts' initial props."""
    kwargs = {name: values[name] for name in TEMPLATE_VARIABLE.findall(page.path_template or "")}
    shell = components_by_id(shell_layout())
    on_page = components_by_id(page.layout(**kwargs))
    present = {**shell, **on_page}
    found = []
    for spec in callback_list:
        if spec.get("prevent_initial_call") or spec.get("clientside_function"):
            continue
        if "@" in spec["output"]:
            continue  # duplicate outputs only follow user actions on these pages
        dependencies = [*spec["inputs"], *spec.get("state", [])]
        if not all(isinstance(d["id"], str) and d["id"] in present for d in dependencies):
            continue

        def value(dependency: dict[str, str]) -> Any:
            name = f"{dependency['id']}.{dependency['property']}"
            if name in values:
                return values[name]
            return getattr(present[dependency["id"]], dependency["property"], None)

        outputs = parse_outputs(spec["output"])
        output_ids = [o["id"] for o in (outputs if isinstance(outputs, list) else [outputs])]
        if not all(output_id in present for output_id in output_ids):
            continue  # another page's callback on the shared filter inputs
        body = {
            "output": spec["output"],
            "outputs": outputs,
            "inputs": [{**d, "value": value(d)} for d in spec["inputs"]],
            "state": [{**d, "value": value(d)} for d in spec.get("state", [])],
            "changedPropIds": [],
        }
        is_shell = all(i.startswith("shell-") for i in output_ids)
        found.append(PageCallback(spec["output"], output_ids[0], body, is_shell))
    return found


def timed_call(server: Flask, user: AccountUser, body: dict[str, Any]) -> float:
    """Seconds to serve one callback request as ``user``; raises on a failed request."""
    with server.test_request_context(ROUTE, method="POST", json=body):
        login_user(user)
        started = time.perf_counter()
        response = server.full_dispatch_request()
        elapsed = time.perf_counter() - started
    if response.status_code not in (200, 204):
        raise RuntimeError(f"{body['output']}: HTTP {response.status_code} {response.data[:300]!r}")
    return elapsed


def writer_account(writer_id: int) -> AccountUser:
    """A signed-in writer account snapshot for ``writer_id`` (not stored anywhere)."""
    return AccountUser(
        id=10_000 + writer_id,
        email=f"bench-writer-{writer_id}@legato.invalid",
        role="writer",
        writer_id=writer_id,
        display_name=f"Writer {writer_id}",
        active=True,
        password_changed_at=datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None),
    )


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000.0, q))


def writer_pages() -> Iterator[PageSpec]:
    """The writer pages (everything but the admin pages and the not-found page)."""
    for page in PAGES:
        if not page.admin_only and not page.module.endswith("not_found_404"):
            yield page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--writers", type=int, default=5)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--page", action="append", help="only these pages (module suffix)")
    args = parser.parse_args()
    path = cached_database(args.scale)
    upgrade_cached_database(path)
    instance = tempfile.mkdtemp(prefix="legato-bench-")
    server = create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": f"sqlite:///{path}",
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret",
            "LOG_LEVEL": "WARNING",
            "WTF_CSRF_ENABLED": False,
        }
    )
    freeze_startup_objects()  # as create_app does outside tests (APP_ENV=test here)
    dash_app = server.extensions[EXTENSION_KEY]
    with get_database(server).session() as session:
        events = session.scalar(select(func.count()).select_from(Event))
        end = session.scalar(select(func.max(WriterDaily.day)))
        end = end if isinstance(end, date) else date.fromisoformat(str(end))
        period = Period.last_days(args.days, end)
        writers = pick_writers(session, args.writers, period)
        stories = {writer: top_story(session, writer, period) for writer in writers}
    print(
        f"{path.name}: {events:,} events; period {period.start}..{period.end}; writers "
        f"{writers}; repeat {args.repeat}; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    pages = [
        page
        for page in writer_pages()
        if not args.page or any(page.module.endswith(name) for name in args.page)
    ]
    per_callback: dict[tuple[str, str], list[float]] = {}
    per_page: dict[str, list[float]] = {}
    shell_samples: dict[str, list[float]] = {}
    per_writer: dict[tuple[str, int], list[float]] = {}
    for writer in writers:
        user = writer_account(writer)
        for page in pages:
            variables = {"story_id": str(stories[writer])}
            page_path = TEMPLATE_VARIABLE.sub(
                lambda m, known=variables: known[m.group(1)], page.path_template or page.path
            )
            search = f"?range=custom&start={period.start}&end={period.end}&compare=previous"
            values = {
                **variables,
                f"{ids.URL}.pathname": page_path,
                f"{ids.URL}.search": search,
                f"{ids.WRITER_SELECT}.value": None,
                f"{ids.RANGE_PRESET}.value": "custom",
                f"{ids.RANGE_DATES}.start_date": period.start.isoformat(),
                f"{ids.RANGE_DATES}.end_date": period.end.isoformat(),
                f"{ids.COMPARE_SELECT}.value": "previous",
            }
            callbacks = initial_callbacks(dash_app._callback_list, page, values)
            for callback in callbacks:
                timed_call(server, user, callback.body)  # warm caches
            for _ in range(args.repeat):
                total = 0.0
                for callback in callbacks:
                    elapsed = timed_call(server, user, callback.body)
                    if callback.shell:
                        shell_samples.setdefault(callback.label, []).append(elapsed)
                        continue
                    per_callback.setdefault((page.title, callback.label), []).append(elapsed)
                    total += elapsed
                per_page.setdefault(page.title, []).append(total)
                per_writer.setdefault((page.title, writer), []).append(total)
    print(f"\n{'page':<10} {'callback (first output)':<34} {'p50 ms':>8} {'p95 ms':>8}")
    for (title, label), samples in per_callback.items():
        print(
            f"{title:<10} {label:<34} {percentile_ms(samples, 50):8.1f} "
            f"{percentile_ms(samples, 95):8.1f}"
        )
    print(f"\n{'page':<10} {'initial callbacks together':<34} {'p50 ms':>8} {'p95 ms':>8}  target")
    for title, samples in per_page.items():
        p95 = percentile_ms(samples, 95)
        flag = "ok" if p95 < TARGET_MS else "SLOW"
        print(f"{title:<10} {'':<34} {percentile_ms(samples, 50):8.1f} {p95:8.1f}  {flag}")
    print(f"\n{'page':<10} {'by writer (p50 / p95 ms)':<34}")
    for title in per_page:
        cells = [
            f"w{writer} {percentile_ms(samples, 50):.0f}/{percentile_ms(samples, 95):.0f}"
            for (page_title, writer), samples in per_writer.items()
            if page_title == title
        ]
        print(f"{title:<10} {'  '.join(cells)}")
    for label, samples in shell_samples.items():
        print(
            f"{'(shell)':<10} {label:<34} {percentile_ms(samples, 50):8.1f} "
            f"{percentile_ms(samples, 95):8.1f}  every page"
        )
    print(json.dumps({"target_ms": TARGET_MS, "writers": writers}), flush=True)


if __name__ == "__main__":
    main()
