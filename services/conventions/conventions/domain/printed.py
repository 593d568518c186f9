"""What the document prints from pre-filled data, and the placeholders validation refuses.

The PDF prints « à compléter » wherever a value is missing. The parties' own fields are checked by
``fields.validate_party``; the values taken from other services (school, head of school, organisation,
pupil, offer, period) are checked here, so that no validated (hence signed) agreement still says
« à compléter ». ``school(content)`` is the school block the document prints: the directory's address
(identity) unless the school corrected it on the agreement (its ``school_address`` field).
"""
from __future__ import annotations

from common.weeks import period_of_weeks


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def school(content: dict) -> dict:
    """The school as printed: pre-filled identity data, with the school's own address correction applied."""
    out = dict((content.get("prefill") or {}).get("school") or {})
    corr = (content.get("school") or {}).get("school_address")
    if isinstance(corr, dict) and not _blank(corr.get("street")):
        out.update(address=corr.get("street"), address_complement=corr.get("complement") or None,
                   zipcode=corr.get("postal_code"), city=corr.get("city"))
    return out


SCHOOL_ADDRESS_HINT = ("corrigez-la dans le champ « adresse de l'établissement » de la convention "
                       "(personnel de l'établissement).")
FROM_OTHER_SERVICES = ("information reprise des données de la plateforme, qui ne se saisit pas sur la convention : "
                       "contactez l'assistance de la plateforme.")


def placeholders(content: dict) -> dict:
    """{field path: [French message]} for every pre-filled value the document would print as « à compléter »
    (empty when the document is complete)."""
    prefill = content.get("prefill") or {}
    sc = school(content)
    org = prefill.get("organisation") or {}
    pupil = prefill.get("pupil") or {}
    offer = prefill.get("offer") or {}
    period = prefill.get("period") or period_of_weeks(content.get("weeks")) or {}
    errors: dict[str, list[str]] = {}

    def need(value, path, message):
        if _blank(value):
            errors.setdefault(path, []).append(message)

    need(sc.get("name"), "school.name", "Nom de l'établissement à compléter : " + FROM_OTHER_SERVICES)
    need(sc.get("uai"), "school.uai", "UAI de l'établissement à compléter : " + FROM_OTHER_SERVICES)
    need(sc.get("address"), "school_address.street", "Adresse de l'établissement à compléter : " + SCHOOL_ADDRESS_HINT)
    need(sc.get("zipcode"), "school_address.postal_code",
         "Code postal de l'établissement à compléter : " + SCHOOL_ADDRESS_HINT)
    need(sc.get("city"), "school_address.city", "Commune de l'établissement à compléter : " + SCHOOL_ADDRESS_HINT)
    need(sc.get("head_name"), "school.head_name",
         "Chef d'établissement représentant l'établissement à compléter : la convention doit être validée par le "
         "chef d'établissement (ou l'établissement doit avoir un chef d'établissement désigné).")
    need(org.get("name"), "organisation.name", "Nom de l'organisme d'accueil à compléter : " + FROM_OTHER_SERVICES)
    need(org.get("head_office_address"), "organisation.head_office_address",
         "Adresse du siège de l'organisme d'accueil à compléter : " + FROM_OTHER_SERVICES)
    need(pupil.get("first_name"), "pupil.first_name", "Prénom de l'élève à compléter : " + FROM_OTHER_SERVICES)
    need(pupil.get("last_name"), "pupil.last_name", "Nom de l'élève à compléter : " + FROM_OTHER_SERVICES)
    need(pupil.get("birth_date"), "pupil.birth_date",
         "Date de naissance de l'élève à compléter : " + FROM_OTHER_SERVICES)
    need(offer.get("internship_address"), "offer.internship_address",
         "Lieu d'accueil à compléter : " + FROM_OTHER_SERVICES)
    need(period.get("start"), "period.start", "Date de début à compléter : " + FROM_OTHER_SERVICES)
    need(period.get("end"), "period.end", "Date de fin à compléter : " + FROM_OTHER_SERVICES)
    return errors
