"""Issue 21 through the real identity service (PostgreSQL, RabbitMQ, Redis): the admins' back-office (search,
account view without secrets, lock / unlock, end sessions, schools created and corrected, head changed), every
action journalled in its transaction, and the school staff's classes."""
import base64
import uuid

import jwt
import pytest
from sqlalchemy import text

from common.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from identity_helpers import PASSWORD, make_active_employer

COLLEGE = "0131884C"
SECRETS = {"password_hash", "totp_secret", "totp_last_step", "code", "code_hash", "token", "token_hash",
           "refresh_token", "pupil_key", "private_pem", "successor"}


def keys_of(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from keys_of(v)
    elif isinstance(value, list):
        for v in value:
            yield from keys_of(v)


def no_secret(answer):
    assert not (set(keys_of(answer)) & SECRETS), set(keys_of(answer)) & SECRETS
    return answer


def outbox(engine, kind):
    with engine.connect() as c:
        return [r[0] for r in c.execute(text("SELECT envelope->'data' FROM outbox WHERE type = :t ORDER BY id"),
                                        {"t": kind})]


@pytest.fixture
def world(identity):
    rpc, _ = identity
    demo = rpc.seed_demo()
    return rpc, demo, {"user_id": demo["admin"]["user_id"], "role": "admin"}


def test_find_see_lock_unlock_end_sessions_all_journalled(world, engine):
    rpc, demo, admin = world
    email, uid = make_active_employer(rpc)
    with engine.begin() as c:
        c.execute(text("UPDATE users SET phone = '+33611223344', last_name = 'Hélène-Bézier' WHERE id = :i"),
                  {"i": uid})
    for q in (email.upper(), "06 11 22 33 44", "11 22 33", "helene bezier", "BÉZIER"):
        found = no_secret(rpc.admin_search_users(actor=admin, q=q))
        assert uid in [x["id"] for x in found["items"]], q
    by_school = rpc.admin_search_users(actor=admin, q=COLLEGE, role="pupil")
    assert by_school["total"] >= 1 and all(x["school_uai"] == COLLEGE and x["role"] == "pupil"
                                           for x in by_school["items"])
    by_school_name = rpc.admin_search_users(actor=admin, q="belle de mai", role="school_staff")
    assert demo["head"]["user_id"] in [x["id"] for x in by_school_name["items"]]
    with pytest.raises(Forbidden):
        rpc.admin_search_users(actor={"user_id": uid, "role": "employer"}, q=email)
    with pytest.raises(ValidationError) as e:
        rpc.admin_search_users(actor=admin, q="x")
    assert "q" in e.value.errors

    s1 = rpc.login(identifier=email, password=PASSWORD, client={"ip": "198.51.100.7", "user_agent": "Firefox/140"})
    seen = no_secret(rpc.admin_get_user(actor=admin, user_id=uid))
    assert seen["status"] == "active" and seen["last_login_at"] and seen["role"] == "employer"
    assert [(x["ip"], x["user_agent"]) for x in seen["sessions"]] == [("198.51.100.7", "Firefox/140")]
    with pytest.raises(NotFound):
        rpc.admin_get_user(actor=admin, user_id=str(uuid.uuid4()))

    with pytest.raises(ValidationError) as e:
        rpc.admin_lock_user(actor=admin, user_id=uid, reason=" ")
    assert "motif" in e.value.errors["reason"][0]
    locked = rpc.admin_lock_user(actor=admin, user_id=uid, reason="Usurpation d'identité signalée")
    assert locked["changed"] and locked["ended_sessions"] == 1
    with pytest.raises(Forbidden) as e:
        rpc.login(identifier=email, password=PASSWORD)
    assert e.value.code == "account_locked_by_admin" and "verrouillé" in e.value.detail
    with pytest.raises(Unauthorized):
        rpc.refresh(s1["refresh_token"])
    sid = jwt.decode(s1["access_token"], options={"verify_signature": False})["sid"]
    assert rpc.session_active(sid)["active"] is False
    assert rpc.admin_unlock_user(actor=admin, user_id=uid, reason="Identité vérifiée")["status"] == "active"
    s2 = rpc.login(identifier=email, password=PASSWORD)
    assert rpc.admin_end_sessions(actor=admin, user_id=uid, reason="Téléphone perdu")["ended_sessions"] == 1
    with pytest.raises(Unauthorized):
        rpc.refresh(s2["refresh_token"])
    assert {"user_id": uid} in outbox(engine, "user.locked") and {"user_id": uid} in outbox(engine, "user.unlocked")

    journal = no_secret(rpc.admin_list_actions(actor=admin, target_id=uid))
    assert [(x["action"], x["actor_id"], x["reason"]) for x in journal["items"]] == [
        ("user.end_sessions", admin["user_id"], "Téléphone perdu"),
        ("user.unlock", admin["user_id"], "Identité vérifiée"),
        ("user.lock", admin["user_id"], "Usurpation d'identité signalée")]
    assert journal["items"][2]["details"] == {"previous_status": "active", "ended_sessions": 1}
    assert all(x["at"] for x in journal["items"])
    assert rpc.admin_list_actions(actor=admin, action="user.lock", actor_id=admin["user_id"])["total"] >= 1
    with pytest.raises(Forbidden):
        rpc.admin_list_actions(actor={"user_id": uid, "role": "employer"})


def test_resend_activation_only_to_a_pending_account(world):
    rpc, _, admin = world
    email = f"pending.{uuid.uuid4().hex[:8]}@example.com"
    rpc.register(data={"role": "employer", "first_name": "Léa", "last_name": "Roux", "function": "Gérante",
                       "email": email, "password": PASSWORD})
    uid = rpc.admin_search_users(actor=admin, q=email)["items"][0]["id"]
    from testkit.hooks import last_secret
    first = last_secret("activation", email)
    key = str(uuid.uuid4())
    for _ in range(2):   # sent twice with its key: one new link
        assert rpc.admin_resend_activation(actor=admin, user_id=uid, reason="Lien expiré, appel du 5/12",
                                           idempotency_key=key)["status"] == "sent"
    assert rpc.admin_list_actions(actor=admin, target_id=uid, action="user.resend_activation")["total"] == 1
    second = last_secret("activation", email)
    assert second != first and rpc.activate(second)["status"] == "active"
    with pytest.raises(Conflict):
        rpc.admin_resend_activation(actor=admin, user_id=uid, reason="Encore une fois")


def test_schools_created_corrected_and_head_changed(world, engine):
    rpc, demo, admin = world
    new = {"uai": "0139999Y", "name": "Lycée des Docks", "kind": "lycee", "sector": "public",
           "commune_insee": "13203", "education_prioritaire": "REP", "qpv": True, "street_address": "1 quai d'Arenc"}
    with pytest.raises(ValidationError) as e:
        rpc.admin_create_school(actor=admin, data={**new, "uai": "0139999X"}, reason="Nouveau lycée")
    assert "lettre de contrôle" in e.value.errors["uai"][0]
    out = rpc.admin_create_school(actor=admin, data=new, reason="Nouveau lycée ouvert en 2026")
    assert out["created"] and out["academie_name"] == "Aix-Marseille" and out["postal_code"] == "13003"
    assert rpc.admin_create_school(actor=admin, data=new, reason="Nouveau lycée ouvert en 2026")["created"] is False
    with pytest.raises(Conflict):
        rpc.admin_create_school(actor=admin, data={**new, "name": "Autre"}, reason="Doublon")
    assert rpc.search_schools("docks")["items"][0]["uai"] == "0139999Y"
    fixed = rpc.admin_update_school(actor=admin, uai="0139999Y", data={"education_prioritaire": "REP+"},
                                    reason="Classement REP+ à la rentrée")
    assert fixed["education_prioritaire"] == "REP+" and fixed["changed"] == ["education_prioritaire"]
    assert rpc.admin_update_school(actor=admin, uai="0139999Y", data={"education_prioritaire": "REP+"},
                                   reason="Encore")["changed"] == []
    assert outbox(engine, "school.created") == [{"uai": "0139999Y"}]
    assert outbox(engine, "school.updated") == [{"uai": "0139999Y"}]
    journal = rpc.admin_list_actions(actor=admin, target_id="0139999Y")["items"]
    assert [x["action"] for x in journal] == ["school.update", "school.create"]
    assert journal[0]["details"] == {"changes": {"education_prioritaire": ["REP", "REP+"]}}

    head_id = demo["head"]["user_id"]
    out = rpc.admin_change_head(actor=admin, school_uai=COLLEGE, user_id=head_id, reason="Vérification")
    assert out["changed"] is False     # already the designated head: nothing done, nothing journalled
    with pytest.raises(Conflict):
        rpc.admin_change_head(actor=admin, school_uai=COLLEGE, user_id=demo["teacher"]["user_id"],
                              reason="Le professeur n'est pas chef d'établissement")
    assert rpc.admin_list_actions(actor=admin, action="school.designate_head")["total"] == 0


def test_classes_rename_follows_move_in_bulk_delete_refused_when_not_empty(world):
    rpc, demo, admin = world
    head = {"user_id": demo["head"]["user_id"], "role": "school_staff", "function": "head", "school_uai": COLLEGE}
    teacher = {"user_id": demo["teacher"]["user_id"], "role": "school_staff", "function": "teacher",
               "school_uai": COLLEGE}
    tag = uuid.uuid4().hex[:4].upper()
    csv = "Nom;Prénom;Date de naissance;Classe;Niveau\r\n" + "\r\n".join(
        f"CLASSE-{tag}-{i};Inès;04/03/2012;3{tag};3EME" for i in range(3))
    rpc.import_pupils(actor=head, uai=COLLEGE, content_base64=base64.b64encode(csv.encode()).decode(), with_pdf=False)
    rpc.set_my_classes(actor=teacher, classes=[f"3{tag}"])
    listed = {c["name"]: c for c in rpc.list_classes(actor=teacher, uai=COLLEGE)["items"]}
    assert listed[f"3{tag}"]["pupils"] == 3
    created = rpc.create_class(actor=head, uai=COLLEGE, name=f"3{tag}-bis", grade="troisieme")
    assert created["created"] and created["grade"] == "troisieme" and created["pupils"] == 0
    renamed = rpc.rename_class(actor=head, uai=COLLEGE, name=f"3{tag}", new_name=f"3 {tag}")
    assert renamed["renamed_pupils"] == 3 and renamed["renamed_for_staff"] == 1
    assert rpc.get_me(actor=teacher)["classes"] == [f"3 {tag}"]
    pupils = rpc.list_pupils(actor=head, uai=COLLEGE, class_name=f"3 {tag}")["items"]
    assert len(pupils) == 3
    with pytest.raises(Conflict) as e:
        rpc.delete_class(actor=head, uai=COLLEGE, name=f"3 {tag}")
    assert e.value.code == "class_not_empty" and "déplacez-les" in e.value.detail
    moved = rpc.move_pupils(actor=head, uai=COLLEGE, pupil_ids=[p["id"] for p in pupils], class_name=f"3{tag}-bis")
    assert moved["moved"] == 3
    assert {p["class_name"] for p in rpc.list_pupils(actor=head, uai=COLLEGE, q=f"CLASSE-{tag}")["items"]} == \
        {f"3{tag}-bis"}
    assert rpc.delete_class(actor=head, uai=COLLEGE, name=f"3 {tag}")["deleted"] is True
    assert f"3 {tag}" not in {c["name"] for c in rpc.list_classes(actor=head, uai=COLLEGE)["items"]}
    with pytest.raises(Forbidden):
        rpc.create_class(actor={**head, "school_uai": "0131264D"}, uai=COLLEGE, name="3Z")
    with pytest.raises(ValidationError) as e:
        rpc.move_pupils(actor=head, uai=COLLEGE, pupil_ids=[str(uuid.uuid4())], class_name=f"3{tag}-bis")
    assert "introuvable" in e.value.errors["pupil_ids"][0]


def test_existing_admin_actions_are_journalled_too(world):
    rpc, _, admin = world
    email = f"stat.{uuid.uuid4().hex[:8]}@insee.fr"
    rpc.register(data={"role": "statistician", "first_name": "Ada", "last_name": "Lovelace", "email": email,
                       "password": PASSWORD, "stat_scope": "national"})
    from testkit.hooks import last_secret
    uid = rpc.activate(last_secret("activation", email))["user_id"]
    rpc.validate_statistician(actor=admin, user_id=uid)
    kid = rpc.rotate_signing_key(actor=admin)["kid"]
    head_email = f"principal.{uuid.uuid4().hex[:8]}@ac-aix-marseille.fr"
    rpc.register(data={"role": "school_staff", "function": "head", "first_name": "Marie", "last_name": "Lambert",
                       "email": head_email, "password": PASSWORD, "school_uai": "0131264D"})
    head_id = rpc.activate(last_secret("activation", head_email))["user_id"]
    rpc.confirm_staff(actor=admin, school_uai="0131264D", user_id=head_id)
    entries = {x["action"]: x for x in rpc.admin_list_actions(actor=admin)["items"]}
    assert entries["staff.confirm"]["target_id"] == head_id
    assert entries["staff.confirm"]["details"] == {"school_uai": "0131264D", "designated_head": True}
    assert entries["statistician.validate"]["target_id"] == uid
    assert entries["statistician.validate"]["actor_id"] == admin["user_id"]
    assert entries["signing_key.rotate"]["target_id"] == kid and entries["signing_key.rotate"]["reason"] is None
    assert "private_pem" not in entries["signing_key.rotate"]["details"]
