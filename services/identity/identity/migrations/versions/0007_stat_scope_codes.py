"""statisticians' scopes by codes

Revision ID: 0007_stat_scope_codes
Revises: 0006_school_address

A statistician's scope code (``users.stat_scope_code``) is a code of common.scopes (département ``13``,
académie ``02``, région ``93``), never a name: registration now refuses names, and this migration converts
the names stored before (the column holds 10 characters: ``Créteil`` -> ``24``, ``Gard`` -> ``30``,
``Corse`` -> ``94``, compared without case). A value that is neither stays as it was: its
statistician reads nothing until an admin corrects it (never the national figures).
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_stat_scope_codes"
down_revision = "0006_school_address"
branch_labels = None
depends_on = None

COLUMNS = {"departement": ("dep_name", "dep_code"), "academie": ("academie_name", "academie_code"),
           "region": ("region_name", "region_code")}


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, stat_scope, stat_scope_code FROM users WHERE role = 'statistician' "
                                "AND stat_scope IN ('departement', 'academie', 'region') "
                                "AND stat_scope_code IS NOT NULL")).all()
    if not rows:
        return
    from common.refdata import read_csv

    deps = read_csv("departements.csv")
    names = {kind: {d[name].casefold(): d[code] for d in deps if d[name] and d[code]}
             for kind, (name, code) in COLUMNS.items()}
    codes = {kind: {d[code] for d in deps if d[code]} for kind, (name, code) in COLUMNS.items()}
    fixes = [{"id": r.id, "code": names[r.stat_scope][r.stat_scope_code.strip().casefold()]} for r in rows
             if r.stat_scope_code not in codes[r.stat_scope]
             and r.stat_scope_code.strip().casefold() in names[r.stat_scope]]
    if fixes:
        conn.execute(sa.text("UPDATE users SET stat_scope_code = :code WHERE id = :id"), fixes)


def downgrade() -> None:
    pass
