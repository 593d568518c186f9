"""The national pupil register (SYGNE through Omogen): connected schools, imports on request and every night
(idempotent, with a progress report per school), pupils who change school, their legal guardians; and the
internship weeks a school declares for its 3e pupils.

Rules: ``identity.domain.register``; SQL: ``identity.repository.register``; the register itself:
``identity.register_client`` (a ``Register``, passed in by the entrypoint; tests may pass another)."""
from __future__ import annotations

import logging
import uuid

from common.errors import Forbidden, ValidationError

from .. import views
from ..domain import accounts, roles
from ..domain import register as R
from ..domain import schools as sdomain
from ..register_client import RegisterUnavailable
from ..repository import register as sql
from .context import Context, require_school
from .staff import require_confirmed_staff

log = logging.getLogger("identity.register")

# who may start an import and declare the weeks: the school's head or administrative staff, and admins
MANAGING_FUNCTIONS = (roles.HEAD, roles.ADMIN_STAFF)


def require_school_manager(ctx: Context, actor: dict | None, uai: str) -> None:
    if actor and actor.get("role") == roles.ADMIN:
        return
    if not roles.is_staff_of(actor, uai) or actor.get("function") not in MANAGING_FUNCTIONS:
        raise Forbidden("Seuls le chef d'établissement et le personnel administratif de l'établissement "
                        "peuvent faire cela.")
    require_confirmed_staff(ctx, actor)


def _school(ctx: Context, uai) -> tuple[str, dict]:
    uai = accounts.normalize_uai(uai if isinstance(uai, str) else "")
    with ctx.uow.read() as s:
        return uai, require_school(ctx, s, uai)


# -- connected schools (admins) -------------------------------------------------------------------------------

def set_connected(ctx: Context, actor: dict, uai: str, connected: bool) -> dict:
    roles.require_admin(actor)
    uai, _ = _school(ctx, uai)
    with ctx.uow.begin() as uow:
        if connected:
            sql.connect_school(uow.session, uai, ctx.now, actor.get("user_id"))
        else:
            sql.disconnect_school(uow.session, uai)
    return register_status(ctx, actor, uai)


def register_status(ctx: Context, actor: dict, uai: str) -> dict:
    uai, _ = _school(ctx, uai)
    roles.require_staff_of(actor, uai)
    with ctx.uow.read() as s:
        connected = sql.is_connected(s, uai)
        runs = sql.list_runs(s, uai, limit=1)
    return {"school_uai": uai, "connected": connected, "last_import": views.register_run(runs[0]) if runs else None}


# -- imports ----------------------------------------------------------------------------------------------------

def _fetch(register, uai: str) -> tuple[list[R.RegisterPupil], dict[str, list[dict]], list[dict]]:
    """Every pupil of the school at the imported levels, and their legal guardians (no lock is held)."""
    pupils, errors = [], []
    for code in R.MEFSTAT4_CODES:
        for payload in register.pupils(uai, code):
            p, reason = R.read_pupil(payload, code, uai)
            if p is None:
                if reason != "other_school":
                    ine = payload.get("ine") if isinstance(payload, dict) and isinstance(payload.get("ine"), str) \
                        else None
                    errors.append({"ine": (ine or "")[:11] or None, "reason": reason})
                continue
            pupils.append(p)
    guardians = {p.ine: R.read_guardians(register.guardians(p.ine)) for p in pupils}
    return pupils, guardians, errors


def _queue(ctx: Context, c, uai: str, trigger: str, actor: dict | None, key: str | None) -> str:
    run_id = str(uuid.uuid4())
    sql.insert_run(c, id=run_id, school_uai=uai, trigger=trigger, requested_by=(actor or {}).get("user_id"),
                   idempotency_key=key, status="queued", started_at=ctx.now, counts={k: 0 for k in R.COUNTS},
                   errors=[])
    return run_id


def _apply(ctx: Context, uow, uai: str, run_id: str, pupils, guardians, errors) -> dict:
    c, now = uow.session, ctx.now
    ctx.repo.serialise_imports(c, uai)   # one import of a school at a time (CSV or register)
    known = sql.register_known(c, uai, [p.ine for p in pupils], [p.key for p in pupils])
    plan = R.plan_register_import(pupils, known)
    errors = errors + plan.errors
    known_guardians = sql.guardians_of(c, [k["id"] for k in known])
    created, updated, moved = [], [], []
    for p in plan.create:
        pid = str(uuid.uuid4())
        ctx.repo.insert_user(c, id=pid, role=roles.PUPIL, status="pending_activation", first_name=p.first_name,
                             last_name=p.last_name, school_uai=uai, grade=p.grade, class_name=p.class_name,
                             birth_date=p.birth_date, ine=p.ine, pupil_key=p.key, created_at=now, updated_at=now,
                             last_activity_at=now)
        sql.replace_guardians(c, pid, guardians.get(p.ine) or [], now)
        created.append(pid)
    for pid, p, changes in plan.update:
        ctx.repo.update_user(c, pid, pupil_key=p.key, updated_at=now, **changes)
        updated.append(pid)
    for pid, p, old_uai in plan.move:
        ctx.repo.update_user(c, pid, school_uai=uai, grade=p.grade, class_name=p.class_name, last_name=p.last_name,
                             first_name=p.first_name, birth_date=p.birth_date, pupil_key=p.key, updated_at=now)
        uow.emit("pupil.school_changed", {"pupil_id": pid, "previous_school_uai": old_uai, "school_uai": uai,
                                          "run_id": run_id})
        moved.append(pid)
    unchanged = 0
    still = {pid for pid, _ in plan.unchanged}
    for pid, p in [(x[0], x[1]) for x in plan.update + plan.move] + plan.unchanged:
        new = guardians.get(p.ine) or []
        if not R.same_guardians(known_guardians.get(pid) or [], new):
            sql.replace_guardians(c, pid, new, now)
            if pid in still:
                updated.append(pid)
        elif pid in still:
            unchanged += 1
    counts = {"created": len(created), "updated": len(updated), "moved": len(moved), "unchanged": unchanged,
              "errors": len(errors)}
    sql.finish_run(c, run_id, status="done", finished_at=now, counts=counts, errors=errors[:500])
    if created:   # new accounts, whose activation codes the school prints (moves have their own event)
        uow.emit("pupil.imported", {"import_id": run_id, "school_uai": uai, "created": created,
                                    "updated": updated + moved})
    return counts


def run_import(ctx: Context, register, uai: str, run_id: str) -> dict:
    """Import one school from the register for a claimed run: fetch (no lock held), then reconcile in one
    transaction. ``RegisterUnavailable``: the run is recorded ``failed``."""
    try:
        if register is None:
            raise RegisterUnavailable("no register configured (OMOGEN_SYGNE_URL)")
        pupils, guardians, errors = _fetch(register, uai)
    except RegisterUnavailable as exc:
        log.warning("register import of %s failed: %s", uai, exc)
        with ctx.uow.begin() as uow:
            sql.finish_run(uow.session, run_id, status="failed", finished_at=ctx.now,
                           errors=[{"ine": None, "reason": "register_unavailable"}])
    else:
        with ctx.uow.begin() as uow:
            _apply(ctx, uow, uai, run_id, pupils, guardians, errors)
    with ctx.uow.read() as s:
        return views.register_run(sql.get_run(s, run_id))


def import_school(ctx: Context, actor: dict, uai: str, idempotency_key: str | None = None) -> dict:
    """On request of the school's head or administrative staff, or an admin (connected schools only): the run,
    ``queued``; the queue's timer imports it within seconds (``process_queue``), its report then in
    ``list_imports``. The same idempotency key answers the same run."""
    uai, _ = _school(ctx, uai)
    require_school_manager(ctx, actor, uai)
    key = str(idempotency_key)[:100] if idempotency_key else None
    with ctx.uow.begin() as uow:
        c = uow.session
        if not sql.is_connected(c, uai):
            raise ValidationError("Cet établissement n'utilise pas le registre national des élèves : importez "
                                  "une liste d'élèves (CSV).", errors={"school_uai": [
                                      "Établissement non relié au registre national des élèves."]},
                                  code="school_not_connected")
        twin = sql.run_by_key(c, uai, key) if key else None
        run_id = twin["id"] if twin else _queue(ctx, c, uai, "request", actor, key)
    with ctx.uow.read() as s:
        return views.register_run(sql.get_run(s, run_id))


def list_imports(ctx: Context, actor: dict, uai: str, limit: int = 50) -> dict:
    uai, _ = _school(ctx, uai)
    roles.require_staff_of(actor, uai)
    with ctx.uow.read() as s:
        runs = sql.list_runs(s, uai, limit=max(1, min(int(limit or 50), 200)))
        connected = sql.is_connected(s, uai)
    return {"school_uai": uai, "connected": connected, "items": [views.register_run(r) for r in runs]}


def queue_nightly(ctx: Context, limit: int = 200) -> list[str]:
    """Queue every connected school not imported since last 02:00 (Paris), once: the school's row is locked
    with SKIP LOCKED while its run is queued (another replica's tick skips it, or then sees the run)."""
    cutoff = R.nightly_cutoff(ctx.now)
    with ctx.uow.read() as s:
        due = sql.due_schools(s, cutoff, limit)
    queued = []
    for uai in due:
        with ctx.uow.begin() as uow:
            c = uow.session
            if sql.lock_school_skip_locked(c, uai) and not sql.started_since(c, uai, cutoff):
                _queue(ctx, c, uai, "nightly", None, None)
                queued.append(uai)
    return queued


def process_queue(ctx: Context, register, limit: int = 5) -> list[dict]:
    """Import queued runs, oldest first, each claimed by one replica (``FOR UPDATE SKIP LOCKED``, then
    ``running``)."""
    done = []
    for _ in range(limit):
        with ctx.uow.begin() as uow:
            run = sql.claim_queued(uow.session)
        if run is None:
            break
        done.append(run_import(ctx, register, run["school_uai"], run["id"]))
    return done


# -- guardians (for agreements' prefill) -----------------------------------------------------------------------

def guardians_of(ctx: Context, s, pupil_id: str) -> list[dict]:
    return [views.guardian(g) for g in ctx.repo.guardians_of(s, [pupil_id]).get(pupil_id, [])]


# -- internship weeks of 3e -------------------------------------------------------------------------------------

def get_internship_weeks(ctx: Context, uai: str) -> dict:
    """Public: the weeks a school declared, and those that still restrict its 3e pupils' applications."""
    uai, _ = _school(ctx, uai)
    with ctx.uow.read() as s:
        weeks = sql.declared_weeks(s, uai)
    return {"school_uai": uai, "weeks": weeks, "restricting": R.restricting_weeks(weeks, ctx.now)}


def set_internship_weeks(ctx: Context, actor: dict, uai: str, weeks) -> dict:
    uai, school = _school(ctx, uai)
    require_school_manager(ctx, actor, uai)
    if school["kind"] != "college":
        raise ValidationError(errors={"weeks": ["Seuls les collèges déclarent les semaines de stage de 3e."]})
    clean, messages = R.check_declared_weeks(weeks, ctx.now)
    if messages:
        raise ValidationError(errors={"weeks": messages})
    with ctx.uow.begin() as uow:
        c = uow.session
        if sql.declared_weeks(c, uai) != clean:   # the same weeks again: nothing changes, nothing is published
            sql.replace_weeks(c, uai, clean, ctx.now, actor.get("user_id"))
            uow.emit("school.internship_weeks_declared", {"uai": uai, "weeks": clean})
    return get_internship_weeks(ctx, uai)


def declared_weeks_near(ctx: Context, lat, lon, radius_km=60) -> dict:
    errors = sdomain.check_point(lat, lon, radius_km)
    if errors:
        raise ValidationError(errors=errors)
    lat, lon, radius_km = float(lat), float(lon), float(radius_km)
    with ctx.uow.read() as s:
        rows = sql.weeks_in_box(s, sdomain.bounding_box(lat, lon, radius_km))
    near = {sc["uai"] for _, sc in sdomain.nearest(lat, lon, [{"uai": r["uai"], "lat": r["lat"], "lon": r["lon"]}
                                                              for r in rows], radius_km, limit=100000)}
    return {"radius_km": radius_km,
            "items": R.week_counts([(r["uai"], r["week"]) for r in rows if r["uai"] in near], ctx.now)}


def nightly_tick(ctx) -> None:
    """The nightly timer: queue each connected school once a night; a failure is logged and the next run retries."""
    try:
        queued = queue_nightly(ctx)
        if queued:
            log.info("register: %d schools queued for their nightly import", len(queued))
    except Exception:
        log.exception("register nightly queueing failed; next run will retry")


def queue_tick(ctx, register_port) -> None:
    """The queue's timer: import the oldest queued school no other replica holds."""
    try:
        process_queue(ctx, register_port, limit=1)
    except Exception:
        log.exception("register import failed; the next tick goes on with the queue")
