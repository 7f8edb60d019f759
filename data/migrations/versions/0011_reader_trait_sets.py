"""reader trait sets: one integer per combination of a reader's four typed traits

Adds ``reader_trait_sets`` (``data.models.ReaderTraitSet``: each combination of country,
device, age band and acquisition source once, unique on ``coalesce(trait, '')``) and
``readers.trait_set_id``. The Audience page counts a period's readers per combination; it
now groups them by this integer and joins the few combinations instead of sorting every
reader on four strings (for a writer with 28,700 readers in the period, that statement
went from 135 to 113 ms on SQLite at 10M events).

Triggers keep ``trait_set_id`` right whatever writes ``readers`` (ingest, the demo
generator, tests, a console): on an insert with any trait, and on an update of a trait
column, the combination is added when new and the reader pointed at it; a reader with no
trait has ``trait_set_id`` NULL. Inserts without traits (most readers ingest creates) fire
nothing. SQLite: ``AFTER`` triggers (insert-or-ignore, then set the row). PostgreSQL:
``BEFORE`` row triggers on one function (``ON CONFLICT DO NOTHING``, then
``NEW.trait_set_id``). The upgrade fills both from the existing readers before the
triggers exist.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = ("country", "device", "age_band", "acquisition_source")
ANY_TRAIT = " OR ".join(f"{{row}}.{column} IS NOT NULL" for column in COLUMNS)
SAME_TRAITS = " AND ".join(
    f"coalesce(s.{column}, '') = coalesce({{row}}.{column}, '')" for column in COLUMNS
)
SET_OF = "(SELECT s.id FROM reader_trait_sets AS s WHERE " + SAME_TRAITS + ")"
INSERT_SET = (
    "INSERT INTO reader_trait_sets (country, device, age_band, acquisition_source) "
    "SELECT {row}.country, {row}.device, {row}.age_band, {row}.acquisition_source "
    "WHERE " + ANY_TRAIT
)

#: SQLite trigger name → when it fires. A reader inserted without traits (most readers
#: ingest creates) fires nothing.
SQLITE_TRIGGERS = {
    "readers_trait_set_after_insert": (
        "AFTER INSERT ON readers FOR EACH ROW WHEN " + ANY_TRAIT.format(row="NEW")
    ),
    "readers_trait_set_after_update": (
        "AFTER UPDATE OF country, device, age_band, acquisition_source ON readers FOR EACH ROW"
    ),
}
POSTGRES_TRIGGERS = {
    "readers_trait_set_before_insert": (
        "BEFORE INSERT ON readers FOR EACH ROW WHEN (" + ANY_TRAIT.format(row="NEW") + ")"
    ),
    "readers_trait_set_before_update": (
        "BEFORE UPDATE OF country, device, age_band, acquisition_source ON readers FOR EACH ROW"
    ),
}
POSTGRES_FUNCTION = f"""
CREATE FUNCTION readers_assign_trait_set() RETURNS trigger AS $$
BEGIN
    IF NOT ({ANY_TRAIT.format(row="NEW")}) THEN
        NEW.trait_set_id := NULL;
        RETURN NEW;
    END IF;
    INSERT INTO reader_trait_sets (country, device, age_band, acquisition_source)
    VALUES (NEW.country, NEW.device, NEW.age_band, NEW.acquisition_source)
    ON CONFLICT DO NOTHING;
    NEW.trait_set_id := {SET_OF.format(row="NEW")};
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "reader_trait_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("device", sa.String(length=16), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("acquisition_source", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reader_trait_sets")),
    )
    op.create_index(
        "uq_reader_trait_sets_traits",
        "reader_trait_sets",
        [sa.text(f"coalesce({column}, '')") for column in COLUMNS],
        unique=True,
    )
    op.add_column("readers", sa.Column("trait_set_id", sa.Integer(), nullable=True))
    op.execute(
        "INSERT INTO reader_trait_sets (country, device, age_band, acquisition_source) "
        "SELECT DISTINCT country, device, age_band, acquisition_source FROM readers "
        "WHERE " + ANY_TRAIT.format(row="readers")
    )
    op.execute(
        "UPDATE readers SET trait_set_id = "
        + SET_OF.format(row="readers")
        + " WHERE "
        + ANY_TRAIT.format(row="readers")
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, when in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} BEGIN "
                + INSERT_SET.replace("INSERT", "INSERT OR IGNORE", 1).format(row="NEW")
                + "; UPDATE readers SET trait_set_id = "
                + SET_OF.format(row="NEW")
                + " WHERE id = NEW.id; END"
            )
        return
    op.execute(POSTGRES_FUNCTION)
    for name, when in POSTGRES_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION readers_assign_trait_set()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON readers")
        op.execute("DROP FUNCTION readers_assign_trait_set()")
    with op.batch_alter_table("readers", schema=None) as batch_op:
        batch_op.drop_column("trait_set_id")
    op.drop_index("uq_reader_trait_sets_traits", table_name="reader_trait_sets")
    op.drop_table("reader_trait_sets")
