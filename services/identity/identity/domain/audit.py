"""The administration journal (``admin_actions``): which actions are recorded, the reason an admin must give,
and the record written in the same transaction as the action (identifiers and facts, never a secret)."""
from __future__ import annotations

import datetime as dt
import uuid

from common.errors import ValidationError
from common.validation import check_text

# action -> French label (the journal's pages show the label; the API gives both)
ACTIONS = {
    "user.lock": "Verrouillage du compte",
    "user.unlock": "Déverrouillage du compte",
    "user.resend_activation": "Nouveau lien d'activation envoyé",
    "user.end_sessions": "Fin de toutes les sessions",
    "school.designate_head": "Changement de chef d'établissement désigné",
    "school.create": "Création d'un établissement",
    "school.update": "Correction d'un établissement",
    "statistician.validate": "Validation d'un compte statisticien",
    "staff.confirm": "Confirmation d'un personnel par un administrateur",
    "signing_key.rotate": "Rotation de la clé de signature des jetons",
}
TARGET_KINDS = ("user", "school", "signing_key")

REASON_MIN, REASON_MAX = 5, 1000
# Keys never written in a record's details, at any depth (secrets and what would let one rebuild them).
SECRET_KEYS = frozenset({
    "password", "password_hash", "new_password", "current_password", "totp_secret", "totp_last_step", "totp_code",
    "code", "code_hash", "token", "token_hash", "raw", "refresh_token", "access_token", "private_pem", "secret",
    "successor", "link", "url",
})


def check_reason(reason) -> str:
    """The reason an admin gives for an action (required, 5 to 1,000 characters), cleaned."""
    m = check_text(reason, min_len=REASON_MIN, max_len=REASON_MAX)
    if m:
        raise ValidationError(errors={"reason": [f"Indiquez le motif de cette action ({REASON_MIN} à {REASON_MAX} "
                                                 f"caractères) : il est inscrit au journal d'administration."]})
    return reason.strip()


def scrub(value):
    """``value`` without any key of ``SECRET_KEYS`` (dicts and lists at any depth), JSON-able."""
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, (list, tuple, set)):
        return [scrub(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def record(actor_id: str | None, action: str, target_kind: str, target_id: str, reason: str | None,
           details: dict | None, now: dt.datetime, record_id: str | None = None) -> dict:
    """The row of ``admin_actions`` for one action (``now``: when it was done)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown admin action {action!r}")
    if target_kind not in TARGET_KINDS:
        raise ValueError(f"unknown target kind {target_kind!r}")
    return {"id": record_id or str(uuid.uuid4()), "actor_id": actor_id, "action": action,
            "target_kind": target_kind, "target_id": str(target_id), "reason": reason,
            "details": scrub(details or {}), "at": now}


def check_filters(action=None, target_id=None, actor_id=None) -> dict:
    """The journal's filters, checked (field errors in French)."""
    errors = {}
    if action not in (None, "") and action not in ACTIONS:
        errors["action"] = ["Action inconnue : " + ", ".join(ACTIONS) + "."]
    for name, v in (("target_id", target_id), ("actor_id", actor_id)):
        if v not in (None, "") and (not isinstance(v, str) or len(v) > 64):
            errors[name] = ["Identifiant invalide."]
    if errors:
        raise ValidationError(errors=errors)
    return {k: v for k, v in (("action", action), ("target_id", target_id), ("actor_id", actor_id)) if v}
