"""States of a convention and what each allows."""
from __future__ import annotations

DRAFT = "draft"
STARTED_BY_EMPLOYER = "started_by_employer"
COMPLETED_BY_EMPLOYER = "completed_by_employer"
STARTED_BY_SCHOOL = "started_by_school"
VALIDATED = "validated"
SIGNATURES_STARTED = "signatures_started"
SIGNED_BY_ALL = "signed_by_all"
CANCELLED = "cancelled"

STATES = (DRAFT, STARTED_BY_EMPLOYER, COMPLETED_BY_EMPLOYER, STARTED_BY_SCHOOL, VALIDATED,
          SIGNATURES_STARTED, SIGNED_BY_ALL, CANCELLED)

LABELS = {
    DRAFT: "Brouillon",
    STARTED_BY_EMPLOYER: "En cours de remplissage par l'organisme d'accueil",
    COMPLETED_BY_EMPLOYER: "Remplie par l'organisme d'accueil",
    STARTED_BY_SCHOOL: "En cours de remplissage par l'établissement",
    VALIDATED: "Validée, en attente des signatures",
    SIGNATURES_STARTED: "Signatures en cours",
    SIGNED_BY_ALL: "Signée par toutes les parties",
    CANCELLED: "Annulée",
}

EMPLOYER_EDITABLE = {DRAFT, STARTED_BY_EMPLOYER, COMPLETED_BY_EMPLOYER}
SCHOOL_EDITABLE = {DRAFT, STARTED_BY_EMPLOYER, COMPLETED_BY_EMPLOYER, STARTED_BY_SCHOOL}
VALIDATABLE = {COMPLETED_BY_EMPLOYER, STARTED_BY_SCHOOL}
SIGNABLE = {VALIDATED, SIGNATURES_STARTED}
REOPENABLE = {VALIDATED, SIGNATURES_STARTED}
FROZEN = {VALIDATED, SIGNATURES_STARTED, SIGNED_BY_ALL}
