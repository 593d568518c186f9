"""Messages asked directly by another service (``send_message``): those whose link carries a secret
(activation, reset, transfer, signing links and codes), which only their producer holds. Idempotent on the
caller's ``key``. Recorded only: the retry timer resolves and sends them, so a caller inside its own
transaction never waits on SMTP."""
from __future__ import annotations

import datetime as dt

from common.errors import FieldErrors
from common.validation import check_email, normalize_phone

from ..domain.messages import MESSAGES
from ..domain.routing import ADDRESS, USER, RecipientRef
from ..templates.renderer import MissingContext


def send_message(uow, renderer, template, to, context, key, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        context = context if context is not None else {}
        _check(renderer, template, to, context, key)
        if to.get("user_id"):
            ref, extra = RecipientRef(USER, str(to["user_id"])), {}
        else:
            extra = {k: str(to[k]).strip() for k in ("email", "phone", "name") if to.get(k)}
            if extra.get("phone"):
                extra["phone"] = normalize_phone(extra["phone"])
            if extra.get("email"):
                extra["email"] = extra["email"].lower()
            address = extra.get("email") or extra.get("phone") or ""
            ref = RecipientRef(ADDRESS, address)
        repo.add_intent(f"direct:{key.strip()}", "direct", template, ref, context, now, extra)
        return {"key": key, "status": "accepted"}


def _check(renderer, template, to, context, key) -> None:
    errs = FieldErrors()
    if template not in MESSAGES:
        errs.add("template", "Modèle de message inconnu.")
    if not isinstance(to, dict) or not (to.get("user_id") or to.get("email") or to.get("phone")):
        errs.add("to", "Destinataire requis : user_id, email ou phone.")
    else:
        if to.get("email") and check_email(to["email"]):
            errs.add("to.email", check_email(to["email"]))
        if to.get("phone") and not normalize_phone(to["phone"]):
            errs.add("to.phone", "Numéro de téléphone mobile invalide.")
    if not isinstance(context, dict):
        errs.add("context", "Le contexte doit être un objet.")
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        errs.add("key", "Clé d'idempotence requise (200 caractères au plus).")
    if not errs and template in MESSAGES:
        try:
            renderer.link(template, context)
        except MissingContext as exc:
            errs.add("context", f"Information manquante pour le lien : {exc.args[0]}")
    errs.raise_if_any()
