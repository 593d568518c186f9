"""The application state machine: which action, by whom, from which state, with which guards.

``decide(app, action, actor, now, ...)`` is pure: it checks the rules and returns a ``Transition``
(the history record plus its effects), or ``None`` when the action is an idempotent no-op
(opening an already read application, repeating an accept...). ``columns_after`` gives the
application's new column values (dates, counters, clocks) once the transition is applied.

Actors are the gateway's claims dict ({"user_id", "role", ...}); two more roles exist inside the
service: ``"system"`` (the timer, the cascade after a confirmation) and ``"transfer_recipient"``
(the person outside the platform holding a valid transfer link; the service checks the token).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from common.errors import Conflict, FieldErrors, Forbidden
from common.validation import check_email, check_text, normalize_email

from . import deadlines as C
from . import conflicts
from . import states as S
from .visibility import employer_may_act

# Actions (the verbs of the API) ----------------------------------------------------------------
SUBMIT = "submit"
READ = "read"
TRANSFER = "transfer"
ACCEPT = "accept"
REJECT = "reject"
CANCEL = "cancel"
CONFIRM = "confirm"
RESTORE = "restore"
NUDGE = "nudge"
EXPIRE = C.EXPIRE  # the timer's actions are the deadline actions (domain/deadlines.py)
EXPIRE_BY_PUPIL = C.EXPIRE_BY_PUPIL
CANCEL_AFTER_OTHER_CONFIRMED = "cancel_after_other_confirmed"
CANCEL_OFFER_REMOVED = "cancel_offer_removed"   # the offer was removed (by its employer or a moderator)
INVITE_TO_REAPPLY = "invite_to_reapply"

USER_ACTIONS = (READ, TRANSFER, ACCEPT, REJECT, CANCEL, CONFIRM, RESTORE, NUDGE, INVITE_TO_REAPPLY)
BULK_ACTIONS = (READ, ACCEPT, REJECT)

PUPIL = "pupil"
EMPLOYER = "employer"
SYSTEM = "system"
TRANSFER_RECIPIENT = "transfer_recipient"

REASON_MAX = 1000
MESSAGE_MAX = 1500

# What the removal of an offer cancels: every application in progress, confirmed ones included.
OFFER_REMOVAL_CANCELS = S.PENDING | {S.CONFIRMED}
MSG_OFFER_REMOVED = "L'offre a été retirée de la plateforme."

# action -> role -> (allowed from-states, to-state). ``None`` as to-state: the state does not change.
RULES: dict[str, dict[str, tuple[frozenset, str | None]]] = {
    READ: {EMPLOYER: (frozenset({S.SUBMITTED, S.RESTORED}), S.READ_BY_EMPLOYER)},
    TRANSFER: {EMPLOYER: (S.UNANSWERED, S.TRANSFERRED)},
    # A rejection is final (the pupil is told at once): never accepted again; the employer may instead
    # invite the pupil to apply again (INVITE_TO_REAPPLY), which lets them submit a new application.
    ACCEPT: {
        EMPLOYER: (S.AWAITING_EMPLOYER | {S.EXPIRED, S.EXPIRED_BY_PUPIL}, S.ACCEPTED_BY_EMPLOYER),
        TRANSFER_RECIPIENT: (frozenset({S.TRANSFERRED}), S.ACCEPTED_BY_EMPLOYER),
    },
    REJECT: {
        EMPLOYER: (S.AWAITING_EMPLOYER, S.REJECTED),
        TRANSFER_RECIPIENT: (frozenset({S.TRANSFERRED}), S.REJECTED),
    },
    CANCEL: {
        EMPLOYER: (frozenset({S.ACCEPTED_BY_EMPLOYER, S.CONFIRMED}), S.CANCELLED_BY_EMPLOYER),
        PUPIL: (S.PENDING | {S.CONFIRMED}, S.CANCELLED_BY_PUPIL),
    },
    CONFIRM: {PUPIL: (frozenset({S.ACCEPTED_BY_EMPLOYER}), S.CONFIRMED)},
    RESTORE: {PUPIL: (frozenset({S.CANCELLED_BY_PUPIL, S.CANCELLED_AFTER_OTHER_CONFIRMED}), S.RESTORED)},
    NUDGE: {PUPIL: (S.AWAITING_EMPLOYER, None)},
    INVITE_TO_REAPPLY: {EMPLOYER: (frozenset({S.REJECTED}), None)},
    EXPIRE: {SYSTEM: (S.AWAITING_EMPLOYER, C.expiry_target(EXPIRE))},
    EXPIRE_BY_PUPIL: {SYSTEM: (frozenset({S.ACCEPTED_BY_EMPLOYER}), C.expiry_target(EXPIRE_BY_PUPIL))},
    CANCEL_AFTER_OTHER_CONFIRMED: {SYSTEM: (S.PENDING, S.CANCELLED_AFTER_OTHER_CONFIRMED)},
    CANCEL_OFFER_REMOVED: {SYSTEM: (OFFER_REMOVAL_CANCELS, S.CANCELLED_BY_EMPLOYER)},
}

# Re-accepting an expired application needs a seat left (a rejected one is never accepted again).
REACCEPT_FROM = frozenset({S.EXPIRED, S.EXPIRED_BY_PUPIL})

EVENT_OF_ACTION = {
    SUBMIT: "application.submitted",
    READ: "application.read",
    TRANSFER: "application.transferred",
    ACCEPT: "application.accepted",
    REJECT: "application.rejected",
    CANCEL: "application.cancelled",
    CANCEL_AFTER_OTHER_CONFIRMED: "application.cancelled",
    CANCEL_OFFER_REMOVED: "application.cancelled",
    CONFIRM: "application.confirmed",
    RESTORE: "application.restored",
    NUDGE: "application.nudged",
    INVITE_TO_REAPPLY: "application.reapply_invited",
    EXPIRE: "application.expired",
    EXPIRE_BY_PUPIL: "application.expired",
}

ACTION_VERBS = {  # "Impossible de <verb> une candidature <label>."
    READ: "lire", TRANSFER: "transférer", ACCEPT: "accepter", REJECT: "refuser", CANCEL: "annuler",
    CONFIRM: "confirmer", RESTORE: "restaurer", NUDGE: "relancer", EXPIRE: "faire expirer",
    EXPIRE_BY_PUPIL: "faire expirer", CANCEL_AFTER_OTHER_CONFIRMED: "annuler", CANCEL_OFFER_REMOVED: "annuler",
    INVITE_TO_REAPPLY: "proposer de candidater à nouveau pour",
}

MSG_REJECTION_FINAL = ("Cette candidature a été refusée et l'élève en a été informé : ce refus est définitif. "
                       "Vous pouvez inviter l'élève à candidater de nouveau à votre offre.")


@dataclass(frozen=True)
class ApplicationFacts:
    """What the rules need to know about one application."""

    id: str
    state: str
    pupil_id: str
    employer_id: str
    submitted_at: dt.datetime
    grade: str | None = None
    weeks: tuple[str, ...] = ()
    offer_id: str | None = None
    school_uai: str | None = None
    restored_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    transferred_at: dt.datetime | None = None
    restore_count: int = 0
    nudged_at: dt.datetime | None = None
    reapply_invited_at: dt.datetime | None = None
    space_id: str | None = None   # the offer's employer space (domain/visibility.py)

    @property
    def clocks(self) -> C.Clocks:
        return C.clocks_for(self.state, submitted_at=self.submitted_at, restored_at=self.restored_at,
                            accepted_at=self.accepted_at)


@dataclass(frozen=True)
class Transition:
    """One history record (from, to, who, when, reason) and what it implies."""

    application_id: str
    action: str
    from_state: str | None
    to_state: str
    actor_role: str
    actor_id: str | None
    at: dt.datetime
    reason: str | None = None
    message: str | None = None
    details: dict = field(default_factory=dict)  # e.g. {"transfer_email": ...}; never sent in events

    @property
    def event_type(self) -> str:
        return EVENT_OF_ACTION[self.action]

    @property
    def reserves_seat(self) -> bool:
        return self.to_state in S.HOLDS_SEAT and self.from_state not in S.HOLDS_SEAT

    @property
    def releases_seat(self) -> bool:
        return self.from_state in S.HOLDS_SEAT and self.to_state not in S.HOLDS_SEAT

    def as_record(self) -> dict:
        return {"action": self.action, "from_state": self.from_state, "to_state": self.to_state,
                "actor_role": self.actor_role, "actor_id": self.actor_id, "at": self.at,
                "reason": self.reason, "message": self.message}


def _role(actor: dict) -> str | None:
    return (actor or {}).get("role")


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


def _refuse_state(action: str, app: ApplicationFacts, role: str) -> Conflict:
    return Conflict(
        f"Impossible de {ACTION_VERBS[action]} une candidature dont le statut est « {S.label(app.state, role)} ».",
        code="invalid_transition", extra={"state": app.state, "action": action})


def check_party(app: ApplicationFacts, actor: dict) -> str:
    """The role under which ``actor`` acts on ``app``; Forbidden if they are not a party to it."""
    role = _role(actor)
    uid = (actor or {}).get("user_id")
    if role == PUPIL and uid == app.pupil_id:
        return PUPIL
    if role == EMPLOYER and employer_may_act(actor, {"space_id": app.space_id, "employer_id": app.employer_id}):
        return EMPLOYER
    if role == TRANSFER_RECIPIENT and (actor or {}).get("application_id") == app.id:
        return TRANSFER_RECIPIENT
    if role == SYSTEM:
        return SYSTEM
    raise Forbidden("Vous n'avez pas accès à cette candidature.")


def _clean_text(value, field_name: str, *, required: bool, max_len: int, errors: FieldErrors):
    msg = check_text(value, max_len=max_len, required=required)
    if msg:
        empty = value is None or (isinstance(value, str) and not value.strip())
        errors.add(field_name, "Indiquez un motif." if empty and field_name == "reason" else msg)
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def decide(app: ApplicationFacts, action: str, actor: dict, now: dt.datetime, *, reason: str | None = None,
           message: str | None = None, transfer_email: str | None = None, seats_left: int | None = None,
           confirmed: list | tuple = ()) -> Transition | None:
    """Check ``action`` on ``app`` by ``actor`` at ``now``; return the transition, or None for a no-op.

    ``seats_left``: seats left on the offer (re-accepting needs one; None when unknown is refused).
    ``confirmed``: the pupil's other confirmed applications as ``(application_id, weeks)`` pairs
    (confirming or restoring must not conflict with them).
    """
    _require_aware(now)
    if action not in RULES:
        raise Conflict(f"Action inconnue : {action}.", code="unknown_action")
    role = check_party(app, actor)
    by_role = RULES[action]
    if role not in by_role:
        raise Forbidden("Vous ne pouvez pas effectuer cette action sur cette candidature.")
    allowed_from, to_state = by_role[role]

    # Idempotent repeats: the application is already where the action leads.
    if to_state is not None and app.state == to_state and action not in (TRANSFER, RESTORE):
        return None
    if action == READ and app.state not in allowed_from:
        return None  # opening an application again never fails
    if action == INVITE_TO_REAPPLY and app.state == S.REJECTED and app.reapply_invited_at is not None:
        return None  # inviting again changes nothing
    if action == ACCEPT and role == EMPLOYER and app.state == S.REJECTED:
        raise Conflict(MSG_REJECTION_FINAL, code="rejection_final", extra={"state": app.state, "action": action})
    if app.state not in allowed_from:
        raise _refuse_state(action, app, role)

    errors = FieldErrors()
    reason_required = action == REJECT or (action == CANCEL and role == EMPLOYER)
    reason = _clean_text(reason, "reason", required=reason_required, max_len=REASON_MAX, errors=errors)
    message = _clean_text(message, "message", required=False, max_len=MESSAGE_MAX, errors=errors)
    details = {}
    if action == TRANSFER:
        msg = check_email(transfer_email) if transfer_email else "Indiquez l'adresse e-mail du destinataire."
        if msg:
            errors.add("email", msg)
        else:
            details["transfer_email"] = normalize_email(transfer_email)
    errors.raise_if_any()

    # Guards -----------------------------------------------------------------------------------
    if action == ACCEPT and app.state in REACCEPT_FROM and not (seats_left or 0) > 0:
        raise Conflict("Il ne reste plus de place sur cette offre : impossible d'accepter à nouveau cette candidature.",
                       code="no_seat_left")
    if action == ACCEPT and role == TRANSFER_RECIPIENT and app.transferred_at is not None \
            and now >= C.transfer_link_expires_at(app.transferred_at):
        raise Conflict("Ce lien de transfert a expiré.", code="transfer_link_expired")
    if action == CONFIRM:
        if app.accepted_at is None or not C.can_still_confirm(app.accepted_at, now):
            raise Conflict("Le délai de 15 jours pour confirmer ce stage est dépassé.", code="confirm_too_late")
    if action in (CONFIRM, RESTORE):
        clash = conflicts.conflicting_confirmed(app.grade, app.weeks,
                                                [c for c in confirmed if c[0] != app.id])
        if clash:
            raise Conflict(conflicts.conflict_reason(app.grade), code="conflicts_with_confirmed",
                           extra={"conflicting_application_id": clash[0]})
    if action == RESTORE and app.restore_count >= 1:
        raise Conflict("Vous avez déjà restauré cette candidature une fois.", code="already_restored")
    if action == NUDGE and app.nudged_at is not None:
        raise Conflict("Vous avez déjà relancé l'entreprise pour cette candidature.", code="already_nudged")
    if action in (EXPIRE, EXPIRE_BY_PUPIL):
        clocks = app.clocks
        expected = C.EXPIRE if action == EXPIRE else C.EXPIRE_BY_PUPIL
        if clocks.deadline_action != expected or not C.is_due(clocks, now):
            raise Conflict("Le délai de cette candidature n'est pas encore écoulé.", code="not_due")

    return Transition(application_id=app.id, action=action, from_state=app.state,
                      to_state=to_state or app.state, actor_role=role, actor_id=(actor or {}).get("user_id"),
                      at=now, reason=reason, message=message, details=details)


def submission(application_id: str, pupil_id: str, now: dt.datetime) -> Transition:
    """The first history record of an application."""
    _require_aware(now)
    return Transition(application_id=application_id, action=SUBMIT, from_state=None, to_state=S.SUBMITTED,
                      actor_role=PUPIL, actor_id=pupil_id, at=now)


def expiry_action(state: str) -> str | None:
    """The timer's action for an application in ``state`` (None if it has no deadline)."""
    if state in S.AWAITING_EMPLOYER:
        return EXPIRE
    if state == S.ACCEPTED_BY_EMPLOYER:
        return EXPIRE_BY_PUPIL
    return None


def overdue(app: ApplicationFacts, now: dt.datetime) -> Transition | None:
    """The timer's transition when ``app``'s deadline has come at ``now``, else None. A user action applies it
    first: nobody acts on an application past its deadline, whether or not the timer has run."""
    due = expiry_action(app.state)
    if due is None or not C.is_due(app.clocks, now):
        return None
    return decide(app, due, {"role": SYSTEM, "user_id": None}, now)


def apply(app: ApplicationFacts, t: Transition) -> ApplicationFacts:
    """The application after ``t``."""
    changes: dict = {"state": t.to_state}
    if t.to_state == S.ACCEPTED_BY_EMPLOYER and t.from_state != S.ACCEPTED_BY_EMPLOYER:
        changes["accepted_at"] = t.at
    if t.action == TRANSFER:
        changes["transferred_at"] = t.at
    if t.action == RESTORE:
        changes["restored_at"] = t.at
        changes["restore_count"] = app.restore_count + 1
    if t.action == NUDGE:
        changes["nudged_at"] = t.at
    if t.action == INVITE_TO_REAPPLY:
        changes["reapply_invited_at"] = t.at
    return replace(app, **changes)


def columns_after(app: ApplicationFacts, t: Transition) -> dict:
    """Column values to write for ``t``: state, dates, counters and the recomputed clocks."""
    new = apply(app, t)
    cols = {"state": new.state, "accepted_at": new.accepted_at, "transferred_at": new.transferred_at,
            "restored_at": new.restored_at, "restore_count": new.restore_count, "nudged_at": new.nudged_at,
            "reapply_invited_at": new.reapply_invited_at, "updated_at": t.at}
    cols.update(new.clocks.as_columns())
    return cols


def allowed_actions(app: ApplicationFacts, actor: dict, now: dt.datetime) -> list[str]:
    """The user actions ``actor`` could try now (for the UI; guards needing outside data not checked)."""
    try:
        role = check_party(app, actor)
    except Forbidden:
        return []
    out = []
    for action in USER_ACTIONS:
        rule = RULES[action].get(role)
        if not rule or app.state not in rule[0]:
            continue
        if action == READ:
            continue
        if action == RESTORE and app.restore_count >= 1:
            continue
        if action == NUDGE and app.nudged_at is not None:
            continue
        if action == INVITE_TO_REAPPLY and app.reapply_invited_at is not None:
            continue
        if action == CONFIRM and (app.accepted_at is None or not C.can_still_confirm(app.accepted_at, now)):
            continue
        out.append(action)
    return out
