"""The back-office pages (issue 21) against a fake gateway that records each call: admins find an account,
see it (no secret shown), act on it with a reason and a confirmation; search, create and correct schools;
read the journal. School staff manage classes and move pupils in bulk. Every page works without JavaScript
(plain forms)."""
import html as html_lib
import uuid

from django.test import Client

from stages_web.gateway import ApiError
from testkit.web import FakeGateway, tokens

UAI = "0131884C"
UID = str(uuid.uuid4())
ADMIN_ID = str(uuid.uuid4())
FOUND = {"items": [{"id": UID, "role": "employer", "status": "locked", "first_name": "Hélène", "last_name": "Bézier",
                    "email": "helene@example.com", "phone": "+33611223344", "school_uai": None, "school_name": None,
                    "last_login_at": "2026-12-05T08:00:00+00:00"}],
         "page": 1, "page_size": 50, "total": 1, "query_kind": "words"}
JOURNAL_ITEM = {"id": str(uuid.uuid4()), "actor_id": ADMIN_ID, "action": "user.lock",
                "action_label": "Verrouillage du compte", "target_kind": "user", "target_id": UID,
                "reason": "Usurpation d'identité signalée", "details": {}, "at": "2026-12-05T09:30:00+00:00"}
USER = {**FOUND["items"][0], "status": "active", "sessions": [
    {"id": str(uuid.uuid4()), "started_at": "2026-12-05T08:00:00+00:00", "last_used_at": "2026-12-05T08:10:00+00:00",
     "ip": "198.51.100.7", "user_agent": "Firefox/140"}], "journal": [JOURNAL_ITEM], "totp_configured": False,
    "designated_head_of": [], "school": None, "created_at": "2026-11-01T08:00:00+00:00"}


def page(r) -> str:
    """The page's HTML with its entities decoded (« l'élève » whether written &#x27; or ')."""
    return html_lib.unescape(r.content.decode())


def _logged_in(role="admin", **user):
    c = Client()
    r = c.post("/connexion", {"identifier": "x@example.com", "password": "x", "totp_code": "123456"})
    assert r.status_code == 302, page(r)
    return c


def test_an_admin_finds_users_and_sees_their_state(monkeypatch):
    fake = FakeGateway(monkeypatch, {"login": tokens("admin"), "admin_users": FOUND, "admin_user": USER})
    c = _logged_in()
    html = page(c.get("/administration/utilisateurs"))
    assert "<h1>Utilisateurs</h1>" in html and "Rechercher un compte" in html and fake.named("admin_users") == []
    html = page(c.get("/administration/utilisateurs", {"q": "bezier", "role": "employer"}))
    assert fake.named("admin_users") == [{"params": {"q": "bezier", "role": "employer", "page": "1"}}] or \
        fake.named("admin_users")[0]["params"]["q"] == "bezier"
    assert "<caption>Comptes trouvés (1)</caption>" in html and "helene@example.com" in html and "Verrouillé" in html
    assert f'href="/administration/utilisateurs/{UID}"' in html
    html = page(c.get(f"/administration/utilisateurs/{UID}"))
    assert "198.51.100.7" in html and "Firefox/140" in html and "Usurpation d'identité signalée" in html
    assert "Verrouiller le compte" in html and "Déverrouiller" not in html and "Je confirme cette action" in html
    for secret in ("password_hash", "totp_secret", "token"):
        assert secret not in html.replace("csrfmiddlewaretoken", "")


def test_an_action_needs_a_reason_and_a_confirmation_then_is_sent(monkeypatch):
    fake = FakeGateway(monkeypatch, {"login": tokens("admin"), "admin_user": USER,
                                     "admin_user_lock": {"user_id": UID, "status": "locked", "changed": True}})
    c = _logged_in()
    r = c.post(f"/administration/utilisateurs/{UID}", {"action": "lock", "reason": ""})
    html = page(r)
    assert r.status_code == 422 and "Cochez la case pour confirmer" in html and "Ce champ est obligatoire" in html
    assert fake.named("admin_user_lock") == []
    r = c.post(f"/administration/utilisateurs/{UID}", {"action": "lock", "reason": "Usurpation signalée",
                                                        "confirm": "on", "nonce": "n1"})
    assert r.status_code == 302 and r["Location"] == f"/administration/utilisateurs/{UID}"
    assert fake.named("admin_user_lock") == [{"user_id": UID, "json": {"reason": "Usurpation signalée"},
                                              "idempotency_key": "n1"}]
    assert "Le compte est verrouillé" in page(c.get(r["Location"]))


def test_the_apis_refusal_shows_next_to_the_reason(monkeypatch):
    FakeGateway(monkeypatch, {"login": tokens("admin"), "admin_user": USER, "admin_user_end_sessions": ApiError(
        422, {"detail": "Certaines informations sont invalides.", "errors": {"reason": ["Indiquez le motif."]}})})
    c = _logged_in()
    r = c.post(f"/administration/utilisateurs/{UID}", {"action": "end_sessions", "reason": "Motif correct",
                                                        "confirm": "on"})
    assert r.status_code == 422 and "Indiquez le motif." in page(r)


def test_schools_search_create_and_correct(monkeypatch):
    school = {"uai": "0139999Y", "name": "Lycée des Docks", "kind": "lycee", "sector": "public", "status": "OUVERT",
              "commune_name": "Marseille", "commune_insee": "13203", "postal_code": "13003",
              "education_prioritaire": "REP", "qpv": True, "academie_name": "Aix-Marseille"}
    fake = FakeGateway(monkeypatch, {
        "login": tokens("admin"), "schools": {"items": [school]}, "school": school,
        "admin_school_create": {**school, "created": True},
        "admin_school_update": {**school, "education_prioritaire": "REP+", "changed": ["education_prioritaire"]},
        "admin_school_head": ApiError(409, {"detail": "Le nouveau chef d'établissement doit avoir un compte actif "
                                                      "et confirmé.", "code": "staff_not_confirmed"})})
    c = _logged_in()
    html = page(c.get("/administration/etablissements", {"q": "docks"}))
    assert "Lycée des Docks" in html and 'href="/administration/etablissements/0139999Y"' in html
    r = c.post("/administration/etablissements/nouveau", {
        "uai": "0139999y", "name": "Lycée des Docks", "kind": "lycee", "sector": "public", "status": "OUVERT",
        "commune_insee": "13203", "education_prioritaire": "REP", "qpv": "true", "reason": "Nouveau lycée"})
    assert r.status_code == 302 and r["Location"] == "/administration/etablissements/0139999Y"
    sent = fake.named("admin_school_create")[0]["json"]
    assert sent["uai"] == "0139999Y" and sent["qpv"] is True and sent["reason"] == "Nouveau lycée"
    html = page(c.get("/administration/etablissements/0139999Y"))
    assert 'value="Lycée des Docks"' in html and "Changer le chef d'établissement désigné" in html
    r = c.post("/administration/etablissements/0139999Y", {
        "save": "1", "name": "Lycée des Docks", "kind": "lycee", "sector": "public", "status": "OUVERT",
        "commune_insee": "13203", "education_prioritaire": "REP+", "qpv": "true", "reason": "Carte 2027"})
    assert r.status_code == 302 and fake.named("admin_school_update")[0]["json"]["education_prioritaire"] == "REP+"
    r = c.post("/administration/etablissements/0139999Y", {"head": "1", "user_id": UID,
                                                           "head_reason": "Départ en retraite"})
    assert r.status_code == 422 and "actif et confirmé" in page(r)


def test_the_journal_is_listed_and_filtered(monkeypatch):
    fake = FakeGateway(monkeypatch, {"login": tokens("admin"), "admin_audit": {
        "items": [JOURNAL_ITEM], "page": 1, "page_size": 50, "total": 1}})
    c = _logged_in()
    html = page(c.get("/administration/journal", {"action": "user.lock", "target_id": UID}))
    assert "<caption>Journal d'administration</caption>" in html and "Verrouillage du compte" in html
    assert "Usurpation d'identité signalée" in html
    params = fake.named("admin_audit")[0]["params"]
    assert params["action"] == "user.lock" and params["target_id"] == UID


def test_a_non_admin_gets_the_forbidden_page(monkeypatch):
    FakeGateway(monkeypatch, {"login": tokens("employer")})
    c = _logged_in()
    assert c.get("/administration/utilisateurs").status_code == 403
    assert c.get("/administration/journal").status_code == 403


CLASSES = {"school_uai": UAI, "items": [{"id": None, "name": "3A", "grade": "troisieme", "pupils": 2},
                                       {"id": str(uuid.uuid4()), "name": "3B", "grade": "troisieme", "pupils": 0}]}
PUPILS = {"items": [{"id": str(uuid.uuid4()), "first_name": "Inès", "last_name": "Amrani", "class_name": "3A",
                     "grade": "troisieme", "activated": True},
                    {"id": str(uuid.uuid4()), "first_name": "Léo", "last_name": "Bernard", "class_name": "3A",
                     "grade": "troisieme", "activated": False}], "page": 1, "page_size": 500, "total": 2}


def test_staff_manage_classes(monkeypatch):
    fake = FakeGateway(monkeypatch, {
        "login": tokens("school_staff", function="head", school_uai=UAI), "school_classes_list": CLASSES,
        "school_class_create": {"name": "4C", "grade": "quatrieme", "pupils": 0, "created": True},
        "school_class_rename": {"name": "3 Alpha", "pupils": 2, "renamed_pupils": 2},
        "school_class_delete": ApiError(409, {"detail": "La classe « 3A » compte encore 2 élèves : déplacez-les "
                                                        "d'abord vers une autre classe, puis supprimez-la.",
                                              "code": "class_not_empty"})})
    c = _logged_in()
    html = page(c.get(f"/etablissements/{UAI}/classes/gestion"))
    assert "<caption>Classes de l'établissement (2)</caption>" in html and "2 élèves à déplacer d'abord" in html
    assert "Supprimer<span class=\"fr-sr-only\"> la classe 3B" in html
    assert c.post(f"/etablissements/{UAI}/classes/gestion", {"op": "create", "name": "4C"}).status_code == 302
    assert fake.named("school_class_create") == [{"uai": UAI, "json": {"name": "4C"}}]   # the grade: from the name
    r = c.post(f"/etablissements/{UAI}/classes/gestion", {"op": "rename", "name": "3A", "new_name": "3 Alpha"})
    assert r.status_code == 302 and fake.named("school_class_rename")[0]["json"] == {"name": "3A",
                                                                                     "new_name": "3 Alpha"}
    assert "s'appelle désormais « 3 Alpha »" in page(c.get(r["Location"]))
    r = c.post(f"/etablissements/{UAI}/classes/gestion", {"op": "delete", "name": "3A"}, follow=True)
    assert "compte encore 2 élèves" in page(r)


def test_staff_move_pupils_in_bulk(monkeypatch):
    p1, p2 = (p["id"] for p in PUPILS["items"])
    fake = FakeGateway(monkeypatch, {
        "login": tokens("school_staff", function="head", school_uai=UAI), "school_classes_list": CLASSES,
        "school_pupils": PUPILS, "school_pupils_move": {"class_name": "3B", "moved": 2, "pupil_ids": [p1, p2]}})
    c = _logged_in()
    html = page(c.get(f"/etablissements/{UAI}/eleves/changer-de-classe", {"classe": "3A"}))
    assert f'id="pupil-{p1}"' in html and '<span class="fr-sr-only">Inès Amrani</span>' in html
    assert "Vers la classe" in html
    r = c.post(f"/etablissements/{UAI}/eleves/changer-de-classe?classe=3A", {"class_name": "3B"})
    assert r.status_code == 422 and "Cochez au moins un élève." in page(r)
    r = c.post(f"/etablissements/{UAI}/eleves/changer-de-classe?classe=3A",
               {"pupil_ids": [p1, p2], "class_name": "3B"})
    assert r.status_code == 302 and r["Location"].endswith("?classe=3B")
    assert fake.named("school_pupils_move") == [{"uai": UAI, "json": {"pupil_ids": [p1, p2], "class_name": "3B"}}]


def test_the_journal_pages_forward_only_while_entries_remain(monkeypatch):
    answers = {"login": tokens("admin"), "admin_audit": lambda kw: {
        "items": [JOURNAL_ITEM], "page": int(kw["params"]["page"]), "page_size": 50, "total": 120}}
    FakeGateway(monkeypatch, answers)
    c = _logged_in()
    first = page(c.get("/administration/journal"))
    assert "Page suivante" in first and "Page précédente" not in first
    last = page(c.get("/administration/journal", {"page": "3"}))
    assert "Page précédente" in last and "Page suivante" not in last
