"""Every Dash component id, in one place.

Ids of admin-only components start with ``ADMIN_ID_PREFIX``: the request guard refuses any
callback that reads or writes such a component unless the account is an admin.
"""

ADMIN_ID_PREFIX = "admin-"

# Shell (navigation and shared filters, present on every page)
URL = "shell-url"
NAV = "shell-nav"
NAV_TOGGLER = "shell-nav-toggler"
NAV_COLLAPSE = "shell-nav-collapse"
USER_MENU = "shell-user-menu"
WRITER_SELECT = "shell-writer-select"
WRITER_SELECT_WRAPPER = "shell-writer-select-wrapper"
FILTER_BAR = "shell-filter-bar"
RANGE_PRESET = "shell-range-preset"
RANGE_DATES = "shell-range-dates"
# Not "shell-range-dates-wrapper": Dash 4's date picker gives its own inner element that DOM id.
RANGE_DATES_WRAPPER = "shell-range-dates-box"
RANGE_LABEL = "shell-range-label"
COMPARE_SELECT = "shell-compare"
#: The period, custom-range, comparison and period-label controls (hidden on pages that
#: ignore the period).
PERIOD_CONTROLS = "shell-period-controls"
#: The "Admin" menu of the navigation (admin pages).
ADMIN_MENU = "shell-admin-menu"
#: Bumped by page callbacks that change what the navigation counts (alerts marked read).
NAV_REFRESH = "shell-nav-refresh"
#: The filter bar's canonical URL query string (``callbacks.shell`` keeps the address bar on it).
FILTER_QUERY = "shell-filter-query"

# Overview page
OVERVIEW_TITLE = "overview-title"
OVERVIEW_SUBTITLE = "overview-subtitle"
OVERVIEW_STATUS = "overview-status"
OVERVIEW_KPIS = "overview-kpis"
OVERVIEW_METRIC = "overview-metric"
OVERVIEW_CHART = "overview-daily-chart"

# Stories page (the writer's stories table)
STORIES_TITLE = "stories-title"
STORIES_SUBTITLE = "stories-subtitle"
STORIES_STATUS = "stories-status"
STORIES_SEARCH = "stories-search"
STORIES_GRID = "stories-grid"
STORIES_NAVIGATE = "stories-navigate"

# Story detail page (/stories/<story_id>)
STORY_ID = "story-id"
STORY_TITLE = "story-title"
STORY_SUBTITLE = "story-subtitle"
STORY_STATUS = "story-status"
STORY_CONTENT = "story-content"
STORY_KPIS = "story-kpis"
STORY_RETENTION_CHART = "story-retention-chart"
STORY_DROPOFF_NOTE = "story-dropoff-note"
STORY_HOOK_CHART = "story-hook-chart"
STORY_PAYWALL_CHART = "story-paywall-chart"
STORY_REVENUE_CHART = "story-revenue-chart"
STORY_COMPARISON = "story-comparison"

# Audience page
AUDIENCE_TITLE = "audience-title"
AUDIENCE_SUBTITLE = "audience-subtitle"
AUDIENCE_STATUS = "audience-status"
AUDIENCE_KPIS = "audience-kpis"
AUDIENCE_SEGMENTS_CHART = "audience-segments-chart"
AUDIENCE_NEW_RETURNING_CHART = "audience-new-returning-chart"
AUDIENCE_DEVICES_CHART = "audience-devices-chart"
AUDIENCE_MAP = "audience-country-map"
AUDIENCE_COUNTRIES_CHART = "audience-countries-chart"
AUDIENCE_AGE_CHART = "audience-age-chart"
AUDIENCE_SOURCES_CHART = "audience-sources-chart"
AUDIENCE_COHORT_MODE = "audience-cohort-mode"
AUDIENCE_COHORT_STORY = "audience-cohort-story"
AUDIENCE_COHORT_STORY_WRAPPER = "audience-cohort-story-wrapper"
AUDIENCE_COHORT_CHART = "audience-cohort-chart"
AUDIENCE_COHORT_NOTE = "audience-cohort-note"

# Revenue page
REVENUE_TITLE = "revenue-title"
REVENUE_SUBTITLE = "revenue-subtitle"
REVENUE_STATUS = "revenue-status"
REVENUE_KPIS = "revenue-kpis"
REVENUE_SOURCES_CHART = "revenue-sources-chart"
REVENUE_MIX_CHART = "revenue-mix-chart"
REVENUE_STORIES_CHART = "revenue-stories-chart"
REVENUE_FORECAST_NOTE = "revenue-forecast-note"
REVENUE_FORECAST_WRAPPER = "revenue-forecast-wrapper"
REVENUE_FORECAST_CHART = "revenue-forecast-chart"

# Growth page
GROWTH_TITLE = "growth-title"
GROWTH_SUBTITLE = "growth-subtitle"
GROWTH_STATUS = "growth-status"
GROWTH_CARDS = "growth-cards"
GROWTH_CHANGE_CHART = "growth-change-chart"
GROWTH_METRIC = "growth-metric"
GROWTH_GRANULARITY = "growth-granularity"
GROWTH_TREND_CHART = "growth-trend-chart"

# Export page
EXPORT_TITLE = "export-title"
EXPORT_SUBTITLE = "export-subtitle"
EXPORT_STATUS = "export-status"
EXPORT_FORMAT = "export-format"
EXPORT_TABLE = "export-table"
EXPORT_TABLE_WRAPPER = "export-table-wrapper"
EXPORT_SUMMARY = "export-summary"
EXPORT_BUTTON = "export-button"
EXPORT_CANCEL = "export-cancel"
#: The signed export request the button's callback hands to the background export job.
EXPORT_TICKET = "export-ticket"
EXPORT_PROGRESS = "export-progress"
EXPORT_PROGRESS_WRAPPER = "export-progress-wrapper"
EXPORT_RESULT = "export-result"
#: Problems with the export request itself (shown before any job starts).
EXPORT_MESSAGE = "export-message"
EXPORT_DOWNLOAD = "export-download"

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
ADMIN_EXP_FRESHNESS = "admin-exp-freshness"  # when the stored analysis was computed
ADMIN_EXP_RECOMPUTE = "admin-exp-recompute"  # "Recompute now"
ADMIN_EXP_POLL = "admin-exp-poll"  # dcc.Interval, enabled while a recompute is pending
ADMIN_EXP_SHOWN = "admin-exp-shown-analysis"  # the snapshot state the page shows
ADMIN_EXP_REFRESH = "admin-exp-refresh"  # bumped to re-render the results only
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
    "correction",
)
EXP_FORM_VARIANT_ROWS = 4


def exp_form_id(form: str, field: str) -> str:
    """Id of ``field`` of the experiment form ``form`` (``new`` or ``edit``)."""
    return f"admin-exp-{form}-{field}"


def exp_feedback_id(form: str, field: str) -> str:
    """Id of the validation message under ``field`` of the experiment form ``form``."""
    return f"admin-exp-{form}-{field}-feedback"


# Admin: real-time page (/admin/realtime)
ADMIN_RT_INTERVAL = "admin-rt-interval"
ADMIN_RT_AS_OF = "admin-rt-as-of"
ADMIN_RT_STATUS = "admin-rt-status"
ADMIN_RT_TILES = "admin-rt-tiles"
ADMIN_RT_CHART = "admin-rt-chart"
ADMIN_RT_CHART_WRAPPER = "admin-rt-chart-wrapper"
ADMIN_RT_EMPTY = "admin-rt-empty"
ADMIN_RT_TOP = "admin-rt-top-stories"

# Admin: keys and users page (/admin/access)
ADMIN_ACCESS_VERSION = "admin-access-version"
ADMIN_ACCESS_STATUS = "admin-access-status"
ADMIN_ACCESS_KEYS = "admin-access-keys"
ADMIN_ACCESS_KEY_MESSAGE = "admin-access-keys-message"
#: The new key, shown once (its container, the read-only field and the "I stored it" button).
ADMIN_ACCESS_NEW_KEY = "admin-access-new-key"
ADMIN_ACCESS_NEW_KEY_VALUE = "admin-access-new-key-value"
ADMIN_ACCESS_NEW_KEY_DONE = "admin-access-new-key-done"
ADMIN_ACCESS_NEW_KEY_LABEL = "admin-access-new-key-label"
#: Pattern-matching id types (``{"type": ..., "index": <row id>}``) of per-row buttons.
ADMIN_ACCESS_REVOKE = "admin-access-revoke"
ADMIN_ACCESS_TOGGLE = "admin-access-toggle"
ADMIN_ACCESS_RESET = "admin-access-reset"
ADMIN_ACCESS_REVOKE_CONFIRM = "admin-access-revoke-confirm"
ADMIN_ACCESS_REVOKE_PENDING = "admin-access-revoke-pending"
ADMIN_ACCESS_DISABLE_CONFIRM = "admin-access-disable-confirm"
ADMIN_ACCESS_DISABLE_PENDING = "admin-access-disable-pending"
ADMIN_ACCESS_USERS = "admin-access-users"
ADMIN_ACCESS_USER_MESSAGE = "admin-access-users-message"
ADMIN_ACCESS_RESET_MODAL = "admin-access-reset-modal"
ADMIN_ACCESS_RESET_USER = "admin-access-reset-user"
ADMIN_ACCESS_RESET_TITLE = "admin-access-reset-title"
ADMIN_ACCESS_AUDIT = "admin-access-audit"
ADMIN_ACCESS_SOURCE_WRAPPER = "admin-access-key-source-wrapper"
ADMIN_ACCESS_KEY_WRITER_WRAPPER = "admin-access-key-writer-wrapper"
ADMIN_ACCESS_USER_WRITER_WRAPPER = "admin-access-user-writer-wrapper"


def access_form_id(form: str, field: str) -> str:
    """Id of ``field`` of the access page's form ``form`` (``key``, ``user`` or ``reset``)."""
    return f"admin-access-{form}-{field}"


def access_feedback_id(form: str, field: str) -> str:
    """Id of the validation message under ``field`` of the access form ``form``."""
    return f"admin-access-{form}-{field}-feedback"


# Admin: jobs page (/admin/jobs)
ADMIN_JOBS_POLL = "admin-jobs-poll"
ADMIN_JOBS_VERSION = "admin-jobs-version"
ADMIN_JOBS_LOAD = "admin-jobs-load"
ADMIN_JOBS_STATUS = "admin-jobs-status"
ADMIN_JOBS_LIST = "admin-jobs-list"
ADMIN_JOBS_MESSAGE = "admin-jobs-message"
ADMIN_JOBS_RUNS = "admin-jobs-runs"
#: Pattern-matching id types (``{"type": ..., "index": <job name>}``).
ADMIN_JOBS_RUN = "admin-jobs-run"
ADMIN_JOBS_STATE = "admin-jobs-state"


# Recommendations page (/recommendations)
RECO_TITLE = "reco-title"
RECO_SUBTITLE = "reco-subtitle"
#: The "Show dismissed" switch.
RECO_SHOW_DISMISSED = "reco-show-dismissed"
#: Bumped after a dismiss or restore so the list reloads.
RECO_VERSION = "reco-version"
#: Where a dismiss/restore outcome (or its refusal) is shown.
RECO_MESSAGE = "reco-message"
RECO_LIST = "reco-list"
#: Pattern-matching id types (``{"type": ..., "index": <fingerprint>}``) of per-card buttons.
RECO_DISMISS = "reco-dismiss"
RECO_RESTORE = "reco-restore"


# Alerts page (/alerts)
ALERTS_TITLE = "alerts-title"
ALERTS_SUBTITLE = "alerts-subtitle"
#: "All" / "Unread" switch of the list.
ALERTS_SHOW = "alerts-show"
ALERTS_MARK_ALL = "alerts-mark-all"
#: Bumped after marking alerts read so the list reloads.
ALERTS_VERSION = "alerts-version"
#: Where a "mark read" outcome (or its refusal) is shown.
ALERTS_MESSAGE = "alerts-message"
ALERTS_STATUS = "alerts-status"
ALERTS_LIST = "alerts-list"
#: Pattern-matching id type (``{"type": ..., "index": <alert id>}``) of each alert's
#: "Mark as read" button.
ALERTS_MARK_ONE = "alerts-mark-one"


def alert_item_id(alert_id: int) -> str:
    """Id of the list item showing alert ``alert_id``."""
    return f"alerts-item-{int(alert_id)}"
