"""The naive baseline for ``bench/ingest.py``: one ORM insert and one commit per event.

A deliberately simple WSGI app (``gunicorn bench.naive_ingest:app``) that accepts the
same native batch body as ``POST /api/v1/events/track-batch`` and the same write key,
then stores each event the way a first implementation would: build an ``Event`` object,
``session.add`` it, ``commit``, and roll back on a duplicate. It does only the validation
needed to build rows. It exists only to be measured against; never deploy it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime

from flask import Flask, jsonify, request
from sqlalchemy.exc import IntegrityError

from app.auth.api_keys import find_active_key
from data.db import make_engine, make_session_factory, utcnow
from data.models import Event

app = Flask(__name__)
_sessions = make_session_factory(make_engine(os.environ["DATABASE_URL"]))


def _when(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed


@app.get("/healthz")
def health():  # readiness probe of bench/ingest.py
    return jsonify({"status": "ok"})


@app.post("/api/v1/events/track-batch")
def track_batch():  # the baseline: per-event ORM insert + commit
    received_at = utcnow()
    token = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
    document = json.loads(request.get_data())
    accepted = duplicates = 0
    with _sessions() as session:
        key = find_active_key(session, token, "write")
        if key is None:
            return jsonify({"error": "unauthorized"}), 401
        source = key.source
        for item in document["batch"]:
            session.add(
                Event(
                    source=source,
                    message_id=item["message_id"],
                    event_type=item["event"],
                    event_name=item["event"],
                    user_id=item.get("user_id"),
                    anonymous_id=item.get("anonymous_id"),
                    writer_id=item.get("writer_id"),
                    story_id=item.get("story_id"),
                    chapter_id=item.get("chapter_id"),
                    occurred_at=_when(item.get("timestamp"), received_at),
                    received_at=received_at,
                    read_seconds=item.get("read_seconds"),
                    progress_pct=item.get("progress_pct"),
                    properties=item.get("properties"),
                    context=item.get("context"),
                )
            )
            try:
                session.commit()
                accepted += 1
            except IntegrityError:
                session.rollback()
                duplicates += 1
    return jsonify({"accepted": accepted, "duplicates": duplicates, "rejected": []})
