"""Demo offers for the demo dataset (``deploy/demo.py``): refused unless the process runs with
``STAGES_DEMO=1`` (``offers.settings.demo_enabled``); never on in production."""
from __future__ import annotations

import datetime as dt
import uuid

from common.clock import paris_date
from common.errors import Forbidden, ValidationError

from ..domain import calendar as cal
from ..domain import offer as od
from ..domain import states as st
from ..domain.search import index_columns
from .drafting import apply_steps
from .lookup import load
from .publication import emit_published

MSG_DISABLED = "Le jeu de démonstration est désactivé (STAGES_DEMO=1 pour l'activer)."

DEMO = [
    ("Boulanger, pâtissier", "s26", "71270", ["troisieme"]),
    ("Développeur web", "s31", "75056", ["quatrieme", "troisieme"]),
    ("Infirmier en service de pédiatrie", "s43", "69123", ["seconde"]),
    ("Agent administratif en mairie", "s25", "13055", ["troisieme"]),
    ("Technicien de maintenance éolienne", "s21", "44109", ["seconde"]),
]


def _demo_data(i: int, year: str, future: list[str]) -> dict:
    title, sector, insee, grades = DEMO[i % len(DEMO)]
    is_public = sector == "s25"
    return {
        "title": title,
        "description": f"Découverte du métier de {title.lower()} : observation, échanges avec l'équipe, "
                       f"présentation des outils et des règles de sécurité.",
        "address": {"street": f"{i + 1} place de la Mairie", "commune_insee": insee},
        "organisation": {"name": f"Structure d'accueil démo {i + 1}", "manual_entry": True,
                         "is_public": is_public, "public_employer_type": "collectivite_commune" if is_public else None,
                         "sector": sector,
                         "head_office_address": {"street": f"{i + 1} place de la Mairie", "postal_code": "75001",
                                                 "city": "Paris"},
                         "contact_phone": "01 23 45 67 89"},
        "grades": grades, "school_year": year, "weeks": future[i % max(len(future) - 1, 1):][:2],
        "seconde_period": "both" if "seconde" in grades else None, "seats": 3,
        "hours": {"mode": "same", "start": "09:00", "end": "17:00"},
        "lunch_break": "Pause déjeuner d'une heure, possibilité de déjeuner sur place.",
    }


def seed_demo_offers(uow, employer_id: str, count: int, now: dt.datetime, enabled: bool) -> list[str]:
    """Published demo offers (idempotent per employer and rank)."""
    with uow.begin() as repo:
        if not enabled:
            raise Forbidden(MSG_DISABLED, code="demo_disabled")
        today = paris_date(now)
        year = cal.school_year_of(today)
        overrides = repo.overrides()
        future = [w for w in cal.college_weeks(year, overrides.get(year)) if not cal.week_is_past(w, today)]
        if len(future) < 2:
            year = cal.next_school_year(year)
            future = cal.college_weeks(year, overrides.get(year))
        ids = []
        for i in range(count):
            key = f"demo-{i}"
            existing = repo.by_creation_key(employer_id, key)
            if existing:
                ids.append(existing["id"])
                continue
            cols, errors = apply_steps(repo, {}, _demo_data(i, year, future), list(od.STEPS), today, overrides)
            if errors:
                raise ValidationError("Offre de démonstration invalide.", errors)
            oid = str(uuid.uuid4())
            values = {"id": oid, "state": st.PUBLISHED, "owner_id": employer_id, "employer_id": employer_id,
                      "creation_key": key, "completed_steps": list(od.STEPS), "published_at": now, "created_at": now,
                      "updated_at": now, **cols}
            values.update(index_columns(values, overrides))
            repo.add(values)
            emit_published(repo, load(repo, oid))
            ids.append(oid)
        return ids
