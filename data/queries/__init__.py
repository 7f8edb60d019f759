"""The read side: functions ``(session, typed filters) -> DataFrame | dataclasses``.

Dashboards and the read API call these; they never scan raw events for a dashboard
(rollups and ``story_reader_daily`` serve them), except real-time queries over a short,
indexed window.
"""
