"""Identity through the gateway, with every service running as a process: registration to
GET /me, bad tokens (tampered, expired, wrong key), school A vs school B, lockout and its end,
re-import idempotence, single-use activation codes, schools directory and JWKS."""
import base64
import json
import uuid

import jwt
import pytest
from testkit.tokens import admin_token

pytestmark = pytest.mark.suite

PASSWORD = "Correct-Horse-42!"
COLLEGE_A = "0131884C"   # demo collège (Belle de Mai, REP+)
COLLEGE_B = "0131264D"   # another Marseille collège


def secret(suite, kind, key):
    with suite.rpc() as rpc:
        return rpc.identity_test_hooks.last_secret(kind, key)


def demo(suite):
    with suite.rpc() as rpc:
        return rpc.identity.seed_demo()


def login(api, identifier, password=PASSWORD, **extra):
    return api.post("/api/v1/auth/login", json={"identifier": identifier, "password": password, **extra})


def new_employer(api, suite):
    email = f"employeur.{uuid.uuid4().hex[:10]}@example.com"
    r = api.post("/api/v1/auth/register", json={"role": "employer", "first_name": "Paul", "last_name": "Durand",
                                                "function": "Gérant", "email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    r = api.post("/api/v1/auth/activate", json={"token": secret(suite, "activation", email)})
    assert r.status_code == 200, r.text
    return email


def test_registration_to_me(api, suite, suite_clock):
    email = f"employeur.{uuid.uuid4().hex[:10]}@example.com"
    r = api.post("/api/v1/auth/register", json={"role": "employer", "first_name": "Paul", "last_name": "Durand",
                                                "function": "Gérant", "email": email, "password": "faible"})
    assert r.status_code == 422 and r.headers["Content-Type"].startswith("application/problem+json")
    msg = r.json()["errors"]["password"][0]
    assert "majuscule" in msg and "chiffre" in msg and "12 caractères" in msg
    r = api.post("/api/v1/auth/register", json={"role": "employer", "first_name": "Paul", "last_name": "Durand",
                                                "function": "Gérant", "email": email, "password": PASSWORD})
    assert r.status_code == 201
    assert login(api, email).status_code == 403            # not activated yet
    token = secret(suite, "activation", email)
    assert api.post("/api/v1/auth/activate", json={"token": token}).status_code == 200
    assert api.post("/api/v1/auth/activate", json={"token": token}).status_code == 409
    r = login(api, email)
    assert r.status_code == 200
    s = r.json()
    me = api.get("/api/v1/me", token=s["access_token"])
    assert me.status_code == 200 and me.json()["email"] == email and me.json()["role"] == "employer"
    assert api.get("/api/v1/me").status_code == 401
    data = api.get("/api/v1/me/data", token=s["access_token"]).json()
    assert data["account"]["email"] == email and data["sessions"]
    # refresh rotation; a second use within seconds (another tab) gets the same pair; later, reuse detection
    r2 = api.post("/api/v1/auth/refresh", json={"refresh_token": s["refresh_token"]})
    assert r2.status_code == 200
    tab = api.post("/api/v1/auth/refresh", json={"refresh_token": s["refresh_token"]})
    assert tab.status_code == 200 and tab.json()["refresh_token"] == r2.json()["refresh_token"]
    suite_clock(11)
    reuse = api.post("/api/v1/auth/refresh", json={"refresh_token": s["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["code"] == "refresh_reused"
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": r2.json()["refresh_token"]}).status_code == 401
    # logout
    s3 = login(api, email).json()
    out = api.post("/api/v1/auth/logout", json={"refresh_token": s3["refresh_token"]}, token=s3["access_token"])
    assert out.status_code == 200 and out.json()["revoked_sessions"] == 1
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": s3["refresh_token"]}).status_code == 401


def test_tampered_expired_and_wrong_key_tokens_get_401(api, suite, suite_clock):
    email = new_employer(api, suite)
    good = login(api, email).json()["access_token"]
    assert api.get("/api/v1/me", token=good).status_code == 200
    head, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    r = api.get("/api/v1/me", token=f"{head}.{forged}.{sig}")
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    # signed with another key, claiming the real kid, or an unknown kid
    from identity.domain.keys import generate_private_key_pem
    other = generate_private_key_pem()
    kid = jwt.get_unverified_header(good)["kid"]
    for k in (kid, "unknown-kid"):
        bad = jwt.encode(claims, other, algorithm="RS256", headers={"kid": k})
        assert api.get("/api/v1/me", token=bad).status_code == 401
    none = jwt.encode(claims, None, algorithm="none")
    assert api.get("/api/v1/me", token=none).status_code == 401
    assert api.get("/api/v1/me", token="garbage").status_code == 401
    # expired: issued by a clock 16 minutes behind
    suite_clock(-16 * 60)
    old = login(api, email).json()["access_token"]
    suite_clock(0)
    r = api.get("/api/v1/me", token=old)
    assert r.status_code == 401 and r.json()["code"] == "token_expired"


def test_school_a_cannot_see_pupils_of_school_b(api, suite):
    d = demo(suite)
    head = login(api, d["head"]["email"], d["password"]).json()["access_token"]
    pupil = login(api, d["pupils_3e"][0]["email"], d["password"]).json()["access_token"]
    assert api.get(f"/api/v1/schools/{COLLEGE_A}/pupils", token=head).status_code == 200
    r = api.get(f"/api/v1/schools/{COLLEGE_B}/pupils", token=head)
    assert r.status_code == 403
    for uai in (COLLEGE_A, COLLEGE_B):           # a pupil lists no pupils at all
        assert api.get(f"/api/v1/schools/{uai}/pupils", token=pupil).status_code == 403
    r = api.post(f"/api/v1/schools/{COLLEGE_B}/pupils/import", data=b"Nom;Prenom\n", token=head,
                 headers={"Content-Type": "text/csv"})
    assert r.status_code == 403


def test_lockout_and_its_end(api, suite, suite_clock):
    email = new_employer(api, suite)
    for _ in range(8):
        r = login(api, email, "Wrong-Password-1!")
        assert r.status_code == 401 and r.json()["detail"] == "Identifiant ou mot de passe incorrect."
    r = login(api, email)
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 900
    assert r.json()["code"] == "account_locked"
    # an unknown account answers the same way
    ghost = f"ghost.{uuid.uuid4().hex[:8]}@example.com"
    codes = [login(api, ghost, "Wrong-Password-1!").status_code for _ in range(9)]
    assert codes == [401] * 8 + [429]
    suite_clock(15 * 60 + 1)
    assert login(api, email).status_code == 200


def csv_bytes(tag):
    return ("Nom;Prénom;Date de naissance;Classe;Niveau\n"
            f"ALPHA-{tag};Inès;12/02/2012;3A;3EME\n"
            f"BETA-{tag};Hugo;30/06/2012;3B;3EME\n"
            f"GAMMA-{tag};Zoé;3/3/2012;3B;\n").encode("latin-1")


def test_reimport_is_idempotent_and_codes_work_once(api, suite):
    d = demo(suite)
    head = login(api, d["head"]["email"], d["password"]).json()["access_token"]
    tag = uuid.uuid4().hex[:6].upper()
    url = f"/api/v1/schools/{COLLEGE_A}/pupils/import"
    r = api.post(url, data=csv_bytes(tag), token=head, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["summary"]["created"] == 3 and len(first["codes"]) == 3
    assert base64.b64decode(first["sheet_pdf_base64"]).startswith(b"%PDF")
    r = api.post(url, data=csv_bytes(tag), token=head, headers={"Content-Type": "text/csv"})
    again = r.json()
    assert (again["summary"]["created"], again["summary"]["updated"], again["summary"]["unchanged"]) == (0, 0, 3)
    assert again["codes"] == []
    preview = api.post(url + "?dry_run=true", data=csv_bytes(tag + "P"), token=head,
                       headers={"Content-Type": "text/csv"})
    assert preview.status_code == 200 and preview.json()["dry_run"] is True, preview.text
    assert preview.json()["summary"]["created"] == 3 and preview.json()["import_id"] is None
    assert api.get(f"/api/v1/schools/{COLLEGE_A}/pupils", token=head,
                   params={"q": f"alpha-{tag}P"}).json()["items"] == []
    pdf = api.post(url + "?format=pdf", data=csv_bytes(tag), token=head, headers={"Content-Type": "text/csv"})
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    listed = api.get(f"/api/v1/schools/{COLLEGE_A}/pupils", token=head, params={"q": f"alpha-{tag}"}).json()
    assert [p["last_name"] for p in listed["items"]] == [f"ALPHA-{tag}"]
    code = first["codes"][0]["code"]
    body = {"code": code, "password": PASSWORD, "email": f"eleve.{tag.lower()}@example.com"}
    r = api.post("/api/v1/auth/pupil-activate", json=body)
    assert r.status_code == 200, r.text
    pupil_token = r.json()["access_token"]
    me = api.get("/api/v1/me", token=pupil_token).json()
    assert me["role"] == "pupil" and me["school_uai"] == COLLEGE_A and me["grade"] == "troisieme"
    r = api.post("/api/v1/auth/pupil-activate", json={**body, "email": f"x.{tag.lower()}@example.com"})
    assert r.status_code == 409 and r.json()["code"] == "code_used"
    # the class moves (grade inferred from the class name)
    pid = first["codes"][1]["pupil_id"]
    r = api.patch(f"/api/v1/pupils/{pid}", json={"class_name": "3C"}, token=head)
    assert r.status_code == 200 and r.json()["class_name"] == "3C"


def test_schools_directory_jwks_and_openapi(api, suite):
    r = api.get("/api/v1/schools", params={"q": "Belle de Mai Marseille"})
    assert r.status_code == 200 and r.json()["items"][0]["uai"] == COLLEGE_A
    r = api.get("/api/v1/schools", params={"lat": 43.3134, "lon": 5.3863, "radius_km": 2, "kind": "college"})
    assert r.status_code == 200 and r.json()["items"][0]["uai"] == COLLEGE_A
    s = api.get(f"/api/v1/schools/{COLLEGE_A}").json()
    assert s["education_prioritaire"] == "REP+" and s["qpv"] is True
    assert api.get("/api/v1/schools/0000000X").status_code == 404
    assert api.get("/api/v1/schools").status_code == 422
    keys = api.get("/.well-known/jwks.json").json()["keys"]
    assert keys and all(k["alg"] == "RS256" and "d" not in k for k in keys)
    paths = api.get("/openapi.json").json()["paths"]
    for p in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/me/data", "/api/v1/schools/{uai}/pupils/import",
              "/.well-known/jwks.json"):
        assert p in paths


def test_staff_registration_and_password_reset(api, suite):
    email = f"prof.{uuid.uuid4().hex[:8]}@ac-aix-marseille.fr"
    base = {"role": "school_staff", "first_name": "Jeanne", "last_name": "Martin", "function": "teacher",
            "password": PASSWORD, "school_uai": COLLEGE_A}
    r = api.post("/api/v1/auth/register", json={**base, "email": email.replace("aix-marseille", "lyon")})
    assert r.status_code == 422 and "email" in r.json()["errors"]
    assert api.post("/api/v1/auth/register", json={**base, "email": email}).status_code == 201
    api.post("/api/v1/auth/activate", json={"token": secret(suite, "activation", email)})
    s = login(api, email).json()
    claims = jwt.decode(s["access_token"], options={"verify_signature": False})
    assert (claims["role"], claims["function"], claims["school_uai"], claims["school_rep"], claims["academie"]) == \
        ("school_staff", "teacher", COLLEGE_A, "REP+", "02")
    r = api.post("/api/v1/auth/password-reset", json={"email": email})
    assert r.status_code == 202
    ghost = api.post("/api/v1/auth/password-reset", json={"email": f"ghost.{uuid.uuid4().hex[:6]}@example.com"})
    assert ghost.status_code == 202 and ghost.json() == r.json()
    token = secret(suite, "password_reset", email)
    r = api.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "Brand-New-Pass-1!"})
    assert r.status_code == 200 and r.json()["revoked_sessions"] == 1
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": s["refresh_token"]}).status_code == 401
    assert login(api, email, "Brand-New-Pass-1!").status_code == 200


def test_invitations_admin_totp_and_admin_commands(api, suite):
    d = demo(suite)
    head = login(api, d["head"]["email"], d["password"]).json()["access_token"]
    teacher = login(api, d["teacher"]["email"], d["password"]).json()["access_token"]
    email = f"cpe.{uuid.uuid4().hex[:8]}@ac-aix-marseille.fr"
    body = {"email": email, "function": "cpe", "first_name": "Nora"}
    assert api.post(f"/api/v1/schools/{COLLEGE_A}/colleagues", json=body, token=teacher).status_code == 403
    assert api.post(f"/api/v1/schools/{COLLEGE_B}/colleagues", json=body, token=head).status_code == 403
    r = api.post(f"/api/v1/schools/{COLLEGE_A}/colleagues", json=body, token=head)
    assert r.status_code == 201, r.text
    r = api.post("/api/v1/auth/invitation/accept", json={"token": secret(suite, "invitation", email),
                                                         "first_name": "Nora", "last_name": "Saïdi",
                                                         "password": PASSWORD})
    assert r.status_code == 200
    assert login(api, email).json()["user"]["function"] == "cpe"
    r = api.put("/api/v1/me/classes", json={"classes": ["3A", "3B"]}, token=teacher)
    assert r.status_code == 200 and r.json()["classes"] == ["3A", "3B"]
    assert api.get("/api/v1/me", token=teacher).json()["classes"] == ["3A", "3B"]
    # admins need their TOTP code
    r = login(api, "demo.admin@example.com", d["password"])
    assert r.status_code == 401 and r.json()["code"] == "totp_required"
    admin = admin_token(api, d)
    assert api.post("/api/v1/admin/identity/anonymize-inactive", json={}, token=head).status_code == 403
    r = api.post("/api/v1/admin/identity/anonymize-inactive", json={}, token=admin)
    assert r.status_code == 200 and r.json()["anonymized"] >= 0
