"""What each user chooses not to receive (optional messages, by category, on e-mail and SMS)."""
from __future__ import annotations

import datetime as dt

from common.errors import FieldErrors, ValidationError

from .. import views
from ..domain.messages import CATEGORIES
from ..domain.policy import normalize_preferences
from .access import user_of


def get(uow, actor) -> dict:
    with uow.begin() as repo:
        return views.preferences(repo.preferences_of(user_of(actor)) or {})


def set_(uow, actor, preferences, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        user_id = user_of(actor)
        _check(preferences)
        prefs = normalize_preferences(preferences)
        repo.save_preferences(user_id, prefs, now)
        return views.preferences(prefs)


def _check(preferences) -> None:
    if not isinstance(preferences, dict):
        raise ValidationError(errors={"preferences": ["Les préférences doivent être un objet."]})
    errs = FieldErrors()
    for channel, cats in preferences.items():
        if channel not in ("email", "sms"):
            errs.add(channel, "Canal inconnu (email ou sms).")
            continue
        if not isinstance(cats, dict):
            errs.add(channel, "Attendu : un objet {catégorie: vrai/faux}.")
            continue
        for cat, on in cats.items():
            if cat not in CATEGORIES:
                errs.add(f"{channel}.{cat}", "Catégorie inconnue.")
            elif not isinstance(on, bool):
                errs.add(f"{channel}.{cat}", "Attendu : vrai ou faux.")
    errs.raise_if_any()
