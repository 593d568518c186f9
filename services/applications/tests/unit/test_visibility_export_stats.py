import csv
import datetime as dt
import io

import pytest

from common.clock import to_paris
from common.errors import Forbidden, NotFound, ValidationError

from applications.domain import export, stats, visibility
from applications.domain import states as S

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
D = dt.timedelta

PUPIL = {"user_id": "p1", "role": "pupil"}
EMPLOYER = {"user_id": "e1", "role": "employer"}
OTHER_EMPLOYER = {"user_id": "e2", "role": "employer"}
STAFF = {"user_id": "s1", "role": "school_staff", "school_uai": "0750001A"}
OTHER_STAFF = {"user_id": "s2", "role": "school_staff", "school_uai": "0930001B"}
ADMIN = {"user_id": "ad", "role": "admin"}
STAT = {"user_id": "st", "role": "statistician", "academie": "01", "stat_scope": "academie", "stat_scope_code": "01"}
NATIONAL = {"user_id": "st2", "role": "statistician", "academie": None, "stat_scope": "national"}
DEP = {"user_id": "st3", "role": "statistician", "stat_scope": "departement", "stat_scope_code": "13"}


def application(state=S.SUBMITTED, **kw):
    base = {"id": "a1", "offer_id": "o1", "offer_title": "Boulangerie", "pupil_id": "p1", "employer_id": "e1",
            "school_uai": "0750001A", "school_name": "Collège Voltaire", "pupil_name": "Léa Martin",
            "grade": "troisieme", "class_name": "3e B", "state": state, "motivation": "J'aime le pain", "weeks": ["2027-W05"],
            "email": "lea@example.fr", "phone": "+33612345678", "address": "1 rue X",
            "legal_representative": {"name": "M", "email": "m@example.fr", "phone": "+33712345678"},
            "idempotency_key": "k1", "history": []}
    base.update(kw)
    return base


# Visibility -----------------------------------------------------------------------------------

def test_an_employer_acts_on_the_applications_of_their_space():
    app = {"employer_id": "e1", "space_id": "s9"}
    colleague = {"role": "employer", "user_id": "e2", "space_id": "s9"}
    assert visibility.employer_may_act(colleague, app) and visibility.can_view(colleague, app)
    assert not visibility.employer_may_act({"role": "employer", "user_id": "e1", "space_id": "e1"}, app)
    assert not visibility.employer_may_act({"role": "pupil", "user_id": "e2", "space_id": "s9"}, app)
    # before spaces: a record's space is its employer's personal space, a token's the user's own
    assert visibility.employer_may_act({"role": "employer", "user_id": "e1"}, {"employer_id": "e1"})
    assert not visibility.can_view({"role": "employer", "user_id": "e3", "space_id": "s8"}, app)


def test_list_scopes():
    assert visibility.list_scope(PUPIL) == {"pupil_id": "p1"}
    assert visibility.list_scope(EMPLOYER) == {"space_id": "e1"}   # the personal space (no space_id claim)
    assert visibility.list_scope({**EMPLOYER, "space_id": "s9"}) == {"space_id": "s9"}
    assert visibility.list_scope(STAFF) == {"school_uai": "0750001A"}
    assert visibility.list_scope(ADMIN) == {}
    for actor in (STAT, {"role": "operator", "user_id": "o"}, {}, None,
                  {"role": "school_staff", "user_id": "s"}):
        with pytest.raises(Forbidden):
            visibility.list_scope(actor)


def test_who_can_view_one_application():
    a = application()
    assert visibility.can_view(PUPIL, a)
    assert visibility.can_view(EMPLOYER, a)
    assert visibility.can_view(STAFF, a)
    assert visibility.can_view(ADMIN, a)
    assert visibility.can_view({"role": "transfer_recipient", "application_id": "a1"}, a)
    for actor in (OTHER_EMPLOYER, OTHER_STAFF, {"user_id": "p2", "role": "pupil"}, STAT,
                  {"role": "transfer_recipient", "application_id": "a2"}):
        assert not visibility.can_view(actor, a)
        with pytest.raises(NotFound):
            visibility.check_view(actor, a)


@pytest.mark.parametrize("state", S.STATES)
def test_employer_sees_contact_only_once_accepted(state):
    out = visibility.present(application(state), EMPLOYER)
    accepted = state in (S.ACCEPTED_BY_EMPLOYER, S.CONFIRMED)
    for k in visibility.CONTACT_FIELDS:
        assert (out[k] is not None) is accepted
    assert out["contact_hidden"] is (not accepted)
    # always visible: name, grade, school, motivation
    assert out["pupil_name"] == "Léa Martin" and out["grade"] == "troisieme"
    assert out["school_name"] == "Collège Voltaire" and out["motivation"] == "J'aime le pain"
    assert "idempotency_key" not in out


def test_pupil_and_staff_see_everything_with_their_labels():
    out = visibility.present(application(S.ACCEPTED_BY_EMPLOYER), PUPIL)
    assert out["email"] == "lea@example.fr" and out["state_label"] == "acceptée par l'entreprise"
    out = visibility.present(application(S.SUBMITTED), STAFF)
    assert out["phone"] and out["contact_hidden"] is False
    assert visibility.present(application(S.ACCEPTED_BY_EMPLOYER), EMPLOYER)["state_label"] == \
        "en attente de réponse de l'élève"


def test_history_gets_labels():
    h = [{"from_state": None, "to_state": S.SUBMITTED, "at": T0},
         {"from_state": S.SUBMITTED, "to_state": S.ACCEPTED_BY_EMPLOYER, "at": T0 + D(days=1)}]
    out = visibility.present(application(S.ACCEPTED_BY_EMPLOYER, history=h), PUPIL)
    assert out["history"][1]["to_label"] == "acceptée par l'entreprise"
    assert out["history"][0]["from_label"] is None


def test_list_filters():
    f = visibility.list_filters({"state": "submitted,rejected", "tab": "received", "page": "2"})
    assert f["state"] == ("submitted", "rejected") and f["page"] == 2 and f["per_page"] == 30
    with pytest.raises(ValidationError) as e:
        visibility.list_filters({"state": "nope", "tab": "x", "per_page": "999", "evil": "1"})
    assert set(e.value.errors) == {"state", "tab", "per_page", "evil"}


def test_class_summary_lists_pupils_without_application():
    pupils = [{"pupil_id": "p1", "name": "A", "class_name": "3eA"},
              {"pupil_id": "p2", "name": "B", "class_name": "3eA"},
              {"pupil_id": "p3", "name": "C", "class_name": "3eB"}]
    out = visibility.class_summary(pupils, {"p1": [S.CONFIRMED, S.CANCELLED_AFTER_OTHER_CONFIRMED],
                                            "p3": [S.SUBMITTED]})
    assert out == [
        {"class_name": "3eA", "pupils": 2, "with_application": 1, "confirmed": 1,
         "without_application": [{"pupil_id": "p2", "name": "B"}]},
        {"class_name": "3eB", "pupils": 1, "with_application": 1, "confirmed": 0, "without_application": []},
    ]


# Export ---------------------------------------------------------------------------------------

def _history(*steps):
    out, prev = [], None
    for to, at in steps:
        out.append({"from_state": prev, "to_state": to, "at": at})
        prev = to
    return out


def parse(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_one_column_per_state_date():
    assert len(export.DATE_COLUMNS) == len(S.STATES)
    assert {s for s, _ in export.DATE_COLUMNS} == set(S.STATES)
    assert len(set(export.HEADERS)) == len(export.HEADERS)


def test_export_fills_accepted_and_cancelled_columns():
    h = _history((S.SUBMITTED, T0), (S.READ_BY_EMPLOYER, T0 + D(hours=2)),
                 (S.ACCEPTED_BY_EMPLOYER, T0 + D(days=1)), (S.CONFIRMED, T0 + D(days=2)),
                 (S.CANCELLED_BY_EMPLOYER, T0 + D(days=3)))
    rows = parse(export.to_csv([application(S.CANCELLED_BY_EMPLOYER, history=h)]))
    header, row = rows[0], rows[1]
    got = dict(zip(header, row))
    assert got["Date d'envoi"] == "2026-11-23 10:00"  # Paris time (UTC+1 in November)
    assert got["Date de lecture"] == "2026-11-23 12:00"
    assert got["Date d'acceptation"] == "2026-11-24 10:00"
    assert got["Date de confirmation par l'élève"] == "2026-11-25 10:00"
    assert got["Date d'annulation par l'entreprise"] == "2026-11-26 10:00"
    for col in ("Date de refus", "Date d'annulation par l'élève", "Date d'expiration", "Date de transfert",
                "Date de restauration", "Date d'expiration (non confirmée par l'élève)",
                "Date d'annulation (autre stage confirmé)"):
        assert got[col] == ""
    assert got["Statut"] == "annulée par vous"
    assert got["Classe"] == "3e B"  # the class, not the grade (issue 13 item 6)
    assert got["Niveau"] == "3e"
    assert got["E-mail"] == ""  # cancelled: contact hidden again


def test_export_each_state_lands_in_its_own_column():
    for i, (state, header) in enumerate(export.DATE_COLUMNS):
        at = T0 + D(days=i + 1)
        h = [{"from_state": None, "to_state": S.SUBMITTED, "at": T0}, {"from_state": "x", "to_state": state, "at": at}]
        got = dict(zip(export.HEADERS, export.row(application(state, history=h))))
        assert got[header] == to_paris(at).strftime("%Y-%m-%d %H:%M")
        others = [hd for s, hd in export.DATE_COLUMNS if s not in (state, S.SUBMITTED)]
        assert all(got[o] == "" for o in others)


def test_export_keeps_latest_date_and_ignores_nudges():
    h = _history((S.SUBMITTED, T0), (S.ACCEPTED_BY_EMPLOYER, T0 + D(days=1)), (S.EXPIRED_BY_PUPIL, T0 + D(days=16)),
                 (S.ACCEPTED_BY_EMPLOYER, T0 + D(days=20)))
    h.insert(1, {"from_state": S.SUBMITTED, "to_state": S.SUBMITTED, "at": T0 + D(hours=5)})  # nudge
    d = export.state_dates(h)
    assert d[S.ACCEPTED_BY_EMPLOYER] == T0 + D(days=20)
    assert d[S.SUBMITTED] == T0
    got = dict(zip(export.HEADERS, export.row(application(S.ACCEPTED_BY_EMPLOYER, history=h))))
    assert got["E-mail"] == "lea@example.fr"


def test_export_neutralises_formulas():
    got = dict(zip(export.HEADERS, export.row(application(pupil_name="=HYPERLINK(\"x\")"))))
    assert got["Élève"].startswith("'=")


def test_export_accepts_iso_strings():
    h = [{"from_state": None, "to_state": S.SUBMITTED, "at": "2026-11-23T09:00:00+00:00"}]
    assert export.state_dates(h)[S.SUBMITTED] == T0


# Stats ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("rep,qpv,cat", [("REP+", True, "rep_plus"), ("REP", False, "rep"), (None, True, "qpv"),
                                         (None, False, "other"), ("", None, "other")])
def test_categories(rep, qpv, cat):
    assert stats.category(rep, qpv) == cat


def test_stats_scope():
    assert stats.scope(EMPLOYER) == ({"kind": "employer", "code": "e1"}, [("employer_id", "e1")])
    assert stats.scope(EMPLOYER, {"offer_id": "o1"})[1] == [("employer_id", "e1"), ("offer_id", "o1")]
    assert stats.scope(STAFF)[1] == [("school_uai", "0750001A")]
    with pytest.raises(Forbidden):
        stats.scope(STAFF, {"school_uai": "0930001B"})
    assert stats.scope(STAT) == ({"kind": "academie", "code": "01"}, [("academie_code", "01")])
    assert stats.scope(STAT, {"departement": "75"})[1] == [("academie_code", "01"), ("departement_code", "75")]
    with pytest.raises(Forbidden):
        stats.scope(STAT, {"academie": "02"})
    with pytest.raises(Forbidden):
        stats.scope(STAT, {"departement": "13"})
    assert stats.scope(DEP)[1] == [("departement_code", "13")]      # a département is not the nation
    assert stats.scope(NATIONAL)[1] == []
    assert stats.scope(NATIONAL, {"academie": "02"})[1] == [("academie_code", "02")]
    assert stats.scope(ADMIN, {"employer_id": "e9"})[1] == [("employer_id", "e9")]
    with pytest.raises(ValidationError):
        stats.scope(STAT, {"employer_id": "e9"})
    with pytest.raises(ValidationError):
        stats.scope(NATIONAL, {"departement": "Bouches-du-Rhône"})
    with pytest.raises(Forbidden):
        stats.scope(PUPIL)
    with pytest.raises(Forbidden):   # a statistician's token without any scope reads nothing, not the nation
        stats.scope({"user_id": "st4", "role": "statistician", "academie": None})
    with pytest.raises(ValidationError):
        stats.scope(ADMIN, {"bogus": 1})


def test_aggregate():
    out = stats.aggregate(
        [("rep", S.CONFIRMED, 3), ("rep", S.SUBMITTED, 2), ("other", S.CONFIRMED, 5), ("qpv", S.EXPIRED, 1),
         ("rep_plus", S.REJECTED, 4)],
        [("rep", 4, 3), ("other", 10, 5), ("qpv", 1, 0), ("rep_plus", 2, 0)])
    assert out["total"]["total"] == 15
    assert out["total"]["by_state"][S.CONFIRMED] == 8
    assert out["by_category"]["rep"]["placement_rate"] == 0.75
    assert out["by_category"]["other"]["by_tab"]["confirmed"] == 5
    assert out["by_category"]["rep_plus"]["by_tab"]["rejected"] == 4
    assert out["priority"] == {"pupils": 7, "placed_pupils": 3, "placement_rate": round(3 / 7, 4)}
    assert out["total"]["placement_rate"] == round(8 / 17, 4)
    assert set(out["by_category"]) == {"rep_plus", "rep", "qpv", "other"}


def test_aggregate_by_month_in_order():
    out = stats.aggregate([], [], [("2027-01", 4, 1), ("2026-12", 2, 2)])
    assert out["by_month"] == [{"month": "2026-12", "applications": 2, "placed": 2},
                               {"month": "2027-01", "applications": 4, "placed": 1}]


def test_aggregate_empty():
    out = stats.aggregate([], [])
    assert out["by_month"] == []
    assert out["total"]["total"] == 0 and out["total"]["placement_rate"] is None
    assert out["priority"]["placement_rate"] is None
