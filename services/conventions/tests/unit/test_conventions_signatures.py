import datetime as dt

import pytest
from common.errors import Conflict, Forbidden, Locked, NotFound, RateLimited, ValidationError

from conventions.domain import codes, images, links
from conventions.domain import convention as C
from conventions.domain import states as S
from testkit.conventions import NOW, account, actors, sample_convention


def validated():
    conv = sample_convention(filled=True)
    a = actors(conv)
    C.update(conv, a["employer"], {"lunch_break": conv.employer["lunch_break"]}, NOW)
    C.complete(conv, a["employer"], NOW)
    C.validate(conv, a["head"], NOW)
    return conv, a


def sign_as(conv, a, role, who, **kw):
    signer = C.signer_for_actor(conv, a[who], role, typed_name=kw.pop("typed_name", None),
                                account=account(a[who]) if who == "head" else None)
    return C.sign(conv, role=role, signer=signer, document_hash=kw.pop("document_hash", conv.document_hash),
                  now=kw.pop("now", NOW), method=kw.pop("method", "session"), ip="203.0.113.7",
                  user_agent="Mozilla/5.0", **kw)


def test_four_signatures_lead_to_signed_by_all():
    conv, a = validated()
    events = sign_as(conv, a, C.EMPLOYER_ROLE, "employer", method="code")
    assert events == [("convention.signed", {**conv.ids(), "role": "employer", "signature_id": conv.signatures[0].id})]
    assert conv.state == S.SIGNATURES_STARTED
    sign_as(conv, a, C.HEAD_ROLE, "head", method="image")
    sign_as(conv, a, C.PUPIL_ROLE, "pupil")
    legal = {"key": "legal_representative:1", "user_id": None, "name": "Youssef Haddad"}
    events = C.sign(conv, role=C.LEGAL_REP_ROLE, signer=legal, document_hash=conv.document_hash,
                    now=NOW + dt.timedelta(hours=1), method="link")
    assert [e[0] for e in events] == ["convention.signed", "convention.signed_by_all"]
    assert conv.state == S.SIGNED_BY_ALL and conv.signed_by_all_at == NOW + dt.timedelta(hours=1)
    sig = conv.signature_for(C.EMPLOYER_ROLE)
    assert (sig.signer_name, sig.ip, sig.user_agent, sig.document_hash) == (
        "Claire Dubois-Martin", "203.0.113.7", "Mozilla/5.0", conv.document_hash)
    assert conv.signature_for(C.HEAD_ROLE).signer_name == "Marie Lambert"
    with pytest.raises(Conflict):
        C.reopen(conv, a["head"], NOW)


def test_nobody_signs_twice():
    conv, a = validated()
    sign_as(conv, a, C.PUPIL_ROLE, "pupil")
    with pytest.raises(Conflict) as e:
        sign_as(conv, a, C.PUPIL_ROLE, "pupil")
    assert e.value.code == "already_signed_role"
    legal = {"key": "legal_representative:0", "name": "Nadia Haddad"}
    C.sign(conv, role=C.LEGAL_REP_ROLE, signer=legal, document_hash=conv.document_hash, now=NOW, method="link")
    other = {"key": "legal_representative:1", "name": "Youssef Haddad"}
    with pytest.raises(Conflict):  # either one suffices: the second cannot sign
        C.sign(conv, role=C.LEGAL_REP_ROLE, signer=other, document_hash=conv.document_hash, now=NOW, method="link")


def test_same_signer_cannot_fill_two_roles():
    conv, a = validated()
    signer = C.signer_for_actor(conv, a["head"], C.HEAD_ROLE, account=account(a["head"]))
    C.sign(conv, role=C.HEAD_ROLE, signer=signer, document_hash=conv.document_hash, now=NOW, method="typed_name")
    with pytest.raises(Conflict) as e:
        C.sign(conv, role=C.EMPLOYER_ROLE, signer=signer, document_hash=conv.document_hash, now=NOW, method="code")
    assert e.value.code == "already_signed_signer"


def test_signature_refused_when_the_document_changed():
    conv, a = validated()
    old_hash = conv.document_hash
    with pytest.raises(Conflict) as e:
        sign_as(conv, a, C.PUPIL_ROLE, "pupil", document_hash="0" * 64)
    assert e.value.code == "document_changed"
    # reopened, modified and validated again: a signature on the version seen before is refused
    C.reopen(conv, a["head"], NOW)
    C.update(conv, a["teacher"], {"pupil_phone": "06 00 00 00 01"}, NOW)
    C.validate(conv, a["head"], NOW)
    assert conv.document_hash != old_hash
    with pytest.raises(Conflict):
        sign_as(conv, a, C.PUPIL_ROLE, "pupil", document_hash=old_hash)
    # content altered behind the frozen hash (e.g. in the database): refused too
    conv.school["pupil_phone"] = "06 99 99 99 99"
    with pytest.raises(Conflict):
        sign_as(conv, a, C.PUPIL_ROLE, "pupil")
    assert conv.signatures == []


def test_signature_requires_validation_and_a_hash():
    conv = sample_convention()
    a = actors(conv)
    with pytest.raises(Conflict) as e:
        sign_as(conv, a, C.PUPIL_ROLE, "pupil", document_hash="x")
    assert e.value.code == "not_validated"
    conv, a = validated()
    with pytest.raises(ValidationError):
        sign_as(conv, a, C.PUPIL_ROLE, "pupil", document_hash=None)
    C.cancel(conv, NOW)
    with pytest.raises(Conflict):
        sign_as(conv, a, C.PUPIL_ROLE, "pupil")


def test_who_may_sign_as_what():
    conv, a = validated()
    with pytest.raises(Forbidden):
        C.signer_for_actor(conv, a["teacher"], C.HEAD_ROLE)  # only the head
    with pytest.raises(Forbidden):
        C.signer_for_actor(conv, a["pupil"], C.EMPLOYER_ROLE)
    with pytest.raises(NotFound):
        C.signer_for_actor(conv, a["other_employer"], C.EMPLOYER_ROLE)
    with pytest.raises(Forbidden):  # the signing account could not be read from identity
        C.signer_for_actor(conv, a["head"], C.HEAD_ROLE)
    assert C.signer_for_actor(conv, a["head"], C.HEAD_ROLE, typed_name="marie LAMBERT",
                              account=account(a["head"]))["name"] == "Marie Lambert"


def test_head_signs_under_the_signing_account_never_another_head():
    """Issue 13 item 1: two heads at one school; the pre-filled head is the first one, another one signs."""
    conv, a = validated()
    assert conv.prefill["school"]["head_name"] == "Marie Lambert"
    second = {**a["head"], "user_id": "11111111-2222-3333-4444-555555555555"}
    a["second_head"] = second
    signer = C.signer_for_actor(conv, second, C.HEAD_ROLE, account=account(second, "Luc Martin"))
    assert signer == {"key": f"user:{second['user_id']}", "user_id": second["user_id"], "name": "Luc Martin"}
    C.sign(conv, role=C.HEAD_ROLE, signer=signer, document_hash=conv.document_hash, now=NOW, method="image",
           ip="203.0.113.9")
    sig = conv.signature_for(C.HEAD_ROLE)
    assert (sig.signer_name, sig.signer_user_id, sig.method, sig.ip) == ("Luc Martin", second["user_id"], "image",
                                                                        "203.0.113.9")
    # a typed name must be the signing account's own name, not another head's
    conv2, a2 = validated()
    with pytest.raises(ValidationError) as e:
        C.signer_for_actor(conv2, a2["head"], C.HEAD_ROLE, typed_name="Marie Lambert",
                           account=account(a2["head"], "Luc Martin"))
    assert "typed_name" in e.value.errors
    with pytest.raises(Forbidden):  # an account that is not the actor's
        C.signer_for_actor(conv2, a2["head"], C.HEAD_ROLE, account=account(second, "Luc Martin"))
    for changed in ({"status": "disabled"}, {"function": "teacher"}, {"school_uai": "0999999Z"}):
        with pytest.raises(Forbidden):  # no longer an active head of this school in identity
            C.signer_for_actor(conv2, a2["head"], C.HEAD_ROLE, account={**account(a2["head"]), **changed})


# -- employer code -------------------------------------------------------------------------

def test_code_is_six_digits_hashed_and_reusable_while_valid():
    code, record = codes.issue("u1", NOW)
    assert len(code) == 6 and code.isdigit()
    assert code not in record.code_hash and record.salt
    codes.verify(record, code, NOW + dt.timedelta(minutes=1))
    codes.verify(record, code, NOW + dt.timedelta(minutes=9))  # several conventions with one code
    assert record.attempts == 0  # only failed attempts count


def test_wrong_code_counts_attempts_then_locks():
    code, record = codes.issue("u1", NOW)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError) as e:
            codes.verify(record, wrong, NOW)
        assert e.value.errors["code"] == [f"Code incorrect. Il vous reste {left} essai(s)."]
    with pytest.raises(Forbidden):
        codes.verify(record, wrong, NOW)
    with pytest.raises(Forbidden):  # even the right code: 5 attempts used
        codes.verify(record, code, NOW)


def test_expired_code():
    code, record = codes.issue("u1", NOW)
    with pytest.raises(ValidationError) as e:
        codes.verify(record, code, NOW + dt.timedelta(minutes=10))
    assert e.value.code == "code_expired"
    with pytest.raises(ValidationError) as e:
        codes.verify(None, code, NOW)
    assert e.value.code == "no_code"


def test_new_code_throttled_and_replaces_the_previous_one():
    code, record = codes.issue("u1", NOW)
    with pytest.raises(RateLimited) as e:
        codes.issue("u1", NOW + dt.timedelta(seconds=20), previous=record)
    assert 0 < e.value.retry_after <= 41
    code2, record2 = codes.issue("u1", NOW + dt.timedelta(seconds=61), previous=record)
    assert record2.attempts == 0 and record2.code_hash != record.code_hash


# -- legal representative links -----------------------------------------------------------------

def test_link_token_is_stored_hashed_and_single_use():
    conv, a = validated()
    token, link = links.new_link(conv.id, 0, NOW)
    assert len(token) >= 40 and token not in link.token_hash
    links.check_usable(link, token, conv)
    with pytest.raises(NotFound):
        links.check_usable(link, token + "x", conv)
    with pytest.raises(NotFound):
        links.check_usable(None, token, conv)
    C.sign(conv, role=C.LEGAL_REP_ROLE, signer={"key": "legal_representative:0", "name": "Nadia Haddad"},
           document_hash=conv.document_hash, now=NOW, method="link")
    link.used_at = NOW
    with pytest.raises(Conflict) as e:
        links.check_usable(link, token, conv)
    assert e.value.code == "link_used"
    # the other representative's link is spent as well: one signature suffices
    token2, link2 = links.new_link(conv.id, 1, NOW)
    with pytest.raises(Conflict):
        links.check_usable(link2, token2, conv)


def test_link_expires_on_cancel_revoke_and_reopen():
    conv, a = validated()
    token, link = links.new_link(conv.id, 1, NOW)
    link.revoked_at = NOW
    with pytest.raises(NotFound):
        links.check_usable(link, token, conv)
    token, link = links.new_link(conv.id, 1, NOW)
    C.reopen(conv, a["head"], NOW)
    with pytest.raises(Conflict) as e:
        links.check_usable(link, token, conv)
    assert e.value.code == "link_expired"
    C.cancel(conv, NOW)
    with pytest.raises(Conflict) as e:
        links.check_usable(link, token, conv)
    assert e.value.code == "convention_cancelled"


def test_wrong_names_never_disclose_the_expected_one_and_lock_the_link():
    conv, a = validated()
    token, link = links.new_link(conv.id, 0, NOW)
    for left in range(links.MAX_NAME_ATTEMPTS - 1, 0, -1):
        err = links.name_mismatch(link, NOW)
        assert isinstance(err, ValidationError) and err.code == "name_mismatch"
        text = " ".join(err.errors["full_name"]) + err.detail
        assert "Nadia" not in text and "Haddad" not in text
        assert err.extra["attempts_left"] == left and link.locked_at is None
        links.check_usable(link, token, conv)  # still usable
    err = links.name_mismatch(link, NOW)
    assert isinstance(err, Locked) and err.status == 423 and err.code == "link_locked"
    assert link.failed_attempts == links.MAX_NAME_ATTEMPTS and link.locked_at == NOW
    with pytest.raises(Locked) as e:
        links.check_usable(link, token, conv)
    assert "nouveau lien" in e.value.detail


def test_typed_name_comparison():
    assert C.check_typed_name("Nadia Haddad", "  nadia   HADDAD ")
    assert C.check_typed_name("Hélène Dupont-Ruiz", "helene dupont ruiz")
    assert not C.check_typed_name("Nadia Haddad", "Youssef Haddad")
    assert not C.check_typed_name("Nadia Haddad", "")


# -- school signature image ------------------------------------------------------------------

def _png():
    import io
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buf, "PNG")
    return buf.getvalue()


def _jpeg():
    import io
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buf, "JPEG")
    return buf.getvalue()


def test_signature_image_checked_by_content():
    assert images.check_signature_image(_png()) == "image/png"
    assert images.check_signature_image(_jpeg()) == "image/jpeg"
    truncated_png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 40
    for bad in (truncated_png, b"\xff\xd8\xff\xe0garbage", b"GIF89a" + b"\0" * 50, b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.7", b""):
        with pytest.raises(ValidationError) as e:
            images.check_signature_image(bad)
        assert "image" in e.value.errors
    with pytest.raises(ValidationError) as e:
        images.check_signature_image(_png() + b"\0" * (2 * 1024 * 1024))
    assert e.value.errors["image"] == ["L'image ne doit pas dépasser 2 Mo."]
