"""Demo accounts, already activated (idempotent: ids are derived from the e-mails).

    seed(ctx)                      # the RPC identity.seed_demo() (refused unless STAGES_DEMO=1)
    python -m identity.demo        # from a shell: uses IDENTITY_DATABASE_URL, prints the accounts as JSON

Everyone's password is DEMO_PASSWORD. The admin's TOTP secret is DEMO_ADMIN_TOTP_SECRET (add it to
an authenticator app, or compute codes with ``pyotp.TOTP(secret).now()``).
"""
from __future__ import annotations

import datetime as dt
import uuid

from common.errors import Forbidden

from .. import settings
from ..domain import roles
from ..domain import staff as staff_rules
from ..domain.pupil_records import pupil_key
from .context import Context
from .staff import audit

DEMO_PASSWORD = "Demo-Stages-2026!"
DEMO_ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DEMO_COLLEGE_UAI = "0131884C"   # Collège Belle de Mai, Marseille 3e — REP+, in a QPV (Aix-Marseille)
DEMO_LYCEE_UAI = "0130043B"     # Lycée Victor Hugo, Marseille 3e (Aix-Marseille)

_NS = uuid.UUID("6b0f3c52-7d0e-4a8e-9a52-3f7f4f3c1d00")

ACCOUNTS = [
    {"slot": "employer", "role": roles.EMPLOYER, "email": "demo.employeur@example.com", "first_name": "Claire",
     "last_name": "Fabre", "job_title": "Responsable des ressources humaines", "phone": "+33612345601"},
    {"slot": "head", "role": roles.SCHOOL_STAFF, "function": roles.HEAD, "school_uai": DEMO_COLLEGE_UAI,
     "email": "demo.principal@ac-aix-marseille.fr", "first_name": "Karim", "last_name": "Benali"},
    {"slot": "teacher", "role": roles.SCHOOL_STAFF, "function": roles.TEACHER, "school_uai": DEMO_COLLEGE_UAI,
     "email": "demo.professeur@ac-aix-marseille.fr", "first_name": "Sophie", "last_name": "Martin"},
    {"slot": "admin", "role": roles.ADMIN, "email": "demo.admin@example.com", "first_name": "Alex",
     "last_name": "Admin", "totp_secret": DEMO_ADMIN_TOTP_SECRET},
]
PUPILS = [
    {"slot": "pupils_3e", "school_uai": DEMO_COLLEGE_UAI, "grade": roles.TROISIEME, "class_name": "3A",
     "email": "demo.eleve3e.inaya@example.com", "first_name": "Inaya", "last_name": "Mansouri",
     "birth_date": dt.date(2012, 4, 17)},
    {"slot": "pupils_3e", "school_uai": DEMO_COLLEGE_UAI, "grade": roles.TROISIEME, "class_name": "3A",
     "email": "demo.eleve3e.lucas@example.com", "first_name": "Lucas", "last_name": "Ferrari",
     "birth_date": dt.date(2012, 9, 2)},
    {"slot": "pupils_3e", "school_uai": DEMO_COLLEGE_UAI, "grade": roles.TROISIEME, "class_name": "3B",
     "email": "demo.eleve3e.awa@example.com", "first_name": "Awa", "last_name": "Diallo",
     "birth_date": dt.date(2012, 1, 25)},
    {"slot": "pupils_2nde", "school_uai": DEMO_LYCEE_UAI, "grade": roles.SECONDE, "class_name": "2nde 1",
     "email": "demo.eleve2nde.yanis@example.com", "first_name": "Yanis", "last_name": "Haddad",
     "birth_date": dt.date(2011, 3, 11)},
    {"slot": "pupils_2nde", "school_uai": DEMO_LYCEE_UAI, "grade": roles.SECONDE, "class_name": "2nde 1",
     "email": "demo.eleve2nde.lea@example.com", "first_name": "Léa", "last_name": "Rossi",
     "birth_date": dt.date(2010, 12, 5)},
]


def demo_user_id(email: str) -> str:
    return str(uuid.uuid5(_NS, email))


def seed_on_request(ctx: Context) -> dict:
    """The RPC ``seed_demo``: refused unless STAGES_DEMO=1 (a demo or test deployment)."""
    if not settings.demo_enabled():
        raise Forbidden("Le jeu de démonstration est désactivé (STAGES_DEMO=1 pour l'activer).")
    return seed(ctx)


def seed(ctx: Context) -> dict:
    """Create the demo accounts that do not exist yet; return every demo account."""
    now = ctx.now
    pw_hash = None
    out = {"password": DEMO_PASSWORD, "admin_totp_secret": DEMO_ADMIN_TOTP_SECRET,
           "schools": {"college": DEMO_COLLEGE_UAI, "lycee": DEMO_LYCEE_UAI},
           "employer": None, "head": None, "teacher": None, "admin": None, "pupils_3e": [], "pupils_2nde": [],
           "created": 0}
    for spec in ACCOUNTS + [{**p, "role": roles.PUPIL} for p in PUPILS]:
        uid = demo_user_id(spec["email"])
        with ctx.uow.begin() as uow:
            c = uow.session
            existing = ctx.repo.user_id_by_id_or_email(c, uid, spec["email"])
            if existing is None:
                if pw_hash is None:
                    pw_hash = ctx.passwords.hash(DEMO_PASSWORD)
                values = {k: spec.get(k) for k in ("role", "email", "first_name", "last_name", "function",
                                                   "job_title", "school_uai", "grade", "class_name", "birth_date",
                                                   "phone", "totp_secret")}
                if spec["role"] == roles.PUPIL:
                    values["pupil_key"] = pupil_key(spec["last_name"], spec["first_name"], spec["birth_date"])
                ctx.repo.insert_user(c, id=uid, status="active", password_hash=pw_hash, created_at=now,
                                     updated_at=now, activated_at=now, last_activity_at=now, **values)
                data = {"user_id": uid, "role": spec["role"], "school_uai": spec.get("school_uai")}
                uow.emit("user.registered", {**data, "function": spec.get("function")})
                uow.emit("user.activated", {**data, "grade": spec.get("grade")})
                out["created"] += 1
            else:
                uid = existing
            if spec["role"] == roles.SCHOOL_STAFF:
                _confirm_demo_staff(ctx, c, uow, uid)
        entry = {"user_id": uid, "email": spec["email"], "first_name": spec["first_name"],
                 "last_name": spec["last_name"], "school_uai": spec.get("school_uai")}
        if spec["slot"].startswith("pupils"):
            entry.update(grade=spec["grade"], class_name=spec["class_name"])
            out[spec["slot"]].append(entry)
        else:
            entry["function"] = spec.get("function")
            out[spec["slot"]] = entry
    return out


def _confirm_demo_staff(ctx: Context, c, uow, uid: str) -> None:
    """Demo staff are confirmed (as an admin would), and the demo head is its collège's designated head
    when the collège has none (docs/school-staff.md). Also run on accounts seeded before confirmation
    existed."""
    u = ctx.repo.get_user(c, uid)
    if u is None or u["staff_confirmed_at"] is not None:
        return
    ctx.repo.update_user(c, uid, staff_confirmed_at=ctx.now, staff_confirmed_how=staff_rules.BY_DEMO)
    audit(ctx, c, u["school_uai"], uid, staff_rules.CONFIRMED, staff_rules.BY_DEMO, None)
    uow.emit("staff.confirmed", {"user_id": uid, "school_uai": u["school_uai"], "function": u["function"],
                                 "how": staff_rules.BY_DEMO, "confirmed_by": None})
    if u["function"] == roles.HEAD and ctx.repo.upsert_head(c, u["school_uai"], uid, ctx.now, None, replace=False):
        audit(ctx, c, u["school_uai"], uid, staff_rules.HEAD_DESIGNATED, None, None)
        uow.emit("school.head_designated", {"school_uai": u["school_uai"], "user_id": uid,
                                            "previous_user_id": None, "designated_by": None})
