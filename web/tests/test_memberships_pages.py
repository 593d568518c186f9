"""School staff in several schools: « Mes établissements » lists them and switches the current one (the new
tokens replace the session's), against a fake gateway."""
from django.test import Client

from stages_web.gateway import ApiError
from testkit.web import FakeGateway, tokens

COLLEGE = "0131884C"
LYCEE = "0130040Y"


def schools(current):
    return {"current_uai": current, "items": [
        {"school_uai": COLLEGE, "name": "Collège Belle de Mai", "commune_name": "Marseille", "kind": "college",
         "function": "head", "function_label": "Chef d'établissement", "source": "fim", "confirmed": True,
         "current": current == COLLEGE, "designated_head": True},
        {"school_uai": LYCEE, "name": "Lycée Thiers", "commune_name": "Marseille", "kind": "lycee",
         "function": "head", "function_label": "Chef d'établissement", "source": "fim", "confirmed": True,
         "current": current == LYCEE, "designated_head": False}]}


def test_a_head_of_two_schools_switches(monkeypatch):
    state = {"current": COLLEGE}

    def switch(kw):
        if kw["json"]["uai"] not in (COLLEGE, LYCEE):
            return ApiError(403, {"code": "not_a_member", "detail": "Vous n'êtes pas rattaché(e) à cet établissement."})
        state["current"] = kw["json"]["uai"]
        return {**tokens("school_staff", school_uai=kw["json"]["uai"]), "access_token": "new-access"}

    fake = FakeGateway(monkeypatch, {"login": tokens("school_staff", school_uai=COLLEGE),
                                     "my_schools": lambda kw: schools(state["current"]), "switch_school": switch})
    c = Client()
    c.post("/connexion", {"identifier": "h@ac-aix-marseille.fr", "password": "x"})
    html = c.get("/etablissement/mes-etablissements").content.decode()
    assert "<h1>Mes établissements</h1>" in html and "Lycée Thiers" in html and 'name="uai"' in html
    r = c.post("/etablissement/mes-etablissements", {"uai": "0999999Z"})
    assert r.status_code == 200 and "Choisissez un de vos établissements." in r.content.decode()
    assert not fake.named("switch_school")
    r = c.post("/etablissement/mes-etablissements", {"uai": LYCEE.lower()})
    assert r.status_code == 302 and r["Location"] == "/etablissement"
    assert fake.named("switch_school")[-1]["json"] == {"uai": LYCEE}
    assert c.session["auth"]["access_token"] == "new-access"


def test_other_roles_do_not_see_the_page(monkeypatch):
    FakeGateway(monkeypatch, {"login": tokens("employer")})
    c = Client()
    c.post("/connexion", {"identifier": "e@example.com", "password": "x"})
    assert c.get("/etablissement/mes-etablissements").status_code in (302, 403)
