"""Data the journey under test does not create itself, set up through the real services
(an employer's published offers, a class imported by its school)."""
from __future__ import annotations

import base64
import uuid

from testkit.applications import PASSWORD, REP_PLUS_COLLEGE, suite_employer, suite_offer

MARSEILLE = "13055"


def employer_with_offers(suite, **offers: dict) -> dict:
    """An active employer and published offers in Marseille: ``employer_with_offers(suite, plain={}, rep={...})``."""
    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        made = {}
        for name, extra in offers.items():
            extra = {"address": {"street": "10 boulevard National", "commune_insee": MARSEILLE}, **extra}
            made[name] = suite_offer(rpc, emp["user_id"], **extra)
    return {**emp, "offers": made, "password": PASSWORD}


def imported_class(suite, n: int = 1, uai: str = REP_PLUS_COLLEGE, level: str = "3EME") -> list[dict]:
    """``n`` pupils imported by their school (no e-mail given): [{"pupil_id", "code", "last_name"}]."""
    tag = uuid.uuid4().hex[:8].upper()
    rows = ["Nom;Prénom;Date de naissance;Classe;Niveau"]
    rows += [f"ELEVE{i}-{tag};Inaya;04/03/2011;3A;{level}" for i in range(n)]
    # imported by an admin: identity lets school staff import only from a real, confirmed account
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}
    with suite.rpc() as rpc:
        imp = rpc.identity.import_pupils(actor=admin, uai=uai, content_base64=base64.b64encode(
            "\r\n".join(rows).encode()).decode(), filename="classe.csv", with_pdf=False)
    return [c for c in imp["codes"] if str(c.get("last_name", "")).upper().endswith(f"-{tag}")]
