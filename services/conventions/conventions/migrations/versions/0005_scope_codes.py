"""statistics scopes by codes: the school's département, académie and région codes

Revision ID: 0005_scope_codes
Revises: 0004_link_attempts

Statistics are computed inside the caller's scope (``common.scopes``: school, département, académie, région,
national), by codes, never names. The ``academie`` column held the académie's code, or its name when identity
did not give the code: it becomes ``academie_code`` (names converted), beside ``departement_code`` and
``region_code``, filled from the reference directory (data/reference/schools.csv, departements.csv) by the
school's UAI.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_scope_codes"
down_revision = "0004_link_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("conventions", "academie", new_column_name="academie_code")
    op.add_column("conventions", sa.Column("departement_code", sa.String(3)))
    op.add_column("conventions", sa.Column("region_code", sa.String(3)))
    conn = op.get_bind()
    uais = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT school_uai FROM conventions"))]
    names = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT academie_code FROM conventions "
                                                "WHERE academie_code IS NOT NULL"))]
    if uais or names:   # only a database with conventions reads the reference data
        from common import scopes
        from common.refdata import read_csv

        codes = scopes.academie_codes()
        renames = [{"name": n, "code": codes[n]} for n in names if codes.get(n) not in (None, n)]
        if renames:
            conn.execute(sa.text("UPDATE conventions SET academie_code = :code WHERE academie_code = :name"),
                         renames)
        conn.execute(sa.text("UPDATE conventions SET academie_code = NULL WHERE length(academie_code) > 3"))
        wanted = set(uais)
        rows = [scopes.location({"uai": s["uai"], "dep_code": s.get("dep_code"),
                                 "academie_code": s.get("academie_code")})
                for s in read_csv("schools.csv") if s["uai"] in wanted]
        if rows:
            conn.execute(sa.text("UPDATE conventions SET departement_code = :departement_code, "
                                 "academie_code = coalesce(:academie_code, academie_code), "
                                 "region_code = :region_code WHERE school_uai = :school_uai"), rows)
    op.alter_column("conventions", "academie_code", type_=sa.String(3))
    op.create_index("ix_conventions_academie_code", "conventions", ["academie_code"])
    op.create_index("ix_conventions_departement_code", "conventions", ["departement_code"])
    op.create_index("ix_conventions_region_code", "conventions", ["region_code"])


def downgrade() -> None:
    for col in ("region_code", "departement_code", "academie_code"):
        op.drop_index(f"ix_conventions_{col}", table_name="conventions")
    op.drop_column("conventions", "region_code")
    op.drop_column("conventions", "departement_code")
    op.alter_column("conventions", "academie_code", new_column_name="academie", type_=sa.String(80))
