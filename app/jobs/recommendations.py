"""The ``recommendations`` job: run the recommendation rules for every writer and store each
writer's advice.

Contract of :func:`run_recommendations` (definitions: docs/metrics.md, "Recommendations"):

1. fixes ``as_of`` (``data.recommendation_store.recommendation_as_of``: the last complete
   day with data) once for the run;
2. per writer: reads the inputs in bulk queries (``recommendation_inputs``) and ends that
   read transaction (commit), runs the pure rules (``app.analytics.recommendations``), then
   replaces the writer's stored set and commits — one short write transaction per writer,
   so ingest is never held up for the whole run, and a reader sees a writer's whole
   previous set or whole new one. A run that fails part way leaves the writers done so far
   updated and the others with their previous (complete) set;
3. dismissals are keyed by fingerprint and untouched, so dismissed advice stays dismissed.

Idempotent: the rules are deterministic for the same rollups and ``as_of``, and each run
replaces each writer's set. Returns the rows written (recommendations stored).
"""

from __future__ import annotations

import logging
import time
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analytics.recommendations import (
    HIATUS_LOOKBACK_DAYS,
    HIATUS_WINDOW_WEEKS,
    RELEASE_LOOKBACK_DAYS,
    SEGMENT_WINDOW_DAYS,
    WriterInputs,
    recommend,
)
from data.db import utcnow
from data.models import JobRun
from data.queries.recommendations import RECOMMENDATIONS_JOB
from data.recommendation_store import (
    RecommendationInputs,
    recommendation_as_of,
    recommendation_inputs,
    replace_recommendations,
    writer_ids,
)

logger = logging.getLogger("legato.jobs")
JOB_NAME = RECOMMENDATIONS_JOB
#: Weekly readers are read far enough back to measure the oldest hiatus the rules consider
#: (its start within ``HIATUS_LOOKBACK_DAYS``, plus the weeks before it).
WEEKLY_DAYS = HIATUS_LOOKBACK_DAYS + 7 * (HIATUS_WINDOW_WEEKS + 1)


def to_writer_inputs(inputs: RecommendationInputs, currency: str) -> WriterInputs:
    """The rules' view of the stored inputs (same frames)."""
    return WriterInputs(
        writer_id=inputs.writer_id,
        as_of=inputs.as_of,
        stories=inputs.stories,
        chapters=inputs.chapters,
        weekly_readers=inputs.weekly_readers,
        opens_by_hour=inputs.opens_by_hour,
        segments=inputs.segments,
        currency=currency,
    )


def _running_run_id(session: Session) -> int | None:
    """The id of this job's run in progress (the runner records it before calling the job
    and holds the job's lock); ``None`` when called outside the runner."""
    return session.scalar(
        select(JobRun.id)
        .where(JobRun.job_name == JOB_NAME, JobRun.status == "running")
        .order_by(JobRun.id.desc())
        .limit(1)
    )


def run_recommendations(
    session: Session, *, today: date | None = None, currency: str = "USD"
) -> int:
    """Recompute and store every writer's recommendations (see the module docstring);
    ``today`` defaults to the current UTC day. Commits per writer."""
    started = time.perf_counter()
    as_of = recommendation_as_of(session, today or utcnow().date())
    run_id = _running_run_id(session)
    writers = writer_ids(session)
    session.commit()
    computed_at = utcnow()
    written = 0
    for writer_id in writers:
        inputs = recommendation_inputs(
            session,
            writer_id,
            as_of,
            weekly_days=WEEKLY_DAYS,
            opens_days=RELEASE_LOOKBACK_DAYS,
            segment_days=SEGMENT_WINDOW_DAYS,
        )
        session.commit()  # end the read transaction before computing
        advice = recommend(to_writer_inputs(inputs, currency))
        written += replace_recommendations(
            session,
            writer_id,
            advice,
            job_run_id=run_id,
            computed_at=computed_at,
        )
        session.commit()
    logger.info(
        "recommendations as of %s: %d writers, %d recommendations in %.2fs",
        as_of,
        len(writers),
        written,
        time.perf_counter() - started,
    )
    return written
