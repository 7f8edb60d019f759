"""Every Dash component id, in one place.

Ids of admin-only components start with ``ADMIN_ID_PREFIX``: the request guard refuses any
callback that reads or writes such a component unless the account is an admin.
"""

ADMIN_ID_PREFIX = "admin-"

# Shell (navigation and shared filters, present on every page)
URL = "shell-url"
NAV = "shell-nav"
USER_MENU = "shell-user-menu"
WRITER_SELECT = "shell-writer-select"
WRITER_SELECT_WRAPPER = "shell-writer-select-wrapper"
FILTER_BAR = "shell-filter-bar"
RANGE_PRESET = "shell-range-preset"
RANGE_DATES = "shell-range-dates"
RANGE_DATES_WRAPPER = "shell-range-dates-wrapper"
RANGE_LABEL = "shell-range-label"

# Overview page
OVERVIEW_TITLE = "overview-title"
OVERVIEW_SUBTITLE = "overview-subtitle"
OVERVIEW_STATUS = "overview-status"
OVERVIEW_KPIS = "overview-kpis"
OVERVIEW_METRIC = "overview-metric"
OVERVIEW_CHART = "overview-daily-chart"

# Admin: platform page
ADMIN_PLATFORM_STATUS = "admin-platform-status"
ADMIN_PLATFORM_KPIS = "admin-platform-kpis"
ADMIN_PLATFORM_WRITERS = "admin-platform-writers"


def kpi_value_id(key: str) -> str:
    """Id of the value text of the KPI card ``key`` (stable for tests)."""
    return f"kpi-{key}-value"
