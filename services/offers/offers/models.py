"""Tables of the offers service (its own database: no other service reads them).

Two columns of ``offers`` exist only in the migration (SQL-only types), not here:
``geo earth`` (generated: ``ll_to_earth(lat, lon)``) and ``search_vector tsvector``
(maintained by a trigger from title, organisation name and description).
Queries that need them are written in SQL (``offers.search_sql``).
"""
from sqlalchemy import (ARRAY, BigInteger, Boolean, Column, Date, DateTime, Float, Integer, String,
                        Table, Text, func)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from common.db import service_metadata

metadata, outbox, inbox = service_metadata()

# -- reference data (loaded from data/reference by the idempotent loader) -----------
communes = Table(
    "communes", metadata,
    Column("insee_code", String(5), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("parent_insee", String(5)),
    Column("dep_code", String(3), nullable=False),
    Column("academie_code", String(3)),
    Column("postal_codes", ARRAY(Text), nullable=False, server_default="{}"),
    Column("population", Integer, nullable=False, server_default="0"),
    Column("lat", Float),
    Column("lon", Float),
)
postal_codes = Table(
    "postal_codes", metadata,
    Column("postal_code", String(5), primary_key=True),
    Column("insee_code", String(5), primary_key=True),
    Column("kind", String(30), nullable=False),
)
departements = Table(
    "departements", metadata,
    Column("dep_code", String(3), primary_key=True),
    Column("dep_name", Text, nullable=False),
    Column("region_code", String(3)),
    Column("region_name", Text),
    Column("academie_code", String(3)),
    Column("academie_name", Text),
    Column("zone", String(10)),
)
sectors = Table(
    "sectors", metadata,
    Column("id", String(4), primary_key=True),
    Column("name", Text, nullable=False),
    Column("position", Integer, nullable=False),
)
naf_codes = Table(
    "naf_codes", metadata,
    Column("code", String(10), primary_key=True),
    Column("level", String(20), nullable=False),
    Column("label", Text, nullable=False),
    Column("section", String(1)),
    Column("division", String(2)),
    Column("sector_id", String(4)),
)
school_points = Table(
    "school_points", metadata,
    Column("uai", String(8), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("commune_insee", String(5)),
    Column("lat", Float),
    Column("lon", Float),
    Column("rep", Boolean, nullable=False, server_default="false"),
    Column("qpv", Boolean, nullable=False, server_default="false"),
)

# -- calendar ------------------------------------------------------------------------
calendar_overrides = Table(
    "calendar_overrides", metadata,
    Column("school_year", String(9), primary_key=True),
    Column("college_start", Date),
    Column("college_end", Date),
    Column("seconde_week1_start", Date),
    Column("holiday_weeks", JSONB),  # admin override of the official school holidays: {zone: [weeks]}
    Column("updated_by", String(36)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# -- opening calendar (domain/opening.py): per school year and grade; NULL = no restriction -------------
opening_calendar = Table(
    "opening_calendar", metadata,
    Column("school_year", String(9), primary_key=True),
    Column("grade", String(12), primary_key=True),
    Column("publish_from", DateTime(timezone=True)),
    Column("browse_from", DateTime(timezone=True)),
    Column("apply_from", DateTime(timezone=True)),
    Column("updated_by", String(36)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# -- offers ----------------------------------------------------------------------------
offers = Table(
    "offers", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("state", String(20), nullable=False, server_default="draft"),
    Column("owner_id", UUID(as_uuid=False)),          # the employer (or operator) user who created it
    Column("employer_id", UUID(as_uuid=False)),       # employer user id (null for partner offers)
    Column("space_id", UUID(as_uuid=False)),          # the employer space it belongs to (identity's spaces)
    Column("operator_id", UUID(as_uuid=False)),       # operator user id (partner offers)
    Column("remote_id", Text),
    Column("is_partner", Boolean, nullable=False, server_default="false"),
    Column("permalink", Text),
    Column("creation_key", Text),                     # idempotency key of the creating call
    Column("partner_payload", JSONB),                 # the operator's last accepted payload
    Column("completed_steps", ARRAY(Text), nullable=False, server_default="{}"),
    Column("title", Text),
    Column("description", Text),
    Column("address", JSONB),
    Column("commune_insee", String(5)),
    Column("city", Text),
    Column("dep_code", String(3)),
    Column("academie_code", String(3)),
    Column("lat", Float),
    Column("lon", Float),
    Column("organisation", JSONB),
    Column("sector", String(4)),
    Column("work_environment", Text),
    Column("accessibility", Text),
    Column("grades", ARRAY(Text), nullable=False, server_default="{}"),
    Column("school_year", String(9)),
    Column("weeks", ARRAY(Text), nullable=False, server_default="{}"),
    Column("all_year", Boolean, nullable=False, server_default="false"),
    Column("seconde_period", String(10)),
    Column("search_weeks", ARRAY(Text), nullable=False, server_default="{}"),
    Column("first_day", Date),
    Column("last_day", Date),
    Column("seats", Integer, nullable=False, server_default="1"),
    Column("seats_taken", Integer, nullable=False, server_default="0"),
    Column("hours", JSONB),
    Column("lunch_break", Text),
    Column("reserved_school_uais", ARRAY(Text), nullable=False, server_default="{}"),
    Column("reserved_rep", Boolean, nullable=False, server_default="false"),
    Column("reserved_qpv", Boolean, nullable=False, server_default="false"),
    Column("linked_offer_id", UUID(as_uuid=False)),
    Column("duplicated_from", UUID(as_uuid=False)),
    Column("tags", ARRAY(Integer), nullable=False, server_default="{}"),       # GIN: cell, sector, weeks
    Column("knn_tags", ARRAY(Integer), nullable=False, server_default="{}"),   # GiST with geo: grades, weeks
    Column("published_at", DateTime(timezone=True)),
    Column("removed_at", DateTime(timezone=True)),
    Column("moderation_hold", Boolean, nullable=False, server_default="false"),  # domain/moderation.py
    Column("moderation_status", String(20)),          # changes_requested | changes_made | null
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

seat_reservations = Table(
    "seat_reservations", metadata,
    Column("offer_id", UUID(as_uuid=False), primary_key=True),
    Column("application_id", UUID(as_uuid=False), primary_key=True),
    Column("week", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

partner_hits = Table(
    "partner_hits", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("operator_id", UUID(as_uuid=False), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# -- reports and moderation (domain/moderation.py) ---------------------------------------
offer_reports = Table(
    "offer_reports", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("offer_id", UUID(as_uuid=False), nullable=False),
    Column("reporter_key", Text, nullable=False),     # user:<id> or visitor:<sha256>; one open report each
    Column("reporter_id", UUID(as_uuid=False)),       # the signed-in reporter (personal-data export)
    Column("reason", String(30), nullable=False),
    Column("text", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("moderation_id", UUID(as_uuid=False)),     # the decision that closed it
)

offer_moderations = Table(
    "offer_moderations", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("offer_id", UUID(as_uuid=False), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("reason", Text),
    Column("author_id", UUID(as_uuid=False), nullable=False),
    Column("report_counts", JSONB, nullable=False),
    Column("idempotency_key", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
