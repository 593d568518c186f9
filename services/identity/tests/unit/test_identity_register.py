"""The national pupil register's rules (identity.domain.register): levels and grades, the API's payloads read,
guardians, the reconciliation with known pupils, the nightly cut-off, the declared weeks."""
import datetime as dt

from identity.domain import register as R

UAI = "0130007M"


def eleve(**kw):
    out = {"ine": "070112001AA", "nom": "MANSOURI", "prenom": "Inaya", "dateNaissance": "2012-04-17",
           "codeUai": UAI, "niveau": "2116", "codeMef": "10310019110", "classe": "3A"}
    out.update(kw)
    return out


def test_levels_map_to_the_platforms_grades_segpa_included():
    assert R.MEFSTAT4_GRADES == {"2115": "quatrieme", "2116": "troisieme", "2211": "seconde",
                                 "2433": "quatrieme", "2434": "troisieme"}
    p, why = R.read_pupil(eleve(niveau="2434", classe="3SEGPA"), "2434", UAI)
    assert why is None and (p.grade, p.class_name) == ("troisieme", "3SEGPA")


def test_a_register_pupil_is_read_from_the_apis_payload():
    p, why = R.read_pupil(eleve(classe=None, libelleDivision="3 B"), "2116", UAI)
    assert why is None
    assert (p.ine, p.last_name, p.first_name, p.birth_date, p.grade, p.class_name) == (
        "070112001AA", "MANSOURI", "Inaya", dt.date(2012, 4, 17), "troisieme", "3 B")
    assert p.key == "mansouri|inaya|2012-04-17"
    for payload, reason in ((eleve(ine="12"), "invalid_ine"), (eleve(dateNaissance="17/04/2012"), "invalid_birth_date"),
                            (eleve(nom=" "), "missing_name"), (eleve(niveau="2212"), "unknown_level"),
                            (eleve(codeUai="0131884C"), "other_school"), ("x", "invalid_payload")):
        assert R.read_pupil(payload, "2116", UAI) == (None, reason)


def test_guardians_are_the_legal_ones_two_at_most():
    addr = {"adresseLigne1": "4, rue du Muguet", "adresseLigne2": "Le Banel", "codePostal": "12110",
            "libelleCommune": "AUBIN"}
    payload = [{"nomFamille": "BADEZ", "prenom": "Claudette", "codeNiveauResponsabilite": "3", "adrResidenceResp": addr},
               {"nomFamille": "CHIERICI", "prenom": "Frederic", "email": "f@example.org",
                "telephonePersonnel": "0506070809", "codeNiveauResponsabilite": "1", "adrResidenceResp": addr,
                "libelleLienEleveResponsable": "PERE"},
               {"nomFamille": "GROHIN", "prenom": "Juliette", "telephonePortable": "0612345678",
                "codeNiveauResponsabilite": "1"},
               {"nomFamille": "TROISIEME", "prenom": "Tuteur", "codeNiveauResponsabilite": "1"}]
    got = R.read_guardians(payload)
    assert [(g["rank"], g["last_name"], g["phone"]) for g in got] == [(1, "CHIERICI", "0506070809"),
                                                                      (2, "GROHIN", "0612345678")]
    assert got[0]["address"] == "4, rue du Muguet, Le Banel, 12110 AUBIN" and got[0]["relationship"] == "PERE"
    assert R.read_guardians(None) == [] and R.same_guardians(got, list(reversed(got)))


def _known(pid, uai, ine, **kw):
    p, _ = R.read_pupil(eleve(ine=ine or "070112001AA", codeUai=uai), "2116", uai)
    out = {"id": pid, "ine": ine, "key": p.key, "school_uai": uai, "last_name": p.last_name,
           "first_name": p.first_name, "birth_date": p.birth_date, "grade": p.grade, "class_name": p.class_name}
    out.update(kw)
    return out


def test_reconciliation_create_update_move_unchanged():
    p, _ = R.read_pupil(eleve(), "2116", UAI)
    assert R.plan_register_import([p], []).create == [p]
    assert R.plan_register_import([p], [_known("a", UAI, "070112001AA")]).unchanged == [("a", p)]
    plan = R.plan_register_import([p], [_known("a", UAI, "070112001AA", class_name="3B")])
    assert plan.update == [("a", p, {"class_name": "3A"})]
    # imported from a CSV without INE: matched by names and birth date, and given the INE
    plan = R.plan_register_import([p], [_known("a", UAI, None)])
    assert plan.update == [("a", p, {"ine": "070112001AA"})]
    # known at another school: moves here
    assert R.plan_register_import([p], [_known("a", "0131884C", "070112001AA")]).move == [("a", p, "0131884C")]
    # another pupil of the school with the same names and birth date but another INE: reported
    plan = R.plan_register_import([p], [_known("b", UAI, "070199999ZZ")])
    assert plan.errors == [{"ine": "070112001AA", "reason": "same_pupil_other_ine"}] and not plan.create
    assert R.plan_register_import([p, p], []).errors == [{"ine": "070112001AA", "reason": "duplicate_ine"}]


def test_the_nightly_cutoff_is_the_last_two_oclock_in_paris():
    utc = dt.timezone.utc
    assert R.nightly_cutoff(dt.datetime(2026, 12, 6, 0, 30, tzinfo=utc)) == dt.datetime(2026, 12, 5, 1, 0, tzinfo=utc)
    assert R.nightly_cutoff(dt.datetime(2026, 12, 6, 1, 0, tzinfo=utc)) == dt.datetime(2026, 12, 6, 1, 0, tzinfo=utc)
    assert R.nightly_cutoff(dt.datetime(2027, 7, 1, 12, 0, tzinfo=utc)) == dt.datetime(2027, 7, 1, 0, 0, tzinfo=utc)


def test_declared_weeks():
    now = dt.datetime(2027, 1, 20, 12, tzinfo=dt.timezone.utc)   # Wednesday of 2027-W03
    assert R.check_declared_weeks(["2027-W04", "2027-W03", "2027-W04"], now) == (["2027-W03", "2027-W04"], [])
    assert R.check_declared_weeks(["2027-W60"], now)[1] and R.check_declared_weeks("2027-W03", now)[1]
    assert R.check_declared_weeks([f"2027-W{i:02d}" for i in range(1, 22)], now)[1] == [
        "Indiquez au plus 20 semaines."]
    assert R.check_declared_weeks(["9999-W52"], now)[1] == ["Semaine trop lointaine : 9999-W52 (deux ans au plus)."]
    assert R.check_declared_weeks(["2028-W50", "2026-W02"], now)[1] == []   # past weeks are kept
    assert R.restricting_weeks(["2027-W02", "2027-W03", "2027-W05"], now) == ["2027-W03", "2027-W05"]
    assert R.restricting_weeks(["2026-W40"], now) == []
    assert R.week_counts([("A", "2027-W05"), ("B", "2027-W05"), ("A", "2027-W06"), ("A", "2027-W01")], now) == [
        {"week": "2027-W05", "schools": 2}, {"week": "2027-W06", "schools": 1}]
