"""Read side of the identity service: the directory of schools, lists of staff and pupils, the caller's own
data, the anonymisation batch. Each function takes a read-only session and returns plain dicts; use cases
reach it as ``ctx.queries``."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, or_, select

from .domain import anonymisation, roles, user_search
from .domain.schools import bounding_box, prefilter_words
from .models import (admin_actions, classes, federated_identities, login_locks, one_time_tokens, pupil_codes,
                     pupil_imports, refresh_families, school_heads, school_memberships, schools, staff_audit, users)
from .repository.rollover import get_run, step_filter
from .repository.rows import row_dict

# -- schools -------------------------------------------------------------------


def _filtered(stmt, filters: dict | None):
    """Directory filters (see domain.schools.check_filters) as WHERE clauses."""
    filters = filters or {}
    if "education_prioritaire" in filters:
        stmt = stmt.where(schools.c.education_prioritaire.in_(filters["education_prioritaire"]))
    if "qpv" in filters:
        stmt = stmt.where(schools.c.qpv.is_(filters["qpv"]))
    return stmt


def school_candidates(s, query: str, kind: str | None, limit: int = 400, filters: dict | None = None) -> list[dict]:
    """Schools whose name or commune contains every significant query word (prefilter for ranking)."""
    ws = prefilter_words(query)   # the same expansion as the stored keys
    if not ws:
        return []
    hay = schools.c.name_key + " " + schools.c.commune_key + " " + func.coalesce(schools.c.postal_code, "") + \
        " " + func.lower(schools.c.uai)
    stmt = _filtered(select(schools).where(and_(*[hay.contains(w) for w in ws])), filters)
    if kind:
        stmt = stmt.where(schools.c.kind == kind)
    return [row_dict(r) for r in s.execute(stmt.limit(limit))]


def schools_in_box(s, lat: float, lon: float, radius_km: float, kind: str | None,
                   filters: dict | None = None) -> list[dict]:
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_km)
    stmt = _filtered(select(schools), filters).where(schools.c.lat.between(min_lat, max_lat),
                                                     schools.c.lon.between(min_lon, max_lon))
    if kind:
        stmt = stmt.where(schools.c.kind == kind)
    return [row_dict(r) for r in s.execute(stmt)]


# -- users, for other services -------------------------------------------------------

def users_by_ids(s, ids: list[str]) -> list[dict]:
    return [row_dict(r) for r in s.execute(select(users).where(users.c.id.in_(ids)))]


def _members_elsewhere(s, uai: str, statuses: tuple[str, ...], functions=None) -> list[dict]:
    """Staff who belong to ``uai`` while another school is current (``school_memberships``), as records of
    that school: its UAI, their function and confirmation there."""
    m = school_memberships
    stmt = (select(users, m.c.function.label("m_function"), m.c.confirmed_at, m.c.confirmed_by, m.c.confirmed_how)
            .join(m, m.c.user_id == users.c.id)
            .where(m.c.school_uai == uai, users.c.school_uai != uai, users.c.role == roles.SCHOOL_STAFF,
                   users.c.status.in_(statuses)))
    if functions:
        stmt = stmt.where(m.c.function.in_(list(functions)))
    out = []
    for r in s.execute(stmt):
        d = row_dict(r)
        d.update(school_uai=uai, function=d.pop("m_function"), staff_confirmed_at=d.pop("confirmed_at"),
                 staff_confirmed_by=d.pop("confirmed_by"), staff_confirmed_how=d.pop("confirmed_how"))
        out.append(d)
    return out


def _by_name(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda u: (u["last_name"], u["first_name"], u["id"]))


def active_school_staff(s, uai: str, functions=None) -> list[dict]:
    """Active staff of ``uai``: those whose current school it is, and those who belong to it while another
    school is current (their function and confirmation there)."""
    stmt = select(users).where(users.c.school_uai == uai, users.c.role == roles.SCHOOL_STAFF,
                               users.c.status == "active")
    if functions:
        stmt = stmt.where(users.c.function.in_(list(functions)))
    return _by_name([row_dict(r) for r in s.execute(stmt)] + _members_elsewhere(s, uai, ("active",), functions))


def session_state(s, session_id: str) -> dict | None:
    """The session's revocation time and its account's status."""
    return row_dict(s.execute(select(refresh_families.c.revoked_at, users.c.status)
                              .join(users, users.c.id == refresh_families.c.user_id)
                              .where(refresh_families.c.id == session_id)).first())


# -- pupils and staff of a school -------------------------------------------------------

def pupils_page(s, uai: str, class_name: str | None, grade: str | None, key_part: str | None, page: int,
                page_size: int) -> tuple[int, list[dict], list[str]]:
    """(total, the page's pupils, every class name of the school)."""
    current = (users.c.school_uai == uai, users.c.role == roles.PUPIL, users.c.status != "anonymized")
    stmt = select(users).where(*current)
    if class_name:
        stmt = stmt.where(users.c.class_name == class_name)
    if grade:
        stmt = stmt.where(users.c.grade == grade)
    if key_part:
        stmt = stmt.where(users.c.pupil_key.contains(key_part))
    total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar()
    rows = [row_dict(r) for r in s.execute(
        stmt.order_by(users.c.class_name, users.c.last_name, users.c.first_name, users.c.id)
        .limit(page_size).offset((page - 1) * page_size))]
    classes = [r[0] for r in s.execute(select(users.c.class_name).where(*current)
                                       .group_by(users.c.class_name).order_by(users.c.class_name))]
    return total, rows, classes


def staff_of_school(s, uai: str) -> list[dict]:
    """School-staff accounts of ``uai`` (active, invited or pending; members whose current school is another
    one too), by name."""
    statuses = ("active", "invited", "pending_activation")
    return _by_name([row_dict(r) for r in s.execute(select(users).where(
        users.c.school_uai == uai, users.c.role == roles.SCHOOL_STAFF, users.c.status.in_(statuses)))]
        + _members_elsewhere(s, uai, statuses))


def staff_history(s, uai: str, limit: int = 100) -> list[dict]:
    return [row_dict(r) for r in s.execute(select(staff_audit).where(staff_audit.c.school_uai == uai)
                                           .order_by(staff_audit.c.at.desc()).limit(limit))]


def unconfirmed_staff(s, school_uai: str | None, academie: str | None, function: str | None, page: int,
                      page_size: int) -> tuple[int, list[dict], set[str]]:
    """(total, the page's accounts with their school's name and académie, the schools that have a head)."""
    stmt = (select(users, schools.c.name.label("school_name"), schools.c.academie_name)
            .join(schools, schools.c.uai == users.c.school_uai)
            .where(users.c.role == roles.SCHOOL_STAFF, users.c.status == "active",
                   users.c.staff_confirmed_at.is_(None)))
    if school_uai:
        stmt = stmt.where(users.c.school_uai == school_uai)
    if academie:
        stmt = stmt.where(schools.c.academie_name == academie)
    if function:
        stmt = stmt.where(users.c.function == function)
    total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar()
    rows = [row_dict(r) for r in s.execute(stmt.order_by(users.c.activated_at, users.c.id)
                                           .limit(page_size).offset((page - 1) * page_size))]
    heads = {r.school_uai for r in s.execute(select(school_heads.c.school_uai).where(
        school_heads.c.school_uai.in_({r["school_uai"] for r in rows})))} if rows else set()
    return total, rows, heads


def pending_statisticians(s, page: int, page_size: int) -> tuple[int, list[dict]]:
    """(total, the page's statistician accounts waiting for an admin's validation, oldest first)."""
    stmt = select(users).where(users.c.role == roles.STATISTICIAN, users.c.status == "pending_validation")
    total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar()
    rows = [row_dict(r) for r in s.execute(stmt.order_by(users.c.created_at, users.c.id)
                                           .limit(page_size).offset((page - 1) * page_size))]
    return total, rows


# -- personal data -----------------------------------------------------------------------

def personal_records(s, user_id: str) -> dict:
    """Every row identity keeps about the account besides the account itself (GDPR right of access)."""
    def rows(table, col, order):
        return [row_dict(r) for r in s.execute(select(table).where(col == user_id).order_by(order))]
    return {
        "families": rows(refresh_families, refresh_families.c.user_id, refresh_families.c.started_at),
        "tokens": rows(one_time_tokens, one_time_tokens.c.user_id, one_time_tokens.c.created_at),
        "codes": rows(pupil_codes, pupil_codes.c.user_id, pupil_codes.c.created_at),
        "imports": rows(pupil_imports, pupil_imports.c.imported_by, pupil_imports.c.created_at),
        "federated": rows(federated_identities, federated_identities.c.user_id, federated_identities.c.linked_at),
        "memberships": rows(school_memberships, school_memberships.c.user_id, school_memberships.c.created_at),
        "lock": row_dict(s.execute(select(login_locks).where(login_locks.c.key == f"user:{user_id}")).first()),
    }


# -- anonymisation ---------------------------------------------------------------------------

def inactive_accounts(s, cutoffs: dict[str, dt.datetime], limit: int) -> list[dict]:
    """Accounts inactive since the domain's cut-offs (``anonymisation.inactivity_cutoffs``): pupils since
    ``cutoffs["pupil"]``, the others since ``cutoffs["other"]``; never ``NEVER_ANONYMISED``; oldest first."""
    stmt = (select(users).where(
        users.c.status != "anonymized", users.c.role.not_in(anonymisation.NEVER_ANONYMISED), or_(
            (users.c.role == roles.PUPIL) & (users.c.last_activity_at <= cutoffs["pupil"]),
            (users.c.role != roles.PUPIL) & (users.c.last_activity_at <= cutoffs["other"])))
        .order_by(users.c.last_activity_at).limit(limit))
    return [row_dict(r) for r in s.execute(stmt)]


# -- back-office ---------------------------------------------------------------------------------

# accents (and the separators of names) folded in SQL, like common.validation.fold does in Python
# (upper-case letters too: lower() leaves them as they are under the C collation)
_FOLD_FROM = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸ-'"
_FOLD_TO = "aaaaaaceeeeiiiinooooouuuuyyaaaaaaceeeeiiiinooooouuuuyy  "


def _folded(col):
    return func.translate(func.lower(col), _FOLD_FROM, _FOLD_TO)


def search_users(s, query, role: str | None, page: int, page_size: int) -> tuple[int, list[dict]]:
    """(total, the page's accounts with their school's name) matching a ``domain.user_search.UserQuery``."""
    stmt = (select(users, schools.c.name.label("school_name"))
            .join(schools, schools.c.uai == users.c.school_uai, isouter=True)
            .where(users.c.status != "anonymized"))
    if query.kind == user_search.EMAIL:
        stmt = stmt.where(users.c.email.contains(query.value, autoescape=True))
    elif query.kind == user_search.PHONE:
        stmt = stmt.where(users.c.phone == query.value if query.value.startswith("+")
                          else users.c.phone.contains(query.value, autoescape=True))
    elif query.kind == user_search.UAI:
        stmt = stmt.where(users.c.school_uai == query.value)
    else:
        name = _folded(users.c.first_name + " " + users.c.last_name + " " +
                       func.coalesce(users.c.organisation_name, ""))
        stmt = stmt.where(and_(*[or_(name.contains(w, autoescape=True),
                                     func.coalesce(schools.c.name_key, "").contains(w, autoescape=True))
                                 for w in query.words]))
    if role:
        stmt = stmt.where(users.c.role == role)
    total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar()
    rows = [row_dict(r) for r in s.execute(stmt.order_by(users.c.last_name, users.c.first_name, users.c.id)
                                           .limit(page_size).offset((page - 1) * page_size))]
    return total, rows


def open_sessions(s, user_id: str, since: dt.datetime) -> list[dict]:
    """The account's sessions not closed and used since ``since`` (their refresh token may still work)."""
    return [row_dict(r) for r in s.execute(select(refresh_families).where(
        refresh_families.c.user_id == user_id, refresh_families.c.revoked_at.is_(None),
        refresh_families.c.last_used_at >= since).order_by(refresh_families.c.last_used_at.desc()).limit(50))]


def headed_schools(s, user_id: str) -> list[str]:
    return [r[0] for r in s.execute(select(school_heads.c.school_uai).where(school_heads.c.user_id == user_id))]


def admin_actions_page(s, filters: dict, page: int, page_size: int) -> tuple[int, list[dict]]:
    """(total, the page's journal entries, newest first); ``filters``: action, target_id, actor_id."""
    stmt = select(admin_actions)
    for k, v in filters.items():
        stmt = stmt.where(admin_actions.c[k] == v)
    total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar()
    rows = [row_dict(r) for r in s.execute(stmt.order_by(admin_actions.c.at.desc(), admin_actions.c.id.desc())
                                           .limit(page_size).offset((page - 1) * page_size))]
    return total, rows


def school_classes(s, uai: str) -> tuple[list[dict], dict[str, int]]:
    """(the school's live classes, {class name: pupils}) — names carried by pupils only are counted too."""
    rows = [row_dict(r) for r in s.execute(select(classes).where(
        classes.c.school_uai == uai, classes.c.archived_at.is_(None)).order_by(classes.c.name))]
    counts = {r[0]: r[1] for r in s.execute(select(users.c.class_name, func.count()).where(
        users.c.school_uai == uai, users.c.role == roles.PUPIL, users.c.status != "anonymized",
        users.c.class_name.is_not(None)).group_by(users.c.class_name))}
    return rows, counts


# -- end-of-year rollover ------------------------------------------------------------------------

def rollover_run(s, school_year: str) -> dict | None:
    return get_run(s, school_year)


def rollover_remaining(s, step: str, after_id: str | None) -> int:
    """Users the step has still to go through (after ``after_id`` in id order)."""
    stmt = select(func.count()).select_from(users).where(step_filter(step))
    if after_id:
        stmt = stmt.where(users.c.id > after_id)
    return s.execute(stmt).scalar_one()
