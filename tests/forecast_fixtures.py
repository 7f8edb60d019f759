"""A small platform with long, seasonal daily histories for the forecasting tests: rollup
rows only (no raw events), as the forecasts job reads them."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import insert

from data.models import Story, StoryDaily, StoryReaderDaily, Writer, WriterDaily

END = date(2026, 6, 20)
ADA, BRAM, CLEO = 1, 2, 3
STORY_OF = {10: ADA, 20: BRAM}
WEEKLY = np.array([0, 1, 1, 2, 3, 6, 5])


def seed_platform(session, days: dict[int, int], end: date = END) -> None:
    """Writers Ada (story 10), Bram (story 20) and Cleo (no stories, no data); story ``s``
    has rollup rows for the ``days[s]`` days ending ``end``: revenue and readers with a
    weekly pattern, a trend and noise. Readers 1..k read both stories (the platform counts
    them once); story 99 has rows but is not in the catalog."""
    session.add_all(
        [
            Writer(id=ADA, handle="ada", display_name="Ada"),
            Writer(id=BRAM, handle="bram", display_name="Bram"),
            Writer(id=CLEO, handle="cleo", display_name="Cleo"),
            Story(id=10, writer_id=ADA, title="Ten", genre="fantasy"),
            Story(id=20, writer_id=BRAM, title="Twenty", genre="romance"),
        ]
    )
    session.flush()
    rng = np.random.default_rng(7)
    story_rows, reader_rows, writer_rows = [], [], []
    for story_id, count in {**days, 99: 10}.items():
        writer_id = STORY_OF.get(story_id)
        for i in range(count):
            day = end - timedelta(days=count - 1 - i)
            readers = int(4 + WEEKLY[day.weekday()] + i // 10 + rng.integers(0, 3))
            revenue = int(1000 + 40 * i + 300 * WEEKLY[day.weekday()] + rng.integers(0, 400))
            counters = {
                "unique_readers": readers,
                "revenue_unlock_minor": revenue,
                "revenue_tip_minor": 50,
            }
            story_rows.append(
                {"story_id": story_id, "day": day, "writer_id": writer_id, **counters}
            )
            if writer_id is None:  # story 99: outside the catalog, in story_daily only
                continue
            writer_rows.append({"writer_id": writer_id, "day": day, **counters})
            reader_rows.extend(
                {"story_id": story_id, "day": day, "reader_id": reader, "writer_id": writer_id}
                for reader in range(1, readers + 1)
            )
    session.execute(insert(StoryDaily), story_rows)
    session.execute(insert(WriterDaily), writer_rows)
    session.execute(insert(StoryReaderDaily), reader_rows)
    session.commit()
