"""Issue 13 items 2 and 12 through the real identity service: school-staff accounts are confirmed by
someone accountable before they act for their school, one designated head per school (explicit,
audited changes), and the schools directory filters by REP, REP+ and QPV."""
import base64
import uuid

import pytest
from sqlalchemy import text

from common.errors import Conflict, Forbidden, NotFound, ValidationError
from identity_helpers import PASSWORD, unique_email
from testkit.hooks import last_secret

SCHOOL = "0131264D"      # a Marseille collège without a designated head in this module's database
DEMO_COLLEGE = "0131884C"


def csv_b64(tag):
    rows = ["Nom;Prénom;Date de naissance;Classe;Niveau", f"STAFF-{tag};Inès;04/03/2012;3A;3EME"]
    return base64.b64encode("\r\n".join(rows).encode()).decode()


def register_staff(rpc, function, uai=SCHOOL):
    email = unique_email(function, "ac-aix-marseille.fr")
    rpc.register(data={"role": "school_staff", "first_name": "Marie", "last_name": f"Staff-{function}",
                       "function": function, "email": email, "password": PASSWORD, "school_uai": uai})
    out = rpc.activate(last_secret("activation", email))
    assert out["status"] == "active" and "confirmé" in out["detail"]
    return email, out["user_id"]


def session_actor(rpc, email, password=PASSWORD):
    s = rpc.login(identifier=email, password=password)
    c = s["claims"]
    return {"user_id": c["sub"], "role": c["role"], "function": c["function"], "school_uai": c["school_uai"],
            "staff_confirmed": c["staff_confirmed"]}


def events(engine, kind, key, value):
    with engine.connect() as c:
        return [r[0] for r in c.execute(text("SELECT envelope->'data' FROM outbox WHERE type = :t "
                                             "AND envelope->'data'->>CAST(:k AS text) = :v ORDER BY id"),
                                        {"t": kind, "k": key, "v": value})]


def test_schools_directory_filters(identity):
    rpc, _ = identity
    everything = rpc.search_schools("marseille", limit=50)["items"]
    rep_plus = rpc.search_schools("marseille", limit=50, education_prioritaire="REP+")["items"]
    assert rep_plus and all(x["education_prioritaire"] == "REP+" for x in rep_plus)
    assert any(x["education_prioritaire"] != "REP+" for x in everything)
    both = rpc.search_schools("marseille", limit=50, education_prioritaire=["REP", "REP+"])["items"]
    assert {x["education_prioritaire"] for x in both} == {"REP", "REP+"}
    in_qpv = rpc.search_schools("marseille", limit=50, qpv=True)["items"]
    assert in_qpv and all(x["qpv"] is True for x in in_qpv)
    assert all(x["qpv"] is False for x in rpc.search_schools("marseille", limit=50, qpv=False)["items"])
    near = rpc.schools_near(lat=43.3134, lon=5.3863, radius_km=3, education_prioritaire="REP+", qpv=True)["items"]
    assert near[0]["uai"] == DEMO_COLLEGE and all(x["education_prioritaire"] == "REP+" and x["qpv"] for x in near)
    all_near = rpc.schools_near(lat=43.3134, lon=5.3863, radius_km=3)["items"]
    assert len(all_near) > len(near)
    with pytest.raises(ValidationError) as e:
        rpc.search_schools("marseille", education_prioritaire="ZEP", qpv="oui")
    assert set(e.value.errors) == {"education_prioritaire", "qpv"}


def test_unconfirmed_head_reads_only_until_an_admin_confirms(identity, engine):
    rpc, _ = identity
    demo = rpc.seed_demo()
    admin = {"user_id": demo["admin"]["user_id"], "role": "admin"}
    email, head_id = register_staff(rpc, "head")
    head = session_actor(rpc, email)
    assert head["staff_confirmed"] is False
    assert rpc.get_me(actor=head)["staff_confirmed"] is False
    # reading is allowed
    assert rpc.list_pupils(actor=head, uai=SCHOOL)["items"] is not None
    assert head_id in [x["user_id"] for x in rpc.list_staff(actor=head, school_uai=SCHOOL)["items"]]
    # acting for the school is not, whatever the token says: identity checks its own data
    for claimed in (False, True):
        with pytest.raises(Forbidden) as e:
            rpc.import_pupils(actor={**head, "staff_confirmed": claimed}, uai=SCHOOL, content_base64=csv_b64("A"),
                              with_pdf=False)
        assert e.value.code == "staff_not_confirmed"
    with pytest.raises(Forbidden):
        rpc.invite_colleague(actor=head, email=unique_email("t", "ac-aix-marseille.fr"), function="teacher")
    # another unconfirmed head of the school cannot confirm him; the admin lists and confirms him
    other_email, other_id = register_staff(rpc, "head")
    with pytest.raises(Forbidden):
        rpc.confirm_staff(actor=session_actor(rpc, other_email), school_uai=SCHOOL, user_id=head_id)
    pending = rpc.list_unconfirmed_staff(actor=admin, school_uai=SCHOOL)["items"]
    assert {head_id, other_id} <= {x["user_id"] for x in pending}
    with pytest.raises(Forbidden):
        rpc.list_unconfirmed_staff(actor=head)
    out = rpc.confirm_staff(actor=admin, school_uai=SCHOOL, user_id=head_id)
    assert out["confirmed"] and out["confirmed_how"] == "admin" and out["designated_now"] is True
    with pytest.raises(Conflict):
        rpc.confirm_staff(actor=admin, school_uai=SCHOOL, user_id=head_id)
    assert head_id not in {x["user_id"] for x in rpc.list_unconfirmed_staff(actor=admin, school_uai=SCHOOL)["items"]}
    head = session_actor(rpc, email)
    assert head["staff_confirmed"] is True
    imp = rpc.import_pupils(actor=head, uai=SCHOOL, content_base64=csv_b64(uuid.uuid4().hex[:6]), with_pdf=False)
    assert imp["summary"]["created"] == 1
    staff = rpc.list_school_staff(SCHOOL, ["head"])
    assert staff["designated_head_id"] == head_id and staff["items"][0]["user_id"] == head_id
    assert staff["items"][0]["confirmed"] and staff["items"][0]["designated_head"]
    assert events(engine, "staff.confirmed", "user_id", head_id) == [
        {"user_id": head_id, "school_uai": SCHOOL, "function": "head", "how": "admin",
         "confirmed_by": admin["user_id"]}]
    assert events(engine, "school.head_designated", "user_id", head_id) == [
        {"school_uai": SCHOOL, "user_id": head_id, "previous_user_id": None, "designated_by": admin["user_id"]}]

    # the confirmed head confirms colleagues: a teacher, and a second head (who is not designated)
    t_email, teacher_id = register_staff(rpc, "teacher")
    teacher = session_actor(rpc, t_email)
    with pytest.raises(Forbidden):      # a teacher, even confirmed later, never confirms
        rpc.confirm_staff(actor=teacher, school_uai=SCHOOL, user_id=other_id)
    assert rpc.confirm_staff(actor=head, school_uai=SCHOOL, user_id=teacher_id)["confirmed_how"] == "head"
    second = rpc.confirm_staff(actor=head, school_uai=SCHOOL, user_id=other_id)
    assert second["confirmed"] and second["designated_now"] is False
    with pytest.raises(Forbidden):      # another school
        rpc.confirm_staff(actor=head, school_uai=DEMO_COLLEGE, user_id=demo["teacher"]["user_id"])
    with pytest.raises(NotFound):       # staff of another school
        rpc.confirm_staff(actor=head, school_uai=SCHOOL, user_id=demo["teacher"]["user_id"])

    # designated head: one at a time, changed explicitly by the designated head or an admin, audited
    other = session_actor(rpc, other_email)
    with pytest.raises(Forbidden):
        rpc.designate_head(actor=other, school_uai=SCHOOL, user_id=other_id)
    with pytest.raises(Conflict):
        rpc.designate_head(actor=head, school_uai=SCHOOL, user_id=teacher_id)     # not a head
    moved = rpc.designate_head(actor=head, school_uai=SCHOOL, user_id=other_id)
    assert moved["previous_user_id"] == head_id
    with pytest.raises(Forbidden):      # no longer the designated head
        rpc.designate_head(actor=head, school_uai=SCHOOL, user_id=head_id)
    rpc.designate_head(actor=admin, school_uai=SCHOOL, user_id=head_id)
    listed = rpc.list_staff(actor=teacher, school_uai=SCHOOL)
    assert listed["designated_head_id"] == head_id
    assert [(h["action"], h["user_id"], h["previous_user_id"]) for h in listed["history"]][:3] == [
        ("head_designated", head_id, other_id), ("head_designated", other_id, head_id),
        ("confirmed", other_id, None)]
    assert [e["previous_user_id"] for e in events(engine, "school.head_designated", "school_uai", SCHOOL)] == [
        None, head_id, other_id]


def test_invitations_confirm_when_a_confirmed_head_invites(identity, engine):
    rpc, _ = identity
    demo = rpc.seed_demo()
    head = session_actor(rpc, demo["head"]["email"], demo["password"])      # the demo head: confirmed and designated
    assert head["staff_confirmed"] is True and rpc.get_me(actor=head)["designated_head"] is True
    email = unique_email("cpe", "ac-aix-marseille.fr")
    inv = rpc.invite_colleague(actor=head, email=email, function="admin_staff")
    out = rpc.accept_invitation(last_secret("invitation", email), "Nora", "Saïdi", PASSWORD)
    assert out["staff_confirmed"] is True
    staff_member = session_actor(rpc, email)
    assert staff_member["staff_confirmed"] is True
    assert events(engine, "staff.confirmed", "user_id", inv["user_id"])[0]["how"] == "invitation"
    # administrative staff invite teachers, who then wait for the head's confirmation; never a head
    with pytest.raises(Forbidden):
        rpc.invite_colleague(actor=staff_member, email=unique_email("h", "ac-aix-marseille.fr"), function="head")
    email2 = unique_email("prof", "ac-aix-marseille.fr")
    inv2 = rpc.invite_colleague(actor=staff_member, email=email2, function="teacher")
    out2 = rpc.accept_invitation(last_secret("invitation", email2), "Léo", "Prof", PASSWORD)
    assert out2["staff_confirmed"] is False and "confirmer" in out2["detail"]
    assert rpc.confirm_staff(actor=head, school_uai=DEMO_COLLEGE, user_id=inv2["user_id"])["confirmed"]
