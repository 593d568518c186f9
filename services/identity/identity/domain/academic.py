"""Academic e-mail addresses: school staff register with ``…@ac-<académie>.fr``
and the domain must belong to their school's académie.

The table is keyed by the académie names of ``data/reference/departements.csv``
(and ``schools.csv``). The generic rule is ``ac-`` + the folded, hyphenated name;
real domains that differ from it are listed in ``_OVERRIDES`` (the unit tests
check every académie name of the reference file has a domain).
"""
from __future__ import annotations

import re

from common.validation import fold

# Real domains that do not follow the generic slug, or extra accepted domains.
_OVERRIDES: dict[str, tuple[str, ...]] = {
    "clermont-ferrand": ("ac-clermont.fr",),
    "la reunion": ("ac-reunion.fr",),
    # Normandie merged Caen and Rouen in 2020; the former domains are still in use.
    "normandie": ("ac-normandie.fr", "ac-caen.fr", "ac-rouen.fr"),
    # Overseas vice-rectorats and services (not under .fr).
    "nouvelle caledonie": ("ac-noumea.nc",),
    "polynesie francaise": ("ac-polynesie.pf",),
    "wallis et futuna": ("ac-wf.wf",),
    "saint pierre et miquelon": ("ac-spm.fr",),
}


def _key(academie_name: str) -> str:
    return re.sub(r"\s+", " ", fold(academie_name).replace("'", " ")).strip()


def _slug(academie_name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(academie_name)).strip("-")


def academic_domains(academie_name: str | None) -> tuple[str, ...]:
    """Accepted e-mail domains for an académie name ("Aix-Marseille" -> ("ac-aix-marseille.fr",))."""
    if not academie_name or not academie_name.strip():
        return ()
    key = _key(academie_name)
    if key in _OVERRIDES:
        return _OVERRIDES[key]
    return (f"ac-{_slug(academie_name)}.fr",)


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if isinstance(email, str) and "@" in email else ""


def is_academic_email(email: str) -> bool:
    d = email_domain(email)
    return d.startswith("ac-") and "." in d


def check_academic_email(email: str, academie_name: str | None) -> str | None:
    """French message when ``email`` is not an address of the school's académie, else None."""
    domains = academic_domains(academie_name)
    if not domains:
        return "L'académie de cet établissement est inconnue : inscription impossible avec une adresse académique."
    if email_domain(email) in domains:
        return None
    return (f"Utilisez votre adresse académique de l'académie de {academie_name} "
            f"(…@{domains[0]}).")
