"""Issue 21 across the real suite, through the gateway: the admins' back-office (find a user by e-mail, phone,
name or school; lock then login refused in French, unlock then login works; end all sessions then refresh
refused; every action audited: who, when, what, why; non-admins refused; no secret in any answer) and the
school staff's classes (create, rename with the pupils following, bulk move, delete refused when not empty)."""
import uuid

import pytest

from testkit.applications import PASSWORD, suite_employer
from testkit.tokens import admin_token

pytestmark = pytest.mark.suite

COLLEGE = "0131884C"
SECRETS = {"password_hash", "totp_secret", "totp_last_step", "code", "code_hash", "token", "token_hash",
           "refresh_token", "pupil_key", "private_pem", "successor", "password"}


def keys_of(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from keys_of(v)
    elif isinstance(value, list):
        for v in value:
            yield from keys_of(v)


def body(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def ok(r, status=200):
    """An answer of the back-office: never a secret in it."""
    answer = body(r, status)
    leaked = set(keys_of(answer)) & SECRETS
    assert not leaked, leaked
    return answer


def login(api, identifier, password=PASSWORD, **extra):
    return api.post("/api/v1/auth/login", json={"identifier": identifier, "password": password, **extra})


@pytest.fixture(scope="module")
def world(suite):
    import pyotp
    with suite.rpc() as rpc:
        demo = rpc.identity.seed_demo()
        emp = suite_employer(rpc)
    return {"demo": demo, "emp": emp, "totp": pyotp.TOTP(demo["admin_totp_secret"])}


@pytest.fixture(scope="module")
def admin(suite, world):
    """The demo admin's access token (testkit.tokens: one session for the run)."""
    from testkit.pytest_plugin import ApiClient
    return admin_token(ApiClient(suite.url), world["demo"])


def test_find_lock_unlock_end_sessions_audited_and_nothing_secret(api, suite, world, admin):
    email = f"bo.{uuid.uuid4().hex[:10]}@example.com"
    r = api.post("/api/v1/auth/register", json={"role": "employer", "first_name": "Hélène", "last_name": "Bézier",
                                                "function": "Gérante", "email": email, "password": PASSWORD,
                                                "phone": f"06 {uuid.uuid4().int % 10**8:08d}"})
    assert r.status_code == 201, r.text
    with suite.rpc() as rpc:
        token = rpc.identity_test_hooks.last_secret("activation", email)
    uid = body(api.post("/api/v1/auth/activate", json={"token": token}))["user_id"]
    phone = ok(api.get("/api/v1/admin/users", params={"q": email}, token=admin))["items"][0]["phone"]

    # found by e-mail, phone, name (accents and case aside) and school
    for q in (email.upper(), "0" + phone[3:], phone[-6:], "helene BEZIER"):
        found = ok(api.get("/api/v1/admin/users", params={"q": q}, token=admin))
        assert uid in [x["id"] for x in found["items"]], q
    staff = ok(api.get("/api/v1/admin/users", params={"q": COLLEGE, "role": "school_staff"}, token=admin))
    assert world["demo"]["head"]["user_id"] in [x["id"] for x in staff["items"]]
    by_name = ok(api.get("/api/v1/admin/users", params={"q": "Belle de Mai", "role": "school_staff"}, token=admin))
    assert world["demo"]["head"]["user_id"] in [x["id"] for x in by_name["items"]]
    r = api.get("/api/v1/admin/users", params={"q": "x"}, token=admin)
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json" and "q" in r.json()["errors"]

    session = body(login(api, email))
    seen = ok(api.get(f"/api/v1/admin/users/{uid}", token=admin))
    assert seen["status"] == "active" and seen["last_login_at"] and len(seen["sessions"]) == 1
    assert seen["totp_configured"] is False and seen["password_set"] is True

    # a non-admin is refused everywhere (403)
    emp = world["emp"]["token"]
    for r in (api.get("/api/v1/admin/users", params={"q": email}, token=emp),
              api.get(f"/api/v1/admin/users/{uid}", token=emp),
              api.post(f"/api/v1/admin/users/{uid}/lock", json={"reason": "Je ne suis pas admin"}, token=emp),
              api.get("/api/v1/admin/audit", token=emp)):
        assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json", r.text

    # lock: login refused with a French message, the session is over
    r = api.post(f"/api/v1/admin/users/{uid}/lock", json={"reason": "x"}, token=admin)
    assert r.status_code == 422 and "motif" in r.json()["errors"]["reason"][0]
    assert ok(api.post(f"/api/v1/admin/users/{uid}/lock", json={"reason": "Usurpation d'identité signalée"},
                       token=admin))["ended_sessions"] == 1
    r = login(api, email)
    assert r.status_code == 403 and r.json()["code"] == "account_locked_by_admin"
    assert "verrouillé par un administrateur" in r.json()["detail"]
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    assert api.get("/api/v1/me", token=session["access_token"]).status_code == 401
    # unlock: login works again
    assert ok(api.post(f"/api/v1/admin/users/{uid}/unlock", json={"reason": "Identité vérifiée par téléphone"},
                       token=admin))["status"] == "active"
    again = body(login(api, email))
    # end all sessions: refresh refused
    assert ok(api.post(f"/api/v1/admin/users/{uid}/end-sessions", json={"reason": "Ordinateur volé"},
                       token=admin))["ended_sessions"] == 1
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": again["refresh_token"]}).status_code == 401

    # the journal: who, when, what, why
    admin_id = body(api.get("/api/v1/me", token=admin))["id"]
    journal = ok(api.get("/api/v1/admin/audit", params={"target_id": uid}, token=admin))
    assert [(x["action"], x["actor_id"], x["reason"]) for x in journal["items"]] == [
        ("user.end_sessions", admin_id, "Ordinateur volé"),
        ("user.unlock", admin_id, "Identité vérifiée par téléphone"),
        ("user.lock", admin_id, "Usurpation d'identité signalée")]
    assert all(x["at"] and x["action_label"] for x in journal["items"]) and journal["total"] == 3
    assert ok(api.get("/api/v1/admin/audit", params={"action": "user.lock", "actor_id": admin_id},
                      token=admin))["total"] >= 1
    assert ok(api.get(f"/api/v1/admin/users/{uid}", token=admin))["journal"][0]["action"] == "user.end_sessions"


def test_schools_created_and_corrected_by_an_admin(api, admin):
    digits = f"0{uuid.uuid4().int % 10**6:06d}"
    uai = digits + "ABCDEFGHJKLMNPRSTUVWXYZ"[int(digits) % 23]
    new = {"uai": uai, "name": "Lycée des Docks", "kind": "lycee", "sector": "public", "commune_insee": "13203",
            "education_prioritaire": "REP", "qpv": True, "reason": "Lycée ouvert à la rentrée"}
    wrong = digits + ("A" if uai[-1] != "A" else "B")
    r = api.post("/api/v1/admin/schools", json={**new, "uai": wrong}, token=admin)
    assert r.status_code == 422 and "lettre de contrôle" in r.json()["errors"]["uai"][0]
    if api.get(f"/api/v1/schools/{uai}").status_code == 200:
        pytest.skip("that UAI is taken by a real school")
    created = ok(api.post("/api/v1/admin/schools", json=new, token=admin), 201)
    assert created["academie_name"] == "Aix-Marseille" and created["postal_code"] == "13003"
    fixed = ok(api.patch(f"/api/v1/admin/schools/{uai}", json={"education_prioritaire": "REP+", "qpv": False,
                                                                "reason": "Carte de l'éducation prioritaire 2027"},
                         token=admin))
    assert fixed["changed"] == ["education_prioritaire", "qpv"]
    school = body(api.get(f"/api/v1/schools/{uai}"))
    assert (school["education_prioritaire"], school["qpv"]) == ("REP+", False)
    journal = ok(api.get("/api/v1/admin/audit", params={"target_id": uai}, token=admin))["items"]
    assert [x["action"] for x in journal] == ["school.update", "school.create"]


def test_classes_create_rename_move_delete(api, world):
    d = world["demo"]
    head = body(login(api, d["head"]["email"], d["password"]))["access_token"]
    tag = uuid.uuid4().hex[:4].upper()
    csv = "Nom;Prénom;Date de naissance;Classe;Niveau\r\n" + "\r\n".join(
        f"CLS-{tag}-{i};Inès;04/03/2012;3{tag};3EME" for i in range(3))
    body(api.post(f"/api/v1/schools/{COLLEGE}/pupils/import", data=csv.encode(), headers={"Content-Type": "text/csv"},
                token=head))
    listed = {c["name"]: c for c in ok(api.get(f"/api/v1/schools/{COLLEGE}/classes", token=head))["items"]}
    assert listed[f"3{tag}"]["pupils"] == 3
    target = ok(api.post(f"/api/v1/schools/{COLLEGE}/classes", json={"name": f"4{tag}", "grade": "quatrieme"},
                         token=head), 201)
    assert target["pupils"] == 0
    renamed = ok(api.post(f"/api/v1/schools/{COLLEGE}/classes/rename",
                          json={"name": f"3{tag}", "new_name": f"3e {tag}"}, token=head))
    assert renamed["pupils"] == 3 and renamed["renamed_pupils"] == 3
    pupils = ok(api.get(f"/api/v1/schools/{COLLEGE}/pupils", params={"class_name": f"3e {tag}"}, token=head))["items"]
    assert len(pupils) == 3
    r = api.post(f"/api/v1/schools/{COLLEGE}/classes/delete", json={"name": f"3e {tag}"}, token=head)
    assert r.status_code == 409 and r.json()["code"] == "class_not_empty" and "déplacez-les" in r.json()["detail"]
    moved = ok(api.post(f"/api/v1/schools/{COLLEGE}/pupils/move",
                        json={"pupil_ids": [p["id"] for p in pupils[:2]], "class_name": f"4{tag}"}, token=head))
    assert moved["moved"] == 2
    now = ok(api.get(f"/api/v1/schools/{COLLEGE}/pupils", params={"class_name": f"4{tag}"}, token=head))["items"]
    assert {p["id"] for p in now} == {p["id"] for p in pupils[:2]} and {p["grade"] for p in now} == {"quatrieme"}
    ok(api.post(f"/api/v1/schools/{COLLEGE}/pupils/move", json={"pupil_ids": [pupils[2]["id"]],
                                                                 "class_name": f"4{tag}"}, token=head))
    assert ok(api.post(f"/api/v1/schools/{COLLEGE}/classes/delete", json={"name": f"3e {tag}"},
                       token=head))["deleted"] is True
    # another school's staff and employers are refused
    r = api.post(f"/api/v1/schools/{COLLEGE}/classes", json={"name": "3Z"}, token=world["emp"]["token"])
    assert r.status_code == 403
