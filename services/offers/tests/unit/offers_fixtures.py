import datetime as dt

TODAY = dt.date(2026, 11, 23)


def full_offer(**kw):
    o = {
        "title": "Boulanger, pâtissier",
        "description": "Découvrir la fabrication du pain et des viennoiseries, la vente au comptoir.",
        "address": {"street": "12 rue Carnot", "commune_insee": "71270", "postal_code": "71000", "city": "Mâcon"},
        "organisation": {"name": "Boulangerie Dupont", "siret": "44306184100047", "is_public": False,
                         "sector": "s26",
                         "head_office_address": {"street": "12 rue Carnot", "postal_code": "71000", "city": "Mâcon"},
                         "contact_phone": "03 85 00 00 00"},
        "work_environment": None,
        "accessibility": None,
        "grades": ["troisieme"],
        "school_year": "2026-2027",
        "weeks": ["2026-W50", "2026-W51"],
        "all_year": False,
        "seconde_period": None,
        "seats": 2,
        "hours": {"mode": "same", "start": "08:00", "end": "16:30"},
        "lunch_break": "Pause déjeuner d'une heure, repas sur place.",
        "reserved_school_uais": [],
        "reserved_rep": False,
        "reserved_qpv": False,
    }
    o.update(kw)
    return o
