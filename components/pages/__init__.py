"""Page layouts and the page list.

Layouts are functions callable with no arguments (query-string values arrive as keyword
arguments) and do no I/O. ``PAGES`` is the single list of pages: ``app.dash_app``
registers each with Dash's router and ``callbacks.shell`` builds the navigation from it,
so a page appears in the navigation exactly when it exists. Paths under ``/admin`` are
admin-only (enforced by the request guard).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dash.development.base_component import Component

from components.pages import (
    admin_access,
    admin_experiment,
    admin_experiments,
    admin_jobs,
    admin_platform,
    admin_realtime,
    alerts,
    audience,
    export,
    growth,
    not_found,
    overview,
    recommendations,
    revenue,
    stories,
    story,
)


@dataclass(frozen=True)
class PageSpec:
    """One page: its router module name, path, title, navigation icon and layout."""

    module: str
    path: str
    title: str
    icon: str
    layout: Callable[..., Component]
    in_nav: bool = True
    #: Dash ``path_template`` (e.g. ``/admin/experiments/<key>``): variables reach the layout
    #: as keyword arguments. ``path`` must then share the template's fixed prefix.
    path_template: str | None = None
    #: Whether the page reads the shared period and comparison controls (the filter bar
    #: hides them on pages that would ignore them).
    uses_period: bool = True

    @property
    def admin_only(self) -> bool:
        return self.path.startswith("/admin")

    @property
    def uses_writer(self) -> bool:
        """Whether the page shows one writer's data (admins then get the writer picker)."""
        return not self.admin_only

    def matches(self, path: str) -> bool:
        """Whether ``path`` opens this page (its path, or its ``path_template`` filled in)."""
        if path == self.path:
            return True
        if self.path_template is None:
            return False
        pattern = re.sub(r"<[^>]+>", "[^/]+", re.escape(self.path_template))
        return re.fullmatch(pattern, path) is not None


PAGES: tuple[PageSpec, ...] = (
    PageSpec("legato.overview", "/", "Overview", "bi-speedometer2", overview.layout),
    PageSpec("legato.stories", "/stories", "Stories", "bi-journal-text", stories.layout),
    PageSpec(
        "legato.story",
        "/stories/story",
        "Story",
        "bi-journal-text",
        story.layout,
        in_nav=False,
        path_template="/stories/<story_id>",
    ),
    PageSpec("legato.audience", "/audience", "Audience", "bi-people", audience.layout),
    PageSpec("legato.revenue", "/revenue", "Revenue", "bi-cash-coin", revenue.layout),
    PageSpec("legato.growth", "/growth", "Growth", "bi-graph-up-arrow", growth.layout),
    PageSpec(
        "legato.recommendations",
        "/recommendations",
        "Recommendations",
        "bi-lightbulb",
        recommendations.layout,
        uses_period=False,
    ),
    PageSpec("legato.alerts", "/alerts", "Alerts", "bi-bell", alerts.layout, uses_period=False),
    PageSpec("legato.export", "/export", "Export", "bi-download", export.layout),
    PageSpec(
        "legato.admin.platform", "/admin/platform", "Platform", "bi-globe2", admin_platform.layout
    ),
    PageSpec(
        "legato.admin.realtime",
        "/admin/realtime",
        "Real-time",
        "bi-activity",
        admin_realtime.layout,
        uses_period=False,
    ),
    PageSpec(
        "legato.admin.experiments",
        "/admin/experiments",
        "Experiments",
        "bi-clipboard-data",
        admin_experiments.layout,
        uses_period=False,
    ),
    PageSpec(
        "legato.admin.experiment",
        "/admin/experiments/experiment",
        "Experiment",
        "bi-clipboard-data",
        admin_experiment.layout,
        in_nav=False,
        path_template="/admin/experiments/<key>",
        uses_period=False,
    ),
    PageSpec(
        "legato.admin.access",
        "/admin/access",
        "Keys & users",
        "bi-key",
        admin_access.layout,
        uses_period=False,
    ),
    PageSpec(
        "legato.admin.jobs",
        "/admin/jobs",
        "Jobs",
        "bi-gear-wide-connected",
        admin_jobs.layout,
        uses_period=False,
    ),
    # Dash's router shows the page whose module ends in "not_found_404" for unknown paths.
    PageSpec(
        "legato.not_found_404",
        "/not-found",
        "Not found",
        "bi-signpost",
        not_found.layout,
        in_nav=False,
        uses_period=False,
    ),
)


def page_for_path(path: str) -> PageSpec | None:
    """The page that ``path`` opens (``None``: Dash shows the not-found page)."""
    return next((page for page in PAGES if page.matches(path)), None)
