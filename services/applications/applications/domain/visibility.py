"""Who sees which applications, and what of them.

- A pupil: their own applications, everything in them.
- An employer: applications to the offers of their space (``space_id``: every member of an employer's space, whose
  id the access token carries, acts on its applications; ``employer_id`` stays the offer's creator; a record
  without a space, or a token without one, falls back to the creator's personal space, whose id is their user id),
  with the pupil's name, grade, school and
  motivation; the contact details (email, phone, address, legal representative) only once accepted
  (``accepted_by_employer`` or ``confirmed``). The same holds for a transfer recipient.
- School staff: their school's pupils' applications (``school_uai``).
- Admins: everything. Statisticians and operators: aggregates only (no single application).
"""
from __future__ import annotations

from common.errors import Forbidden, ValidationError

from . import states as S

CONTACT_FIELDS = ("email", "phone", "address", "legal_representative")
PRIVATE_FIELDS = ("idempotency_key",)


def employer_space(actor: dict | None) -> str | None:
    """The space an employer acts in: the token's ``space_id``, else their personal space (their user id)."""
    if (actor or {}).get("role") != "employer" or not actor.get("user_id"):
        return None
    return str(actor.get("space_id") or actor["user_id"])


def record_space(record: dict) -> str | None:
    """The space an application belongs to (its offer's space; before spaces, the creator's personal one)."""
    value = record.get("space_id") or record.get("employer_id")
    return str(value) if value else None


def employer_may_act(actor: dict | None, record: dict) -> bool:
    """Whether ``actor`` is an employer of the space ``record`` belongs to: the one check of the service."""
    space = employer_space(actor)
    return space is not None and space == record_space(record)


def list_scope(actor: dict) -> dict:
    """The mandatory filter of a list query for ``actor`` (column -> value); {} means everything."""
    role = (actor or {}).get("role")
    uid = (actor or {}).get("user_id")
    if role == "pupil" and uid:
        return {"pupil_id": uid}
    if role == "employer" and uid:
        return {"space_id": employer_space(actor)}
    if role == "school_staff":
        if not actor.get("school_uai"):
            raise Forbidden("Votre compte n'est rattaché à aucun établissement.")
        return {"school_uai": actor["school_uai"]}
    if role == "admin":
        return {}
    raise Forbidden("Vous n'avez pas accès aux candidatures.")


def can_view(actor: dict, app: dict) -> bool:
    try:
        scope = list_scope(actor)
    except Forbidden:
        return (actor or {}).get("role") == "transfer_recipient" and actor.get("application_id") == app.get("id")
    if "space_id" in scope:
        return employer_may_act(actor, app)
    return all(app.get(k) == v for k, v in scope.items())


def check_view(actor: dict, app: dict) -> None:
    if not can_view(actor, app):
        # Same answer as a missing one: an employer never learns another employer's application exists.
        from common.errors import NotFound
        raise NotFound("Candidature introuvable.")


def contact_visible(role: str | None, state: str) -> bool:
    if role in ("employer", "transfer_recipient"):
        return state in S.CONTACT_VISIBLE
    return True


def present(app: dict, actor: dict) -> dict:
    """The application as ``actor`` may read it, with the state label (and tab for employers)."""
    role = (actor or {}).get("role")
    out = {k: v for k, v in app.items() if k not in PRIVATE_FIELDS}
    if not contact_visible(role, app["state"]):
        for k in CONTACT_FIELDS:
            if k in out:
                out[k] = None
        out["contact_hidden"] = True
    else:
        out["contact_hidden"] = False
    out["state_label"] = S.label(app["state"], role)
    out["tab"] = S.tab_of(app["state"])
    if "history" in out and out["history"] is not None:
        out["history"] = [dict(h, to_label=S.label(h["to_state"], role),
                               from_label=S.label(h["from_state"], role) if h.get("from_state") else None)
                          for h in out["history"]]
    return out


LIST_FILTERS = ("state", "tab", "offer_id", "week", "grade", "school_uai", "pupil_id", "q")


def list_filters(params: dict | None) -> dict:
    """Validate the optional list filters (every error at once)."""
    params = params or {}
    out = {}
    errors = {}
    for key, value in params.items():
        if value in (None, ""):
            continue
        if key not in LIST_FILTERS and key not in ("page", "per_page"):
            errors[key] = ["Filtre inconnu."]
            continue
        out[key] = value
    if "state" in out:
        states = out["state"] if isinstance(out["state"], (list, tuple)) else str(out["state"]).split(",")
        bad = [s for s in states if s not in S.STATES]
        if bad:
            errors["state"] = [f"Statut inconnu : {', '.join(bad)}."]
        out["state"] = tuple(states)
    if "tab" in out and out["tab"] not in S.TABS:
        errors["tab"] = [f"Onglet inconnu : choisissez parmi {', '.join(S.TABS)}."]
    for key, default, top in (("page", 1, 10_000), ("per_page", 30, 200)):
        try:
            n = int(out.get(key, default))
            if not 1 <= n <= top:
                raise ValueError
            out[key] = n
        except (TypeError, ValueError):
            errors[key] = [f"Doit être un entier entre 1 et {top}."]
    if errors:
        raise ValidationError(errors=errors)
    return out


def class_summary(pupils: list[dict], states_by_pupil: dict[str, list[str]]) -> list[dict]:
    """Per class: how many pupils, how many applied, how many confirmed, and who has no application yet.

    ``pupils``: [{"pupil_id", "name", "class_name"}]; ``states_by_pupil``: pupil_id -> states of their applications.
    """
    classes: dict[str, dict] = {}
    for p in pupils:
        c = classes.setdefault(p.get("class_name") or "", {"class_name": p.get("class_name") or "", "pupils": 0,
                                                           "with_application": 0, "confirmed": 0,
                                                           "without_application": []})
        c["pupils"] += 1
        states = states_by_pupil.get(p["pupil_id"], [])
        if states:
            c["with_application"] += 1
        else:
            c["without_application"].append({"pupil_id": p["pupil_id"], "name": p.get("name")})
        if S.CONFIRMED in states:
            c["confirmed"] += 1
    return [classes[k] for k in sorted(classes)]

