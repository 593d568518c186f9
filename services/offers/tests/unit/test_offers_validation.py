import datetime as dt

from offers.domain import offer as od
from testkit.offers import TODAY, full_offer


def test_full_offer_is_publishable():
    assert od.validate_for_publish(full_offer(), TODAY) == {}


def test_step_place_returns_every_error_at_once():
    errs = od.validate_place({"title": "x" * 151, "description": "court", "address": {"lat": 95}})
    assert set(errs) == {"title", "description", "address.street", "address.commune_insee", "address.lon",
                         "address.lat"}
    assert errs["title"] == ["Ce champ doit contenir au plus 150 caractères."]
    assert errs["description"] == ["Ce champ doit contenir au moins 10 caractères."]


def test_step_place_ok_with_postal_code_only():
    assert od.validate_place({"title": "Vétérinaire", "description": "Soins aux animaux, accueil.",
                              "address": {"street": "1 place de la Mairie", "postal_code": "71000"}}) == {}
    errs = od.validate_place({"title": "V", "description": "d" * 1501,
                              "address": {"street": "1 pl", "commune_insee": "7127"}})
    assert errs["description"] == ["Ce champ doit contenir au plus 1500 caractères."]
    assert "address.commune_insee" in errs
    assert od.check_insee("2A004") is None


def test_step_organisation_optional_texts():
    o = full_offer(work_environment="court", accessibility="a" * 1001)
    errs = od.validate_organisation_step(o)
    assert errs == {"work_environment": ["Ce champ doit contenir au moins 10 caractères."],
                    "accessibility": ["Ce champ doit contenir au plus 1000 caractères."]}
    assert od.validate_organisation_step(full_offer(work_environment="Open space calme et lumineux.")) == {}


def test_step_planning_every_error_at_once():
    errs = od.validate_planning({"grades": ["troisieme", "seconde"], "school_year": "2026-2027",
                                 "weeks": [], "seats": 0, "hours": {"mode": "same", "start": "05:45", "end": "08:10"},
                                 "lunch_break": "court", "reserved_school_uais": ["123"]}, TODAY)
    assert set(errs) == {"weeks", "seconde_period", "seats", "hours.start", "hours.end", "lunch_break",
                         "reserved_school_uais"}
    assert errs["seats"] == ["Le nombre de places doit être un entier entre 1 et 6000."]


def test_seats_bounds():
    for seats, ok in ((1, True), (6000, True), (6001, False), (0, False), ("3", False), (True, False)):
        errs = od.validate_planning(full_offer(seats=seats), TODAY)
        assert ("seats" not in errs) is ok, seats


def test_hours_quarter_steps_within_the_legal_day_of_a_minor():
    """Quarter hours (an offer-form rule) between 06:00 and 20:00 (common.daytime: a minor's legal day)."""
    assert od.parse_time("08:00") == 480 and od.parse_time("20:00") == 1200 and od.parse_time("06:00") == 360
    assert od.parse_time("07:45") == 465
    assert od.parse_time("08:10") is None and od.parse_time("05:45") is None and od.parse_time("20:15") is None
    assert od.validate_hours({"mode": "same", "start": "05:45", "end": "12:00"}) == {"hours.start": [
        "Heure invalide : indiquez un quart d'heure entre 06:00 et 20:00 (exemple : 08:30)."]}
    assert od.validate_hours({"mode": "same", "start": "09:00", "end": "09:00"}) == {
        "hours.end": ["L'heure de début doit précéder l'heure de fin."]}


def test_hours_per_day_monday_to_saturday():
    h = {"mode": "per_day", "days": {"monday": {"start": "09:00", "end": "17:00"},
                                     "saturday": {"start": "08:30", "end": "12:00"}}}
    assert od.validate_hours(h) == {}
    assert od.hours_by_day(h)["saturday"] == {"start": "08:30", "end": "12:00"}
    bad = {"mode": "per_day", "days": {"sunday": {"start": "09:00", "end": "17:00"}}}
    assert "hours.days" in od.validate_hours(bad)
    bad = {"mode": "per_day", "days": {"tuesday": {"start": "17:00", "end": "09:00"}}}
    assert od.validate_hours(bad) == {"hours.days.tuesday.end": ["L'heure de début doit précéder l'heure de fin."]}
    assert "hours.mode" in od.validate_hours({"mode": "x"})
    assert set(od.hours_by_day({"mode": "same", "start": "09:00", "end": "17:00"})) == set(od.DAYS[:5])


def test_lunch_break_8_to_250():
    assert "lunch_break" in od.validate_planning(full_offer(lunch_break="1234567"), TODAY)
    assert "lunch_break" not in od.validate_planning(full_offer(lunch_break="12345678"), TODAY)
    assert "lunch_break" in od.validate_planning(full_offer(lunch_break="x" * 251), TODAY)


def test_weeks_must_be_open_to_college_in_that_year():
    errs = od.validate_planning(full_offer(weeks=["2027-W25"]), TODAY)
    assert errs["weeks"] == ["La semaine 2027-W25 n'est pas ouverte aux stages de 4e/3e en 2026-2027."]
    assert "weeks" not in od.validate_planning(full_offer(weeks=[], all_year=True), TODAY)
    assert od.validate_planning(full_offer(weeks=["2026-50"]), TODAY)["weeks"]


def test_school_year_must_be_running_or_next():
    errs = od.validate_planning(full_offer(school_year="2025-2026", weeks=["2026-W02"]), TODAY)
    assert errs["school_year"] == ["L'année scolaire 2025-2026 n'est pas ouverte : choisissez 2026-2027 ou 2027-2028."]


def test_seconde_period():
    o = full_offer(grades=["seconde"], weeks=[], seconde_period="week2")
    assert od.validate_for_publish(o, TODAY) == {}
    assert od.offer_weeks(o) == ["2027-W25"]
    o = full_offer(grades=["seconde"], weeks=[], seconde_period="week3")
    assert od.validate_for_publish(o, TODAY)["seconde_period"]


def test_reservations():
    o = full_offer(reserved_school_uais=["0710012a"], reserved_rep=True, reserved_qpv=True)
    assert od.validate_for_publish(o, TODAY) == {}
    n = od.normalize_planning(o)
    assert n["reserved_school_uais"] == ["0710012A"]
    assert "reserved_rep" in od.validate_planning(full_offer(reserved_rep="oui"), TODAY)


def test_publish_validates_the_whole_offer_at_once():
    o = full_offer(title="", seats=0)
    o["organisation"] = dict(o["organisation"], siret="1")
    errs = od.validate_for_publish(o, TODAY)
    assert set(errs) == {"title", "seats", "organisation.siret"}


def test_publish_refuses_offer_whose_weeks_are_all_past():
    o = full_offer(weeks=["2026-W37", "2026-W38"])
    assert od.validate_for_publish(o, TODAY) == {"weeks": ["Toutes les semaines de cette offre sont passées."]}
    assert od.validate_for_publish(o, dt.date(2026, 9, 10)) == {}


def test_offer_weeks_and_dates():
    o = full_offer(grades=["troisieme", "seconde"], seconde_period="both")
    assert od.offer_weeks(o) == ["2026-W50", "2026-W51", "2027-W24", "2027-W25"]
    assert od.offer_dates(o) == ("2026-12-07", "2027-06-25")
    assert len(od.offer_weeks(full_offer(weeks=[], all_year=True))) == 34  # without the 4 holiday weeks


def test_split_college_and_lycee():
    o = full_offer(grades=["quatrieme", "troisieme", "seconde"], seconde_period="week1")
    college, lycee = od.split_by_school_level(o)
    assert college["grades"] == ["quatrieme", "troisieme"] and college["seconde_period"] is None
    assert college["weeks"] == ["2026-W50", "2026-W51"]
    assert lycee["grades"] == ["seconde"] and lycee["weeks"] == [] and lycee["seconde_period"] == "week1"
    assert lycee["seats"] == college["seats"] == 2
    assert od.split_by_school_level(full_offer()) == [full_offer()]
    assert od.school_level(["seconde"]) == "lycee" and od.school_level(["quatrieme"]) == "college"
    assert od.school_level(["quatrieme", "seconde"]) == "mixed"


def test_validate_step_dispatch():
    assert od.validate_step("place", full_offer(), TODAY) == {}
    assert od.validate_step("organisation", full_offer(), TODAY) == {}
    assert od.validate_step("planning", full_offer(), TODAY) == {}
    assert "step" in od.validate_step("nope", {}, TODAY)


def test_normalize_planning_clears_unused_fields():
    n = od.normalize_planning(full_offer(grades=["seconde", "troisieme"], seconde_period="both",
                                         weeks=["2026-W51", "2026-W50", "2026-W50"]))
    assert n["grades"] == ["troisieme", "seconde"] and n["weeks"] == ["2026-W50", "2026-W51"]
    n = od.normalize_planning(full_offer(seconde_period="both"))
    assert n["seconde_period"] is None


def test_a_week_of_holidays_in_every_zone_is_refused():
    # issue 13 item 11: an offer for 28 Dec - 1 Jan was published without warning
    errs = od.validate_planning(full_offer(weeks=["2026-W50", "2026-W53"]), TODAY)
    assert errs == {"weeks": ["La semaine 2026-W53 (du 28/12/2026 au 01/01/2027) tombe pendant les vacances "
                              "scolaires de toutes les zones (A, B et C) : choisissez une autre semaine."]}
    assert "weeks" in od.validate_for_publish(full_offer(weeks=["2026-W44"]), TODAY)
    # a week of holidays in some zones only is allowed (pupils of the other zones may take it)
    assert od.validate_planning(full_offer(weeks=["2027-W07"]), TODAY) == {}


def test_a_week_whose_holiday_calendar_is_unknown_is_refused_clearly():
    o = full_offer(school_year="2028-2029", weeks=["2029-W10"])
    today = dt.date(2027, 11, 23)  # 2028-2029 is then offerable
    errs = od.validate_planning(o, today)
    assert errs["weeks"] == ["Le calendrier officiel des vacances scolaires de 2029 n'est pas encore connu de la "
                             "plateforme : un administrateur doit renseigner les semaines de vacances de cette "
                             "année scolaire."]
    assert "weeks" in od.validate_planning(full_offer(school_year="2028-2029", weeks=[], all_year=True), today)
    override = {"2028-2029": {"holiday_weeks": {"A": [], "B": [], "C": []}}}
    assert od.validate_planning(o, today, override) == {}
