"""Sample data for tests and benchmarks (never used by the service itself)."""
from __future__ import annotations

import datetime as dt
import uuid

from .domain.convention import Convention

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

EMPLOYER_FIELDS = {
    "representative": {"name": "Claire Dubois-Martin", "function": "Directrice des ressources humaines"},
    "tutor": {"name": "Karim Benali", "function": "Technicien de maintenance", "email": "karim.benali@atelier.example.fr",
              "phone": "06 12 34 56 78"},
    "activities": "Découverte de l'atelier de réparation de vélos, observation du diagnostic des pannes, "
                  "accueil des clients en boutique, participation à l'inventaire aux côtés du tuteur.",
    "hours": {"mode": "same", "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
              "same": {"start": "09:00", "end": "16:30", "break_start": "12:00", "break_end": "13:00"}},
    "lunch_break": "Repas tiré du sac, pris dans la salle de pause de l'atelier",
}

SCHOOL_FIELDS = {
    "school_representative": {"name": "Jean-Pierre Lefèvre", "function": "Principal adjoint",
                              "email": "ce.0751234a@ac-paris.fr", "phone": "01 40 00 00 00"},
    "pupil_address": "12 rue des Lilas, 75020 Paris",
    "pupil_phone": "07 11 22 33 44",
    "referent_teacher": {"name": "Sophie Garnier", "email": "sophie.garnier@ac-paris.fr", "phone": "06 98 76 54 32"},
    "legal_representatives": [{"name": "Nadia Haddad", "email": "nadia.haddad@example.org", "phone": "06 55 44 33 22"},
                              {"name": "Youssef Haddad", "email": "youssef.haddad@example.org",
                               "phone": "06 55 44 33 23"}],
    "pai": False,
    "emergency_kit_by": None,
    "board_deliberation_date": "2026-09-15",
}


def prefill(school_uai: str = "0751234A", grade: str = "troisieme") -> dict:
    return {
        "pupil": {"first_name": "Inès", "last_name": "Haddad", "birth_date": "2012-03-14",
                  "class_name": "3e B" if grade != "seconde" else "2nde 4", "grade": grade},
        "school": {"uai": school_uai, "name": "Collège Jean Jaurès" if grade != "seconde" else "Lycée Voltaire",
                   "address": "5 avenue Gambetta", "zipcode": "75020", "city": "Paris",
                   "head_name": "Marie Lambert", "academie": "Paris"},
        "organisation": {"name": "Atelier Vélo Solidaire", "siret": "12345678900011",
                         "head_office_address": "40 rue de Bagnolet, 75020 Paris"},
        "offer": {"title": "Découverte des métiers du cycle", "internship_address": "40 rue de Bagnolet, 75020 Paris"},
    }


def sample_convention(grade: str = "troisieme", *, filled: bool = True, weeks=None) -> Convention:
    conv = Convention(
        id=str(uuid.uuid4()), application_id=str(uuid.uuid4()), grade=grade, school_uai="0751234A",
        pupil_user_id=str(uuid.uuid4()), employer_user_id=str(uuid.uuid4()), offer_id=str(uuid.uuid4()),
        organisation_id=str(uuid.uuid4()),
        weeks=list(weeks or (["2027-W05"] if grade != "seconde" else ["2027-W24", "2027-W25"])),
        prefill=prefill(grade=grade),
    )
    if filled:
        conv.employer = {k: (dict(v) if isinstance(v, dict) else v) for k, v in EMPLOYER_FIELDS.items()}
        conv.school = {k: v for k, v in SCHOOL_FIELDS.items()}
    return conv


def actors(conv: Convention) -> dict:
    base = {"function": None, "school_uai": None, "grade": None, "school_rep": None, "school_qpv": None,
            "academie": None, "staff_confirmed": None}
    staff = {**base, "role": "school_staff", "staff_confirmed": True}   # confirmed school staff
    return {
        "employer": {**base, "user_id": conv.employer_user_id, "role": "employer"},
        "other_employer": {**base, "user_id": str(uuid.uuid4()), "role": "employer"},
        "head": {**staff, "user_id": str(uuid.uuid4()), "function": "head",
                 "school_uai": conv.school_uai},
        "teacher": {**staff, "user_id": str(uuid.uuid4()), "function": "teacher",
                    "school_uai": conv.school_uai},
        "other_school": {**staff, "user_id": str(uuid.uuid4()), "function": "head",
                         "school_uai": "0999999Z"},
        "pupil": {**base, "user_id": conv.pupil_user_id, "role": "pupil", "school_uai": conv.school_uai,
                  "grade": conv.grade},
        "other_pupil": {**base, "user_id": str(uuid.uuid4()), "role": "pupil", "school_uai": conv.school_uai},
        "admin": {**base, "user_id": str(uuid.uuid4()), "role": "admin"},
        "statistician": {**base, "user_id": str(uuid.uuid4()), "role": "statistician"},
    }


def account(actor: dict, name: str = "Marie Lambert") -> dict:
    """The identity account behind an actor (``identity.get_user``), as the service fetches it to sign."""
    first, _, last = name.partition(" ")
    return {"id": actor["user_id"], "role": actor["role"], "function": actor.get("function"), "first_name": first,
            "last_name": last, "school_uai": actor.get("school_uai")}


# Fields of the parties used by the cross-service tests that fill a convention (the Marseille REP+ collège
# of the shared suite): tests/test_conventions_lifecycle.py, test_notifications_journey.py,
# test_event_catalogue_journey.py.
SUITE_EMPLOYER_FIELDS = {
    "representative": {"name": "Paul Durand", "function": "Gérant"},
    "tutor": {"name": "Karim Benali", "function": "Boulanger", "email": "karim@example.com", "phone": "06 12 34 56 78"},
    "hours": {"mode": "same", "same": {"start": "08:30", "end": "16:00", "break_start": "12:00",
                                       "break_end": "13:00"}},
}
SUITE_SCHOOL_FIELDS = {
    "school_representative": {"name": "Jean-Pierre Lefèvre", "function": "Principal adjoint",
                              "email": "ce.0131884c@ac-aix-marseille.fr", "phone": "04 91 00 00 00"},
    "pupil_address": "12 rue des Lilas, 13003 Marseille",
    "pupil_phone": "07 11 22 33 44",
    "referent_teacher": {"name": "Sophie Garnier", "email": "sophie.garnier@ac-aix-marseille.fr",
                         "phone": "06 98 76 54 32"},
    "pai": False,
    "board_deliberation_date": "2026-09-15",
}
