"""The conventions service in-process against the real PostgreSQL and RabbitMQ, with the real
notifications service (and a real SMTP server) for the legal representatives' links, and the real
identity service (the signing and validating accounts of school staff, seeded in its database).

Offers and applications are not started here: the convention is created from the
`application.confirmed` event with what the event carries (the cross-service test in
tests/test_conventions_lifecycle.py covers the pre-filling by the real services)."""
import base64
import copy
import datetime as dt
import hashlib
import io
import re
import time
import uuid

import pypdf
from eventlet import tpool
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.errors import Conflict, Forbidden, Locked, NotFound, ValidationError
from common.events import handled, make_envelope, publish_envelopes
from common.rpc import cluster_rpc
from conventions.documents import validate_seal
from conventions.domain import codes as codes_module
from conventions.models import conventions, inbox, legal_rep_links, outbox, signature_codes, signatures
from conventions.rendering import get_sealer
from conventions.service import ConventionsService
from testkit.conventions import EMPLOYER_FIELDS, SCHOOL_FIELDS
from testkit.conventions import prefill as prefill_sample
from identity.models import schools as id_schools, users as id_users
from notifications.service import NotificationsService
from testkit.smtp import SmtpTestServer
from testkit.hooks import last_secret  # registers the listener of common.seams in this process

CODE = 424242


@pytest.fixture
def smtp():
    with SmtpTestServer("plain") as srv:
        yield srv


@pytest.fixture
def env(service_db, start_service, amqp_uri, smtp, monkeypatch):
    url = service_db("conventions")
    service_db("notifications")
    start_service(NotificationsService, SMTP_HOST=smtp.host, SMTP_PORT=smtp.port, SMTP_TIMEOUT=3,
                  STAGES_PUBLIC_URL="https://stages.test")
    identity_url = service_db("identity")
    from identity.service import IdentityService
    start_service(IdentityService, max_workers=5)
    start_service(ConventionsService)
    identity_engine = create_engine(identity_url)
    # the employer's code is random: make it known to the test (the code path itself is unchanged)
    monkeypatch.setattr(codes_module.secrets, "randbelow", lambda n: CODE)
    engine = create_engine(url)
    with cluster_rpc(amqp_uri) as rpc:
        yield {"rpc": rpc.conventions, "engine": engine, "amqp": amqp_uri, "smtp": smtp,
               "identity_engine": identity_engine}
    engine.dispose()
    identity_engine.dispose()


def seed_staff(env_, actor, name, uai="0751234A"):
    """An active school-staff account in identity for ``actor`` (what registration and activation make)."""
    first, _, last = name.partition(" ")
    now = dt.datetime.now(dt.timezone.utc)
    with env_["identity_engine"].begin() as c:
        # the sample schools of testkit.conventions, beside the directory's
        c.execute(pg_insert(id_schools).values(
            uai=uai, kind="college", name="Collège Jean Jaurès", sector="public", status="OUVERT",
            postal_code="75020", commune_name="Paris", academie_code="01", academie_name="Paris",
            street_address="5 avenue Gambetta", address_postal_code="75020", address_city="PARIS",
            name_key="college jean jaures", commune_key="paris").on_conflict_do_nothing())
        c.execute(pg_insert(id_users).values(
            id=actor["user_id"], role="school_staff", status="active", first_name=first, last_name=last,
            function=actor["function"], school_uai=uai, email=f"{uuid.uuid4().hex[:10]}@ac-paris.fr",
            created_at=now, updated_at=now, activated_at=now, last_activity_at=now).on_conflict_do_nothing())
    return actor


def confirmed_event(school_uai="0751234A", weeks=("2027-W05",)):
    data = {"application_id": str(uuid.uuid4()), "offer_id": str(uuid.uuid4()), "pupil_id": str(uuid.uuid4()),
            "employer_id": str(uuid.uuid4()), "school_uai": school_uai, "weeks": list(weeks),
            "state": "confirmed", "from_state": "accepted_by_employer", "expires_at": None}
    return make_envelope("applications", "application.confirmed", data)


def publish(env_, envelope):
    publish_envelopes({"AMQP_URI": env_["amqp"]}, [(envelope, None)])


def wait_for(fn, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def count(engine, table, *where):
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar()


def events_of(engine, convention_id):
    with engine.connect() as c:
        rows = c.execute(select(outbox.c.type, outbox.c.envelope).order_by(outbox.c.id)).all()
    return [(r.type, r.envelope["data"]) for r in rows if r.envelope["data"].get("convention_id") == convention_id]


def actors(data, uai="0751234A"):
    base = {"function": None, "school_uai": None, "grade": None, "school_rep": None, "school_qpv": None,
            "academie": None, "staff_confirmed": None}
    staff = {**base, "role": "school_staff", "staff_confirmed": True}   # confirmed school staff
    return {
        "employer": {**base, "user_id": data["employer_id"], "role": "employer"},
        "other_employer": {**base, "user_id": str(uuid.uuid4()), "role": "employer"},
        "head": {**staff, "user_id": str(uuid.uuid4()), "function": "head", "school_uai": uai},
        "teacher": {**staff, "user_id": str(uuid.uuid4()), "function": "teacher",
                    "school_uai": uai},
        "pupil": {**base, "user_id": data["pupil_id"], "role": "pupil", "school_uai": uai},
        "statistician": {**base, "user_id": str(uuid.uuid4()), "role": "statistician", "stat_scope": "national"},
    }


def created(env_, **kw):
    envelope = confirmed_event(**kw)
    publish(env_, envelope)
    data = envelope["data"]
    a = actors(data, kw.get("school_uai", "0751234A"))
    seed_staff(env_, a["head"], "Marie Lambert", kw.get("school_uai", "0751234A"))
    conv = wait_for(lambda: env_["rpc"].list(actor=a["employer"])["items"])[0]
    write_prefill(env_, conv, kw.get("school_uai", "0751234A"))
    return envelope, a, conv


def write_prefill(env_, conv, uai="0751234A"):
    """Offers and applications are not running here (nor is the pupil in identity): write what the services
    would have pre-filled."""
    pre = prefill_sample(uai)
    with env_["engine"].begin() as c:
        c.execute(conventions.update().where(conventions.c.id == conv["id"])
                  .values(prefill={**pre, "period": conv["period"]}, class_name="3e B", pupil_name="Haddad Inès"))


def validated(env_):
    envelope, a, conv = created(env_)
    rpc = env_["rpc"]
    cid = conv["id"]
    rpc.update(actor=a["employer"], convention_id=cid, fields=copy.deepcopy(EMPLOYER_FIELDS))
    rpc.complete(actor=a["employer"], convention_id=cid)
    rpc.update(actor=a["teacher"], convention_id=cid, fields=copy.deepcopy(SCHOOL_FIELDS))
    out = rpc.validate(actor=a["head"], convention_id=cid)
    return envelope, a, out


def link_tokens(env_, convention_id, n=2):
    """The tokens of the links sent for this convention, as the legal representatives received them by e-mail
    (the secrets the service handed out, testkit.hooks, tell which e-mails are this convention's: the notifications
    database is shared by the tests of this run, so an earlier test's message may arrive too)."""
    tokens = wait_for(lambda: (lambda t: t if all(t) else None)(
        [last_secret("link", f"{convention_id}:{i}") for i in range(n)]))

    def received():
        texts = " ".join(m.text for m in env_["smtp"].handler.received)
        return all(f"https://stages.test/conventions/signature/{t}" in texts for t in tokens)

    wait_for(received)
    return tokens


def test_created_once_from_a_duplicated_event(env):
    done = handled("conventions.on_application_confirmed")
    envelope, a, conv = created(env)
    publish(env, envelope)  # the same event again (redelivery)
    publish(env, {**envelope})
    # the first delivery and both duplicates went through the handler
    wait_for(lambda: handled("conventions.on_application_confirmed") >= done + 3)
    app_id = envelope["data"]["application_id"]
    assert count(env["engine"], conventions, conventions.c.application_id == app_id) == 1
    assert count(env["engine"], inbox, inbox.c.event_id == envelope["event_id"]) == 1
    assert conv["state"] == "draft" and conv["weeks"] == ["2027-W05"]
    assert conv["period"] == {"start": "2027-02-01", "end": "2027-02-05"}
    created_events = [e for e in events_of(env["engine"], conv["id"]) if e[0] == "convention.created"]
    assert len(created_events) == 1
    assert created_events[0][1]["application_id"] == app_id
    assert created_events[0][1]["employer_user_id"] == envelope["data"]["employer_id"]
    # a new event for the same application (another event_id) creates nothing more either
    again = make_envelope("applications", "application.confirmed", envelope["data"])
    publish(env, again)
    wait_for(lambda: count(env["engine"], inbox, inbox.c.event_id == again["event_id"]))
    assert count(env["engine"], conventions, conventions.c.application_id == app_id) == 1


def test_field_ownership_is_enforced_by_the_service(env):
    _, a, conv = created(env)
    rpc = env["rpc"]
    with pytest.raises(Forbidden) as e:
        rpc.update(actor=a["employer"], convention_id=conv["id"],
                   fields={"activities": "Découverte de l'atelier", "legal_representatives": []})
    assert e.value.code == "field_not_owned" and "legal_representatives" in e.value.errors
    with pytest.raises(Forbidden):
        rpc.update(actor=a["teacher"], convention_id=conv["id"], fields={"tutor": {"name": "Quelqu'un"}})
    with pytest.raises(NotFound):
        rpc.update(actor=a["other_employer"], convention_id=conv["id"], fields={"lunch_break": "Cantine"})
    got = rpc.get(actor=a["employer"], convention_id=conv["id"])
    assert got["school"] == {} and "activities" not in got["employer"] or \
        got["employer"].get("activities") != "Découverte de l'atelier"


def test_completion_lists_every_error_in_french(env):
    _, a, conv = created(env)
    with pytest.raises(ValidationError) as e:
        env["rpc"].complete(actor=a["employer"], convention_id=conv["id"])
    assert {"representative", "tutor", "activities", "hours", "lunch_break"} <= set(e.value.errors)
    bad = copy.deepcopy(EMPLOYER_FIELDS)
    bad["hours"] = {"mode": "same", "same": {"start": "08:00", "end": "17:00"}}
    with pytest.raises(ValidationError) as e:  # values given in a draft are checked too
        env["rpc"].update(actor=a["employer"], convention_id=conv["id"], fields=bad)
    msgs = " ".join(e.value.errors["hours.same"])
    assert "7 h par jour" in msgs and "30 minutes" in msgs


def test_full_lifecycle_to_signed_by_all_with_sealed_pdf(env):
    envelope, a, conv = validated(env)
    rpc, cid, h = env["rpc"], conv["id"], conv["document_hash"]
    assert conv["state"] == "validated" and len(h) == 64 and conv["links_sent"] == 2
    tokens = link_tokens(env, cid, 2)
    # employer: code by SMS/email (10 minutes, 5 attempts)
    out = rpc.request_signature_code(actor=a["employer"], convention_ids=[cid])
    assert out["sent"] is True
    with pytest.raises(ValidationError) as e:
        rpc.sign(actor=a["employer"], convention_id=cid, document_hash=h, code="000000",
                 client={"ip": "203.0.113.9", "user_agent": "pytest"})
    assert e.value.errors["code"] == ["Code incorrect. Il vous reste 4 essai(s)."]
    signed = rpc.sign(actor=a["employer"], convention_id=cid, document_hash=h, code=str(CODE),
                      client={"ip": "203.0.113.9", "user_agent": "pytest"})
    assert signed["state"] == "signatures_started"
    # pupil, logged in
    rpc.sign(actor=a["pupil"], convention_id=cid, document_hash=h)
    with pytest.raises(Conflict):
        rpc.sign(actor=a["pupil"], convention_id=cid, document_hash=h)
    # head of school: typed name
    rpc.sign(actor=a["head"], convention_id=cid, document_hash=h, method="typed_name", typed_name="Marie Lambert")
    # legal representative through the link, with their full name
    public = rpc.public_view(token=tokens[1])
    assert public["document_hash"] == h and public["representative_name"] == "Youssef Haddad"
    with pytest.raises(ValidationError) as e:
        rpc.public_sign(token=tokens[1], full_name="Quelqu'un d'autre", document_hash=h)
    assert e.value.code == "name_mismatch"
    done = rpc.public_sign(token=tokens[1], full_name="youssef haddad", document_hash=h,
                           client={"ip": "198.51.100.4", "user_agent": "Firefox"})
    assert done["state"] == "signed_by_all"
    # the link is spent, and so is the other representative's
    for t in tokens:
        with pytest.raises((Conflict, NotFound)):
            rpc.public_sign(token=t, full_name="Nadia Haddad", document_hash=h)
    types = [t for t, _ in events_of(env["engine"], cid)]
    assert types == ["convention.created", "convention.completed_by_employer", "convention.validated",
                     "convention.signed", "convention.signed", "convention.signed", "convention.signed",
                     "convention.signed_by_all"]
    roles = [d["role"] for t, d in events_of(env["engine"], cid) if t == "convention.signed"]
    assert roles == ["employer", "pupil", "head_of_school", "legal_representative"]
    with env["engine"].connect() as c:
        rows = c.execute(select(signatures).where(signatures.c.convention_id == cid)).mappings().all()
    assert {r["role"]: (r["ip"], r["user_agent"], r["document_hash"]) for r in rows}["legal_representative"] == \
        ("198.51.100.4", "Firefox", h)
    assert all(r["document_hash"] == h for r in rows)
    # the final PDF: text and seal; rendered and sealed once, the same file afterwards
    pdf_out = rpc.get_pdf(actor=a["pupil"], convention_id=cid)
    assert pdf_out["final"] is True
    assert rpc.get_pdf(actor=a["employer"], convention_id=cid)["sha256"] == pdf_out["sha256"]
    pdf = base64.b64decode(pdf_out["content_base64"])
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    assert h in text
    assert "Karim Benali" in text and "Signé par Youssef Haddad" in text and "Signé par Marie Lambert" in text
    assert "Signé par Claire Dubois-Martin" in text
    # pyHanko runs asyncio: off the hub's OS thread (aiosmtpd's loop runs on it in this process)
    status = tpool.execute(validate_seal, pdf, get_sealer().cert_pem)
    assert status["intact"] and status["valid"] and status["trusted"]


def test_code_expired_wrong_five_times_and_reused_for_several(env, monkeypatch):
    _, a, c1 = validated(env)
    rpc = env["rpc"]
    # a second convention of the same employer
    env2 = confirmed_event()
    env2["data"]["employer_id"] = a["employer"]["user_id"]
    publish(env, env2)
    c2 = wait_for(lambda: [c for c in rpc.list(actor=a["employer"])["items"] if c["id"] != c1["id"]])[0]
    a2 = actors(env2["data"])
    seed_staff(env, a2["head"], "Marie Lambert")
    write_prefill(env, c2)
    rpc.update(actor=a["employer"], convention_id=c2["id"], fields=copy.deepcopy(EMPLOYER_FIELDS))
    rpc.complete(actor=a["employer"], convention_id=c2["id"])
    rpc.update(actor=a2["teacher"], convention_id=c2["id"], fields=copy.deepcopy(SCHOOL_FIELDS))
    c2 = rpc.validate(actor=a2["head"], convention_id=c2["id"])
    rpc.request_signature_code(actor=a["employer"])
    # throttled: one code a minute
    from common.errors import RateLimited
    with pytest.raises(RateLimited):
        rpc.request_signature_code(actor=a["employer"])
    # one code, two conventions at once
    out = rpc.sign_many(actor=a["employer"], code=str(CODE),
                        items=[{"convention_id": c1["id"], "document_hash": c1["document_hash"]},
                               {"convention_id": c2["id"], "document_hash": c2["document_hash"]}])
    assert out["count"] == 2 and all(i["state"] == "signatures_started" for i in out["items"])
    # expired: move the stored code 11 minutes back
    with env["engine"].begin() as c:
        c.execute(signature_codes.update().where(signature_codes.c.user_id == a["employer"]["user_id"])
                  .values(expires_at=func.now() - func.make_interval(0, 0, 0, 0, 0, 1)))
    with pytest.raises(ValidationError) as e:
        rpc.sign(actor=a["employer"], convention_id=c1["id"], document_hash=c1["document_hash"], code=str(CODE))
    assert e.value.code == "code_expired"
    # five wrong attempts lock the code (attempts are recorded even though the call fails)
    with env["engine"].begin() as c:
        c.execute(signature_codes.update().values(expires_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 10)))
    for i in range(4):
        with pytest.raises(ValidationError):
            rpc.sign(actor=a["employer"], convention_id=c1["id"], document_hash=c1["document_hash"], code="111111")
    with pytest.raises(Forbidden):
        rpc.sign(actor=a["employer"], convention_id=c1["id"], document_hash=c1["document_hash"], code="111111")
    with pytest.raises(Forbidden):
        rpc.sign(actor=a["employer"], convention_id=c1["id"], document_hash=c1["document_hash"], code=str(CODE))
    with env["engine"].connect() as c:
        stored = c.execute(select(signature_codes)).mappings().all()
    assert all(str(CODE) not in r["code_hash"] for r in stored)


def test_reopen_discards_signatures_and_a_stale_signature_is_refused(env):
    _, a, conv = validated(env)
    rpc, cid, old = env["rpc"], conv["id"], conv["document_hash"]
    old_tokens = link_tokens(env, cid, 2)
    rpc.sign(actor=a["pupil"], convention_id=cid, document_hash=old)
    with pytest.raises(Forbidden):
        rpc.reopen(actor=a["teacher"], convention_id=cid)
    out = rpc.reopen(actor=a["head"], convention_id=cid)
    assert out["state"] == "started_by_school" and out["signatures"] == [] and out["document_hash"] is None
    assert count(env["engine"], signatures, signatures.c.convention_id == cid,
                 signatures.c.discarded_at.is_not(None)) == 1
    # the old links stop working
    with pytest.raises(NotFound):
        rpc.public_view(token=old_tokens[0])
    rpc.update(actor=a["teacher"], convention_id=cid, fields={"pupil_phone": "06 00 00 00 01"})
    new = rpc.validate(actor=a["head"], convention_id=cid)
    assert new["document_hash"] != old
    with pytest.raises(Conflict) as e:  # signing the version read before the change
        rpc.sign(actor=a["pupil"], convention_id=cid, document_hash=old)
    assert e.value.code == "document_changed"
    rpc.sign(actor=a["pupil"], convention_id=cid, document_hash=new["document_hash"])
    assert [t for t, _ in events_of(env["engine"], cid)].count("convention.reopened") == 1


def test_resend_link_replaces_the_previous_one(env):
    _, a, conv = validated(env)
    rpc, cid = env["rpc"], conv["id"]
    first = link_tokens(env, cid, 2)
    with pytest.raises(Forbidden):
        rpc.resend_link(actor=a["employer"], convention_id=cid)
    out = rpc.resend_link(actor=a["pupil"], convention_id=cid, rep_index=0)
    assert out == {"convention_id": cid, "links_sent": 1, "links": 1}
    new = wait_for(lambda: (lambda t: t[0] if t[0] != first[0] else None)(link_tokens(env, cid, 2)))
    with pytest.raises(NotFound):
        rpc.public_view(token=first[0])
    assert rpc.public_view(token=first[1])["representative_name"] == "Youssef Haddad"
    assert rpc.public_view(token=new)["representative_name"] == "Nadia Haddad"
    with env["engine"].connect() as c:
        hashes = [r.token_hash for r in c.execute(select(legal_rep_links.c.token_hash))]
    assert new not in hashes and all(len(x) == 64 for x in hashes)


def test_wrong_names_are_counted_then_the_link_locks_until_the_school_resends_it(env):
    _, a, conv = validated(env)
    rpc, cid, h = env["rpc"], conv["id"], conv["document_hash"]
    tokens = link_tokens(env, cid, 2)
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError) as e:
            rpc.public_sign(token=tokens[0], full_name="Quelqu'un d'autre", document_hash=h)
        assert e.value.code == "name_mismatch" and int(e.value.extra["attempts_left"]) == left
        assert "Haddad" not in " ".join(e.value.errors["full_name"]) + e.value.detail  # never disclosed
    with env["engine"].connect() as c:
        assert c.execute(select(legal_rep_links.c.failed_attempts).where(
            legal_rep_links.c.token_hash == hashlib.sha256(tokens[0].encode()).hexdigest())
        ).scalar() == 4
    with pytest.raises(Locked) as e:  # the fifth wrong name locks the link
        rpc.public_sign(token=tokens[0], full_name="Encore faux", document_hash=h)
    assert e.value.code == "link_locked" and e.value.status == 423
    for call in (lambda: rpc.public_view(token=tokens[0]), lambda: rpc.public_pdf(token=tokens[0]),
                 lambda: rpc.public_sign(token=tokens[0], full_name="Nadia Haddad", document_hash=h)):
        with pytest.raises(Locked):
            call()
    assert rpc.public_view(token=tokens[1])["representative_name"] == "Youssef Haddad"  # the other link works
    rpc.resend_link(actor=a["teacher"], convention_id=cid, rep_index=0)  # the school sends a new link
    new = wait_for(lambda: (lambda t: t if t != tokens[0] else None)(last_secret("link", f"{cid}:0")))
    done = rpc.public_sign(token=new, full_name="nadia haddad", document_hash=h)
    assert done["state"] == "signatures_started"


def pdf_text(pdf_b64):
    reader = pypdf.PdfReader(io.BytesIO(base64.b64decode(pdf_b64)))
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in reader.pages))


def test_two_heads_the_signer_and_representative_are_the_validating_and_signing_account(env):
    """Issue 13 item 1: the pre-filled head (Marie Lambert) is not the one who validates and signs."""
    envelope, a, conv = created(env)
    rpc, cid = env["rpc"], conv["id"]
    second = seed_staff(env, {**a["head"], "user_id": str(uuid.uuid4())}, "Luc Martin")
    admin_staff = seed_staff(env, {**a["head"], "user_id": str(uuid.uuid4()), "function": "admin_staff"},
                             "Anne Petit")
    rpc.update(actor=a["employer"], convention_id=cid, fields=copy.deepcopy(EMPLOYER_FIELDS))
    rpc.complete(actor=a["employer"], convention_id=cid)
    rpc.update(actor=a["teacher"], convention_id=cid, fields=copy.deepcopy(SCHOOL_FIELDS))
    # administration validates: the school has two heads and none designated: nobody is guessed
    with pytest.raises(ValidationError) as e:
        rpc.validate(actor=admin_staff, convention_id=cid)
    assert list(e.value.errors) == ["school.head_name"]
    out = rpc.validate(actor=second, convention_id=cid)
    assert out["prefill"]["school"]["head_name"] == "Luc Martin"
    assert out["prefill"]["school"]["head_user_id"] == second["user_id"]
    from PIL import Image
    png = io.BytesIO()
    Image.new("RGB", (200, 60), "navy").save(png, "PNG")
    rpc.set_school_signature(actor=second, school_uai="0751234A",
                             image_base64=base64.b64encode(png.getvalue()).decode())
    with pytest.raises(ValidationError) as e:  # a typed name must be the signing account's
        rpc.sign(actor=second, convention_id=cid, document_hash=out["document_hash"], method="typed_name",
                 typed_name="Marie Lambert")
    assert "typed_name" in e.value.errors
    rpc.sign(actor=second, convention_id=cid, document_hash=out["document_hash"], method="image",
             client={"ip": "198.51.100.4", "user_agent": "Firefox"})
    admin = {**a["head"], "role": "admin", "function": None, "school_uai": None, "user_id": str(uuid.uuid4())}
    sig = rpc.get(actor=admin, convention_id=cid)["signatures"][0]
    assert (sig["role"], sig["signer_name"], sig["signer_user_id"], sig["method"], sig["ip"]) == \
        ("head_of_school", "Luc Martin", second["user_id"], "image", "198.51.100.4")
    text = pdf_text(rpc.get_pdf(actor=second, convention_id=cid)["content_base64"])
    assert "représenté par Luc Martin, chef d'établissement" in text and "Signé par Luc Martin" in text
    assert "Marie Lambert" not in text


def test_validation_refuses_a_placeholder_until_the_school_corrects_its_address(env):
    """Issue 13 item 3: a school without a street address in the directory."""
    envelope, a, conv = created(env)
    rpc, cid = env["rpc"], conv["id"]
    with env["engine"].begin() as c:
        pre = c.execute(select(conventions.c.prefill).where(conventions.c.id == cid)).scalar()
        pre["school"].update(address=None)
        c.execute(conventions.update().where(conventions.c.id == cid).values(prefill=pre))
    rpc.update(actor=a["employer"], convention_id=cid, fields=copy.deepcopy(EMPLOYER_FIELDS))
    rpc.complete(actor=a["employer"], convention_id=cid)
    rpc.update(actor=a["teacher"], convention_id=cid, fields=copy.deepcopy(SCHOOL_FIELDS))
    draft = pdf_text(rpc.get_pdf(actor=a["teacher"], convention_id=cid)["content_base64"])
    assert "(UAI 0751234A) à compléter, 75020 Paris" in draft
    with pytest.raises(ValidationError) as e:
        rpc.validate(actor=a["head"], convention_id=cid)
    assert list(e.value.errors) == ["school_address.street"]
    assert "Adresse de l'établissement à compléter" in e.value.errors["school_address.street"][0]
    with pytest.raises(Forbidden):  # the school's field: the employer cannot write it
        rpc.update(actor=a["employer"], convention_id=cid,
                   fields={"school_address": {"street": "1 rue X", "postal_code": "75020", "city": "Paris"}})
    rpc.update(actor=a["teacher"], convention_id=cid,
               fields={"school_address": {"street": "5 avenue Gambetta", "complement": "BP 12",
                                          "postal_code": "75020", "city": "PARIS"}})
    out = rpc.validate(actor=a["head"], convention_id=cid)
    assert out["state"] == "validated"
    text = pdf_text(rpc.get_pdf(actor=a["head"], convention_id=cid)["content_base64"])
    assert "5 avenue Gambetta, BP 12, 75020 PARIS" in text and "à compléter" not in text


def test_school_signature_image_and_head_signing_many(env):
    _, a, c1 = validated(env)
    rpc = env["rpc"]
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (200, 60), "navy").save(buf, "PNG")
    png = base64.b64encode(buf.getvalue()).decode()
    with pytest.raises(ValidationError):
        rpc.set_school_signature(actor=a["head"], school_uai="0751234A",
                                 image_base64=base64.b64encode(b"<svg/>" * 20).decode())
    with pytest.raises(Forbidden):
        rpc.set_school_signature(actor=a["teacher"], school_uai="0751234A", image_base64=png)
    out = rpc.set_school_signature(actor=a["head"], school_uai="0751234A", image_base64=png)
    assert out["mime"] == "image/png"
    res = rpc.sign_many(actor=a["head"], method="image",
                        items=[{"convention_id": c1["id"], "document_hash": c1["document_hash"]}])
    assert res["items"][0]["signatures"][0]["method"] == "image"
    # all or nothing: one bad item and nothing is signed
    _, a2, c2 = validated(env)
    with pytest.raises(Conflict) as e:
        rpc.sign_many(actor=a["head"], method="image",
                      items=[{"convention_id": c2["id"], "document_hash": c2["document_hash"]},
                             {"convention_id": c1["id"], "document_hash": c1["document_hash"]}])
    assert e.value.code == "bulk_sign_refused" and c1["id"] in e.value.errors
    assert rpc.get(actor=a["head"], convention_id=c2["id"])["signatures"] == []
    pdf = base64.b64decode(rpc.get_pdf(actor=a["head"], convention_id=c1["id"])["content_base64"])
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[-1]
    assert any(str(x.get_object().get("/Subtype")) == "/Image" for x in page["/Resources"]["/XObject"].values())


def test_cancelled_with_its_application(env):
    envelope, a, conv = validated(env)
    tokens = link_tokens(env, conv["id"], 2)
    cancel = make_envelope("applications", "application.cancelled",
                           {**envelope["data"], "state": "cancelled_by_employer", "seat_released": True})
    done = handled("conventions.on_application_cancelled")
    publish(env, cancel)
    publish(env, cancel)
    got = wait_for(lambda: (lambda c: c if c["state"] == "cancelled" else None)(
        env["rpc"].get(actor=a["pupil"], convention_id=conv["id"])))
    assert got["cancelled_at"]
    wait_for(lambda: handled("conventions.on_application_cancelled") >= done + 2)  # the duplicate too
    assert [t for t, _ in events_of(env["engine"], conv["id"])].count("convention.cancelled") == 1
    with pytest.raises(NotFound):  # links revoked
        env["rpc"].public_view(token=tokens[0])
    with pytest.raises(Conflict):
        env["rpc"].sign(actor=a["pupil"], convention_id=conv["id"], document_hash=conv["document_hash"])


def test_who_sees_what_and_stats(env):
    _, a, conv = created(env)
    _, b, other = created(env, school_uai="0999999Z")
    rpc = env["rpc"]
    assert [c["id"] for c in rpc.list(actor=a["employer"])["items"]] == [conv["id"]]
    assert [c["id"] for c in rpc.list(actor=a["pupil"])["items"]] == [conv["id"]]
    ids = [c["id"] for c in rpc.list(actor=a["teacher"])["items"]]
    assert conv["id"] in ids and other["id"] not in ids
    with pytest.raises(NotFound):
        rpc.get(actor=b["employer"], convention_id=conv["id"])
    with pytest.raises(NotFound):
        rpc.get(actor=a["teacher"], convention_id=other["id"])
    with pytest.raises(Forbidden):
        rpc.list(actor=a["statistician"])
    # the list's SQL (queries.visible_where, from domain.convention.visible_filter) and who may read a convention
    # (domain.convention.party_of) agree: whatever is listed can be read
    for who in ("employer", "pupil", "teacher"):
        for item in rpc.list(actor=a[who])["items"]:
            assert rpc.get(actor=a[who], convention_id=item["id"])["id"] == item["id"]
    stats = rpc.stats(actor=a["statistician"])
    assert stats["counts"]["draft"] >= 2 and set(stats["counts"]) >= {"draft", "validated", "signed_by_all"}
    school = rpc.stats(actor=a["teacher"])
    assert school["counts"]["draft"] >= 1 and school["scope"] == {"kind": "school", "code": "0751234A"}
    assert school["by_class"]["3e B"]["draft"] >= 1
    # the school's filter: who still misses a signature
    missing = rpc.list(actor=a["teacher"], filters={"missing_signature": "pupil"})
    assert all(i["state"] in ("validated", "signatures_started") for i in missing["items"])
