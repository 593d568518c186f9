"""Reporting and moderation of offers (pure rules).

Anyone (a signed-in user, or a visitor known by a hashed client identifier the gateway computes) reports an
offer once, with a reason from ``REASONS`` (free text required for ``other``). An offer reported by
``REPORTS_TO_HIDE`` distinct people is held: hidden from the search (``offers.moderation_hold``; the search
SQL reads ``HOLD_COLUMN``) until an admin decides:

- ``keep``: the open reports are closed, the hold is lifted (the offer is visible again);
- ``request_changes``: the open reports are closed, the offer is unpublished and marked
  ``changes_requested``; the employer may edit it (the first edit marks it ``changes_made``) and only then
  republish it (``check_republish``); republishing clears the mark. The reason is e-mailed to the employer;
- ``remove``: the open reports are closed and the offer removed (``offer.removed``: the applications service
  cancels the applications in progress and the pupils are told).

Every decision is recorded with its author and reason and shown to the offer's employer.
"""
from __future__ import annotations

import hashlib

from common.errors import Conflict, FieldErrors
from common.validation import check_text

REPORTS_TO_HIDE = 2            # distinct reporters with an open report: the offer leaves the search
QUEUE_PAGE_SIZE = 30           # reported offers per page of the moderation queue
HOLD_COLUMN = "moderation_hold"

REASONS = {
    "not_observation": "Ce n'est pas un stage d'observation",
    "disguised_work": "Travail dissimulé / emploi déguisé",
    "discriminatory": "Discriminatoire",
    "dangerous_for_minor": "Dangereux pour un mineur",
    "other": "Autre",
}
TEXT_REQUIRED_FOR = frozenset({"other"})
TEXT_MAX = 1000

KEEP, REQUEST_CHANGES, REMOVE = "keep", "request_changes", "remove"
DECISIONS = {
    KEEP: "Offre conservée",
    REQUEST_CHANGES: "Modifications demandées",
    REMOVE: "Offre supprimée",
}
REASON_REQUIRED_FOR = frozenset({REQUEST_CHANGES, REMOVE})
DECISION_REASON_MAX = 2000

# offers.moderation_status: where the employer stands after a decision
CHANGES_REQUESTED, CHANGES_MADE = "changes_requested", "changes_made"

MSG_REASON = "Choisissez un motif dans la liste."
MSG_TEXT_REQUIRED = "Précisez le motif du signalement."
MSG_DECISION = "Choisissez une décision : conserver, demander des modifications ou supprimer."
MSG_DECISION_REASON = "Indiquez le motif de la décision : il sera envoyé à l'employeur."
MSG_NOT_REPORTABLE = "Cette offre ne peut pas être signalée."
MSG_REMOVED = "Cette offre est déjà supprimée."
MSG_CHANGES_REQUESTED = ("La modération a demandé des modifications de cette offre : modifiez-la avant de la "
                         "republier.")
MSG_TYPE = "Texte attendu."
MSG_REPORTER = "Signalement impossible : auteur inconnu."
REPORTABLE_STATES = frozenset({"published", "need_to_be_updated", "unpublished"})


def clean_report(data: dict | None) -> dict:
    """{reason, text} of a report, or ValidationError with every field error (French)."""
    data = data if isinstance(data, dict) else {}
    errors = FieldErrors()
    reason = data.get("reason")
    if not isinstance(reason, str) or reason not in REASONS:
        errors.add("reason", MSG_REASON)
    text = data.get("text")
    if isinstance(text, str):
        text = text.strip() or None
    if text is not None:
        msg = check_text(text, max_len=TEXT_MAX, required=False) if isinstance(text, str) else MSG_TYPE
        if msg:
            errors.add("text", msg)
    elif reason in TEXT_REQUIRED_FOR:
        errors.add("text", MSG_TEXT_REQUIRED)
    errors.raise_if_any()
    return {"reason": reason, "text": text}


def reporter_key(actor: dict | None, client_hash: str | None) -> str:
    """Who reports: a signed-in user by id, a visitor by the gateway's hashed client identifier (hashed once
    more here: the raw value is never stored)."""
    user_id = (actor or {}).get("user_id")
    if user_id:
        return f"user:{user_id}"
    if isinstance(client_hash, str) and 8 <= len(client_hash) <= 200:
        return "visitor:" + hashlib.sha256(client_hash.encode()).hexdigest()
    raise Conflict(MSG_REPORTER, code="reporter_unknown")


def check_reportable(state: str) -> None:
    if state not in REPORTABLE_STATES:
        raise Conflict(MSG_NOT_REPORTABLE, code="not_reportable", extra={"state": state})


def should_hold(distinct_reporters: int) -> bool:
    """Whether an offer with this many distinct reporters (open reports) is hidden from the search."""
    return distinct_reporters >= REPORTS_TO_HIDE


def hidden_from_search(offer: dict) -> bool:
    """The search's rule (the SQL reads ``HOLD_COLUMN``): a held offer is not found until reviewed."""
    return bool(offer.get(HOLD_COLUMN))


def clean_decision(data: dict | None) -> dict:
    """{decision, reason} of an admin's decision, or ValidationError (French, field by field)."""
    data = data if isinstance(data, dict) else {}
    errors = FieldErrors()
    decision = data.get("decision")
    if not isinstance(decision, str) or decision not in DECISIONS:
        errors.add("decision", MSG_DECISION)
    reason = data.get("reason")
    if isinstance(reason, str):
        reason = reason.strip() or None
    if reason is not None:
        msg = (check_text(reason, max_len=DECISION_REASON_MAX, required=False) if isinstance(reason, str)
               else MSG_TYPE)
        if msg:
            errors.add("reason", msg)
    elif decision in REASON_REQUIRED_FOR:
        errors.add("reason", MSG_DECISION_REASON)
    errors.raise_if_any()
    return {"decision": decision, "reason": reason}


def check_decidable(decision: str, state: str) -> None:
    if state == "removed":
        raise Conflict(MSG_REMOVED, code="invalid_state", extra={"state": state, "action": decision})
    if decision == REQUEST_CHANGES and state == "draft":
        raise Conflict("Impossible : l'offre est un brouillon.", code="invalid_state",
                       extra={"state": state, "action": decision})


def effects(decision: str, state: str) -> dict:
    """What a decision writes on the offer: the columns and whether it unpublishes / removes it."""
    cols = {HOLD_COLUMN: False}
    unpublish = remove = False
    if decision == KEEP:
        pass
    elif decision == REQUEST_CHANGES:
        cols["moderation_status"] = CHANGES_REQUESTED
        if state in ("published", "need_to_be_updated"):
            cols["state"] = "unpublished"
            unpublish = True
    elif decision == REMOVE:
        cols["moderation_status"] = None
        remove = True
    return {"columns": cols, "unpublish": unpublish, "remove": remove}


def after_edit(status: str | None) -> str | None:
    """The employer's edit answers a request for changes."""
    return CHANGES_MADE if status == CHANGES_REQUESTED else status


def check_republish(status: str | None) -> None:
    if status == CHANGES_REQUESTED:
        raise Conflict(MSG_CHANGES_REQUESTED, code="changes_requested")


def counts_by_reason(reasons: list[str]) -> dict:
    """{reason: count} over every reason of the list (zero included), for events and the queue."""
    out = {r: 0 for r in REASONS}
    for r in reasons:
        if r in out:
            out[r] += 1
    return out
