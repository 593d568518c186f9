"""Issue 20 across the real suite, through the gateway: the national pupil register (identity reads the local
stand-in of the Omogen SYGNE API, testkit.omogen, run by this module) and the schools' internship weeks of 3e.

- a school imported twice changes nothing the second time; a teacher may not start an import (403), an unknown
  school is not found (404);
- the register's guardians land on the agreement's prefill;
- a pupil moved to another school follows: the new school lists them, the old one no longer does but keeps
  reading the agreement made while they were its pupil;
- a collège declares its 3e weeks: its pupils may apply only on them (422 naming them); employers see the weeks
  declared near a place."""
import time
import uuid

import pytest

from testkit.applications import (PASSWORD, _client, activation_secret, application_form, suite_employer, suite_head,
                                  suite_offer, suite_pupils)
from testkit.omogen import StandIn
from testkit.tokens import admin_token

pytestmark = pytest.mark.suite

SCHOOL_A, SCHOOL_B, SCHOOL_C = "0130007M", "0131711P", "0132009N"   # collèges of Aix-en-Provence


def eleve(ine, uai, classe="3A", nom="REGISTRE"):
    return {"ine": ine, "nom": nom, "prenom": "Lina", "dateNaissance": "2012-05-06", "codeSexe": "2", "codeUai": uai,
            "anneeScolaire": 2026, "niveau": "2116", "libelleNiveau": "3EME", "codeMef": "10310019110",
            "libelleLongMef": "3EME", "classe": classe, "codeStatut": "ST", "libelleLongStatut": "SCOLAIRE"}


def responsable(last, first, link, email):
    return {"nomFamille": last, "prenom": first, "email": email, "telephonePortable": "06 11 22 33 44",
            "codeNiveauResponsabilite": "1", "libelleLienEleveResponsable": link, "codeCivilite": "2",
            "adrResidenceResp": {"adresseLigne1": "5 cours Mirabeau", "codePostal": "13100",
                                 "libelleCommune": "AIX EN PROVENCE"}}


def new_ine() -> str:
    return f"{uuid.uuid4().int % 10**9:09d}RS"


def staff(rpc, uai, function):
    email = f"{function}.{uuid.uuid4().hex[:10]}@ac-aix-marseille.fr"
    rpc.identity.register(data={"role": "school_staff", "first_name": "Jean", "last_name": "Prof", "function": function,
                                "email": email, "password": PASSWORD, "school_uai": uai}, client=_client())
    uid = rpc.identity.activate(activation_secret(rpc, email))["user_id"]
    rpc.identity.confirm_staff(actor={"user_id": str(uuid.uuid4()), "role": "admin"}, school_uai=uai, user_id=uid)
    return rpc.identity.login(identifier=email, password=PASSWORD, client=_client())["access_token"]


@pytest.fixture(scope="module")
def standin(suite):
    """The stand-in, and identity restarted to read it (then restarted as it was)."""
    s = StandIn({"eleves": [], "responsables": {}}, require_token=True).start()
    suite.stop("identity")
    suite.start("identity", OMOGEN_SYGNE_URL=s.base_url, OMOGEN_OAUTH_URL=s.oauth_url, OMOGEN_CLIENT_ID="stages",
                OMOGEN_CLIENT_SECRET="secret")
    suite.wait_ready()
    yield s
    suite.stop("identity")
    suite.start("identity")
    suite.wait_ready()
    s.stop()


@pytest.fixture(scope="module")
def world(suite, standin):
    with suite.rpc() as rpc:
        demo = rpc.identity.seed_demo()
        heads = {uai: suite_head(rpc, uai=uai)["token"] for uai in (SCHOOL_A, SCHOOL_B, SCHOOL_C)}
        teacher = staff(rpc, SCHOOL_A, "teacher")
        emp = suite_employer(rpc)
        offer = suite_offer(rpc, emp["user_id"], seats=3)
    return {"demo": demo, "heads": heads, "teacher": teacher, "emp": emp, "offer": offer}


def wait_convention(api, token, application_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in api.get("/api/v1/conventions", token=token).json().get("items", [])
                 if c["application_id"] == application_id]
        if found:
            return found[0]
        time.sleep(0.3)
    raise AssertionError("no convention created")


def import_now(api, uai, token, timeout=60):
    """Ask for an import (202, queued) and wait for its report (identity's queue runs it within seconds)."""
    r = api.post(f"/api/v1/schools/{uai}/register-import", token=token)
    assert r.status_code == 202 and r.json()["status"] in ("queued", "running", "done"), r.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = api.get(f"/api/v1/schools/{uai}/register-imports", token=token).json()["items"]
        [run] = [x for x in runs if x["id"] == r.json()["id"]]
        if run["status"] in ("done", "failed"):
            return run
        time.sleep(0.3)
    raise AssertionError(f"the import of {uai} did not finish")


def pupil_session(suite, api, uai, pupil_id):
    """The imported pupil activates their account with a code from the school."""
    with suite.rpc() as rpc:
        [code] = rpc.identity.regenerate_codes(actor={"user_id": str(uuid.uuid4()), "role": "admin"}, uai=uai,
                                               pupil_ids=[pupil_id], with_pdf=False)["codes"]
        session = rpc.identity.pupil_activate(code=code["code"], password=PASSWORD,
                                              email=f"eleve.{uuid.uuid4().hex[:10]}@example.com", client=_client())
    return session["access_token"]


def test_register_import_guardians_and_a_pupil_who_changes_school(api, suite, standin, world):
    heads, admin = world["heads"], admin_token(api, world["demo"])
    ine, other = new_ine(), new_ine()
    standin.put_pupil(eleve(ine, SCHOOL_A), [responsable("REGISTRE", "Samira", "MERE", "samira@example.org"),
                                             responsable("REGISTRE", "Karim", "PERE", "karim@example.org")])
    standin.put_pupil(eleve(other, SCHOOL_A, classe="3B", nom="AUTRE"), [])

    # refusals: a school not connected to the register, a teacher, an unknown school
    r = api.post(f"/api/v1/schools/{SCHOOL_A}/register-import", token=heads[SCHOOL_A])
    assert r.status_code == 422 and r.json()["code"] == "school_not_connected", r.text
    for uai in (SCHOOL_A, SCHOOL_B):
        r = api.put(f"/api/v1/admin/schools/{uai}/register", json={"connected": True}, token=admin)
        assert r.status_code == 200 and r.json()["connected"] is True, r.text
    assert api.put(f"/api/v1/admin/schools/{SCHOOL_A}/register", json={"connected": True},
                   token=heads[SCHOOL_A]).status_code == 403
    r = api.post(f"/api/v1/schools/{SCHOOL_A}/register-import", token=world["teacher"])
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json", r.text
    assert api.post("/api/v1/schools/9999999Z/register-import", token=admin).status_code == 404

    # imported twice: the second time changes nothing
    run = import_now(api, SCHOOL_A, heads[SCHOOL_A])
    assert run["status"] == "done" and run["trigger"] == "request", run
    assert run["counts"] == {"created": 2, "updated": 0, "moved": 0, "unchanged": 0, "errors": 0}
    pupils = api.get(f"/api/v1/schools/{SCHOOL_A}/pupils", token=heads[SCHOOL_A]).json()["items"]
    run = import_now(api, SCHOOL_A, heads[SCHOOL_A])
    assert run["counts"] == {"created": 0, "updated": 0, "moved": 0, "unchanged": 2, "errors": 0}, run
    assert api.get(f"/api/v1/schools/{SCHOOL_A}/pupils", token=heads[SCHOOL_A]).json()["items"] == pupils
    runs = api.get(f"/api/v1/schools/{SCHOOL_A}/register-imports", token=heads[SCHOOL_A]).json()
    assert runs["connected"] is True and [x["counts"]["created"] for x in runs["items"][:2]] == [0, 2]
    [mine] = [p for p in pupils if p["ine"] == ine]
    assert (mine["grade"], mine["class_name"]) == ("troisieme", "3A")

    # the register's guardians land on the agreement's prefill
    token = pupil_session(suite, api, SCHOOL_A, mine["id"])
    offer, emp = world["offer"], world["emp"]
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                 token=token)
    assert r.status_code == 201, r.text
    app = r.json()
    assert api.post(f"/api/v1/applications/{app['id']}/accept", json={}, token=emp["token"]).status_code == 200
    assert api.post(f"/api/v1/applications/{app['id']}/confirm", token=token).status_code == 200
    conv = wait_convention(api, heads[SCHOOL_A], app["id"])
    full = api.get(f"/api/v1/conventions/{conv['id']}", token=heads[SCHOOL_A]).json()
    assert full["school"]["legal_representatives"] == [
        {"name": "Samira REGISTRE", "email": "samira@example.org", "phone": "06 11 22 33 44"},
        {"name": "Karim REGISTRE", "email": "karim@example.org", "phone": "06 11 22 33 44"}]

    # the pupil changes school: the new school's import moves them
    standin.move(ine, SCHOOL_B, classe="3D")
    run = import_now(api, SCHOOL_B, heads[SCHOOL_B])
    assert run["counts"] == {"created": 0, "updated": 0, "moved": 1, "unchanged": 0, "errors": 0}, run
    in_b = api.get(f"/api/v1/schools/{SCHOOL_B}/pupils", token=heads[SCHOOL_B]).json()["items"]
    assert [(p["id"], p["class_name"]) for p in in_b if p["ine"] == ine] == [(mine["id"], "3D")]
    in_a = api.get(f"/api/v1/schools/{SCHOOL_A}/pupils", token=heads[SCHOOL_A]).json()["items"]
    assert ine not in [p["ine"] for p in in_a] and other in [p["ine"] for p in in_a]
    # the agreement made at the old school stays the old school's
    listed = api.get("/api/v1/conventions", token=heads[SCHOOL_A]).json()["items"]
    assert conv["id"] in [c["id"] for c in listed]
    assert api.get(f"/api/v1/conventions/{conv['id']}", token=heads[SCHOOL_A]).json()["school_uai"] == SCHOOL_A


def test_a_colleges_weeks_restrict_its_3e_pupils(api, suite, standin, world):
    head, offer = world["heads"][SCHOOL_C], world["offer"]
    first, second = offer["offer_weeks"][:2]
    with suite.rpc() as rpc:
        pupil = suite_pupils(rpc, 2, uai=SCHOOL_C)
    # a teacher may not declare; a pupil neither (gateway); bad weeks are refused field by field
    assert api.put(f"/api/v1/schools/{SCHOOL_C}/internship-weeks", json={"weeks": [second]},
                   token=pupil[0]["token"]).status_code == 403
    r = api.put(f"/api/v1/schools/{SCHOOL_C}/internship-weeks", json={"weeks": ["2027-53"]}, token=head)
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    r = api.put(f"/api/v1/schools/{SCHOOL_C}/internship-weeks", json={"weeks": [second]}, token=head)
    assert r.status_code == 200 and r.json()["weeks"] == [second] and r.json()["restricting"] == [second], r.text
    assert api.get(f"/api/v1/schools/{SCHOOL_C}/internship-weeks").json()["weeks"] == [second]

    # its 3e pupils may apply only on the declared week: a clear French 422 naming it
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(first), token=pupil[0]["token"])
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json", r.text
    [message] = r.json()["errors"]["week"]
    assert "Votre collège" in message and second in message
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(second), token=pupil[1]["token"])
    assert r.status_code == 201, r.text

    # employers see the weeks declared near a place (Aix-en-Provence), with the number of collèges
    r = api.get("/api/v1/internship-weeks/near", params={"lat": 43.5297, "lon": 5.4474})
    assert r.status_code == 200, r.text
    assert [i["schools"] for i in r.json()["items"] if i["week"] == second][0] >= 1
    r = api.get("/api/v1/internship-weeks/near", params={"lat": 95, "lon": 5})
    assert r.status_code in (400, 422) and r.headers["Content-Type"] == "application/problem+json"


def test_the_answers_match_the_document(api, suite, standin, world):
    from testkit import openapi as openapi_check
    doc = api.get("/openapi.json").json()
    head, admin = world["heads"][SCHOOL_B], admin_token(api, world["demo"])
    calls = [("PUT", "/api/v1/admin/schools/{uai}/register", admin, {"json": {"connected": True}}),
             ("POST", "/api/v1/schools/{uai}/register-import", head, {"headers": {"Idempotency-Key": uuid.uuid4().hex}}),
             ("GET", "/api/v1/schools/{uai}/register-imports", head, {}),
             ("PUT", "/api/v1/schools/{uai}/internship-weeks", head, {"json": {"weeks": []}}),
             ("GET", "/api/v1/schools/{uai}/internship-weeks", None, {}),
             ("GET", "/api/v1/internship-weeks/near", None, {"params": {"lat": 43.53, "lon": 5.45}})]
    wrong = []
    for method, template, token, kw in calls:
        r = api.request(method, template.format(uai=SCHOOL_B), token=token, **kw)
        assert r.status_code in (200, 202), f"{method} {template}: {r.text}"
        wrong += openapi_check.answer_errors(doc, method, template, r.status_code, r.json())
    assert not wrong, wrong
