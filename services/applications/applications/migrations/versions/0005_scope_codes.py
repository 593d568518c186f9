"""statistics scopes by codes: the pupil's school's département, académie and région codes

Revision ID: 0005_scope_codes
Revises: 0004_reapply_invitation

Applications stored the académie's *name* (the pupil's token claim) while agreements and statisticians' scopes
use its *code*: an académie statistician counted no application. Each application now stores its school's
location as codes (``common.scopes``): ``academie_code`` (the former ``academie`` column, names converted to
codes), ``departement_code`` and ``region_code``, filled from the reference directory (data/reference/schools.csv
and departements.csv) by the school's UAI.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_scope_codes"
down_revision = "0004_reapply_invitation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("applications", "academie", new_column_name="academie_code")
    op.drop_index("ix_applications_academie", table_name="applications")
    op.add_column("applications", sa.Column("departement_code", sa.String(3)))
    op.add_column("applications", sa.Column("region_code", sa.String(3)))
    conn = op.get_bind()
    uais = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT school_uai FROM applications "
                                               "WHERE school_uai IS NOT NULL"))]
    names = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT academie_code FROM applications "
                                                "WHERE academie_code IS NOT NULL"))]
    if uais or names:   # only a database with applications reads the reference data
        from common import scopes
        from common.refdata import read_csv

        codes = scopes.academie_codes()
        renames = [{"name": n, "code": codes[n]} for n in names if codes.get(n) not in (None, n)]
        if renames:
            conn.execute(sa.text("UPDATE applications SET academie_code = :code WHERE academie_code = :name"),
                         renames)
        wanted = set(uais)
        rows = []
        for school in read_csv("schools.csv"):
            if school["uai"] in wanted:
                loc = scopes.location({"uai": school["uai"], "dep_code": school.get("dep_code"),
                                       "academie_code": school.get("academie_code")})
                rows.append(loc)
        if rows:
            conn.execute(sa.text("UPDATE applications SET departement_code = :departement_code, "
                                 "academie_code = coalesce(:academie_code, academie_code), "
                                 "region_code = :region_code WHERE school_uai = :school_uai"), rows)
        conn.execute(sa.text("UPDATE applications SET academie_code = NULL WHERE length(academie_code) > 3"))
    op.alter_column("applications", "academie_code", type_=sa.String(3))
    op.create_index("ix_applications_academie_code", "applications", ["academie_code"])
    op.create_index("ix_applications_departement_code", "applications", ["departement_code"])
    op.create_index("ix_applications_region_code", "applications", ["region_code"])


def downgrade() -> None:
    op.drop_index("ix_applications_region_code", table_name="applications")
    op.drop_index("ix_applications_departement_code", table_name="applications")
    op.drop_index("ix_applications_academie_code", table_name="applications")
    op.drop_column("applications", "region_code")
    op.drop_column("applications", "departement_code")
    op.alter_column("applications", "academie_code", new_column_name="academie", type_=sa.String(60))
    op.create_index("ix_applications_academie", "applications", ["academie"])
