"""HTTP routes of the offers domain (the rules live in the offers service; see docs/rpc/offers.md).

Schemas here describe shapes and types (they feed the OpenAPI document); the
service checks the business rules (lengths, SIRET, calendar...) and returns
every error at once, in French."""
from __future__ import annotations

from gateway.api import GRADE, ISO_WEEK, PAGE, UUID, array, component, obj, page_of, route

TAGS = ["offers"]
PARTNER_TAGS = ["partner"]
TEXT = {"type": "string"}
NTEXT = {"type": ["string", "null"]}
NNUM = {"type": ["number", "null"]}
NBOOL = {"type": ["boolean", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
DT = {"type": ["string", "null"], "format": "date-time"}
STATE = {"type": "string", "enum": ["draft", "published", "unpublished", "need_to_be_updated", "removed"]}
SECTOR = {"type": "string", "pattern": r"^s\d{1,2}$", "examples": ["s26"]}
PERIOD = {"type": "string", "enum": ["both", "week1", "week2"]}
TIME = {"type": "string", "pattern": r"^\d{2}:\d{2}$", "examples": ["08:30"]}
DAY_HOURS = obj({"start": TIME, "end": TIME}, ["start", "end"])
DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

ADDRESS = obj({
    "street": TEXT, "commune_insee": NTEXT, "postal_code": NTEXT, "city": NTEXT, "lat": NNUM, "lon": NNUM,
}, description="Lieu : commune (code INSEE) ou code postal ; coordonnées déduites de la commune si absentes.")
HEAD_OFFICE = obj({"street": TEXT, "postal_code": TEXT, "city": TEXT})
ORGANISATION = obj({
    "name": TEXT, "trade_name": NTEXT, "siret": NTEXT,
    "manual_entry": {**NBOOL, "description": "Vrai : structure sans SIRET (employeur public), saisie à la main."},
    "is_public": {"type": "boolean"},
    "public_employer_type": NTEXT, "sector": {"type": ["string", "null"]}, "naf_code": NTEXT,
    "head_office_address": HEAD_OFFICE, "contact_phone": TEXT,
}, additional=False, description="Structure d'accueil. Téléphone de contact jamais montré aux élèves.")
HOURS = {
    "type": "object",
    "description": "Horaires identiques chaque jour ({mode: same, start, end, days?}) ou jour par jour "
                   "({mode: per_day, days: {monday: {start, end}, ...}}), au quart d'heure entre 06:00 et 20:00.",
    "properties": {
        "mode": {"type": "string", "enum": ["same", "per_day"]},
        "start": TIME, "end": TIME,
        "days": {"oneOf": [array({"type": "string", "enum": DAY_NAMES}),
                           {"type": "object", "properties": {d: DAY_HOURS for d in DAY_NAMES},
                            "additionalProperties": False}]},
    },
    "required": ["mode"],
    "additionalProperties": False,
}
def _d(schema: dict, text: str) -> dict:
    return {**schema, "description": text}


PLACE, ORG, PLAN = "Étape « place » (métier et lieu). ", "Étape « organisation » (structure). ", \
    "Étape « planning » (dates, places, horaires). "
STEP_BODY = obj({
    "step": _d({"type": "string", "enum": ["place", "organisation", "planning"]},
               "L'étape enregistrée ; sans elle, chaque étape dont un champ est présent."),
    # step 1
    "title": _d(TEXT, PLACE + "Métier(s) observé(s), 150 caractères au plus."),
    "description": _d(TEXT, PLACE + "Activités proposées à l'élève, 10 à 1500 caractères."),
    "address": _d(ADDRESS, PLACE + "Lieu du stage : rue, et commune (INSEE) ou code postal."),
    # step 2
    "organisation": _d(ORGANISATION, ORG + "SIRET, ou manual_entry=true sans SIRET (employeur public) ; "
                                           "type d'employeur public si is_public."),
    "work_environment": _d(NTEXT, ORG + "Facultatif, 10 à 1000 caractères."),
    "accessibility": _d(NTEXT, ORG + "Facultatif, 10 à 1000 caractères."),
    # step 3
    "grades": _d(array(GRADE), PLAN + "Niveaux ; collège et lycée ensemble donnent deux offres liées à la "
                                      "publication."),
    "school_year": _d({"type": "string", "pattern": r"^\d{4}-\d{4}$"}, PLAN + "L'année en cours ou la suivante."),
    "weeks": _d(array(ISO_WEEK), PLAN + "4e/3e : semaines du calendrier collège (GET /offers/calendar)."),
    "all_year": _d({"type": "boolean"}, PLAN + "4e/3e : toute l'année au lieu de semaines."),
    "seconde_period": _d({"type": ["string", "null"]}, PLAN + "2nde : both, week1 ou week2 (juin)."),
    "seats": _d({"type": "integer", "minimum": 1, "maximum": 6000}, PLAN + "1 à 6000."),
    "hours": _d(HOURS, PLAN + HOURS["description"]),
    "lunch_break": _d(TEXT, PLAN + "Pause déjeuner, 8 à 250 caractères."),
    "reserved_school_uais": _d(array(TEXT), PLAN + "Réservée à ces établissements (UAI)."),
    "reserved_rep": _d({"type": "boolean"}, PLAN + "Réservée aux élèves d'établissements REP/REP+."),
    "reserved_qpv": _d({"type": "boolean"}, PLAN + "Réservée aux élèves d'établissements en QPV."),
}, description="Une étape de création (place : métier et lieu ; organisation ; planning). "
               "Chaque étape est validée en entier et renvoie toutes ses erreurs.")

NINT = {"type": ["integer", "null"]}
# Documentation of the steps (the document only: the gateway checks STEP_BODY, the service each step).
_STEP_FIELDS = {"place": ["title", "description", "address"],
                "organisation": ["organisation", "work_environment", "accessibility"],
                "planning": ["grades", "school_year", "weeks", "all_year", "seconde_period", "seats", "hours",
                             "lunch_break", "reserved_school_uais", "reserved_rep", "reserved_qpv"]}
_STEP_TEXT = {"place": "Étape 1, « place » : le métier observé et le lieu du stage.",
              "organisation": "Étape 2, « organisation » : la structure d'accueil (nom, secteur ou code NAF, adresse "
                              "du siège, téléphone de contact). Avec un SIRET ; ou, pour un employeur public sans "
                              "SIRET, manual_entry=true, is_public=true et public_employer_type (collectivite_commune, "
                              "ministere_education, etablissement_public...).",
              "planning": "Étape 3, « planning » : niveaux, année, semaines (4e/3e) ou période (2nde), places, "
                          "horaires, pause déjeuner, réservations."}
_STEP_REFS = [component("OfferStep" + step.capitalize(), obj(
    {"step": {**STEP_BODY["properties"]["step"], "enum": [step]},
     **{f: STEP_BODY["properties"][f] for f in fields}}, description=_STEP_TEXT[step]))
    for step, fields in _STEP_FIELDS.items()]
STEP_BODY_DOC = {"anyOf": [*_STEP_REFS, component("OfferSteps", {
    **STEP_BODY, "description": "Plusieurs étapes d'un coup (sans « step ») : chaque étape dont un champ est présent "
                                "est validée en entier."})],
    "description": "Une étape de création : « place » (OfferStepPlace), « organisation » (OfferStepOrganisation) ou "
                   "« planning » (OfferStepPlanning), ou plusieurs à la fois (OfferSteps). Chaque étape est validée "
                   "en entier et renvoie toutes ses erreurs ; l'offre se publie quand les trois sont enregistrées."}
_HOURS_EXAMPLE = {"mode": "same", "start": "08:30", "end": "16:30"}
STEP_EXAMPLES = {
    "place": {"summary": "Étape 1 : métier et lieu", "value": {
        "step": "place", "title": "Découverte des métiers de la boulangerie",
        "description": "Accueil par le chef boulanger, observation du pétrissage, de la cuisson et de la vente.",
        "address": {"street": "12 quai du Port", "postal_code": "13001", "city": "Marseille"}}},
    "organisation": {"summary": "Étape 2 : structure avec SIRET", "value": {
        "step": "organisation", "organisation": {
            "name": "Boulangerie du Vieux-Port SARL", "trade_name": "Boulangerie du Vieux-Port",
            "siret": "44306184100047", "is_public": False, "sector": "s26",
            "head_office_address": {"street": "12 quai du Port", "postal_code": "13001", "city": "Marseille"},
            "contact_phone": "04 91 00 00 00"},
        "work_environment": "Fournil et boutique, équipe de cinq personnes."}},
    "organisation_manual_entry": {"summary": "Étape 2 : employeur public sans SIRET (manual_entry)", "value": {
        "step": "organisation", "organisation": {
            "name": "Mairie de Cassis", "manual_entry": True, "is_public": True,
            "public_employer_type": "collectivite_commune", "sector": "s25",
            "head_office_address": {"street": "Place Baragnon", "postal_code": "13260", "city": "Cassis"},
            "contact_phone": "04 42 00 00 00"}}},
    "planning": {"summary": "Étape 3 : planning (3e, deux semaines)", "value": {
        "step": "planning", "grades": ["troisieme"], "school_year": "2026-2027",
        "weeks": ["2027-W03", "2027-W04"], "seats": 2, "hours": _HOURS_EXAMPLE,
        "lunch_break": "De 12:00 à 13:30, au choix sur place ou dehors."}},
}

_OPEN = {"additional": True}
ADDRESS_OUT = component("Address", {**obj({
    "street": NTEXT, "commune_insee": NTEXT, "postal_code": NTEXT, "city": NTEXT, "lat": NNUM, "lon": NNUM,
}, **_OPEN), "type": ["object", "null"], "description": "Lieu du stage (étape « place »)."},
    {"street": "12 quai du Port", "commune_insee": "13201", "postal_code": "13001", "city": "Marseille",
     "lat": 43.2965, "lon": 5.3698})
ORGANISATION_OUT = component("Organisation", {**obj({
    "name": NTEXT, "trade_name": NTEXT, "siret": NTEXT,
    "manual_entry": {**NBOOL, "description": "Vrai : structure sans SIRET (employeur public), saisie à la main."},
    "is_public": NBOOL, "public_employer_type": NTEXT, "sector": NTEXT, "naf_code": NTEXT,
    "head_office_address": {"type": ["object", "null"], "properties": {"street": NTEXT, "postal_code": NTEXT,
                                                                      "city": NTEXT}},
    "contact_phone": {**NTEXT, "description": "Seulement pour l'employeur propriétaire (jamais montré aux élèves)."},
}, **_OPEN), "type": ["object", "null"],
    "description": "Structure d'accueil (étape « organisation »)."},
    {"name": "Boulangerie du Vieux-Port SARL", "trade_name": "Boulangerie du Vieux-Port", "siret": "44306184100047",
     "manual_entry": False, "is_public": False, "public_employer_type": None, "sector": "s26", "naf_code": "10.71C",
     "head_office_address": {"street": "12 quai du Port", "postal_code": "13001", "city": "Marseille"}})
HOURS_OUT = component("OfferHours", {**HOURS, "type": ["object", "null"], "additionalProperties": True},
                      {"mode": "same", "start": "08:30", "end": "16:30",
                       "days": ["monday", "tuesday", "wednesday", "thursday", "friday"]})
HOURS_BY_DAY = component("HoursByDay", {
    "type": ["object", "null"], "additionalProperties": {"type": "object", "properties": {"start": TIME, "end": TIME}},
    "description": "Horaires jour par jour, déduits de hours : {monday: {start, end}, ...} (null si incomplets)."},
    {d: {"start": "08:30", "end": "16:30"} for d in DAY_NAMES[:5]})
OPENS = obj({"code": TEXT, "message": TEXT, "opens_at": {"type": "string", "format": "date-time"}},
            ["code", "message", "opens_at"])
OFFER = component("Offer", obj({
    "id": UUID, "state": STATE, "employer_id": NTEXT, "operator_id": NTEXT, "is_partner": {"type": "boolean"},
    "remote_id": NTEXT, "permalink": NTEXT, "title": NTEXT, "description": NTEXT, "address": ADDRESS_OUT,
    "city": NTEXT, "commune_insee": NTEXT, "dep_code": NTEXT, "academie_code": NTEXT, "lat": NNUM, "lon": NNUM,
    "organisation": ORGANISATION_OUT, "siret": NTEXT, "sector": NTEXT, "work_environment": NTEXT,
    "accessibility": NTEXT, "grades": array(GRADE), "school_level": NTEXT,
    "school_year": NTEXT, "weeks": array(ISO_WEEK), "all_year": {"type": "boolean"},
    "seconde_period": NTEXT, "offer_weeks": array(ISO_WEEK), "first_day": DATE, "last_day": DATE,
    "seats": NINT, "seats_taken": NINT, "seats_left": NINT,
    "hours": HOURS_OUT, "hours_by_day": HOURS_BY_DAY, "lunch_break": NTEXT,
    "reserved_school_uais": _d(array(TEXT), "Propriétaire seulement : établissements (UAI) auxquels l'offre est "
                                            "réservée."),
    "reserved_rep": {"type": "boolean"}, "reserved_qpv": {"type": "boolean"}, "linked_offer_id": NTEXT,
    "duplicated_from": NTEXT,
    "completed_steps": _d(array({"type": "string", "enum": ["place", "organisation", "planning"]}),
                          "Propriétaire seulement : étapes de création enregistrées."),
    "can_apply": {"type": "boolean"}, "published_at": DT, "created_at": DT, "updated_at": DT,
    "applications_open": _d(OPENS, "Élève, avant la date d'ouverture des candidatures de son niveau : la date "
                                   "et la phrase à afficher au lieu de « Postuler » (can_apply est faux)."),
    "holiday_weeks": {"type": "object", "additionalProperties": array({"type": "string", "enum": ["A", "B", "C"]}),
                      "description": "Semaines de l'offre qui tombent pendant les vacances scolaires d'une ou "
                                     "plusieurs zones : {semaine: [zones]}. Un élève ne peut pas choisir une "
                                     "semaine de vacances de la zone de son établissement."},
}, ["id", "state"], additional=True, description="Une offre de stage, telle que la voit l'appelant."),
    {"id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11", "state": "published",
     "employer_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "operator_id": None, "is_partner": False,
     "permalink": None, "title": "Découverte des métiers de la boulangerie",
     "description": "Accueil par le chef boulanger, observation du pétrissage, de la cuisson et de la vente.",
     "address": {"street": "12 quai du Port", "commune_insee": "13201", "postal_code": "13001", "city": "Marseille",
                 "lat": 43.2965, "lon": 5.3698},
     "city": "Marseille", "commune_insee": "13201", "dep_code": "13", "academie_code": "02",
     "lat": 43.2965, "lon": 5.3698,
     "organisation": {"name": "Boulangerie du Vieux-Port SARL", "trade_name": "Boulangerie du Vieux-Port",
                      "siret": "44306184100047", "manual_entry": False, "is_public": False, "sector": "s26"},
     "siret": "44306184100047", "sector": "s26", "work_environment": "Fournil et boutique, équipe de cinq personnes.",
     "accessibility": None, "grades": ["troisieme"], "school_level": "college", "school_year": "2026-2027",
     "weeks": ["2027-W03", "2027-W04"], "all_year": False, "seconde_period": None,
     "offer_weeks": ["2027-W03", "2027-W04"], "first_day": "2027-01-18", "last_day": "2027-01-29",
     "seats": 2, "seats_taken": 1, "seats_left": 1,
     "hours": {"mode": "same", "start": "08:30", "end": "16:30"},
     "hours_by_day": {d: {"start": "08:30", "end": "16:30"} for d in DAY_NAMES[:5]},
     "lunch_break": "De 12:00 à 13:30, au choix sur place ou dehors.", "reserved_rep": False,
     "reserved_qpv": False, "linked_offer_id": None, "duplicated_from": None, "can_apply": True,
     "published_at": "2026-11-02T09:00:00Z", "created_at": "2026-10-30T14:12:00Z",
     "updated_at": "2026-11-02T09:00:00Z", "holiday_weeks": {}})
OFFERS = component("OfferList", obj(
    {"offers": array(OFFER)}, ["offers"],
    description="L'offre publiée, et son offre liée (collège + lycée) s'il y en a une."))
RESULT = component("OfferSummary", obj({
    "id": UUID, "title": TEXT, "organisation_name": NTEXT, "city": NTEXT, "commune_insee": NTEXT,
    "sector": NTEXT, "grades": array(GRADE), "school_year": NTEXT, "weeks": array(ISO_WEEK),
    "seconde_period": NTEXT, "first_day": DATE, "last_day": DATE, "distance_km": NNUM,
    "seats_left": {"type": "integer"}, "is_partner": {"type": "boolean"}, "permalink": NTEXT,
    "reserved": {"type": "boolean"}, "priority": {"type": "boolean"}, "can_apply": {"type": "boolean"},
}, ["id", "title", "seats_left", "can_apply"], additional=True, description="Une offre dans les résultats d'une "
                                                                            "recherche."),
    {"id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11", "title": "Découverte des métiers de la boulangerie",
     "organisation_name": "Boulangerie du Vieux-Port", "city": "Marseille", "commune_insee": "13201",
     "sector": "s26", "grades": ["troisieme"], "school_year": "2026-2027", "weeks": ["2027-W03", "2027-W04"],
     "seconde_period": None, "first_day": "2027-01-18", "last_day": "2027-01-29", "distance_km": 1.8,
     "seats_left": 1, "is_partner": False, "permalink": None, "reserved": False, "priority": False,
     "can_apply": True})
SEARCH_CENTRE = obj({"lat": {"type": "number"}, "lon": {"type": "number"}, "source": TEXT,
                     "radius_km": {"type": "number"}}, additional=True,
                    description="Le centre de la recherche et d'où il vient (commune, code postal, coordonnées, "
                                "établissement de l'élève).")
SEARCH_RESULT = component("OfferSearchPage", page_of(RESULT, {
    "relaxed": {"type": "boolean", "description": "Aucun résultat strict : recherche élargie (mot-clé et "
                                                  "secteur ignorés)."},
    "centre": {**SEARCH_CENTRE, "type": ["object", "null"]}, "grade": NTEXT,
    "closed": _d(OPENS, "Élève (ou visiteur), avant la date de consultation des offres : aucune offre, et quand "
                        "elles seront visibles (calendrier d'ouverture, GET /calendar)."),
}, ["page", "per_page", "has_more", "relaxed"], with_total=False,
    description="Une page de résultats (30 par page). Sans total : has_more dit s'il y a une page suivante."))
SEARCH_QUERY = obj({
    "commune": {"type": "string", "description": "Code INSEE de la commune"},
    "postal_code": {"type": "string"},
    "lat": {"type": "number"}, "lon": {"type": "number"},
    "radius_km": {"type": "number", "minimum": 5, "maximum": 60, "default": 20},
    "q": {"type": "string", "maxLength": 200, "description": "Texte libre (sans accents requis, préfixes)"},
    "sector": array(SECTOR), "grade": GRADE, "week": ISO_WEEK, "period": PERIOD, "page": PAGE,
})
PAGE_OF_OFFERS = component("OfferPage", page_of(OFFER, description="Une page de mes offres (30 par page)."))
SECTORS = array(component("Sector", obj({"id": SECTOR, "name": TEXT}, ["id", "name"]),
                          {"id": "s26", "name": "Hôtellerie, restauration, tourisme"}))
_SPAN = {"start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"}}
CALENDAR = component("Calendar", obj({
    "school_year": TEXT,
    "college": obj({**_SPAN, "weeks": array(ISO_WEEK),
                    "holiday_weeks": {"type": "object", "additionalProperties": array(TEXT)}},
                   additional=True, description="4e/3e : dates, semaines proposées, semaines de vacances par zone."),
    "seconde": {"type": "object", "additionalProperties": obj({**_SPAN, "weeks": array(ISO_WEEK), "label": TEXT},
                                                              additional=True),
                "description": "2nde : les périodes de juin (week1, week2, both)."},
    "overridden": {"type": "boolean"}}, ["school_year", "college", "seconde"], additional=True),
    {"school_year": "2026-2027",
     "college": {"start": "2026-09-01", "end": "2027-07-03", "weeks": ["2027-W03", "2027-W04"],
                 "holiday_weeks": {"2027-W08": ["A"]}},
     "seconde": {"week1": {"start": "2027-06-14", "end": "2027-06-18", "weeks": ["2027-W24"],
                           "label": "du 14 au 18 juin"}},
     "overridden": False})
HOLIDAY_WEEKS = {"type": ["object", "null"], "properties": {z: array(ISO_WEEK) for z in ("A", "B", "C")},
                 "additionalProperties": False,
                 "description": "Semaines de vacances scolaires par zone, à la place du calendrier officiel "
                                "pour cette année scolaire (null : calendrier officiel)."}
CALENDAR_BODY = obj({"college_start": DATE, "college_end": DATE, "seconde_week1_start": DATE,
                     "holiday_weeks": HOLIDAY_WEEKS})
DUPLICATE_BODY = obj({"school_year": {"type": "string"}, "keep_place": {"type": "boolean"}})

PARTNER_BODY = obj({
    "remote_id": {"type": "string"}, "title": TEXT, "description": TEXT, "employer_name": TEXT,
    "employer_description": NTEXT, "siret": NTEXT, "is_public": {"type": "boolean"}, "sector": SECTOR,
    "address": ADDRESS, "grades": array(GRADE), "weeks": array(ISO_WEEK), "period": PERIOD,
    "school_year": {"type": "string"}, "seats": {"type": "integer", "minimum": 1, "maximum": 6000},
    "permalink": {"type": "string", "description": "Adresse https où les élèves candidatent"},
    "reserved_rep": {"type": "boolean"}, "reserved_qpv": {"type": "boolean"},
}, description="Offre poussée par un opérateur. Collège (quatrieme/troisieme + weeks) ou lycée "
               "(seconde + period), jamais les deux.")
PARTNER_OFFER = component("PartnerOffer", obj({
    "id": UUID, "remote_id": TEXT, "state": STATE, "title": TEXT, "permalink": NTEXT, "seats_left": NINT},
    ["id", "remote_id", "state"], additional=True, description="Une offre poussée par un opérateur."),
    {"id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11", "remote_id": "OP-2027-0042", "state": "published",
     "title": "Découvrir le métier de technicien réseau",
     "permalink": "https://operateur.example.fr/offres/OP-2027-0042", "seats_left": 3})
PARTNER_PAGE = component("PartnerOfferPage", page_of(PARTNER_OFFER))
RATE = {429: "Plus de 100 requêtes par minute pour cet opérateur (en-tête Retry-After)"}


def _offers(req):
    return req.rpc("offers")


# -- reference -------------------------------------------------------------------------
@route("GET", "/api/v1/sectors", summary="Les 51 secteurs d'activité", tags=TAGS, auth="none", response=SECTORS)
def list_sectors(req):
    return _offers(req).list_sectors()


PLACE = component("Place", obj({"insee_code": TEXT, "name": TEXT, "kind": TEXT, "dep_code": TEXT,
                                 "postal_codes": array(TEXT), "population": NINT, "lat": NNUM, "lon": NNUM},
                                ["insee_code", "name"], additional=True, description="Une commune."),
                  {"insee_code": "13201", "name": "Marseille 1er Arrondissement", "kind": "arrondissement",
                   "dep_code": "13", "postal_codes": ["13001"], "population": 40000, "lat": 43.2999, "lon": 5.3841})


@route("GET", "/api/v1/places", summary="Trouver une commune (nom, code postal ou adresse)", tags=TAGS,
       auth="none",
       description="Pour choisir le lieu d'une recherche : les communes qui correspondent au texte saisi (nom sans "
                   "accents requis, code postal, code INSEE, ou adresse contenant un code postal), les plus "
                   "proches du texte puis les plus peuplées d'abord.",
       query=obj({"q": {"type": "string", "minLength": 1, "maxLength": 200},
                  "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 10}}, ["q"]),
       response=obj({"items": array(PLACE)}, ["items"]))
def find_places(req):
    return _offers(req).find_places(q=req.query["q"], limit=req.query.get("limit", 10))


@route("GET", "/api/v1/offers/calendar", summary="Calendrier des stages d'une année scolaire", tags=TAGS,
       auth="none", query=obj({"school_year": {"type": "string", "pattern": r"^\d{4}-\d{4}$"}}), response=CALENDAR)
def get_calendar(req):
    return _offers(req).get_calendar(school_year=req.query.get("school_year"))


@route("PUT", "/api/v1/offers/calendar/<school_year>", summary="Modifier les dates d'une année (admin)",
       tags=TAGS, roles=["admin"], body=CALENDAR_BODY, response=CALENDAR)
def set_calendar(req):
    return _offers(req).set_calendar_override(actor=req.actor, school_year=req.path["school_year"],
                                              dates=req.body)


# -- search and reading ------------------------------------------------------------------
@route("GET", "/api/v1/offers", summary="Rechercher des offres près d'un lieu", tags=TAGS, auth="optional",
       query=SEARCH_QUERY, response=SEARCH_RESULT,
       description="Lieu (commune, code postal ou lat/lon ; par défaut l'établissement de l'élève), rayon 5 à "
                   "60 km, texte libre, secteurs, niveau, semaine ou période ; 30 résultats par page. Un élève "
                   "ne voit que son niveau et les offres réservées auxquelles son établissement a droit ; "
                   "élèves REP/REP+ : offres réservées REP d'abord, élèves QPV : offres réservées QPV d'abord.")
def search_offers(req):
    # the page goes out as the service wrote it (not decoded and encoded again: a third of the
    # gateway's cost of a search)
    return _offers(req).raw().search(actor=req.actor, params=req.query)


@route("GET", "/api/v1/offers/<offer_id>", summary="Une offre", tags=TAGS, auth="optional", response=OFFER)
def get_offer(req):
    return _offers(req).view_offer(actor=req.actor, offer_id=req.path["offer_id"])


@route("GET", "/api/v1/me/offers", summary="Mes offres", tags=TAGS, roles=["employer", "admin"],
       description="Administrateur : owner_id donne les offres de cet employeur (refusé aux autres rôles).",
       query=obj({"state": STATE, "page": PAGE, "owner_id": UUID}), response=PAGE_OF_OFFERS)
def my_offers(req):
    return _offers(req).list_my_offers(actor=req.actor, state=req.query.get("state"),
                                       page=req.query.get("page", 1), owner_id=req.query.get("owner_id"))


# -- employer commands ---------------------------------------------------------------------
@route("POST", "/api/v1/offers", summary="Créer une offre (brouillon, une étape)", tags=TAGS,
       roles=["employer"], body=STEP_BODY, response=OFFER, status=201, idempotent=True,
       body_doc=STEP_BODY_DOC, body_examples=STEP_EXAMPLES,
       description="Crée le brouillon avec une étape (en général « place ») ; les suivantes par PATCH. Même "
                   "Idempotency-Key : la même offre, sans doublon.")
def create_offer(req):
    return _offers(req).create_offer(actor=req.actor, data=req.body, idempotency_key=req.idempotency_key)


@route("PATCH", "/api/v1/offers/<offer_id>", summary="Enregistrer une étape d'une offre", tags=TAGS,
       roles=["employer", "admin"], body=STEP_BODY, response=OFFER, body_doc=STEP_BODY_DOC,
       body_examples=STEP_EXAMPLES,
       description="Enregistre une étape (« place », « organisation » ou « planning ») d'un brouillon ; sur une "
                   "offre publiée, la modification est revalidée.")
def update_offer(req):
    return _offers(req).update_offer(actor=req.actor, offer_id=req.path["offer_id"], data=req.body)


@route("POST", "/api/v1/offers/<offer_id>/publish", summary="Publier (ou republier) une offre", tags=TAGS,
       roles=["employer", "admin"], response=OFFERS,
       description="Valide toute l'offre. Une offre collège + lycée devient deux offres liées. Une republication "
                   "impossible renvoie 409 avec les raisons (places, semaines, « dupliquez-la »).")
def publish_offer(req):
    return _offers(req).publish_offer(actor=req.actor, offer_id=req.path["offer_id"])


@route("POST", "/api/v1/offers/<offer_id>/unpublish", summary="Dépublier une offre", tags=TAGS,
       roles=["employer", "admin"], response=OFFER)
def unpublish_offer(req):
    return _offers(req).unpublish_offer(actor=req.actor, offer_id=req.path["offer_id"])


@route("POST", "/api/v1/offers/<offer_id>/duplicate", summary="Dupliquer une offre (autre période ou année)",
       tags=TAGS, roles=["employer", "admin"], body=DUPLICATE_BODY, response=OFFER, status=201, idempotent=True)
def duplicate_offer(req):
    return _offers(req).duplicate_offer(actor=req.actor, offer_id=req.path["offer_id"], options=req.body or {},
                                        idempotency_key=req.idempotency_key)


@route("DELETE", "/api/v1/offers/<offer_id>", summary="Supprimer une offre (conservée, masquée)", tags=TAGS,
       roles=["employer", "admin"], response=OFFER)
def remove_offer(req):
    return _offers(req).remove_offer(actor=req.actor, offer_id=req.path["offer_id"])


# -- partner API -----------------------------------------------------------------------------
@route("POST", "/api/v1/partner/offers", summary="Pousser une offre partenaire", tags=PARTNER_TAGS,
       roles=["operator"], body=PARTNER_BODY, response=PARTNER_OFFER, status=201, extra_responses=RATE)
def partner_create(req):
    return _offers(req).partner_create(actor=req.actor, data=req.body)


@route("GET", "/api/v1/partner/offers", summary="Mes offres partenaires", tags=PARTNER_TAGS, roles=["operator"],
       query=obj({"page": PAGE}), response=PARTNER_PAGE, extra_responses=RATE)
def partner_list(req):
    return _offers(req).partner_list(actor=req.actor, page=req.query.get("page", 1))


@route("PATCH", "/api/v1/partner/offers/<remote_id>", summary="Modifier une offre partenaire",
       tags=PARTNER_TAGS, roles=["operator"], body=PARTNER_BODY, response=PARTNER_OFFER, extra_responses=RATE)
def partner_update(req):
    return _offers(req).partner_update(actor=req.actor, remote_id=req.path["remote_id"], data=req.body)


@route("DELETE", "/api/v1/partner/offers/<remote_id>", summary="Retirer une offre partenaire",
       tags=PARTNER_TAGS, roles=["operator"], response=PARTNER_OFFER, extra_responses=RATE)
def partner_delete(req):
    return _offers(req).partner_delete(actor=req.actor, remote_id=req.path["remote_id"])
