"""All SQLAlchemy models; importing this package registers every table on ``Base``."""

from data.models.accounts import API_KEY_KINDS, ROLES, ApiKey, AuditLog, LoginAttempt, User
from data.models.catalog import STORY_STATUSES, Chapter, Story, Writer
from data.models.events import REVENUE_EVENT_TYPES, Event, EventType
from data.models.experiments import (
    EXPERIMENT_STATUSES,
    Experiment,
    ExperimentExposure,
    ExperimentSnapshot,
    ExperimentVariant,
)
from data.models.jobs import JOB_STATUSES, JobLock, JobRun, JobState
from data.models.progress import (
    RELEASE_DAY_SECONDS,
    ReaderChapterProgress,
    StoryChapterStats,
    StoryEntryCohort,
    StoryReaderSummary,
    WriterReaderDaily,
    WriterReaderSummary,
)
from data.models.readers import ACQUISITION_SOURCES, AGE_BANDS, DEVICES, Reader
from data.models.results import (
    FORECAST_METRICS,
    FORECAST_MODELS,
    FORECAST_SCOPES,
    PLATFORM_SCOPE_ID,
    Forecast,
    ForecastPoint,
    Recommendation,
)
from data.models.rollups import (
    COUNTER_COLUMNS,
    ChapterDaily,
    DailyCounters,
    StoryDaily,
    StoryReaderDaily,
    WriterDaily,
)

__all__ = [
    "ACQUISITION_SOURCES",
    "AGE_BANDS",
    "API_KEY_KINDS",
    "COUNTER_COLUMNS",
    "DEVICES",
    "EXPERIMENT_STATUSES",
    "FORECAST_METRICS",
    "FORECAST_MODELS",
    "FORECAST_SCOPES",
    "JOB_STATUSES",
    "PLATFORM_SCOPE_ID",
    "RELEASE_DAY_SECONDS",
    "REVENUE_EVENT_TYPES",
    "ROLES",
    "STORY_STATUSES",
    "ApiKey",
    "AuditLog",
    "Chapter",
    "ChapterDaily",
    "DailyCounters",
    "Event",
    "EventType",
    "Experiment",
    "ExperimentExposure",
    "ExperimentSnapshot",
    "ExperimentVariant",
    "Forecast",
    "ForecastPoint",
    "JobLock",
    "JobRun",
    "JobState",
    "LoginAttempt",
    "Reader",
    "ReaderChapterProgress",
    "Recommendation",
    "Story",
    "StoryChapterStats",
    "StoryDaily",
    "StoryEntryCohort",
    "StoryReaderDaily",
    "StoryReaderSummary",
    "User",
    "Writer",
    "WriterDaily",
    "WriterReaderDaily",
    "WriterReaderSummary",
]
