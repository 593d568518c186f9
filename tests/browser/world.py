"""Data the journey under test does not create itself, set up through the real services
(an employer's published offers, a class imported by its school, a confirmed head, the demo admin's login).

Test-only RPCs of the services (secrets handed out that no e-mail of these tests carries) are called from one
place: ``signature_code`` below. Accounts are activated from the caught e-mails' links instead."""
from __future__ import annotations

import base64
import uuid

from testkit.applications import PASSWORD, REP_PLUS_COLLEGE, suite_employer, suite_offer

MARSEILLE = "13055"


def employer_with_offers(suite, **offers: dict) -> dict:
    """An active employer and published offers in Marseille: ``employer_with_offers(suite, plain={}, rep={...})``."""
    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        made = {}
        for name, extra in offers.items():
            extra = {"address": {"street": "10 boulevard National", "commune_insee": MARSEILLE}, **extra}
            made[name] = suite_offer(rpc, emp["user_id"], **extra)
    return {**emp, "offers": made, "password": PASSWORD}


def imported_class(suite, n: int = 1, uai: str = REP_PLUS_COLLEGE, level: str = "3EME") -> list[dict]:
    """``n`` pupils imported by their school (no e-mail given): [{"pupil_id", "code", "last_name"}]."""
    tag = uuid.uuid4().hex[:8].upper()
    rows = ["Nom;Prénom;Date de naissance;Classe;Niveau"]
    rows += [f"ELEVE{i}-{tag};Inaya;04/03/2011;3A;{level}" for i in range(n)]
    # imported by an admin: identity lets school staff import only from a real, confirmed account
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}
    with suite.rpc() as rpc:
        imp = rpc.identity.import_pupils(actor=admin, uai=uai, content_base64=base64.b64encode(
            "\r\n".join(rows).encode()).decode(), filename="classe.csv", with_pdf=False)
    return [c for c in imp["codes"] if str(c.get("last_name", "")).upper().endswith(f"-{tag}")]


# -- accounts made through the public API, activated from the caught e-mails (no test-only RPC) ----------

def _activate_from_mail(platform, email: str) -> str:
    """Activate ``email``'s account with the token of its activation e-mail: the account's id."""
    import re
    link = platform.mail.link(platform.mail.wait_for(email, "Activez"), platform.web_url)
    token = re.search(r"token=([^&\s]+)", link).group(1)
    r = platform.api.post("/api/v1/auth/activate", json={"token": token})
    assert r.status_code == 200, r.text
    return r.json()["user_id"]


def employer_account(platform, **offer: dict) -> dict:
    """An employer registered through the API (no mobile phone: codes come by e-mail) and activated from the
    e-mail's link, with one published offer in Marseille (``offer``: its fields): {"email", "password",
    "user_id", "offer"}."""
    email = f"recrutement.{uuid.uuid4().hex[:10]}@example.com"
    r = platform.api.post("/api/v1/auth/register", json={
        "role": "employer", "first_name": "Claire", "last_name": "Fabre", "function": "Gérante", "email": email,
        "password": PASSWORD})
    assert r.status_code == 201, r.text
    user_id = _activate_from_mail(platform, email)
    with platform.suite.rpc() as rpc:
        made = suite_offer(rpc, user_id, **{
            "address": {"street": "10 boulevard National", "commune_insee": MARSEILLE}, **offer})
    return {"email": email, "password": PASSWORD, "user_id": user_id, "offer": made}


def confirmed_head(platform, uai: str = REP_PLUS_COLLEGE) -> dict:
    """A head of ``uai`` registered through the API, activated from the e-mail's link and confirmed by an
    admin (docs/school-staff.md), so that they may act for the school: {"email", "password", "user_id"}."""
    email = f"principal.{uuid.uuid4().hex[:10]}@ac-aix-marseille.fr"
    r = platform.api.post("/api/v1/auth/register", json={
        "role": "school_staff", "first_name": "Marie", "last_name": "Lambert", "function": "head", "email": email,
        "password": PASSWORD, "school_uai": uai})
    assert r.status_code == 201, r.text
    user_id = _activate_from_mail(platform, email)
    with platform.suite.rpc() as rpc:
        rpc.identity.confirm_staff(actor={"user_id": str(uuid.uuid4()), "role": "admin"}, school_uai=uai,
                                   user_id=user_id)
    return {"email": email, "password": PASSWORD, "user_id": user_id}


def admin_totp_codes(demo):
    """TOTP codes for the demo admin, in the order to try them: this step's, the next one's (identity accepts
    one step of drift), then, twice, once the clock has reached a new step, the step after it (unused by any
    earlier login). A code works once and wrong codes count towards the account's lock: 4 at the most."""
    import datetime as dt
    import time

    import pyotp
    totp = pyotp.TOTP(demo["admin_totp_secret"])
    now = dt.datetime.now(dt.timezone.utc)
    yield totp.at(now)
    yield totp.at(now + dt.timedelta(seconds=30))
    for _ in range(2):
        time.sleep(30 - time.time() % 30 + 0.5)
        yield totp.at(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30))


def admin_login(page, platform, visit=None) -> None:
    """Log the demo administrator in with the browser: the password, then a TOTP code (``admin_totp_codes``);
    ``visit`` checks the code's page on the way."""
    with platform.suite.rpc() as rpc:
        demo = rpc.identity.seed_demo()
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill("demo.admin@example.com")
    page.get_by_label("Mot de passe", exact=True).fill(demo["password"])
    page.get_by_role("button", name="Se connecter").click()
    if visit is not None:
        visit(page, "connexion-code-totp")  # the API answered totp_required: the same form asks for the code
    for code in admin_totp_codes(demo):
        page.get_by_label("Code de vérification (TOTP)").fill(code)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state("load")
        if "/connexion" not in page.url:
            return
    raise AssertionError("the admin could not log in with a TOTP code")


def signature_code(platform, employer_id: str) -> str:
    """The last signing code sent to an employer (by SMS when the account has a mobile phone, which no mailbox
    of these tests catches). The only test-only RPC the browser tests call: adapt it here when it moves."""
    with platform.suite.rpc() as rpc:
        return rpc.conventions_test_hooks.last_secret("code", employer_id)


def login(page, identifier: str, password: str) -> None:
    """Log in with the browser (e-mail or mobile and password; no second factor) and wait to leave /connexion."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(identifier)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)
