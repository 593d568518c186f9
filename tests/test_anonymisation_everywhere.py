"""The lifecycle of personal data across the real services (issue 21, docs/privacy.md).

- An anonymised user no longer appears in any service's data: a pupil and an employer with offers, applications,
  agreements (one signed by all, one not) and notifications go idle, are warned, then anonymised; every text and
  JSON column of every table of every service's database is searched for their names, e-mail addresses and
  phone numbers: the only hits are the agreement signed by all, kept whole for the legal retention period.
- Deleting one's own account: held by an agreement in progress (the date, in French), done otherwise.
- Idle accounts: warned 14 days before their anonymisation (the e-mail with the date), anonymised only after.

These tests move the services' clocks two years on, so that the idle-accounts batch would anonymise every account
of the run's shared suite (the demo accounts and every other module's people): they run on a suite of their own.
"""
import datetime as dt
import random
import time
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from common import settings
from testkit.applications import (PASSWORD, _client, activation_secret, application_form, suite_head,
                                  suite_offer, suite_pupils)
from testkit.conventions import SUITE_SCHOOL_FIELDS as SCHOOL_FIELDS
from testkit.harness import Suite
from testkit.offers import offer_data
from testkit.smtp import SmtpTestServer

pytestmark = pytest.mark.suite

ADMIN = {"user_id": str(uuid.uuid4()), "role": "admin"}
DAY = 86400
YEAR = 365 * DAY
TEXT_TYPES = ("text", "character varying", "json", "jsonb", "ARRAY")


@pytest.fixture(scope="module")
def suite(backends, _database_templates):
    """A suite of this module's own (its databases cloned from the run's templates): the shared one's accounts must
    not go idle when these tests move the clocks by two years."""
    log_dir = Path(os.environ.get("STAGES_TEST_LOG_DIR") or settings.REPO_ROOT / "var" / "test-logs") \
        / backends.run_id / "lifecycle"
    databases = {service: backends.clone_database(_database_templates(service),
                                                  f"t{backends.run_id}_lifecycle_{service}")
                 for service in settings.SERVICES}
    s = Suite(backends, log_dir, name="lifecycle", databases=databases, extra_env={"MAX_WORKERS": "8"})
    try:
        s.start_all()
        yield s
    finally:
        s.stop_all()


@pytest.fixture(scope="module")
def mail(suite):
    """The suite's notifications process sends its e-mail to this module's SMTP server (test-only hook)."""
    with SmtpTestServer("plain") as server:
        with suite.rpc() as rpc:
            rpc.notifications_test_hooks.configure_outbound(settings={
                "SMTP_HOST": server.host, "SMTP_PORT": server.port, "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 3,
                "NOTIFICATIONS_RETRY_BASE": 1, "NOTIFICATIONS_RETRY_MAX": 2})
        yield server


def _mail_to(server, address: str, subject: str):
    return [m for m in server.received if address.lower() in [r.lower() for r in m.rcpt_tos]
            and m.subject.startswith(subject)]


def _wait(fn, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _mobile() -> str:
    digits = "".join(random.choice("0123456789") for _ in range(8))
    return f"07 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"


def _employer(rpc, tag: str) -> dict:
    first, last = f"Gaspard{tag}", f"Quenouille{tag}"
    email, phone = f"gaspard.{tag.lower()}@example.com", _mobile()
    rpc.identity.register(data={"role": "employer", "first_name": first, "last_name": last, "function": "Gérant",
                                "email": email, "phone": phone, "password": PASSWORD}, client=_client())
    rpc.identity.activate(activation_secret(rpc, email))
    session = rpc.identity.login(identifier=email, password=PASSWORD, client=_client())
    return {"user_id": session["user"]["id"], "token": session["access_token"], "first_name": first,
            "last_name": last, "email": email, "phone": phone}


def _needles(person: dict) -> list[tuple[str, str]]:
    """(kind, value) searched: names and e-mail as text, the phone as its 9 national digits."""
    out = [("text", person["email"])] + [("text", person[k]) for k in ("first_name", "last_name") if person.get(k)]
    if person.get("phone"):
        out.append(("digits", "".join(c for c in person["phone"] if c.isdigit())[-9:]))
    return out


def search_everywhere(suite, people: list[dict]) -> set[tuple]:
    """Every (service, table, column, row id, convention id, template/status) whose text/JSON value holds a
    needle."""
    hits = set()
    needles = [n for p in people for n in _needles(p)]
    for service in settings.SERVICES:
        url = suite.env[f"{service.upper()}_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        engine = create_engine(url)
        try:
            with engine.connect() as c:
                cols = c.execute(text(
                    "SELECT table_name, column_name FROM information_schema.columns c JOIN information_schema.tables "
                    "t USING (table_schema, table_name) WHERE c.table_schema = 'public' AND t.table_type = "
                    "'BASE TABLE' AND c.data_type = ANY(:types) AND table_name <> 'alembic_version'"),
                    {"types": list(TEXT_TYPES)}).all()
                for table, column in cols:
                    for kind, value in needles:
                        expr = (f'"{column}"::text ILIKE :v' if kind == "text" else
                                f"""regexp_replace("{column}"::text, '[[:space:].-]', '', 'g') LIKE :v""")
                        rows = c.execute(text(f'SELECT to_jsonb(t) AS r FROM "{table}" t WHERE {expr}'),
                                         {"v": f"%{value}%"}).all()
                        for (r,) in rows:
                            hits.add((service, table, column, str(r.get("id")), str(r.get("convention_id")),
                                      f"{r.get('template')}/{r.get('status')}"))
        finally:
            engine.dispose()
    return hits


def _sign_all(api, suite, emp, pupil, head, cid):
    """The agreement ``cid`` filled by both parties, validated and signed by all (as in test_conventions_lifecycle)."""
    r = api.post(f"/api/v1/conventions/{cid}/complete", token=emp["token"])
    assert r.status_code == 200, r.text
    assert api.patch(f"/api/v1/conventions/{cid}", json=SCHOOL_FIELDS, token=head["token"]).status_code == 200
    r = api.post(f"/api/v1/conventions/{cid}/validate", token=head["token"])
    assert r.status_code == 200, r.text
    h = r.json()["document_hash"]
    assert api.post("/api/v1/conventions/signature-code", json={"convention_ids": [cid]},
                    token=emp["token"]).status_code == 200
    with suite.rpc() as rpc:
        code = rpc.conventions_test_hooks.last_secret("code", emp["user_id"])
        token = rpc.conventions_test_hooks.last_secret("link", f"{cid}:0")
    assert api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h, "code": code},
                    token=emp["token"]).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h},
                    token=pupil["token"]).status_code == 200
    r = api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h, "method": "typed_name",
                                                           "typed_name": head["name"]}, token=head["token"])
    assert r.status_code == 200, r.text
    name = api.get(f"/api/v1/public/conventions/{token}").json()["representative_name"]
    r = api.post(f"/api/v1/public/conventions/{token}", json={"full_name": name, "document_hash": h})
    assert r.status_code == 200 and r.json()["state"] == "signed_by_all", r.text


def _confirmed(api, emp, pupil, offer, form) -> dict:
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=form, token=pupil["token"])
    assert r.status_code == 201, r.text
    app = r.json()
    assert api.post(f"/api/v1/applications/{app['id']}/accept",
                    json={"message": f"Bienvenue, appelez-moi au {emp['phone']}"}, token=emp["token"]).status_code == 200
    assert api.post(f"/api/v1/applications/{app['id']}/confirm", token=pupil["token"]).status_code == 200

    def convention():
        items = api.get("/api/v1/conventions", token=emp["token"]).json().get("items", [])
        return next((c for c in items if c["application_id"] == app["id"]), None)

    return {"application": app, "convention_id": _wait(convention, what="the agreement")["id"]}


def test_an_anonymised_user_no_longer_appears_in_any_service_except_their_signed_agreement(api, suite, suite_clock,
                                                                                           mail):
    tag = uuid.uuid4().hex[:6].upper()
    with suite.rpc() as rpc:
        emp = _employer(rpc, tag)
        pupil, other_pupil = suite_pupils(rpc, 2)
        head = suite_head(rpc, first_name="Odile", last_name=f"Proviseur{tag}")
        head.update(name=f"Odile Proviseur{tag}", email=rpc.identity.get_contact(head["user_id"])["email"])
        org = {**offer_data()["organisation"], "contact_phone": emp["phone"]}
        offer = suite_offer(rpc, emp["user_id"], seats=2, organisation=org)
        contact = rpc.identity.get_contact(pupil["user_id"])
    pupil.update(last_name=contact["last_name"], email=contact["email"], phone=_mobile())
    form = application_form(offer["offer_weeks"][0])
    form.update(phone=pupil["phone"], email=pupil["email"],
                motivation=f"Je m'appelle {contact['first_name']} {contact['last_name']}, j'aime le pain.")
    employer_fields = {"representative": {"name": f"{emp['first_name']} {emp['last_name']}", "function": "Gérant"},
                       "tutor": {"name": f"{emp['first_name']} {emp['last_name']}", "function": "Boulanger",
                                 "email": emp["email"], "phone": emp["phone"]},
                       "hours": {"mode": "same", "same": {"start": "08:30", "end": "16:00", "break_start": "12:00",
                                                          "break_end": "13:00"}}}
    signed = _confirmed(api, emp, pupil, offer, form)
    unsigned = _confirmed(api, emp, other_pupil, offer, application_form(offer["offer_weeks"][0]))
    for agreement in (signed, unsigned):
        r = api.patch(f"/api/v1/conventions/{agreement['convention_id']}", json=employer_fields, token=emp["token"])
        assert r.status_code == 200, r.text
    _sign_all(api, suite, emp, pupil, head, signed["convention_id"])
    people = [emp, pupil]
    before = search_everywhere(suite, people)
    assert {h[0] for h in before} >= {"identity", "offers", "applications", "conventions"}, before

    # both go idle: warned 14 days before (employers: 2 years), anonymised once warned 14 days ago
    suite_clock(2 * YEAR + 20 * DAY)
    with suite.rpc() as rpc:
        out = rpc.identity.anonymize_inactive(actor=ADMIN)
        assert {emp["user_id"], pupil["user_id"]} <= set(out["warned_ids"]), out
        assert not {emp["user_id"], pupil["user_id"]} & set(out["user_ids"])
        # the head stays active: the messages she received about them must lose their names too
        rpc.identity.login(identifier=head["email"], password=PASSWORD, client=_client())
    suite_clock(2 * YEAR + 35 * DAY)
    with suite.rpc() as rpc:
        out = rpc.identity.anonymize_inactive(actor=ADMIN)
        assert {emp["user_id"], pupil["user_id"]} <= set(out["user_ids"]), out
    # the notice of the anonymisation reached them (then notifications forgot the address)
    _wait(lambda: _mail_to(mail, emp["email"], "Vos données personnelles ont été anonymisées"), what="the notice")

    cid = signed["convention_id"]
    kept = {("conventions", "conventions", cid), ("conventions", "signatures", cid)}

    last = []

    def only_the_signed_agreement_is_left():
        hits = search_everywhere(suite, people)
        last[:] = sorted(hits)
        where = {(s, t, i if t == "conventions" else c) for s, t, _, i, c, _ in hits}
        return hits if where == kept else None

    try:
        hits = _wait(only_the_signed_agreement_is_left, timeout=90, what="every service to erase them")
    except AssertionError:
        raise AssertionError(f"still found outside the signed agreement {cid}: {last}") from None
    # the signed agreement keeps names, e-mail and phone of both (docs/privacy.md « Agreements signed by all »)
    columns = {(t, col) for _, t, col, _, _, _ in hits}
    assert ("conventions", "frozen") in columns and ("conventions", "employer_fields") in columns
    assert ("conventions", "pupil_name") in columns and ("signatures", "signer_name") in columns
    # the agreement not signed has lost the employer's representative and tutor
    with suite.rpc() as rpc:
        [other] = [c for c in rpc.conventions.export_personal_data(
            actor={"user_id": other_pupil["user_id"], "role": "pupil"})["agreements"]
            if c["id"] == unsigned["convention_id"]]
    assert "tutor" not in other["employer_fields"] and other["employer_fields"]["hours"]
    # and they can no longer sign in
    r = api.post("/api/v1/auth/login", json={"identifier": emp["email"], "password": PASSWORD})
    assert r.status_code == 401


def test_deleting_ones_account_is_held_by_an_agreement_in_progress_then_done_without_one(api, suite):
    tag = uuid.uuid4().hex[:6].upper()
    with suite.rpc() as rpc:
        emp = _employer(rpc, tag)
        pupil, free_pupil = suite_pupils(rpc, 2)
        offer = suite_offer(rpc, emp["user_id"], seats=2)
    agreement = _confirmed(api, emp, pupil, offer, application_form(offer["offer_weeks"][0]))
    last_week = offer["offer_weeks"][0]
    friday = dt.date.fromisocalendar(int(last_week[:4]), int(last_week[6:]), 5)
    until = friday + dt.timedelta(days=1)

    for who in (pupil, emp):
        r = api.post("/api/v1/me/deletion", token=who["token"])
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "held" and r.json()["held_until"] == until.isoformat()
        assert f"à partir du {until.strftime('%d/%m/%Y')}" in r.json()["message"]
        r = api.post("/api/v1/me/deletion/confirm", json={"password": PASSWORD}, token=who["token"])
        assert r.status_code == 409 and r.headers["Content-Type"] == "application/problem+json", r.text
        assert r.json()["code"] == "deletion_held" and r.json()["held_until"] == until.isoformat()
        assert api.get("/api/v1/me/data", token=who["token"]).status_code == 200   # still there
    assert agreement["convention_id"]

    r = api.post("/api/v1/me/deletion", token=free_pupil["token"])
    assert r.status_code == 200 and r.json()["status"] == "confirmation_required", r.text
    r = api.post("/api/v1/me/deletion/confirm", json={"password": "pas-le-bon"}, token=free_pupil["token"])
    assert r.status_code == 422 and "password" in r.json()["errors"]
    r = api.post("/api/v1/me/deletion/confirm", json={}, token=free_pupil["token"])
    assert r.status_code in (400, 422) and r.headers["Content-Type"] == "application/problem+json"
    r = api.post("/api/v1/me/deletion/confirm", json={"password": PASSWORD}, token=free_pupil["token"])
    assert r.status_code == 200 and r.json() == {"deleted": True, "user_id": free_pupil["user_id"]}, r.text
    with suite.rpc() as rpc:
        assert rpc.identity.get_contact(free_pupil["user_id"])["anonymized"] is True
    # its sessions are closed at once
    _wait(lambda: api.get("/api/v1/me/data", token=free_pupil["token"]).status_code == 401, what="the session closed")


def test_an_idle_account_is_warned_14_days_before_and_anonymised_only_after(api, suite, suite_clock, mail):
    tag = uuid.uuid4().hex[:6].upper()
    with suite.rpc() as rpc:
        emp = _employer(rpc, tag)
        returning = _employer(rpc, tag + "R")
    suite_clock(2 * YEAR - 13 * DAY)             # within 14 days of the employers' 2-year threshold
    with suite.rpc() as rpc:
        out = rpc.identity.anonymize_inactive(actor=ADMIN)
        assert {emp["user_id"], returning["user_id"]} <= set(out["warned_ids"])
        assert emp["user_id"] not in out["user_ids"]
        on = dt.date.today() + dt.timedelta(days=2 * 365 - 13 + 14)
        # the warning: to the account's e-mail, with the date, in French
        found = _wait(lambda: _mail_to(mail, emp["email"], "Votre compte sera anonymisé le"), what="the warning")
        from notifications.templates.renderer import date_fr
        assert any(found[0].subject.endswith(date_fr(d)) for d in (on - dt.timedelta(days=1), on,
                                                                   on + dt.timedelta(days=1))), found[0].subject
        assert "connecter" in found[0].text
        # the returning one signs in: the warning is cleared
        rpc.identity.login(identifier=returning["email"], password=PASSWORD, client=_client())
    suite_clock(2 * YEAR + 1 * DAY)              # the threshold is passed, but the warning is 14 days old only then
    with suite.rpc() as rpc:
        out = rpc.identity.anonymize_inactive(actor=ADMIN)
        assert emp["user_id"] in out["user_ids"] and returning["user_id"] not in out["user_ids"], out
        assert rpc.identity.get_contact(emp["user_id"])["anonymized"] is True
        assert rpc.identity.get_contact(returning["user_id"])["anonymized"] is False


def test_the_rollover_routes_are_for_admins_and_refuse_a_year_not_over(api, suite):
    """The rollover itself (pupils up or out, run twice, resumed) is proven on identity's own database
    (services/identity/tests/integration/test_identity_rollover.py): here the routes, without moving the suite's
    pupils."""
    import pyotp

    with suite.rpc() as rpc:
        demo = rpc.identity.seed_demo()
        [pupil] = suite_pupils(rpc, 1)
    assert api.post("/api/v1/admin/rollover/2025-2026", token=pupil["token"]).status_code == 403
    totp = pyotp.TOTP(demo["admin_totp_secret"])
    now = dt.datetime.now(dt.timezone.utc)
    token = None
    for at in (now, now + dt.timedelta(seconds=30), now + dt.timedelta(seconds=60)):   # a code works once
        r = api.post("/api/v1/auth/login", json={"identifier": "demo.admin@example.com", "password": demo["password"],
                                                 "totp_code": totp.at(at)})
        if r.status_code == 200:
            token = r.json()["access_token"]
            break
    assert token, r.text
    r = api.post("/api/v1/admin/rollover/2099-2100", token=token)
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    assert "n'est pas terminée" in r.json()["errors"]["school_year"][0]
    r = api.get("/api/v1/admin/rollover/2031-2032", token=token)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "not_started" and r.json()["services"]["identity"]["steps"]["pupils"]["remaining"] >= 1
    assert r.json()["services"]["conventions"]["status"] == "not_started"
    assert api.get("/api/v1/admin/rollover/pas-une-annee", token=token).status_code == 422
