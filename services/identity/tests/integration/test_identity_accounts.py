"""Accounts through the real service (PostgreSQL + RabbitMQ): registration, activation,
login, lockout, refresh rotation, reset, invitations, personal data."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import text

from common.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthorized, ValidationError
from identity.domain import access_tokens
from identity_helpers import PASSWORD, make_active_employer, unique_email
from testkit.hooks import last_secret


def outbox_types(engine, user_id):
    with engine.connect() as c:
        return [r[0] for r in c.execute(text("SELECT type FROM outbox WHERE envelope->'data'->>'user_id' = :u "
                                             "ORDER BY id"), {"u": user_id})]


def test_register_activate_login_me(identity, engine):
    rpc, _ = identity
    email = unique_email("Employer")
    answer = rpc.register(data={"role": "employer", "first_name": "Paul", "last_name": "Durand",
                                "function": "Gérant", "email": email, "phone": "06 11 22 33 44",
                                "password": PASSWORD})
    assert answer["status"] == "pending_activation"
    # no login before activation (the password is right: the state may be told)
    with pytest.raises(Forbidden) as e:
        rpc.login(identifier=email, password=PASSWORD)
    assert e.value.code == "account_pending_activation"
    token = last_secret("activation", email.lower())
    with engine.connect() as c:   # only the hash is stored
        assert c.execute(text("SELECT count(*) FROM one_time_tokens WHERE token_hash = :t"), {"t": token}).scalar() == 0
    out = rpc.activate(token)
    assert out["status"] == "active"
    with pytest.raises(Conflict):
        rpc.activate(token)                       # single use
    session = rpc.login(identifier=email.upper(), password=PASSWORD, client={"ip": "10.0.0.1"})
    assert session["token_type"] == "Bearer" and session["expires_in"] == 900
    # login by mobile phone too
    assert rpc.login(identifier="+33611223344", password=PASSWORD)["user"]["id"] == out["user_id"]
    jwks = rpc.get_jwks()
    claims = access_tokens.decode_access_token(session["access_token"], access_tokens.jwks_to_keys(jwks),
                                               dt.datetime.now(dt.timezone.utc))
    assert claims["sub"] == out["user_id"] and claims["role"] == "employer" and claims["aud"] == "stages-api"
    me = rpc.get_me(actor={"user_id": out["user_id"], "role": "employer"})
    assert me["email"] == email.lower() and me["phone"] == "+33611223344" and me["job_title"] == "Gérant"
    assert outbox_types(engine, out["user_id"]) == ["user.registered", "user.activated"]
    with engine.connect() as c:
        env = c.execute(text("SELECT envelope FROM outbox WHERE envelope->'data'->>'user_id' = :u ORDER BY id"),
                        {"u": out["user_id"]}).first()[0]
    assert env["producer"] == "identity" and set(env["data"]) == {"user_id", "role", "school_uai", "function"}
    contact = rpc.get_contact(out["user_id"])
    assert contact["email"] == email.lower() and contact["active"] is True


def test_registration_does_not_reveal_existing_accounts(identity, engine):
    rpc, _ = identity
    email, uid = make_active_employer(rpc)
    data = {"role": "employer", "first_name": "X", "last_name": "Y", "function": "Z Z", "email": email,
            "password": PASSWORD}
    fresh = rpc.register(data={**data, "email": unique_email("fresh")})
    again = rpc.register(data=data)
    assert again == fresh
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM users WHERE email = :e"), {"e": email}).scalar() == 1
    # a pending account registering again gets a new link (the old one stops working)
    pending = unique_email("pending")
    rpc.register(data={**data, "email": pending})
    first = last_secret("activation", pending)
    rpc.register(data={**data, "email": pending})
    second = last_secret("activation", pending)
    assert second != first
    with pytest.raises(Conflict):
        rpc.activate(first)
    assert rpc.activate(second)["status"] == "active"


def test_staff_registration_needs_the_academic_address_of_the_school(identity):
    rpc, _ = identity
    base = {"role": "school_staff", "first_name": "Jeanne", "last_name": "Martin", "function": "teacher",
            "password": PASSWORD, "school_uai": "0131884C"}
    with pytest.raises(ValidationError) as e:
        rpc.register(data={**base, "email": unique_email("jeanne", "ac-lyon.fr")})
    assert "ac-aix-marseille.fr" in e.value.errors["email"][0]
    with pytest.raises(ValidationError) as e:
        rpc.register(data={**base, "email": unique_email("j", "ac-aix-marseille.fr"), "school_uai": "9999999Z",
                           "password": "weak"})
    assert set(e.value.errors) == {"school_uai", "password"}
    email = unique_email("jeanne", "ac-aix-marseille.fr")
    rpc.register(data={**base, "email": email})
    uid = rpc.activate(last_secret("activation", email))["user_id"]
    s = rpc.login(identifier=email, password=PASSWORD)
    assert s["claims"]["school_uai"] == "0131884C" and s["claims"]["school_rep"] == "REP+"
    assert s["claims"]["school_qpv"] is True and s["claims"]["academie"] == "02"
    assert s["claims"]["function"] == "teacher"
    assert uid in [x["user_id"] for x in rpc.list_school_staff("0131884C", ["teacher"])["items"]]


def test_lockout_after_8_failures_and_its_end(identity, clock):
    rpc, _ = identity
    email, _ = make_active_employer(rpc)
    for _ in range(8):
        with pytest.raises(Unauthorized) as e:
            rpc.login(identifier=email, password="Wrong-Password-1!")
        assert e.value.detail == "Identifiant ou mot de passe incorrect."
    with pytest.raises(RateLimited) as e:
        rpc.login(identifier=email, password=PASSWORD)     # even the right password
    assert e.value.code == "account_locked" and 890 <= e.value.retry_after <= 900
    clock.set_offset(14 * 60)
    with pytest.raises(RateLimited):
        rpc.login(identifier=email, password=PASSWORD)
    clock.set_offset(15 * 60 + 1)
    assert rpc.login(identifier=email, password=PASSWORD)["user"]["role"] == "employer"


def test_unknown_accounts_behave_like_existing_ones(identity):
    rpc, _ = identity
    ghost = unique_email("ghost")
    for _ in range(8):
        with pytest.raises(Unauthorized) as e:
            rpc.login(identifier=ghost, password="Wrong-Password-1!")
        assert e.value.detail == "Identifiant ou mot de passe incorrect."
    with pytest.raises(RateLimited) as e:
        rpc.login(identifier=ghost, password=PASSWORD)
    assert e.value.code == "account_locked"
    assert rpc.request_password_reset(ghost) == rpc.request_password_reset(make_active_employer(rpc)[0])


def test_per_ip_failure_limit(identity, monkeypatch):
    rpc, _ = identity
    monkeypatch.setenv("IDENTITY_LIMIT_LOGIN_FAILURES_IP", "3/600")
    ip = f"203.0.113.{uuid.uuid4().int % 250}"
    for i in range(3):
        with pytest.raises(Unauthorized):
            rpc.login(identifier=unique_email("x"), password="Wrong-Password-1!", client={"ip": ip})
    with pytest.raises(RateLimited) as e:
        rpc.login(identifier=unique_email("y"), password="Wrong-Password-1!", client={"ip": ip})
    assert 0 < e.value.retry_after <= 600
    # another address is not affected
    email, _ = make_active_employer(rpc)
    assert rpc.login(identifier=email, password=PASSWORD, client={"ip": "198.51.100.7"})


def test_refresh_rotation_and_reuse_detection(identity, clock):
    rpc, _ = identity
    email, uid = make_active_employer(rpc)
    s1 = rpc.login(identifier=email, password=PASSWORD)
    s2 = rpc.refresh(s1["refresh_token"])
    assert s2["refresh_token"] != s1["refresh_token"] and s2["user"]["id"] == uid
    s3 = rpc.refresh(s2["refresh_token"])
    clock.set_offset(11)                            # past the grace window of a second use
    with pytest.raises(Unauthorized) as e:
        rpc.refresh(s2["refresh_token"])            # replayed: the family is revoked
    assert e.value.code == "refresh_reused"
    with pytest.raises(Unauthorized):
        rpc.refresh(s3["refresh_token"])            # the legitimate holder must log in again
    with pytest.raises(Unauthorized):
        rpc.refresh("not-a-token")
    # logout revokes the session; other sessions stay
    a = rpc.login(identifier=email, password=PASSWORD)
    b = rpc.login(identifier=email, password=PASSWORD)
    assert rpc.logout(refresh_token=a["refresh_token"])["revoked_sessions"] == 1
    with pytest.raises(Unauthorized):
        rpc.refresh(a["refresh_token"])
    assert rpc.refresh(b["refresh_token"])
    assert rpc.logout(actor={"user_id": uid, "role": "employer"}, all_sessions=True)["revoked_sessions"] >= 1


def test_two_tabs_refreshing_at_once_get_the_same_pair(identity, amqp_uri, clock):
    """Two uses of one refresh token at the same moment: both get the same new pair and the session
    lives on; a use after the grace window is still a reuse that closes the session."""
    import eventlet
    from common.rpc import cluster_rpc
    rpc, _ = identity
    email, _ = make_active_employer(rpc)
    s1 = rpc.login(identifier=email, password=PASSWORD)

    def refresh_in_a_tab():
        with cluster_rpc(amqp_uri, timeout=30) as tab:
            return tab.identity.refresh(s1["refresh_token"])

    first, second = [t.wait() for t in [eventlet.spawn(refresh_in_a_tab), eventlet.spawn(refresh_in_a_tab)]]
    assert first["refresh_token"] == second["refresh_token"] and first["access_token"] == second["access_token"]
    clock.set_offset(5)
    assert rpc.refresh(s1["refresh_token"])["refresh_token"] == first["refresh_token"]   # a retried request
    s3 = rpc.refresh(first["refresh_token"])                                                # the session lives on
    assert s3["refresh_token"] != first["refresh_token"]
    clock.set_offset(20)
    with pytest.raises(Unauthorized) as e:
        rpc.refresh(first["refresh_token"])
    assert e.value.code == "refresh_reused"
    with pytest.raises(Unauthorized):
        rpc.refresh(s3["refresh_token"])


def test_password_reset_revokes_sessions(identity, clock):
    rpc, _ = identity
    email, uid = make_active_employer(rpc)
    session = rpc.login(identifier=email, password=PASSWORD)
    rpc.request_password_reset(email)
    token = last_secret("password_reset", email)
    with pytest.raises(ValidationError):
        rpc.confirm_password_reset(token, "short")
    out = rpc.confirm_password_reset(token, "New-Password-2026!")
    assert out["revoked_sessions"] == 1
    with pytest.raises(Unauthorized):
        rpc.refresh(session["refresh_token"])
    with pytest.raises(Conflict):
        rpc.confirm_password_reset(token, "Other-Password-2026!")
    with pytest.raises(Unauthorized):
        rpc.login(identifier=email, password=PASSWORD)
    assert rpc.login(identifier=email, password="New-Password-2026!")
    # a reset link is valid one hour
    rpc.request_password_reset(email)
    late = last_secret("password_reset", email)
    clock.set_offset(3601)
    with pytest.raises(Conflict) as e:
        rpc.confirm_password_reset(late, "Late-Password-2026!")
    assert e.value.code == "token_expired"


def test_activation_link_expires_after_7_days_and_can_be_resent(identity, clock):
    rpc, _ = identity
    email = unique_email("late")
    rpc.register(data={"role": "employer", "first_name": "A", "last_name": "B", "function": "Gérante",
                       "email": email, "password": PASSWORD})
    first = last_secret("activation", email)
    clock.set_offset(7 * 86400 + 1)
    with pytest.raises(Conflict):
        rpc.activate(first)
    rpc.resend_activation(email)
    second = last_secret("activation", email)
    assert second != first
    assert rpc.activate(second)["status"] == "active"


def test_invite_colleague(identity):
    rpc, _ = identity
    demo = rpc.seed_demo()
    head = {"user_id": demo["head"]["user_id"], "role": "school_staff", "function": "head",
            "school_uai": demo["schools"]["college"]}
    teacher = {**head, "user_id": demo["teacher"]["user_id"], "function": "teacher"}
    email = unique_email("cpe", "ac-aix-marseille.fr")
    with pytest.raises(Forbidden):
        rpc.invite_colleague(actor=teacher, email=email, function="cpe")
    with pytest.raises(ValidationError):
        rpc.invite_colleague(actor=head, email=unique_email("cpe", "gmail.com"), function="cpe")
    inv = rpc.invite_colleague(actor=head, email=email, function="cpe", first_name="Nora")
    assert inv["status"] == "invited"
    with pytest.raises(Conflict):
        rpc.invite_colleague(actor=head, email=email, function="cpe")
    token = last_secret("invitation", email)
    out = rpc.accept_invitation(token, "Nora", "Saïdi", PASSWORD)
    assert out["user_id"] == inv["user_id"]
    s = rpc.login(identifier=email, password=PASSWORD)
    assert s["claims"]["function"] == "cpe" and s["claims"]["school_uai"] == "0131884C"


def test_my_data_and_admin_totp(identity):
    rpc, _ = identity
    import pyotp
    demo = rpc.seed_demo()
    assert rpc.seed_demo()["created"] == 0           # idempotent
    data = rpc.get_my_data(actor={"user_id": demo["employer"]["user_id"], "role": "employer"})
    assert data["account"]["email"] == "demo.employeur@example.com"
    assert "password_hash" not in data["account"] and data["account"]["password"].startswith("défini")
    assert data["retention"]["anonymisation_due_at"]
    with pytest.raises(Unauthorized) as e:
        rpc.login(identifier="demo.admin@example.com", password=demo["password"])
    assert e.value.code == "totp_required"
    with pytest.raises(Unauthorized):
        rpc.login(identifier="demo.admin@example.com", password=demo["password"], totp_code="000000")
    code = pyotp.TOTP(demo["admin_totp_secret"]).now()
    s = rpc.login(identifier="demo.admin@example.com", password=demo["password"], totp_code=code)
    assert s["claims"]["role"] == "admin"
    with pytest.raises(Unauthorized):                 # a code works once
        rpc.login(identifier="demo.admin@example.com", password=demo["password"], totp_code=code)


def test_key_rotation_keeps_old_tokens_valid(identity):
    rpc, _ = identity
    email, _ = make_active_employer(rpc)
    before = rpc.login(identifier=email, password=PASSWORD)
    old_kid = rpc.get_jwks()["keys"][-1]["kid"]
    with pytest.raises(Forbidden):
        rpc.rotate_signing_key(actor={"user_id": "x", "role": "employer"})
    rot = rpc.rotate_signing_key(actor={"user_id": "x", "role": "admin"})
    jwks = rpc.get_jwks()
    kids = [k["kid"] for k in jwks["keys"]]
    assert rot["kid"] in kids and old_kid in kids
    after = rpc.login(identifier=email, password=PASSWORD)
    import jwt
    assert jwt.get_unverified_header(after["access_token"])["kid"] == rot["kid"]
    now = dt.datetime.now(dt.timezone.utc)
    keys = access_tokens.jwks_to_keys(jwks)
    assert access_tokens.decode_access_token(before["access_token"], keys, now)
    assert access_tokens.decode_access_token(after["access_token"], keys, now)


def test_user_queries(identity):
    rpc, _ = identity
    _, uid = make_active_employer(rpc)
    assert rpc.get_user(uid)["role"] == "employer"
    assert [u["id"] for u in rpc.get_users([uid, str(uuid.uuid4()), "bad"])["items"]] == [uid]
    with pytest.raises(NotFound):
        rpc.get_user(str(uuid.uuid4()))
    with pytest.raises(NotFound):
        rpc.get_contact("nope")


def test_statistician_waits_for_an_admin(identity):
    rpc, _ = identity
    email = unique_email("stat", "insee.fr")
    rpc.register(data={"role": "statistician", "first_name": "Ada", "last_name": "Lovelace", "email": email,
                       "password": PASSWORD, "stat_scope": "academie", "stat_scope_code": "02"})
    out = rpc.activate(last_secret("activation", email))
    assert out["status"] == "pending_validation"
    with pytest.raises(Forbidden) as e:
        rpc.login(identifier=email, password=PASSWORD)
    assert e.value.code == "account_pending_validation"
    with pytest.raises(Forbidden):
        rpc.validate_statistician(actor={"user_id": out["user_id"], "role": "statistician"}, user_id=out["user_id"])
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}
    with pytest.raises(Forbidden):
        rpc.list_pending_statisticians(actor={"user_id": out["user_id"], "role": "statistician"})
    waiting = {u["id"]: u for u in rpc.list_pending_statisticians(actor=admin, page_size=200)["items"]}
    assert waiting[out["user_id"]]["email"] == email and waiting[out["user_id"]]["stat_scope_code"] == "02"
    rpc.validate_statistician(actor=admin, user_id=out["user_id"])
    assert out["user_id"] not in {u["id"] for u in rpc.list_pending_statisticians(actor=admin, page_size=200)["items"]}
    s = rpc.login(identifier=email, password=PASSWORD)
    assert s["claims"]["role"] == "statistician" and s["claims"]["academie"] == "02"
    assert (s["claims"]["stat_scope"], s["claims"]["stat_scope_code"]) == ("academie", "02")


def test_reset_requests_are_rate_limited_per_account(identity):
    rpc, _ = identity
    email, _ = make_active_employer(rpc)
    for _ in range(3):
        rpc.request_password_reset(email, client={"ip": "192.0.2.10"})
    with pytest.raises(RateLimited) as e:
        rpc.request_password_reset(email, client={"ip": "192.0.2.11"})
    assert 0 < e.value.retry_after <= 3600


def test_events_reach_the_identity_exchange(identity, amqp_uri):
    """A plain AMQP consumer bound to identity.events receives the envelope (outbox relay)."""
    import json
    import time
    import urllib.parse

    import pika

    from common.events import declare_event_exchange

    rpc, _ = identity
    declare_event_exchange("identity", amqp_uri)
    p = urllib.parse.urlsplit(amqp_uri)
    params = pika.URLParameters(urllib.parse.urlunsplit(
        ("amqp", p.netloc, p.path if p.path not in ("", "/") else "/%2F", "", "")))
    conn = pika.BlockingConnection(params)
    try:
        ch = conn.channel()
        q = ch.queue_declare(queue="", exclusive=True).method.queue
        ch.queue_bind(queue=q, exchange="identity.events", routing_key="user.*")
        email, uid = make_active_employer(rpc)
        got = {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(got) < 2:
            method, props, body = ch.basic_get(q, auto_ack=True)
            if method is None:
                time.sleep(0.1)
                continue
            env = json.loads(body)
            if env["data"].get("user_id") == uid:
                got[env["type"]] = env
        assert set(got) == {"user.registered", "user.activated"}
        env = got["user.activated"]
        assert set(env) == {"event_id", "type", "version", "occurred_at", "producer", "data"}
        assert env["producer"] == "identity" and env["data"]["role"] == "employer"
        assert email not in json.dumps(env)      # identifiers only
    finally:
        conn.close()
