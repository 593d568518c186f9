"""Retention: inactive accounts are anonymised (``domain.anonymisation``), old rate-limit events and the
detailed reports of old pupil imports are forgotten."""
from __future__ import annotations

from ..domain import anonymisation, roles, throttle
from .context import Context


def anonymize_inactive_now(ctx: Context, actor: dict | None) -> dict:
    """The admins' command; the service's timer runs ``anonymize_inactive`` itself."""
    roles.require_admin(actor)
    return anonymize_inactive(ctx)


def anonymize_inactive(ctx: Context, limit: int = 500) -> dict:
    with ctx.uow.read() as s:
        due = ctx.queries.inactive_accounts(s, anonymisation.inactivity_cutoffs(ctx.now), limit)
    done = []
    for u in due:
        if not anonymisation.is_due(u["role"], u["last_activity_at"], ctx.now):
            continue
        if u["email"]:   # told before, by the notifications service; no row is locked meanwhile
            ctx.notify("anonymisation_notice", {"email": u["email"],
                                                "name": f"{u['first_name']} {u['last_name']}".strip()},
                       {}, f"anonymisation:{u['id']}")
        anonymize(ctx, u["id"])
        done.append(u["id"])
    return {"anonymized": len(done), "user_ids": done}


def anonymize(ctx: Context, user_id: str) -> None:
    with ctx.uow.begin() as uow:
        c = uow.session
        u = ctx.repo.get_user(c, user_id, for_update=True)
        if u is None or u["status"] == "anonymized":
            return
        ctx.repo.update_user(c, u["id"], status="anonymized", anonymized_at=ctx.now, updated_at=ctx.now,
                             class_name=None, organisation_name=None, pupil_key=f"anonymized:{u['id']}",
                             **anonymisation.anonymised_fields(u["id"]))
        ctx.repo.revoke_families(c, u["id"], ctx.now, "anonymized")
        ctx.deny_sessions(ctx.repo.family_ids_of(c, u["id"]))
        ctx.repo.delete_user_secrets(c, u["id"])
        ctx.repo.delete_federation_rows(c, u["id"])
        uow.emit("user.anonymized", {"user_id": u["id"], "role": u["role"], "school_uai": u["school_uai"]})


def prune(ctx: Context) -> dict:
    """Housekeeping: forget rate-limit events older than EVENT_RETENTION, and the detailed reports of
    pupil imports older than IMPORT_REPORT_RETENTION (rejected rows hold names and birth dates);
    the summary (counts) stays."""
    with ctx.uow.begin() as uow:
        events = ctx.repo.prune_events(uow.session, ctx.now - throttle.EVENT_RETENTION)
        reports = ctx.repo.purge_import_reports(uow.session, ctx.now - anonymisation.IMPORT_REPORT_RETENTION,
                                                ctx.now)
    return {"rate_events": events, "import_reports": reports}
