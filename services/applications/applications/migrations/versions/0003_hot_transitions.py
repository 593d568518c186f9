"""transitions rewrite their row in place: the timer's queue in its own table, no index on the state

Revision ID: 0003
Revises: 0002

A transition changes an application's state and clock. While the state (``ix_applications_employer_state``,
the predicate of ``ix_applications_seat_release``) and the deadline (``ix_applications_deadline_at``) were
indexed, each transition wrote a new row version and an entry in each of the table's indexes; without them,
PostgreSQL rewrites the row in its own page (a HOT update) when there is room, which the fillfactor keeps.

* The timer's queue moves to ``application_deadlines`` (one row per application whose clock runs), kept by
  triggers on ``applications.deadline_at``: a deadline set or moved is queued (upsert); a deadline cleared
  leaves its row, dropped by the timer when it comes due. The triggers' ``WHEN`` clauses are evaluated
  without calling the function, so the timer's own update (which clears the deadline) costs nothing more.
* Employers' lists use ``ix_applications_employer_id`` and filter the state on their rows.
* Seats to release are flagged by a generated column, ``seat_release_due``, which the reconciliation's
  index reads instead of the state.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "application_deadlines",
        sa.Column("application_id", sa.String(36), sa.ForeignKey("applications.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("due_at", TS, nullable=False),
    )
    op.create_index("ix_application_deadlines_due_at", "application_deadlines", ["due_at"])
    op.execute("""
        CREATE FUNCTION application_deadline_queued() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO application_deadlines (application_id, due_at) VALUES (NEW.id, NEW.deadline_at)
            ON CONFLICT (application_id) DO UPDATE SET due_at = EXCLUDED.due_at;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER application_deadline_set AFTER INSERT ON applications FOR EACH ROW
        WHEN (NEW.deadline_at IS NOT NULL) EXECUTE FUNCTION application_deadline_queued()""")
    op.execute("""
        CREATE TRIGGER application_deadline_moved AFTER UPDATE OF deadline_at ON applications FOR EACH ROW
        WHEN (NEW.deadline_at IS NOT NULL AND NEW.deadline_at IS DISTINCT FROM OLD.deadline_at)
        EXECUTE FUNCTION application_deadline_queued()""")
    op.execute("INSERT INTO application_deadlines (application_id, due_at) "
               "SELECT id, deadline_at FROM applications WHERE deadline_at IS NOT NULL")
    op.drop_index("ix_applications_deadline_at", table_name="applications")
    op.drop_index("ix_applications_employer_state", table_name="applications")
    op.create_index("ix_applications_employer_id", "applications", ["employer_id"])
    op.drop_index("ix_applications_seat_release", table_name="applications")
    op.add_column("applications", sa.Column("seat_release_due", sa.Boolean,
                                            sa.Computed("seat_held AND state <> 'confirmed'", persisted=True)))
    op.create_index("ix_applications_seat_release", "applications", ["id"],
                    postgresql_where=sa.text("seat_release_due"))
    # pages written from now on keep 40 % free for the next versions of their rows
    op.execute("ALTER TABLE applications SET (fillfactor = 60)")


def downgrade() -> None:
    op.execute("ALTER TABLE applications RESET (fillfactor)")
    op.drop_index("ix_applications_seat_release", table_name="applications")
    op.drop_column("applications", "seat_release_due")
    op.create_index("ix_applications_seat_release", "applications", ["id"],
                    postgresql_where=sa.text("seat_held AND state <> 'confirmed'"))
    op.drop_index("ix_applications_employer_id", table_name="applications")
    op.create_index("ix_applications_employer_state", "applications", ["employer_id", "state"])
    op.create_index("ix_applications_deadline_at", "applications", ["deadline_at"],
                    postgresql_where=sa.text("deadline_at IS NOT NULL"))
    op.execute("DROP TRIGGER application_deadline_moved ON applications")
    op.execute("DROP TRIGGER application_deadline_set ON applications")
    op.execute("DROP FUNCTION application_deadline_queued()")
    op.drop_table("application_deadlines")
