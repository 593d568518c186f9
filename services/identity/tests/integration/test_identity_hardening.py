"""Issue 14, items 9-11 in identity: closed sessions written to the shared deny-list (Redis) and
answered by session_active, e-mail addresses and mobile numbers never revealed by registration or
pupil activation (their owner is told instead), and a password reset doing the same work whether or
not an account exists."""
import base64
import uuid

import jwt
import pytest
from sqlalchemy import text

from common import kv
from identity import clients
from identity.domain import tokens
from identity_helpers import PASSWORD, make_active_employer, unique_email
from testkit.hooks import last_secret

COLLEGE = "0131884C"


@pytest.fixture
def sent(monkeypatch):
    """Messages identity hands to notifications (the service is not running here)."""
    calls = []
    monkeypatch.setattr(clients.Notifications, "send_message",
                        lambda self, template, to, context, key: calls.append((template, to, context)))
    return calls


def sid_of(session) -> str:
    return jwt.decode(session["access_token"], options={"verify_signature": False})["sid"]


def denied(sid) -> bool:
    return bool(kv.client().exists(kv.revoked_session_key(sid)))


def test_closed_sessions_are_denied_at_once(identity):
    rpc, _ = identity
    email, uid = make_active_employer(rpc)
    actor = {"user_id": uid, "role": "employer"}
    # password change closes every session
    a, b = rpc.login(identifier=email, password=PASSWORD), rpc.login(identifier=email, password=PASSWORD)
    assert sid_of(a) != sid_of(b) and rpc.session_active(sid_of(a)) == {"active": True}
    assert not denied(sid_of(a))
    new_password = PASSWORD + "x"
    assert rpc.change_password(actor=actor, current_password=PASSWORD, new_password=new_password)[
        "revoked_sessions"] == 2
    assert denied(sid_of(a)) and denied(sid_of(b))
    assert rpc.session_active(sid_of(a)) == {"active": False}
    ttl = kv.client().ttl(kv.revoked_session_key(sid_of(a)))
    assert 900 < ttl <= 960                       # as long as an access token lives, plus the leeway
    # « log out everywhere »
    c = rpc.login(identifier=email, password=new_password)
    assert rpc.session_active(sid_of(c)) == {"active": True} and not denied(sid_of(c))
    rpc.logout(actor=actor, all_sessions=True)
    assert denied(sid_of(c)) and rpc.session_active(sid_of(c)) == {"active": False}
    # « log out » of one session, and a session reused after its grace window
    d = rpc.login(identifier=email, password=new_password)
    rpc.logout(refresh_token=d["refresh_token"])
    assert denied(sid_of(d))
    assert rpc.session_active("not-a-session") == {"active": False}


def test_anonymisation_denies_the_sessions(identity, clock):
    rpc, _ = identity
    clock.set_offset(-800 * 86400)
    email, uid = make_active_employer(rpc)
    s = rpc.login(identifier=email, password=PASSWORD)
    clock.set_offset(0)
    assert not denied(sid_of(s))
    out = rpc.anonymize_inactive(actor={"user_id": str(uuid.uuid4()), "role": "admin"})
    assert uid in out["warned_ids"] and not denied(sid_of(s))      # warned 14 days before (docs/privacy.md)
    clock.set_offset(14 * 86400)
    out = rpc.anonymize_inactive(actor={"user_id": str(uuid.uuid4()), "role": "admin"})
    clock.set_offset(0)
    assert uid in out["user_ids"]
    assert denied(sid_of(s)) and rpc.session_active(sid_of(s)) == {"active": False}


def _register(rpc, email, phone):
    return rpc.register(data={"role": "employer", "first_name": "Inès", "last_name": "Roux", "function": "Gérante",
                              "email": email, "phone": phone, "password": PASSWORD})


def test_registration_does_not_reveal_a_phone_number(identity, engine, sent):
    rpc, _ = identity
    phone = f"06{uuid.uuid4().int % 10**8:08d}"
    owner_email = unique_email("owner")
    _register(rpc, owner_email, phone)
    owner_id = rpc.activate(last_secret("activation", owner_email))["user_id"]
    free = _register(rpc, unique_email("free"), f"07{uuid.uuid4().int % 10**8:08d}")
    del sent[:]
    other = unique_email("other")
    taken = _register(rpc, other, phone)          # used to answer 422 « déjà utilisé par un autre compte »
    assert taken == free
    with engine.connect() as c:
        row = c.execute(text("SELECT phone, status FROM users WHERE email = :e"), {"e": other}).first()
    assert row.phone is None and row.status == "pending_activation"   # created, without the number
    assert ("identifier_in_use", {"user_id": owner_id}, {"identifier": "phone"}) in sent
    assert [t for t, _, _ in sent].count("account_activation") == 1    # the newcomer gets their link
    # an e-mail address that already has an active account: the same answer, its owner is told
    del sent[:]
    assert _register(rpc, owner_email, None) == free
    assert sent == [("identifier_in_use", {"user_id": owner_id}, {"identifier": "email"})]


def test_pupil_activation_does_not_reveal_a_phone_number(identity, engine, sent):
    rpc, _ = identity
    phone = f"06{uuid.uuid4().int % 10**8:08d}"
    owner_email = unique_email("owner")
    _register(rpc, owner_email, phone)
    owner_id = rpc.activate(last_secret("activation", owner_email))["user_id"]
    tag = uuid.uuid4().hex[:6].upper()
    csv = "\r\n".join(["Nom;Prénom;Date de naissance;Classe;Niveau;Courriel",
                       f"LEROY-{tag};Jade;04/03/2012;3A;3EME;",
                       f"PETIT-{tag};Hugo;05/03/2012;3A;3EME;"])
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}  # staff must be real, confirmed accounts
    codes = rpc.import_pupils(actor=admin, uai=COLLEGE, content_base64=base64.b64encode(csv.encode()).decode(),
                              with_pdf=False)["codes"]
    del sent[:]
    free = rpc.pupil_activate(code=codes[0]["code"], password=PASSWORD, email=unique_email("jade"),
                              phone=f"07{uuid.uuid4().int % 10**8:08d}")
    hugo = unique_email("hugo")
    taken = rpc.pupil_activate(code=codes[1]["code"], password=PASSWORD, email=hugo, phone=phone)
    assert set(taken) == set(free) and taken["user"]["status"] == "active"
    with engine.connect() as c:
        row = c.execute(text("SELECT phone, email FROM users WHERE id = :i"), {"i": codes[1]["pupil_id"]}).first()
    assert row.phone is None and row.email == hugo
    assert sent == [("identifier_in_use", {"user_id": owner_id}, {"identifier": "phone"})]


def test_password_reset_does_the_same_work_for_unknown_addresses(identity, monkeypatch, sent):
    rpc, _ = identity
    made = []
    real_new_token = tokens.new_token
    monkeypatch.setattr(tokens, "new_token", lambda kind, now: made.append(kind) or real_new_token(kind, now))

    def work(identifier):
        del made[:], sent[:]
        answer = rpc.request_password_reset(identifier)
        return answer, list(made), [(t, sorted(to)) for t, to, _ in sent]

    known, _ = make_active_employer(rpc)
    k_answer, k_tokens, k_sent = work(known)
    u_answer, u_tokens, u_sent = work(unique_email("nobody"))
    assert k_answer == u_answer
    assert k_tokens == u_tokens == ["password_reset"]              # one token made (random + SHA-256)
    assert k_sent == [("password_reset", ["user_id"])]             # one message handed to notifications
    assert u_sent == [("password_reset_no_account", ["email"])]    # ... to the address given, no link in it
    assert sent[0][2] == {}
