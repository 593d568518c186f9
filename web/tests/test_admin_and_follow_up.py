"""The admin's validation of a statistician's account and the school's per-class follow-up of applications,
against a fake gateway that records each call (the real pages against the real API:
tests/browser/test_stats.py and tests/browser/test_journey_full.py)."""
import uuid

from django.test import Client

from stages_web.gateway import ApiError
from testkit.web import FakeGateway, tokens
from stages_web.views.school import follow_up_classes

UAI = "0131884C"


def _logged_in():
    c = Client()
    r = c.post("/connexion", {"identifier": "x@example.com", "password": "x", "totp_code": "123456"})
    assert r.status_code == 302, r.content.decode()
    return c


# -- statisticians waiting for their validation ------------------------------------------------------

NO_PENDING = {"items": [], "page": 1, "page_size": 50, "total": 0}


def test_the_accounts_waiting_are_listed_each_with_its_button(monkeypatch):
    sid = str(uuid.uuid4())
    pending = {"items": [{"id": sid, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@insee.fr",
                          "organisation_name": "Insee", "job_title": "Chargée d'études", "stat_scope": "departement",
                          "stat_scope_code": "13"}], "page": 1, "page_size": 50, "total": 1}
    fake = FakeGateway(monkeypatch, {"login": tokens("admin"), "admin_statisticians": pending,
                                     "admin_validate_statistician": {"user_id": sid, "status": "active"}})
    c = _logged_in()
    html = c.get("/administration/statisticiens").content.decode()
    assert "ada@insee.fr" in html and "Chargée d&#x27;études" in html and "departement (13)" in html
    assert f'name="user_id" value="{sid}"' in html and "Valider<span class=\"fr-sr-only\"> Ada Lovelace" in html
    r = c.post("/administration/statisticiens", {"user_id": sid})   # the row's button
    assert r.status_code == 302 and fake.named("admin_validate_statistician") == [{"user_id": sid}]


def test_an_admin_validates_a_statistician_by_the_account_id(monkeypatch):
    sid = str(uuid.uuid4())
    fake = FakeGateway(monkeypatch, {"login": tokens("admin"), "admin_statisticians": NO_PENDING,
                                     "admin_validate_statistician": {"user_id": sid, "status": "active"}})
    c = _logged_in()
    html = c.get("/administration/statisticiens").content.decode()
    assert "Identifiant du compte statisticien" in html and 'name="csrfmiddlewaretoken"' in html
    assert "Statisticiens à valider" in html and "Aucun compte n'attend de validation." in html

    r = c.post("/administration/statisticiens", {"user_id": "pas-un-identifiant"})
    assert r.status_code == 422 and "Saisissez l&#x27;identifiant complet du compte" in r.content.decode()
    assert fake.named("admin_validate_statistician") == []

    r = c.post("/administration/statisticiens", {"user_id": f"  {sid.upper()} "})
    assert r.status_code == 302 and r["Location"] == "/administration/statisticiens"
    assert fake.named("admin_validate_statistician") == [{"user_id": sid}]
    assert f"Le compte statisticien {sid} est validé" in c.get(r["Location"]).content.decode()


def test_a_refused_validation_is_said_next_to_the_field(monkeypatch):
    refusals = iter([ApiError(409, {"detail": "Ce compte n'attend pas de validation.",
                                    "code": "not_pending_validation"}),
                     ApiError(404, {"detail": "Compte statisticien introuvable.", "code": "user_not_found"})])
    FakeGateway(monkeypatch, {"login": tokens("admin"), "admin_statisticians": NO_PENDING,
                              "admin_validate_statistician": lambda kw: next(refusals)})
    c = _logged_in()
    for expected in ("Ce compte n&#x27;attend pas de validation.", "Compte statisticien introuvable."):
        r = c.post("/administration/statisticiens", {"user_id": str(uuid.uuid4())})
        html = r.content.decode()
        assert r.status_code == 422 and expected in html
        assert "fr-input-group--error" in html and "fr-error-text" in html   # under the field, DSFR style


def test_the_page_is_for_admins_only(monkeypatch):
    FakeGateway(monkeypatch, {"login": tokens("statistician")})
    c = _logged_in()
    assert c.get("/administration/statisticiens").status_code == 403


def test_an_activated_statistician_reads_the_id_to_give_to_the_admin(monkeypatch):
    sid = str(uuid.uuid4())
    FakeGateway(monkeypatch, {"activate": {"status": "pending_validation", "user_id": sid,
                                           "detail": "Votre adresse est confirmée ; un administrateur doit encore "
                                                     "valider votre compte."}})
    html = Client().post("/activation", {"token": "jeton"}).content.decode()
    assert f'<code id="account-id">{sid}</code>' in html


def test_an_active_account_shows_no_id(monkeypatch):
    FakeGateway(monkeypatch, {"activate": {"status": "active", "user_id": str(uuid.uuid4())}})
    assert "account-id" not in Client().post("/activation", {"token": "jeton"}).content.decode()


# -- per-class follow-up -----------------------------------------------------------------------------

def _pupil(last, cls, activated=True):
    return {"id": str(uuid.uuid4()), "first_name": "Inaya", "last_name": last, "class_name": cls,
            "grade": "troisieme", "activated": activated}


def _app(pupil, offer_id, state, label, submitted, title="Boulanger"):
    return {"id": str(uuid.uuid4()), "pupil_id": pupil["id"], "offer_id": offer_id, "offer_title": title,
            "state": state, "state_label": label, "tab": "confirmed" if state == "confirmed" else "received",
            "weeks": ["2027-W05"], "submitted_at": submitted, "class_name": pupil["class_name"]}


def test_follow_up_groups_pupils_by_class_with_their_applications():
    a, b, c = _pupil("MARTIN", "3B"), _pupil("DURAND", "3A"), _pupil("ABADI", "3A", activated=False)
    nc = _pupil("ZOLA", None)
    older = _app(b, "o1", "rejected", "Refusée", "2027-01-02T10:00:00+00:00")
    newer = _app(b, "o2", "confirmed", "Stage confirmé", "2027-01-05T10:00:00+00:00")
    other = _app(a, "o1", "submitted", "Envoyée", "2027-01-03T10:00:00+00:00")
    classes = follow_up_classes([a, b, c, nc], [older, newer, other], {"o1": "Boulangerie Dupont", "o2": None})
    assert [k["class_name"] for k in classes] == ["3A", "3B", "Sans classe"]
    first = classes[0]
    assert [p["last_name"] for p in first["pupils"]] == ["ABADI", "DURAND"]
    assert (first["with_application"], first["confirmed"]) == (1, 1)
    assert [x["id"] for x in first["pupils"][1]["applications"]] == [newer["id"], older["id"]]
    assert first["pupils"][1]["applications"][1]["organisation_name"] == "Boulangerie Dupont"
    assert [k["class_name"] for k in follow_up_classes([a, b, c], [], {}, "3B")] == ["3B"]


def test_the_follow_up_page_reads_every_page_and_filters_by_class(monkeypatch):
    a, b, c = _pupil("MARTIN", "3B"), _pupil("DURAND", "3A"), _pupil("ABADI", "3A", activated=False)
    o1, o2 = str(uuid.uuid4()), str(uuid.uuid4())
    confirmed = _app(b, o1, "confirmed", "Stage confirmé", "2027-01-05T10:00:00+00:00", title="Boulanger")
    gone = _app(b, o2, "rejected", "Refusée", "2027-01-02T10:00:00+00:00", title="Fleuriste")
    elsewhere = _app(_pupil("AUTRE", "3C"), o1, "submitted", "Envoyée", "2027-01-03T10:00:00+00:00")
    apps = [confirmed] + [elsewhere] * 199 + [gone]   # two pages of 200 and 1

    def pupils(kw):
        listed = [p for p in (a, b, c) if kw["params"].get("class_name") in (None, p["class_name"])]
        return {"items": listed, "total": len(listed), "classes": ["3A", "3B", "3C"]}

    def applications(kw):
        page = kw["params"]["page"]
        return {"items": apps[(page - 1) * 200: page * 200], "total": len(apps)}

    def offer(kw):
        if kw["offer_id"] == o2:
            return ApiError(404, {"detail": "Offre introuvable."})
        return {"id": o1, "organisation": {"name": "Boulangerie Dupont"}}

    fake = FakeGateway(monkeypatch, {"login": tokens("school_staff", school_uai=UAI), "school_pupils": pupils,
                                     "applications": applications, "offer": offer})
    c_ = _logged_in()
    r = c_.get(f"/etablissements/{UAI}/suivi?classe=3A")
    html = r.content.decode()
    assert r.status_code == 200 and "Suivi des candidatures par classe" in html
    assert [kw["params"]["page"] for kw in fake.named("applications")] == [1, 2]
    assert all(kw["params"]["school_uai"] == UAI for kw in fake.named("applications"))
    assert fake.named("school_pupils")[0]["params"]["class_name"] == "3A"
    assert "Classe 3A" in html and "Classe 3B" not in html and "MARTIN" not in html
    assert "Boulangerie Dupont" in html and "Stage confirmé" in html and "Fleuriste" in html
    assert f"/etablissements/{UAI}/candidatures/{confirmed['id']}" in html
    assert "semaine du 1 au 5 février 2027" in html
    assert "Envoyée le 5 janvier 2027" in html
    assert "Aucune candidature (compte pas encore activé)" in html
    assert "1 ayant candidaté, 1 placé" in html
    assert '<option value="3B">' in html and '<option value="3A" selected>' in html
    assert sorted(kw["offer_id"] for kw in fake.named("offer")) == sorted([o1, o2])

    html = c_.get(f"/etablissements/{UAI}/suivi").content.decode()
    assert "Classe 3A" in html and "Classe 3B" in html and "MARTIN" in html
