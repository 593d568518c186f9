"""Every user action on an application (read, accept, reject, transfer, confirm, cancel, restore, nudge, invite
to reapply) and the employer's bulk actions.

An action runs in two steps: read the application and make the calls to other services it needs (the seats
left for a re-acceptance, the seat reserved for a confirmation, the transfer link sent), then lock the pupil's
rows, decide again under the lock and write. A seat reserved for a confirmation that did not happen is given
back (``seats.compensate``); a seat freed by a cancellation is given back once committed.
"""
from __future__ import annotations

import dataclasses

from common.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError

from .. import views
from ..domain import conflicts
from ..domain import machine as M
from ..domain import states as S
from ..domain import visibility
from ..views import facts_of
from . import seats, transfers, transitions


@dataclasses.dataclass
class Prepared:
    """What an action obtained from other services before locking."""

    seats_left: int | None = None
    reserved: tuple[str, str] | None = None   # (offer id, application id) of a seat reserved in offers
    transfer_token: str | None = None


def _confirmed(rows: list[dict]) -> list[tuple]:
    return [(r["id"], tuple(r["weeks"] or ())) for r in rows if r["state"] == S.CONFIRMED]


def prepare(clients, row: dict, pupil_rows: list[dict], actor: dict, action: str, now, *, reason=None,
            message=None, email=None) -> Prepared:
    """The calls ``action`` needs, made on an unlocked read (the rules are checked again under the lock)."""
    out = Prepared()
    facts = transitions.as_of(row, now) if action != M.CONFIRM else facts_of(row)
    if action == M.ACCEPT and facts.state in M.REACCEPT_FROM:
        out.seats_left = clients.offers.offer(row["offer_id"]).seats_left
    elif action == M.CONFIRM:
        t = M.decide(facts, action, actor, now, confirmed=_confirmed(pupil_rows))
        if t is not None and t.reserves_seat:
            clients.offers.reserve_seat(row["offer_id"], row["id"], (list(row["weeks"]) or [None])[0])
            out.reserved = (row["offer_id"], row["id"])
    elif action == M.TRANSFER:
        t = M.decide(facts, action, actor, now, reason=reason, message=message, transfer_email=email)
        if t is not None:
            out.transfer_token = transfers.send_link(clients, row, t.details["transfer_email"], message)
    return out


def lock(repo, application_id: str) -> tuple[dict, list[dict]]:
    """Lock the pupil's rows (ascending ids); the application's row and all of them."""
    row = repo.get(application_id)
    if row is None:
        raise NotFound("Candidature introuvable.")
    rows = repo.lock_pupil(row["pupil_id"])
    return next(r for r in rows if r["id"] == row["id"]), rows


def transition_locked(repo, row: dict, pupil_rows: list[dict], actor: dict, action: str, now,
                      prepared: Prepared | None = None, *, reason=None, message=None, email=None):
    """Decide and write ``action`` on the locked ``row``: the transition and its columns, or None (no-op)."""
    prepared = prepared or Prepared()
    if action != M.CONFIRM:  # a late confirmation is told "confirm_too_late" by the rules themselves
        row, pupil_rows = transitions.expire_if_due(repo, row, pupil_rows, now)
    kw = {"reason": reason, "message": message, "transfer_email": email, "seats_left": prepared.seats_left}
    if action in (M.CONFIRM, M.RESTORE):
        kw["confirmed"] = _confirmed(pupil_rows)
    t = M.decide(facts_of(row), action, actor, now, **kw)
    if t is None:
        return None
    extra = {}
    if t.reserves_seat:
        if prepared.reserved is None:
            raise Conflict("Cette candidature a changé entre-temps : réessayez.", code="concurrent_change")
        extra["seat_held"] = True
    cols = transitions.apply(repo, row, t, **extra)
    if action == M.TRANSFER:
        if prepared.transfer_token is None:
            raise Conflict("Cette candidature a changé entre-temps : réessayez.", code="concurrent_change")
        transfers.store_link(repo, row["id"], t.details["transfer_email"], prepared.transfer_token, now)
    if action == M.CONFIRM:
        others = conflicts.cancelled_by_confirmation(
            row["grade"], row["id"], tuple(row["weeks"] or ()),
            [(r["id"], r["state"], tuple(r["weeks"] or ())) for r in pupil_rows])
        for other in (r for r in pupil_rows if r["id"] in others):
            ct = M.decide(facts_of(other), M.CANCEL_AFTER_OTHER_CONFIRMED, transitions.SYSTEM_ACTOR, now)
            if ct is not None:
                ct = dataclasses.replace(ct, details={"confirmed_application_id": str(row["id"]),
                                                      "confirmed_employer_id": str(row["employer_id"])})
                transitions.apply(repo, other, ct)
    return t, cols


def transition(uow, clients, actor: dict, application_id: str, action: str, now, *, reason=None,
               message=None, email=None) -> dict:
    """A user action on one application; the application as ``actor`` reads it afterwards."""
    if action not in M.USER_ACTIONS:
        raise ValidationError(errors={"action": ["Action inconnue."]})
    with uow.read() as q:
        row = q.get(application_id)
        if row is None:
            raise NotFound("Candidature introuvable.")
        visibility.check_view(actor, views.public(row))
        pupil_rows = q.pupil_applications(row["pupil_id"]) if action == M.CONFIRM else [row]
    prepared = prepare(clients, row, pupil_rows, actor, action, now, reason=reason, message=message, email=email)
    try:
        with uow.begin() as repo:
            row, pupil_rows = lock(repo, row["id"])
            done = transition_locked(repo, row, pupil_rows, actor, action, now, prepared,
                                     reason=reason, message=message, email=email)
            fresh = repo.get(row["id"])
            view = views.application(fresh, actor, now, repo.history([row["id"]])[row["id"]])
    except Exception:
        if prepared.reserved:
            seats.compensate(uow, clients.offers, prepared.reserved)
        raise
    if prepared.reserved and fresh["state"] not in S.HOLDS_SEAT:
        seats.compensate(uow, clients.offers, prepared.reserved)
    if done is not None and done[0].releases_seat:
        seats.release(uow, clients.offers, row["offer_id"], row["id"])
    return view


def bulk(uow, clients, actor: dict, action: str, application_ids: list, now, *, reason=None,
         message=None, max_bulk: int = 200) -> dict:
    """The employer's action on many applications at once: all of them, or none (each refusal listed)."""
    if (actor or {}).get("role") != "employer":
        raise Forbidden("Seules les entreprises peuvent traiter des candidatures par lot.")
    if action not in M.BULK_ACTIONS:
        raise ValidationError(errors={"action": [f"Action groupée inconnue : choisissez parmi "
                                                 f"{', '.join(M.BULK_ACTIONS)}."]})
    ids = sorted({str(i) for i in (application_ids or [])})
    if not ids:
        raise ValidationError(errors={"application_ids": ["Choisissez au moins une candidature."]})
    if len(ids) > max_bulk:
        raise ValidationError(errors={"application_ids": [f"{max_bulk} candidatures au plus par lot."]})
    seats_left: dict[str, int] = {}
    if action == M.ACCEPT:  # re-acceptances need the offers' seats left: asked before locking
        with uow.read() as q:
            unlocked = q.get_many(ids)
        for r in unlocked:
            if visibility.employer_may_act(actor, r) and r["offer_id"] not in seats_left \
                    and transitions.as_of(r, now).state in M.REACCEPT_FROM:
                seats_left[r["offer_id"]] = clients.offers.offer(r["offer_id"]).seats_left
    errors: dict[str, list[str]] = {}
    with uow.begin() as repo:
        rows = repo.lock_many(ids)
        done = []
        for app_id in ids:
            row = rows.get(app_id)
            if row is None or not visibility.employer_may_act(actor, row):
                errors[app_id] = ["Candidature introuvable."]
                continue
            row, _ = transitions.expire_if_due(repo, row, [], now)
            try:
                t = M.decide(facts_of(row), action, actor, now, reason=reason, message=message,
                             seats_left=seats_left.get(row["offer_id"]))
            except ValidationError:
                raise
            except DomainError as exc:
                errors[app_id] = [exc.detail]
                continue
            if t is not None:
                transitions.apply(repo, row, t)
            done.append(app_id)
        if errors:
            raise Conflict("Aucune candidature n'a été traitée : certaines ne le permettent pas.",
                           errors=errors, code="bulk_refused")
        items = [views.application(r, actor, now) for r in repo.get_many(done)]
    return {"action": action, "count": len(items), "items": items}
