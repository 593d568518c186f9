"""The use cases of the conventions service with fakes (testkit.conventions): no broker, no database.
The integration tests (tests/integration) keep proving the SQL and the RPCs."""
import copy
import datetime as dt
import uuid

import pytest

from common.errors import Conflict, Forbidden, Locked, NotFound, ServiceUnavailable, ValidationError
from conventions.domain import codes as codes_module
from conventions.domain import states as S
from conventions.domain.convention import party_of, visible_filter
from conventions.use_cases import (codes, creation, documents, filling, legal_reps, reading, signing,
                                   validation)
from testkit.conventions import (EMPLOYER_FIELDS, NOW, SCHOOL_FIELDS, FakeClients, FakeRenderer, FakeUnitOfWork,
                                 actors, prefill, sample_convention)
from testkit.hooks import last_secret  # listens to common.seams in this process

UAI = "0751234A"


def later(minutes=1):
    return NOW + dt.timedelta(minutes=minutes)


def confirmed(data=None):
    data = {"application_id": str(uuid.uuid4()), "offer_id": str(uuid.uuid4()), "pupil_id": str(uuid.uuid4()),
            "employer_id": str(uuid.uuid4()), "school_uai": UAI, "weeks": ["2027-W05"], **(data or {})}
    return {"event_id": str(uuid.uuid4()), "type": "application.confirmed", "data": data}


def world(heads=None):
    """A fake unit of work and clients in which identity knows the school, its heads and the pupil."""
    pre = prefill(UAI)
    heads = heads if heads is not None else [{"user_id": "h1", "first_name": "Marie", "last_name": "Lambert",
                                              "designated_head": True}]
    clients = FakeClients(schools={UAI: {"uai": UAI, "name": pre["school"]["name"], "street_address": "5 avenue Gambetta",
                                         "address_postal_code": "75020", "address_city": "Paris",
                                         "academie_code": "01", "dep_code": "75"}},
                          heads={UAI: heads})
    return FakeUnitOfWork(), clients


def created(uow, clients, **data):
    envelope = confirmed(data)
    pupil = {"id": envelope["data"]["pupil_id"], **prefill(UAI)["pupil"]}
    clients.users[pupil["id"]] = pupil
    cid = creation.on_application_confirmed(uow, clients, envelope, NOW)
    conv = uow.conventions[cid]
    # what offers would have pre-filled (not known to these fakes)
    conv.prefill.update(organisation=prefill()["organisation"], offer=prefill()["offer"])
    a = actors(conv)
    clients.users[a["head"]["user_id"]] = {"id": a["head"]["user_id"], "role": "school_staff", "function": "head",
                                           "first_name": "Marie", "last_name": "Lambert", "school_uai": UAI}
    return envelope, conv, a


def validated(uow, clients):
    envelope, conv, a = created(uow, clients)
    filling.update(uow, a["employer"], conv.id, copy.deepcopy(EMPLOYER_FIELDS), NOW)
    filling.complete(uow, a["employer"], conv.id, NOW)
    filling.update(uow, a["teacher"], conv.id, copy.deepcopy(SCHOOL_FIELDS), NOW)
    out = validation.validate(uow, clients, a["head"], conv.id, NOW)
    return envelope, out, a


def test_created_once_prefilled_from_the_other_services():
    uow, clients = world()
    envelope, conv, a = created(uow, clients)
    assert conv.state == S.DRAFT and conv.school_uai == UAI and conv.weeks == ["2027-W05"]
    assert conv.prefill["school"]["head_name"] == "Marie Lambert"          # the designated head
    assert conv.prefill["pupil"]["first_name"] == "Inès"
    assert uow.state["locations"][conv.id] == {"academie_code": "01", "departement_code": "75", "region_code": "11"}
    assert [t for t, _ in uow.events] == ["convention.created"]
    # the same event again, then another event for the same application: nothing more
    assert creation.on_application_confirmed(uow, clients, envelope, NOW) is None
    assert creation.on_application_confirmed(uow, clients, {**envelope, "event_id": str(uuid.uuid4())}, NOW) is None
    assert len(uow.conventions) == 1 and [t for t, _ in uow.events] == ["convention.created"]


def test_several_heads_and_none_designated_nobody_is_guessed():
    heads = [{"user_id": "h1", "first_name": "Marie", "last_name": "Lambert"},
             {"user_id": "h2", "first_name": "Luc", "last_name": "Martin"}]
    uow, clients = world(heads)
    _, conv, _ = created(uow, clients)
    assert conv.prefill["school"]["head_name"] is None


def test_field_ownership_unknown_and_foreign_conventions():
    uow, clients = world()
    _, conv, a = created(uow, clients)
    with pytest.raises(Forbidden) as e:
        filling.update(uow, a["employer"], conv.id, {"pupil_address": "ailleurs"}, NOW)
    assert e.value.code == "field_not_owned" and "pupil_address" in e.value.errors
    with pytest.raises(NotFound):       # unknown: 404 before any question of fields
        filling.update(uow, a["employer"], str(uuid.uuid4()), {"pupil_address": "ailleurs"}, NOW)
    with pytest.raises(NotFound):
        filling.update(uow, a["employer"], "not-a-uuid", {"lunch_break": "Cantine"}, NOW)
    with pytest.raises(NotFound):       # another employer's: not revealed
        filling.update(uow, a["other_employer"], conv.id, {"pupil_address": "ailleurs"}, NOW)
    out = filling.update(uow, a["employer"], conv.id, {"lunch_break": "Cantine de l'atelier"}, NOW)
    assert out["state"] == S.STARTED_BY_EMPLOYER and uow.conventions[conv.id].employer["lunch_break"]
    assert out["editable_fields"] == sorted(EMPLOYER_FIELDS)


def test_validation_freezes_sends_the_links_and_reports_them():
    uow, clients = world()
    _, out, a = validated(uow, clients)
    cid = out["id"]
    assert out["state"] == S.VALIDATED and out["links_sent"] == 2 and len(out["document_hash"]) == 64
    assert out["prefill"]["school"]["head_name"] == "Marie Lambert"
    sent = [m for m in clients.sent if m["template"] == "legal_rep_sign_link"]
    assert [m["to"]["name"] for m in sent] == ["Nadia Haddad", "Youssef Haddad"]
    assert [m["context"]["token"] for m in sent] == [last_secret("link", f"{cid}:0"), last_secret("link", f"{cid}:1")]
    assert len(uow.links_of(cid)) == 2 and all(link.token_hash not in str(sent) for link in uow.links_of(cid))
    assert [t for t, _ in uow.events][-2:] == ["convention.completed_by_employer", "convention.validated"]


def test_identity_down_validation_changes_nothing():
    uow, clients = world()
    _, conv, a = created(uow, clients)
    filling.update(uow, a["employer"], conv.id, copy.deepcopy(EMPLOYER_FIELDS), NOW)
    filling.complete(uow, a["employer"], conv.id, NOW)
    filling.update(uow, a["teacher"], conv.id, copy.deepcopy(SCHOOL_FIELDS), NOW)
    clients.identity_down = True
    commits = uow.commits
    with pytest.raises(ServiceUnavailable):
        validation.validate(uow, clients, a["head"], conv.id, NOW)
    assert uow.commits == commits and uow.conventions[conv.id].state == S.STARTED_BY_SCHOOL


def test_wrong_names_are_counted_and_committed_then_the_link_locks():
    uow, clients = world()
    _, out, a = validated(uow, clients)
    cid, h = out["id"], out["document_hash"]
    token = last_secret("link", f"{cid}:0")
    assert legal_reps.public_view(uow, token)["representative_name"] == "Nadia Haddad"
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError) as e:
            legal_reps.public_sign(uow, token, "Quelqu'un", h, None, NOW)
        assert e.value.extra["attempts_left"] == left
    with pytest.raises(Locked):     # the fifth wrong name locks the link, even for the right name afterwards
        legal_reps.public_sign(uow, token, "Encore faux", h, None, NOW)
    with pytest.raises(Locked):
        legal_reps.public_sign(uow, token, "Nadia Haddad", h, None, NOW)
    # the school sends a new link to her: it works, and the other representative's link stops once she signed
    legal_reps.resend_link(uow, clients, a["teacher"], cid, 0, NOW)
    new = last_secret("link", f"{cid}:0")
    assert new != token
    done = legal_reps.public_sign(uow, new, "nadia haddad", h, {"ip": "198.51.100.4"}, NOW)
    assert done["state"] == S.SIGNATURES_STARTED
    with pytest.raises(NotFound):
        legal_reps.public_view(uow, last_secret("link", f"{cid}:1"))


def test_employer_code_attempts_recorded_and_one_code_signs_several(monkeypatch):
    monkeypatch.setattr(codes_module.secrets, "randbelow", lambda n: 424242)
    uow, clients = world()
    _, c1, a = validated(uow, clients)
    out = codes.request_signature_code(uow, clients, a["employer"], [c1["id"]], NOW)
    assert out["sent"] is True and last_secret("code", a["employer"]["user_id"]) == "424242"
    item = [{"convention_id": c1["id"], "document_hash": c1["document_hash"]}]
    with pytest.raises(ValidationError):
        signing.sign_items(uow, clients, a["employer"], item, NOW, code="000000")
    assert uow.state["codes"][a["employer"]["user_id"]].attempts == 1     # committed although the call failed
    [signed] = signing.sign_items(uow, clients, a["employer"], item, later(), code="424242",
                                  client={"ip": "203.0.113.9", "user_agent": "pytest"})
    assert signed["state"] == S.SIGNATURES_STARTED and signed["signatures"][0]["method"] == "code"
    with pytest.raises(Conflict):
        signing.sign_items(uow, clients, a["employer"], item, later(2), code="424242")


def test_a_code_notifications_cannot_send_is_removed():
    uow, clients = world()
    _, c1, a = validated(uow, clients)
    clients.notifications_down = True
    with pytest.raises(ServiceUnavailable):
        codes.request_signature_code(uow, clients, a["employer"], None, NOW)
    assert a["employer"]["user_id"] not in uow.state["codes"]


def test_signing_many_is_all_or_nothing_and_the_image_must_exist():
    uow, clients = world()
    _, c1, a = validated(uow, clients)
    items = [{"convention_id": c1["id"], "document_hash": c1["document_hash"]},
             {"convention_id": c1["id"], "document_hash": "0" * 64}]
    with pytest.raises(ValidationError):    # the same convention twice
        signing.sign_items(uow, clients, a["head"], items, NOW, method="typed_name", typed_name="Marie Lambert")
    with pytest.raises(Conflict) as e:
        signing.sign_items(uow, clients, a["head"], items[:1], NOW, method="image")
    assert e.value.code == "no_school_signature"
    bad = [items[0], {"convention_id": str(uuid.uuid4()), "document_hash": "0" * 64}]
    with pytest.raises(Conflict) as e:
        signing.sign_items(uow, clients, a["head"], bad, NOW, method="typed_name", typed_name="Marie Lambert")
    assert e.value.code == "bulk_sign_refused" and uow.conventions[c1["id"]].signatures == []
    [out] = signing.sign_items(uow, clients, a["head"], items[:1], NOW, method="typed_name",
                               typed_name="marie lambert")
    assert out["signatures"][0]["signer_name"] == "Marie Lambert"


def test_cancelled_with_its_application_revokes_every_link():
    uow, clients = world()
    envelope, out, a = validated(uow, clients)
    cancel = {"event_id": str(uuid.uuid4()), "data": {**envelope["data"], "state": "cancelled_by_employer"}}
    creation.on_application_cancelled(uow, cancel, NOW)
    creation.on_application_cancelled(uow, cancel, NOW)     # a redelivery: nothing more
    assert uow.conventions[out["id"]].state == S.CANCELLED
    assert [t for t, _ in uow.events].count("convention.cancelled") == 1
    assert all(link.revoked_at == NOW for link in uow.links_of(out["id"]))


def test_the_pdf_is_rendered_once_while_nothing_it_shows_changes():
    uow, clients = world()
    _, out, a = validated(uow, clients)
    renderer = FakeRenderer()
    first = documents.get_pdf(uow, renderer, a["pupil"], out["id"], NOW)
    again = documents.get_pdf(uow, renderer, a["employer"], out["id"], later())
    assert renderer.calls == 1 and first["sha256"] == again["sha256"] and first["final"] is False
    reading_ = reading.get(uow, a["pupil"], out["id"])
    assert reading_["state"] == S.VALIDATED
    filling_sign = signing.sign_items(uow, clients, a["pupil"], [{"convention_id": out["id"],
                                                                 "document_hash": out["document_hash"]}], NOW)
    assert filling_sign[0]["state"] == S.SIGNATURES_STARTED
    documents.get_pdf(uow, renderer, a["pupil"], out["id"], later(2))
    assert renderer.calls == 2      # a signature changed what it shows
    with pytest.raises(NotFound):
        documents.get_pdf(uow, renderer, actors(sample_convention())["pupil"], out["id"], NOW)


def test_the_school_signature_image_is_the_head_and_administration_s():
    uow, _ = world()
    a = actors(sample_convention())
    import base64
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (200, 60), "navy").save(buf, "PNG")
    png = base64.b64encode(buf.getvalue()).decode()
    with pytest.raises(Forbidden):
        documents.set_school_signature(uow, a["teacher"], UAI, png, NOW)
    with pytest.raises(Forbidden):
        documents.set_school_signature(uow, {**a["head"], "staff_confirmed": False}, UAI, png, NOW)
    out = documents.set_school_signature(uow, a["head"], UAI, png, NOW)
    assert out["mime"] == "image/png"
    assert documents.get_school_signature(uow, a["teacher"], UAI)["registered"] is True
    with pytest.raises(Forbidden):
        documents.get_school_signature(uow, a["other_school"], UAI)


@pytest.mark.parametrize("who", ["employer", "other_employer", "head", "teacher", "other_school", "pupil",
                                 "other_pupil", "admin", "statistician"])
def test_the_list_filter_agrees_with_who_may_read_a_convention(who):
    """The list's SQL is built from ``visible_filter``: it selects exactly the conventions ``party_of`` lets the
    actor read."""
    conv = sample_convention()
    actor = actors(conv)[who]
    try:
        visible = visible_filter(actor)
    except Forbidden:
        assert who == "statistician"
        return
    listed = visible is None or getattr(conv, visible[0]) == visible[1]
    assert listed == (party_of(conv, actor) is not None)
