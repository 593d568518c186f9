"""Shaping of the answers (dicts returned over RPC) from the rows the repository and queries give (dicts
of column values): visibility and labels come from the domain (visibility, states, machine)."""
from __future__ import annotations

import datetime as dt

from .domain import machine as M
from .domain import states as S
from .domain import visibility

PUBLIC_FIELDS = ("id", "offer_id", "offer_title", "pupil_id", "employer_id", "school_uai", "academie_code",
                 "departement_code", "region_code", "school_category", "pupil_name", "grade", "school_name",
                 "class_name", "weeks", "motivation",
                 "email", "phone", "address", "legal_representative", "state", "submitted_at", "accepted_at",
                 "transferred_at", "restored_at", "restore_count", "nudged_at", "reapply_invited_at", "updated_at",
                 "deadline_at", "deadline_action")
# what the person holding a transfer link does not see of the application
HIDDEN_FROM_TRANSFER = ("pupil_id", "employer_id", "academie_code", "departement_code", "region_code",
                        "school_category")
HISTORY_FIELDS = ("action", "from_state", "to_state", "actor_role", "actor_id", "at", "reason", "message")


def jsonable(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def facts_of(row: dict) -> M.ApplicationFacts:
    """What the state machine needs to know of a row."""
    return M.ApplicationFacts(
        id=row["id"], state=row["state"], pupil_id=row["pupil_id"], employer_id=row["employer_id"],
        submitted_at=row["submitted_at"], grade=row["grade"], weeks=tuple(row["weeks"] or ()),
        offer_id=row["offer_id"], school_uai=row["school_uai"], restored_at=row["restored_at"],
        accepted_at=row["accepted_at"], transferred_at=row["transferred_at"], restore_count=row["restore_count"],
        nudged_at=row["nudged_at"], reapply_invited_at=row["reapply_invited_at"], space_id=row.get("space_id"))


def public(row: dict) -> dict:
    out = {k: row[k] for k in PUBLIC_FIELDS}
    out["weeks"] = list(out["weeks"] or ())
    return out


def application(row: dict, actor: dict | None, now: dt.datetime, history: list[dict] | None = None) -> dict:
    """One application as ``actor`` may read it (None: the service itself), with its allowed actions."""
    app = public(row)
    if history is not None:
        app["history"] = history
    if actor is None:
        app["state_label"] = S.label(app["state"], None)
        app["tab"] = S.tab_of(app["state"])
        return jsonable(app)
    out = visibility.present(app, actor)
    out["allowed_actions"] = M.allowed_actions(facts_of(row), actor, now)
    return jsonable(out)


def for_transfer_recipient(view: dict) -> dict:
    return {k: v for k, v in view.items() if k not in HIDDEN_FROM_TRANSFER}


def history_entry(record: dict) -> dict:
    return {k: record[k] for k in HISTORY_FIELDS}


def event_data(app: dict, t: M.Transition, cols: dict) -> dict:
    """The data of the event ``t`` records on ``app`` (its row before) with ``cols`` (its new columns)."""
    deadline = cols.get("deadline_at")
    data = {"application_id": app["id"], "offer_id": app["offer_id"], "pupil_id": app["pupil_id"],
            "employer_id": app["employer_id"], "school_uai": app.get("school_uai"),
            "weeks": list(app.get("weeks") or ()), "state": t.to_state, "from_state": t.from_state,
            "expires_at": deadline.isoformat() if deadline else None}
    if t.action == M.SUBMIT:
        data["submitted_at"] = t.at.isoformat()
    if t.event_type == "application.accepted":
        data["accept_expires_at"] = data["expires_at"]
    if t.event_type == "application.cancelled":
        data["seat_released"] = t.releases_seat
    if t.action == M.CANCEL_OFFER_REMOVED:
        data["cause"] = "offer_removed"   # notifications tell the pupil the offer is gone
    if t.action == M.CANCEL_AFTER_OTHER_CONFIRMED:
        # the confirmed application and its employer: notifications tell this employer nothing more when
        # it is the one the pupil confirmed with (it gets « X a confirmé son stage », issue 13 item 8)
        data["confirmed_application_id"] = t.details.get("confirmed_application_id")
        data["confirmed_employer_id"] = t.details.get("confirmed_employer_id")
    return data
