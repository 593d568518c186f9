"""Shapes of the answers identity gives over RPC (plain JSON values)."""
from __future__ import annotations

import datetime as dt

from . import settings
from .domain import activation_codes, anonymisation, audit, roles
from .domain import staff as staff_rules
from .domain.sheet import codes_sheet_html


def iso(v):
    if v is None:
        return None
    return v.isoformat()


SCHOOL_FIELDS = ("uai", "kind", "name", "sector", "private_contract", "status", "postal_code", "commune_insee",
                 "commune_name", "dep_code", "academie_code", "academie_name", "lat", "lon",
                 "education_prioritaire", "qpv", "qpv_situation", "street_address", "address_complement",
                 "address_postal_code", "address_city")


def school_public(s: dict | None) -> dict | None:
    if s is None:
        return None
    return {k: s.get(k) for k in SCHOOL_FIELDS}


USER_PUBLIC = ("id", "role", "status", "first_name", "last_name", "function", "job_title", "organisation_name",
               "school_uai", "grade", "class_name", "stat_scope", "stat_scope_code")


def user_public(u: dict) -> dict:
    out = {k: u.get(k) for k in USER_PUBLIC}
    if u.get("role") == roles.SCHOOL_STAFF:
        out["staff_confirmed"] = u.get("staff_confirmed_at") is not None
    out["created_at"] = iso(u.get("created_at"))
    out["activated_at"] = iso(u.get("activated_at"))
    if u.get("role") == roles.PUPIL:
        out["birth_date"] = iso(u.get("birth_date"))   # conventions: minors and their legal representatives
    return out


def contact(u: dict) -> dict:
    anon = u["status"] == "anonymized"
    return {"user_id": u["id"], "email": None if anon else u["email"], "phone": None if anon else u["phone"],
            "first_name": u["first_name"], "last_name": u["last_name"], "role": u["role"],
            "active": u["status"] == "active", "anonymized": anon, "school_uai": u["school_uai"]}


def pupil_public(u: dict) -> dict:
    return {"id": u["id"], "first_name": u["first_name"], "last_name": u["last_name"], "class_name": u["class_name"],
            "grade": u["grade"], "birth_date": iso(u.get("birth_date")), "ine": u.get("ine"),
            "email": u.get("email"), "status": u["status"], "activated": u["status"] == "active",
            "last_activity_at": iso(u.get("last_activity_at"))}


def code_entry(u: dict, code: str) -> dict:
    """A line of the pupils' code sheet."""
    return {"pupil_id": u["id"], "last_name": u["last_name"], "first_name": u["first_name"],
            "class_name": u["class_name"], "grade": u["grade"], "code": code}


def staff_member(u: dict, head_id: str | None) -> dict:
    return {"user_id": u["id"], "first_name": u["first_name"], "last_name": u["last_name"],
            "email": u["email"], "function": u["function"], "school_uai": u["school_uai"],
            "status": u["status"], "confirmed": staff_rules.is_confirmed(u),
            "confirmed_at": iso(u.get("staff_confirmed_at")), "confirmed_by": u.get("staff_confirmed_by"),
            "confirmed_how": u.get("staff_confirmed_how"), "designated_head": bool(head_id) and u["id"] == head_id,
            "activated_at": iso(u.get("activated_at"))}


def membership(m: dict, school: dict | None, current: bool, designated_head: bool) -> dict:
    """One school of a staff member (GET /me/schools)."""
    return {"school_uai": m["school_uai"], "name": (school or {}).get("name"),
            "commune_name": (school or {}).get("commune_name"), "kind": (school or {}).get("kind"),
            "function": m["function"], "function_label": roles.FUNCTION_LABELS.get(m["function"]),
            "source": m.get("source"), "confirmed": m.get("confirmed_at") is not None,
            "confirmed_how": m.get("confirmed_how"), "current": current, "designated_head": designated_head}


def staff_event(h: dict) -> dict:
    return {"action": h["action"], "user_id": h["user_id"], "how": h["how"], "actor_id": h["actor_id"],
            "actor_role": h["actor_role"], "previous_user_id": h["previous_user_id"], "at": iso(h["at"])}


def personal_data(u: dict, school: dict | None, records: dict, now: dt.datetime) -> dict:
    """Everything identity holds about the caller (GDPR right of access)."""
    account = {k: (iso(v) if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in u.items()
               if k not in ("password_hash", "totp_secret", "totp_last_step", "pupil_key")}
    account["password"] = "défini (stocké sous forme d'empreinte Argon2id)" if u["password_hash"] else "non défini"
    account["totp"] = "activé" if u.get("totp_secret") else "non activé"
    lock = records["lock"]
    return {
        "generated_at": now.isoformat(),
        "controller": "Plateforme « 1 élève, 1 stage » — service d'identité",
        "account": account,
        "school": school_public(school),
        "sessions": [{"id": f["id"], "started_at": iso(f["started_at"]), "last_used_at": iso(f["last_used_at"]),
                      "revoked_at": iso(f["revoked_at"]), "revoked_reason": f["revoked_reason"], "ip": f["ip"],
                      "user_agent": f["user_agent"]} for f in records["families"]],
        "one_time_tokens": [{"kind": t["kind"], "created_at": iso(t["created_at"]),
                             "expires_at": iso(t["expires_at"]), "used_at": iso(t["used_at"])}
                            for t in records["tokens"]],
        "activation_codes": [{"created_at": iso(x["created_at"]), "expires_at": iso(x["expires_at"]),
                              "used_at": iso(x["used_at"])} for x in records["codes"]],
        "pupil_imports": [{"id": i["id"], "school_uai": i["school_uai"], "created_at": iso(i["created_at"]),
                           "filename": i["filename"], "summary": i["summary"]} for i in records["imports"]],
        "national_identities": [{"provider": f["provider"], "linked_at": iso(f["linked_at"])}
                                for f in records.get("federated", [])],
        "schools": [{"school_uai": m["school_uai"], "function": m["function"], "source": m["source"],
                     "confirmed_at": iso(m["confirmed_at"]), "confirmed_how": m["confirmed_how"]}
                    for m in records.get("memberships", [])],
        "login_lock": {"failed_count": lock["failed_count"], "locked_until": iso(lock["locked_until"])}
        if lock else None,
        "retention": {"anonymisation_due_at": anonymisation.anonymisation_due_at(
            u["role"], u["last_activity_at"]).isoformat(),
            "rule": "élèves : 1 an après la dernière activité ; autres comptes : 2 ans."},
    }


def deletion_status(hold: dict, confirm_with: str) -> dict:
    """The answer to a deletion request (``POST /me/deletion``)."""
    if hold["held"]:
        return {"status": "held", "held_until": hold["held_until"], "message": hold["message"],
                "confirm_with": confirm_with}
    return {"status": "confirmation_required", "held_until": None, "confirm_with": confirm_with,
            "message": "Pour supprimer définitivement votre compte, confirmez en saisissant votre mot de passe. "
                       "Vos données personnelles seront anonymisées ; cette action est irréversible."}


def codes_sheet_pdf(school: dict, entries: list, now: dt.datetime) -> bytes:
    """The PDF of activation codes handed to a school (weasyprint is CPU-bound: run in a real thread)."""
    from eventlet import tpool

    html = codes_sheet_html(school, entries, settings.public_url() + "/activer-mon-compte", now,
                            now + activation_codes.TTL)

    def _render():
        import weasyprint
        return weasyprint.HTML(string=html).write_pdf()

    return tpool.execute(_render)


def register_run(r: dict) -> dict:
    """One import of a school from the national register (its progress report)."""
    return {"id": r["id"], "school_uai": r["school_uai"], "trigger": r["trigger"], "status": r["status"],
            "requested_by": r.get("requested_by"), "started_at": iso(r["started_at"]),
            "finished_at": iso(r.get("finished_at")), "counts": dict(r.get("counts") or {}),
            "errors": list(r.get("errors") or [])}


def guardian(g: dict) -> dict:
    """A pupil's legal guardian as the register tells it (agreements' legal representatives)."""
    name = " ".join(x for x in (g.get("first_name"), g.get("last_name")) if x)
    return {"name": name, "first_name": g.get("first_name"), "last_name": g.get("last_name"),
            "relationship": g.get("relationship"), "email": g.get("email"), "phone": g.get("phone"),
            "address": g.get("address")}


# -- back-office (never a password hash, TOTP secret, code or token: tests/test_backoffice.py) --------------

ADMIN_USER_FIELDS = ("id", "role", "status", "first_name", "last_name", "email", "phone", "function", "job_title",
                     "organisation_name", "school_uai", "grade", "class_name", "stat_scope", "stat_scope_code")


def admin_user_summary(u: dict) -> dict:
    out = {k: u.get(k) for k in ADMIN_USER_FIELDS}
    out.update(school_name=u.get("school_name"), created_at=iso(u.get("created_at")),
               last_login_at=iso(u.get("last_login_at")))
    if u.get("role") == roles.SCHOOL_STAFF:
        out["staff_confirmed"] = u.get("staff_confirmed_at") is not None
    return out


def admin_session(f: dict) -> dict:
    return {"id": f["id"], "started_at": iso(f["started_at"]), "last_used_at": iso(f["last_used_at"]),
            "ip": f.get("ip"), "user_agent": f.get("user_agent")}


def admin_user(u: dict, school: dict | None, sessions: list, headed: list) -> dict:
    """One account as an admin sees it: state, role, school(s), sessions, last login."""
    out = admin_user_summary({**u, "school_name": (school or {}).get("name")})
    out.update(activated_at=iso(u.get("activated_at")), last_activity_at=iso(u.get("last_activity_at")),
               updated_at=iso(u.get("updated_at")), followed_classes=u.get("classes") or [],
               staff_confirmed_at=iso(u.get("staff_confirmed_at")), staff_confirmed_how=u.get("staff_confirmed_how"),
               totp_configured=bool(u.get("totp_secret")), password_set=bool(u.get("password_hash")),
               school=school_public(school), designated_head_of=headed,
               sessions=[admin_session(f) for f in sessions])
    return out


def admin_action(r: dict) -> dict:
    return {"id": r["id"], "actor_id": r["actor_id"], "action": r["action"],
            "action_label": audit.ACTIONS.get(r["action"], r["action"]), "target_kind": r["target_kind"],
            "target_id": r["target_id"], "reason": r["reason"], "details": r["details"] or {}, "at": iso(r["at"])}


def school_class(c: dict | None, name: str, pupils: int) -> dict:
    return {"id": (c or {}).get("id"), "name": name, "grade": (c or {}).get("grade"), "pupils": pupils,
            "created_at": iso((c or {}).get("created_at"))}
