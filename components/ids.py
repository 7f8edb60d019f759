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


# Admin: experiments (list + create form, and the results/detail page)
ADMIN_EXP_LIST = "admin-exp-list"
ADMIN_EXP_LIST_STATUS = "admin-exp-list-status"
ADMIN_EXP_SHOW_ARCHIVED = "admin-exp-show-archived"
ADMIN_EXP_NEW_REDIRECT = "admin-exp-new-redirect"
ADMIN_EXP_KEY = "admin-exp-key"
ADMIN_EXP_VERSION = "admin-exp-version"
ADMIN_EXP_HEADER = "admin-exp-header"
ADMIN_EXP_STATUS = "admin-exp-status"
ADMIN_EXP_START = "admin-exp-start"
ADMIN_EXP_STOP = "admin-exp-stop"
ADMIN_EXP_ARCHIVE = "admin-exp-archive"
ADMIN_EXP_CONFIRM = "admin-exp-confirm"
ADMIN_EXP_PENDING = "admin-exp-pending-action"
ADMIN_EXP_ACTION_MESSAGE = "admin-exp-action-message"
ADMIN_EXP_SRM = "admin-exp-srm"
ADMIN_EXP_POWER = "admin-exp-power"
ADMIN_EXP_ARMS = "admin-exp-arms"
ADMIN_EXP_METRICS = "admin-exp-metrics"
ADMIN_EXP_FOREST = "admin-exp-forest"
ADMIN_EXP_CUMULATIVE = "admin-exp-cumulative"
ADMIN_EXP_CUMULATIVE_METRIC = "admin-exp-cumulative-metric"
EXP_FORM_FIELDS = (
    "key",
    "name",
    "hypothesis",
    "goal",
    "guardrail",
    "engine",
    "sequential",
    "traffic",
    "window",
)
EXP_FORM_VARIANT_ROWS = 4


def exp_form_id(form: str, field: str) -> str:
    """Id of ``field`` of the experiment form ``form`` (``new`` or ``edit``)."""
    return f"admin-exp-{form}-{field}"


def exp_feedback_id(form: str, field: str) -> str:
    """Id of the validation message under ``field`` of the experiment form ``form``."""
    return f"admin-exp-{form}-{field}-feedback"
