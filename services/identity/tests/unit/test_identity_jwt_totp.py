import datetime as dt

import jwt
import pytest

from identity.domain import access_tokens, keys, totp

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pems():
    return keys.generate_private_key_pem(), keys.generate_private_key_pem()


USER = {"id": "6f1c2d3e-0000-4000-8000-000000000001", "role": "pupil", "function": None,
        "school_uai": "0130001A", "grade": "troisieme"}
SCHOOL = {"uai": "0130001A", "education_prioritaire": "REP+", "qpv": True, "academie_name": "Aix-Marseille",
          "academie_code": "02"}


def test_claims_carry_what_services_need():
    c = access_tokens.build_claims(USER, SCHOOL)
    assert c == {"sub": USER["id"], "role": "pupil", "function": None, "school_uai": "0130001A",
                 "grade": "troisieme", "school_rep": "REP+", "school_qpv": True, "academie": "02",
                 "staff_confirmed": None, "stat_scope": None, "stat_scope_code": None, "space_id": None}
    e = access_tokens.build_claims({"id": "x", "role": "employer"})
    assert e["school_uai"] is None and e["school_rep"] is None and e["academie"] is None
    assert e["staff_confirmed"] is None


def test_staff_confirmation_travels_in_the_token(pems):
    """Issue 13 item 2: the token tells the gateway and services whether school staff are confirmed."""
    priv, _ = pems
    kid = keys.kid_of(priv)
    staff = {"id": "s", "role": "school_staff", "function": "head", "school_uai": "0130001A"}
    for confirmed_at, expected in ((None, False), (NOW, True)):
        claims = access_tokens.build_claims({**staff, "staff_confirmed_at": confirmed_at}, SCHOOL)
        assert claims["staff_confirmed"] is expected
        tok = access_tokens.issue_access_token(claims, priv, kid, NOW)
        decoded = access_tokens.decode_access_token(tok, access_tokens.jwks_to_keys(keys.build_jwks([priv])), NOW)
        assert access_tokens.actor_from_claims(decoded)["staff_confirmed"] is expected


def test_statisticians_carry_their_scope_whatever_its_kind():
    for kind, code in (("departement", "13"), ("academie", "02"), ("region", "93"), ("national", None)):
        c = access_tokens.build_claims({"id": "s", "role": "statistician", "stat_scope": kind,
                                        "stat_scope_code": code})
        assert (c["stat_scope"], c["stat_scope_code"]) == (kind, code)


def test_issue_and_verify(pems):
    priv, _ = pems
    kid = keys.kid_of(priv)
    tok = access_tokens.issue_access_token(access_tokens.build_claims(USER, SCHOOL), priv, kid, NOW)
    header = jwt.get_unverified_header(tok)
    assert header["alg"] == "RS256" and header["kid"] == kid
    jwks = keys.build_jwks([priv])
    claims = access_tokens.decode_access_token(tok, access_tokens.jwks_to_keys(jwks), NOW + dt.timedelta(minutes=14))
    assert claims["exp"] - claims["iat"] == 15 * 60
    actor = access_tokens.actor_from_claims(claims)
    assert actor["user_id"] == USER["id"] and actor["school_rep"] == "REP+" and actor["grade"] == "troisieme"


def test_expired_tampered_wrong_key_rejected(pems):
    priv, other = pems
    kid = keys.kid_of(priv)
    known = {kid: keys.public_pem(priv)}
    tok = access_tokens.issue_access_token(access_tokens.build_claims(USER, SCHOOL), priv, kid, NOW)
    with pytest.raises(access_tokens.InvalidToken):
        access_tokens.decode_access_token(tok, known, NOW + dt.timedelta(minutes=15))
    head, payload, sig = tok.split(".")
    forged = jwt.utils.base64url_encode(b'{"sub":"x","role":"admin","exp":9999999999,"iat":1}').decode()
    with pytest.raises(access_tokens.InvalidToken):
        access_tokens.decode_access_token(f"{head}.{forged}.{sig}", known, NOW)
    # signed by another key but claiming the known kid
    bad = access_tokens.issue_access_token(access_tokens.build_claims(USER), other, kid, NOW)
    with pytest.raises(access_tokens.InvalidToken):
        access_tokens.decode_access_token(bad, known, NOW)
    # unknown kid
    bad2 = access_tokens.issue_access_token(access_tokens.build_claims(USER), other, keys.kid_of(other), NOW)
    with pytest.raises(access_tokens.InvalidToken):
        access_tokens.decode_access_token(bad2, known, NOW)
    # alg none / HS256 with the public key
    hs = jwt.encode({"sub": "x", "exp": 9999999999, "iat": 1}, "s" * 32, algorithm="HS256", headers={"kid": kid})
    with pytest.raises(access_tokens.InvalidToken):
        access_tokens.decode_access_token(hs, known, NOW)
    with pytest.raises(access_tokens.InvalidToken):
        access_tokens.decode_access_token("garbage", known, NOW)


def test_jwks_has_several_keys_and_no_private_parts(pems):
    a, b = pems
    jwks = keys.build_jwks([a, ("custom", b)])
    assert [k["kid"] for k in jwks["keys"]] == [keys.kid_of(a), "custom"]
    for k in jwks["keys"]:
        assert set(k) == {"kty", "use", "alg", "kid", "n", "e"}
        assert k["alg"] == "RS256" and k["e"] == "AQAB"
    assert keys.kid_of(a) == keys.kid_of(keys.public_pem(a))
    # a token signed with the second key verifies with the JWKS
    tok = access_tokens.issue_access_token(access_tokens.build_claims(USER), b, "custom", NOW)
    assert access_tokens.decode_access_token(tok, access_tokens.jwks_to_keys(jwks), NOW)["sub"] == USER["id"]


def test_rotation_schedule():
    ttl = access_tokens.ACCESS_TTL
    k_old = {"kid": "old", "activated_at": NOW - dt.timedelta(days=30), "retired_at": NOW - dt.timedelta(minutes=5)}
    k_cur = {"kid": "cur", "activated_at": NOW - dt.timedelta(minutes=5), "retired_at": None}
    k_next = {"kid": "next", "activated_at": NOW + dt.timedelta(hours=1), "retired_at": None}
    k_gone = {"kid": "gone", "activated_at": NOW - dt.timedelta(days=60), "retired_at": NOW - dt.timedelta(days=30)}
    allk = [k_old, k_cur, k_next, k_gone]
    assert keys.signing_key(allk, NOW)["kid"] == "cur"
    assert keys.signing_key(allk, NOW + dt.timedelta(hours=1))["kid"] == "next"
    published = [k["kid"] for k in keys.select_keys_to_publish(allk, NOW, ttl)]
    assert published == ["old", "cur", "next"]
    assert "old" not in [k["kid"] for k in keys.select_keys_to_publish(allk, NOW + ttl, ttl)]
    # announced rotation: the old key signs until the new one activates
    old = {"kid": "a", "activated_at": NOW - dt.timedelta(days=1), "retired_at": NOW + dt.timedelta(seconds=30)}
    new = {"kid": "b", "activated_at": NOW + dt.timedelta(seconds=30), "retired_at": None}
    assert keys.signing_key([old, new], NOW)["kid"] == "a"
    assert keys.signing_key([old, new], NOW + dt.timedelta(seconds=30))["kid"] == "b"
    # a clock moved back before every activation still finds a key
    assert keys.signing_key([new], NOW)["kid"] == "b"
    assert keys.signing_key([k_gone], NOW) is None


def test_totp():
    secret = totp.new_secret()
    assert "otpauth://totp/" in totp.provisioning_uri(secret, "admin@example.fr")
    code = totp.code_at(secret, NOW)
    step = totp.verify(secret, code, NOW)
    assert step == int(NOW.timestamp()) // 30
    # drift of one step accepted, two refused
    assert totp.verify(secret, code, NOW + dt.timedelta(seconds=30)) is not None
    assert totp.verify(secret, code, NOW + dt.timedelta(seconds=90)) is None
    # replay refused
    assert totp.verify(secret, code, NOW, last_used_step=step) is None
    assert totp.verify(secret, "12345", NOW) is None
    assert totp.verify(secret, None, NOW) is None
    wrong = "000000" if code != "000000" else "111111"
    assert totp.verify(secret, wrong, NOW) is None


def test_private_keys_sealed_at_rest(pems):
    from cryptography.fernet import Fernet
    priv, _ = pems
    secret = Fernet.generate_key().decode()
    sealed = keys.seal_private_key(priv, secret)
    assert sealed.startswith("fernet:") and "PRIVATE KEY" not in sealed
    assert keys.unseal_private_key(sealed, secret) == priv
    assert keys.seal_private_key(priv, None) == priv == keys.unseal_private_key(priv, None)
    with pytest.raises(RuntimeError):
        keys.unseal_private_key(sealed, None)
