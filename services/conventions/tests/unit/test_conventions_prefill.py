from conventions.domain.prefill import build, hours_from_offer


def test_build_from_the_documented_records():
    data = {"application_id": "a1", "offer_id": "o1", "pupil_id": "p1", "employer_id": "e1",
            "school_uai": "0131884C", "weeks": ["2027-W05"], "state": "confirmed"}
    application = {"pupil_name": "Camille Martin", "grade": "troisieme", "school_name": "Collège Belle de Mai",
                   "offer_title": "Boulanger", "address": "1 rue X, 13003 Marseille", "phone": "+33612345678",
                   "legal_representative": {"name": "Nadia Martin", "email": "n@example.org", "phone": "+33655443322"}}
    pupil = {"id": "p1", "first_name": "Camille", "last_name": "Martin", "class_name": "3A", "grade": "troisieme"}
    school = {"uai": "0131884C", "name": "Collège Belle de Mai", "postal_code": "13003", "commune_name": "Marseille",
              "academie_code": "02", "academie_name": "Aix-Marseille", "street_address": "4 RUE DOCTEUR LEON PERRIN",
              "address_complement": None, "address_postal_code": "13003", "address_city": "MARSEILLE"}
    offer = {"title": "Boulanger pâtissier", "description": "Découvrir la fabrication du pain.",
             "address": {"street": "12 rue Carnot", "postal_code": "71000", "city": "Mâcon"},
             "organisation": {"name": "Boulangerie Dupont", "siret": "44306184100047",
                              "head_office_address": {"street": "12 rue Carnot", "postal_code": "71000",
                                                      "city": "Mâcon"}},
             "hours": {"mode": "same", "start": "08:00", "end": "16:30"}, "lunch_break": "Repas sur place."}
    conv = build(data, application, pupil, school, offer, head={"user_id": "h1", "name": "Marie Lambert"})
    assert (conv.application_id, conv.pupil_user_id, conv.employer_user_id, conv.school_uai, conv.grade) == (
        "a1", "p1", "e1", "0131884C", "troisieme")
    p = conv.prefill
    assert p["pupil"]["first_name"] == "Camille" and p["pupil"]["class_name"] == "3A"
    assert p["school"]["head_name"] == "Marie Lambert" and p["school"]["head_user_id"] == "h1"
    # the directory's postal address (issue 13 item 3)
    assert (p["school"]["address"], p["school"]["zipcode"], p["school"]["city"]) == (
        "4 RUE DOCTEUR LEON PERRIN", "13003", "MARSEILLE")
    # a lycée without a delivery name: its commune
    lycee = {**school, "address_city": None}
    assert build(data, application, pupil, lycee, offer).prefill["school"]["city"] == "Marseille"
    assert p["school"]["academie_code"] == "02"
    assert p["organisation"] == {"name": "Boulangerie Dupont", "siret": "44306184100047",
                                 "head_office_address": "12 rue Carnot, 71000 Mâcon"}
    assert p["offer"]["internship_address"] == "12 rue Carnot, 71000 Mâcon"
    assert p["period"] == {"start": "2027-02-01", "end": "2027-02-05"}
    assert conv.employer["activities"] == "Découvrir la fabrication du pain."
    assert conv.employer["hours"] == {"mode": "same", "weekdays": ["monday", "tuesday", "wednesday", "thursday",
                                                                   "friday"],
                                      "same": {"start": "08:00", "end": "16:30"}}
    assert conv.school["legal_representatives"] == [{"name": "Nadia Martin", "email": "n@example.org",
                                                     "phone": "+33655443322"}]
    assert conv.school["pupil_address"].startswith("1 rue X")


def test_build_with_nothing_but_the_event():
    data = {"application_id": "a1", "offer_id": "o1", "pupil_id": "p1", "employer_id": "e1",
            "school_uai": "0131884C", "weeks": ["2027-W24", "2027-W25"]}
    conv = build(data, None, None, None, None)
    assert conv.school_uai == "0131884C" and conv.employer == {} and conv.school == {}
    assert conv.prefill["period"] == {"start": "2027-06-14", "end": "2027-06-25"}


def test_per_day_hours_from_offer():
    assert hours_from_offer({"mode": "per_day", "days": {"monday": {"start": "09:00", "end": "12:00"},
                                                         "sunday": {"start": "1", "end": "2"}}}) == {
        "mode": "per_day", "days": {"monday": {"start": "09:00", "end": "12:00"}}}
    assert hours_from_offer(None) is None


def test_the_registers_guardians_are_the_legal_representatives():
    """identity's pupil carries the guardians of the national register (``legal_representatives``): they are
    pre-filled (two at most), before what the pupil typed in the application."""
    data = {"application_id": "a1", "offer_id": "o1", "pupil_id": "p1", "employer_id": "e1",
            "school_uai": "0131884C", "weeks": ["2027-W05"]}
    application = {"legal_representative": {"name": "Typed Name", "email": "t@example.org", "phone": "0600000000"}}
    guardians = [{"name": "Samira Mansouri", "email": "s@example.org", "phone": "06 12 34 56 00",
                  "address": "24 rue de la République, 13003 MARSEILLE", "relationship": "MERE"},
                 {"name": "Karim Mansouri", "email": None, "phone": "07 98 76 54 00", "address": None},
                 {"name": "Third One", "email": None, "phone": None}]
    conv = build(data, application, {"id": "p1", "legal_representatives": guardians}, None, None)
    assert conv.school["legal_representatives"] == [
        {"name": "Samira Mansouri", "email": "s@example.org", "phone": "06 12 34 56 00"},
        {"name": "Karim Mansouri", "email": "", "phone": "07 98 76 54 00"}]
    assert conv.school["pupil_address"] == "24 rue de la République, 13003 MARSEILLE"
    # no guardian known: the application's representative, as before
    conv = build(data, application, {"id": "p1", "legal_representatives": []}, None, None)
    assert conv.school["legal_representatives"][0]["name"] == "Typed Name"
