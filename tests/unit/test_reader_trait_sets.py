"""``readers.trait_set_id`` and ``reader_trait_sets`` (migration 0011) stay in step with the
trait columns whatever writes ``readers``, on SQLite and PostgreSQL: ORM inserts and
updates, Core bulk inserts (the demo generator), the ingest writes, and the upgrade's
fill of existing readers."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.db import sync_id_sequence
from data.ingest_writes import TraitUpdate, apply_reader_traits, resolve_readers
from data.migrate import alembic_config
from data.models import TRAIT_SET_COLUMNS, Reader, ReaderTraitSet

NOW = datetime(2026, 6, 1, 12, 0)


def _reader(name: str, **traits: str | None) -> Reader:
    return Reader(anonymous_id=name, first_seen_at=NOW, updated_at=NOW, **traits)


def _set_ids(session: Session) -> dict[str, int | None]:
    """``anonymous_id`` → ``trait_set_id`` as stored."""
    session.flush()
    rows = session.execute(select(Reader.anonymous_id, Reader.trait_set_id)).all()
    return {str(name): set_id for name, set_id in rows}


def _assert_consistent(session: Session) -> None:
    """Every reader points at the set of exactly its traits (none: no traits), and no
    combination is stored twice."""
    session.flush()
    sets = {
        row.id: tuple(getattr(row, column) for column in TRAIT_SET_COLUMNS)
        for row in session.scalars(select(ReaderTraitSet))
    }
    assert len(set(sets.values())) == len(sets)
    assert all(any(value is not None for value in values) for values in sets.values())
    readers = session.execute(
        select(Reader.id, Reader.trait_set_id, *(getattr(Reader, c) for c in TRAIT_SET_COLUMNS))
    ).all()
    assert readers
    for reader_id, set_id, *values in readers:
        if all(value is None for value in values):
            assert set_id is None, reader_id
        else:
            assert sets[set_id] == tuple(values), reader_id


def test_inserts_share_a_set_per_combination(session: Session) -> None:
    session.add_all(
        [
            _reader("a", country="US", device="ios"),
            _reader("b", country="US", device="ios"),
            _reader("c", country="US", device="ios", age_band="18-24"),
            _reader("d", device="ios"),
            _reader("e"),
            _reader("f", acquisition_source="ads"),
        ]
    )
    ids = _set_ids(session)
    assert ids["a"] == ids["b"] is not None
    assert len({ids["a"], ids["c"], ids["d"], ids["f"]}) == 4
    assert ids["e"] is None
    assert (
        session.scalar(select(ReaderTraitSet.country).where(ReaderTraitSet.id == ids["d"])) is None
    )
    _assert_consistent(session)


def test_bulk_inserts_like_the_demo_generator(session: Session) -> None:
    rows = [
        {
            "id": index,
            "anonymous_id": f"r{index}",
            "country": ("US", "DE", None)[index % 3],
            "device": ("ios", None)[index % 2],
            "age_band": None,
            "acquisition_source": "organic" if index % 5 == 0 else None,
            "first_seen_at": NOW,
            "updated_at": NOW,
        }
        for index in range(1, 61)
    ]
    session.execute(insert(Reader.__table__), rows)
    _assert_consistent(session)
    combinations = {
        tuple(row[column] for column in TRAIT_SET_COLUMNS)
        for row in rows
        if any(row[column] is not None for column in TRAIT_SET_COLUMNS)
    }
    assert session.scalar(select(func.count()).select_from(ReaderTraitSet)) == len(combinations)


def test_updates_move_readers_between_sets(session: Session) -> None:
    first, second, third = (
        _reader("a", country="US"),
        _reader("b", country="US"),
        _reader("c"),
    )
    session.add_all([first, second, third])
    before = _set_ids(session)
    second.device = "web"  # a new combination
    third.country = "US"  # an existing one
    first.country = None  # no traits left
    changed = _set_ids(session)
    assert changed["a"] is None
    assert changed["b"] not in (None, before["b"])
    assert changed["c"] == before["a"]
    second.traits = {"plan": "gold"}  # not a typed trait: the set stays
    assert _set_ids(session)["b"] == changed["b"]
    _assert_consistent(session)


def test_ingest_writes(session: Session) -> None:
    ids = resolve_readers(session, [(None, "anon-1"), ("user-1", None)], {}, NOW)
    anonymous, user = ids.of(None, "anon-1"), ids.of("user-1", None)
    assert anonymous is not None
    assert user is not None
    created = dict(session.execute(select(Reader.id, Reader.trait_set_id)).all())
    assert created == {anonymous: None, user: None}  # created without traits
    changed = apply_reader_traits(
        session,
        [
            TraitUpdate(anonymous, NOW, {"country": "BR", "device": "android"}, {}),
            TraitUpdate(user, NOW, {"age_band": "25-34"}, {"name": "Ada"}),
        ],
        NOW,
    )
    assert changed == 2
    stored = dict(session.execute(select(Reader.id, Reader.trait_set_id)).all())
    assert stored[anonymous] is not None
    assert stored[user] is not None
    assert stored[anonymous] != stored[user]
    _assert_consistent(session)


def test_a_combination_is_stored_once(session: Session) -> None:
    session.add(ReaderTraitSet(country="US", device=None))
    session.flush()
    session.add(ReaderTraitSet(country="US", device=None))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_upgrade_fills_existing_readers(session: Session, db_url: str) -> None:
    config = alembic_config(db_url)
    session.close()
    session.get_bind().dispose()
    command.downgrade(config, "0010")
    with session.get_bind().begin() as connection:
        for index, (country, device) in enumerate(
            [("US", "ios"), ("US", "ios"), ("DE", None), (None, None), (None, "web")]
        ):
            connection.execute(
                text(
                    "INSERT INTO readers (id, anonymous_id, country, device, first_seen_at, "
                    "updated_at) VALUES (:id, :name, :country, :device, :now, :now)"
                ),
                {
                    "id": index + 1,
                    "name": f"r{index}",
                    "country": country,
                    "device": device,
                    "now": NOW,
                },
            )
    session.get_bind().dispose()
    command.upgrade(config, "head")
    _assert_consistent(session)
    ids = _set_ids(session)
    assert ids["r0"] == ids["r1"] is not None
    assert ids["r3"] is None
    assert session.scalar(select(func.count()).select_from(ReaderTraitSet)) == 3
    sync_id_sequence(session, "readers")  # ids were given explicitly above
    session.add(_reader("later", country="DE"))  # the triggers exist after the fill
    assert _set_ids(session)["later"] == ids["r2"]
