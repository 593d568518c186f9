"""reference data, calendar, offers, seats, partner rate limit, search indexes

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = "state = 'published' AND seats_taken < seats"


def upgrade() -> None:
    for ext in ("unaccent", "cube", "earthdistance", "btree_gin", "intarray"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
    # French full text, accent-insensitive: unaccent then the French stemmer
    op.execute("""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'fr_unaccent') THEN
            CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french);
            ALTER TEXT SEARCH CONFIGURATION fr_unaccent
              ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
          END IF;
        END $$;""")

    op.create_table(
        "departements",
        sa.Column("dep_code", sa.String(3), primary_key=True),
        sa.Column("dep_name", sa.Text, nullable=False),
        sa.Column("region_code", sa.String(3)),
        sa.Column("region_name", sa.Text),
        sa.Column("academie_code", sa.String(3)),
        sa.Column("academie_name", sa.Text),
        sa.Column("zone", sa.String(10)),
    )
    op.create_table(
        "communes",
        sa.Column("insee_code", sa.String(5), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("parent_insee", sa.String(5)),
        sa.Column("dep_code", sa.String(3), nullable=False),
        sa.Column("academie_code", sa.String(3)),
        sa.Column("postal_codes", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("population", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
    )
    op.create_table(
        "postal_codes",
        sa.Column("postal_code", sa.String(5), primary_key=True),
        sa.Column("insee_code", sa.String(5), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
    )
    op.create_table(
        "sectors",
        sa.Column("id", sa.String(4), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "naf_codes",
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("section", sa.String(1)),
        sa.Column("division", sa.String(2)),
        sa.Column("sector_id", sa.String(4)),
    )
    op.create_table(
        "school_points",
        sa.Column("uai", sa.String(8), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("commune_insee", sa.String(5)),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("rep", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("qpv", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_table(
        "calendar_overrides",
        sa.Column("school_year", sa.String(9), primary_key=True),
        sa.Column("college_start", sa.Date),
        sa.Column("college_end", sa.Date),
        sa.Column("seconde_week1_start", sa.Date),
        sa.Column("updated_by", sa.String(36)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "offers",
        sa.Column("id", pg.UUID(as_uuid=False), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("owner_id", pg.UUID(as_uuid=False)),
        sa.Column("employer_id", pg.UUID(as_uuid=False)),
        sa.Column("operator_id", pg.UUID(as_uuid=False)),
        sa.Column("remote_id", sa.Text),
        sa.Column("is_partner", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("permalink", sa.Text),
        sa.Column("creation_key", sa.Text),
        sa.Column("partner_payload", pg.JSONB),
        sa.Column("completed_steps", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("title", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("address", pg.JSONB),
        sa.Column("commune_insee", sa.String(5)),
        sa.Column("city", sa.Text),
        sa.Column("dep_code", sa.String(3)),
        sa.Column("academie_code", sa.String(3)),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("organisation", pg.JSONB),
        sa.Column("sector", sa.String(4)),
        sa.Column("work_environment", sa.Text),
        sa.Column("accessibility", sa.Text),
        sa.Column("grades", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("school_year", sa.String(9)),
        sa.Column("weeks", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("all_year", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("seconde_period", sa.String(10)),
        sa.Column("search_weeks", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("first_day", sa.Date),
        sa.Column("last_day", sa.Date),
        sa.Column("seats", sa.Integer, nullable=False, server_default="1"),
        sa.Column("seats_taken", sa.Integer, nullable=False, server_default="0"),
        sa.Column("hours", pg.JSONB),
        sa.Column("lunch_break", sa.Text),
        sa.Column("reserved_school_uais", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("reserved_rep", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("reserved_qpv", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("linked_offer_id", pg.UUID(as_uuid=False)),
        sa.Column("duplicated_from", pg.UUID(as_uuid=False)),
        sa.Column("tags", pg.ARRAY(sa.Integer), nullable=False, server_default="{}"),
        sa.Column("knn_tags", pg.ARRAY(sa.Integer), nullable=False, server_default="{}"),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("removed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= seats", name="seats_taken"),
        sa.CheckConstraint("seats >= 1 AND seats <= 6000", name="seats"),
        sa.CheckConstraint("state IN ('draft', 'published', 'unpublished', 'need_to_be_updated', 'removed')",
                           name="state"),
    )
    op.execute("ALTER TABLE offers ADD COLUMN geo earth GENERATED ALWAYS AS (ll_to_earth(lat, lon)) STORED")
    op.execute("ALTER TABLE offers ADD COLUMN search_vector tsvector")
    op.execute("""
        CREATE FUNCTION offers_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.search_vector :=
            setweight(to_tsvector('fr_unaccent', coalesce(NEW.title, '')), 'A') ||
            setweight(to_tsvector('fr_unaccent', coalesce(NEW.description, '')), 'B') ||
            setweight(to_tsvector('fr_unaccent', coalesce(NEW.organisation->>'name', '')), 'C');
          RETURN NEW;
        END $$;""")
    op.execute("""CREATE TRIGGER trg_offers_search_vector BEFORE INSERT OR UPDATE OF title, description, organisation
                  ON offers FOR EACH ROW EXECUTE FUNCTION offers_search_vector()""")
    # idempotent creation and partner identity
    op.execute("CREATE UNIQUE INDEX uq_offers_owner_creation_key ON offers (owner_id, creation_key) "
               "WHERE creation_key IS NOT NULL")
    op.execute("CREATE UNIQUE INDEX uq_offers_operator_remote_id ON offers (operator_id, remote_id) "
               "WHERE remote_id IS NOT NULL AND state <> 'removed'")
    op.execute("CREATE INDEX ix_offers_owner ON offers (owner_id, created_at DESC)")
    op.execute("CREATE INDEX ix_offers_state_last_day ON offers (last_day) WHERE state = 'published'")
    # search: place (KNN), and place + text + sector + weeks in one GIN index
    op.execute(f"CREATE INDEX ix_offers_search_geo ON offers USING gist (geo, knn_tags gist__intbig_ops(siglen=64)) "
               f"WHERE {LIVE}")
    op.execute(f"CREATE INDEX ix_offers_search_text ON offers USING gin (search_vector, tags gin__int_ops) "
               f"WHERE {LIVE}")
    op.execute(f"CREATE INDEX ix_offers_search_recent ON offers (published_at DESC) WHERE {LIVE}")
    op.execute(f"CREATE INDEX ix_offers_search_priority ON offers USING gist (geo) "
               f"WHERE {LIVE} AND (reserved_rep OR reserved_qpv)")

    op.create_table(
        "seat_reservations",
        sa.Column("offer_id", pg.UUID(as_uuid=False), primary_key=True),
        sa.Column("application_id", pg.UUID(as_uuid=False), primary_key=True),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "partner_hits",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("operator_id", pg.UUID(as_uuid=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_partner_hits_operator_at", "partner_hits", ["operator_id", "at"])


def downgrade() -> None:
    for t in ("partner_hits", "seat_reservations", "offers", "calendar_overrides", "school_points", "naf_codes",
              "sectors", "postal_codes", "communes", "departements"):
        op.drop_table(t)
    op.execute("DROP FUNCTION IF EXISTS offers_search_vector()")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS fr_unaccent")
