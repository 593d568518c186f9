"""Issue 20 (national sign-in), identity's half, through the real identity service (PostgreSQL, RabbitMQ):
ÉduConnect pupils found by INE or created from the claims, parents and unknown schools refused, a code-sheet
pupil linking once, FIM staff in several schools switching, a FIM teacher without a head's rights, and the
designated head following FIM."""
import base64
import random
import string
import uuid

import pytest
from sqlalchemy import text

from common.errors import Conflict, Forbidden
from identity_helpers import PASSWORD, unique_email
from testkit.hooks import last_secret

COLLEGE = "0130007M"     # Collège Jas de Bouffan (Aix-Marseille)
LYCEE = "0130040Y"       # Lycée Thiers (Aix-Marseille)
HEADLESS = "0130002G"    # Lycée Paul Cézanne: its designated head is set in this module only
ADMIN = {"user_id": str(uuid.uuid4()), "role": "admin"}


def ine():
    return "".join(random.choices(string.digits, k=9)) + "".join(random.choices(string.ascii_uppercase, k=2))


def pupil_claims(**kw):
    base = {"sub": f"ec-{uuid.uuid4()}", "FrEduCtPersonAffiliation": ["eleve"], "FrEduCtEleveINE": ine(),
            "FrEduCtEleveUAI": COLLEGE, "FrEduCtEleveNiveau": "2115", "FrEduCtEleveClasse": "4C",
            "given_name": "Inès", "family_name": f"FED-{uuid.uuid4().hex[:6]}"}
    base.update(kw)
    return base


def fim_claims(function="DIR", rne=COLLEGE, others=(LYCEE,), **kw):
    tag = uuid.uuid4().hex[:8]
    base = {"sub": f"fim-{tag}", "email": f"fim.{tag}@ac-aix-marseille.fr", "FrEduFonctAdm": function, "rne": rne,
            "FrEduRneResp": [f"{u}$UAJ$PU$N$T3$LYC$300" for u in others] or "X", "FrEduRne": "X",
            "given_name": "Hélène", "family_name": f"Fim-{tag}"}
    base.update(kw)
    return base


def actor_of(session):
    c = session["claims"]
    return {"user_id": c["sub"], "role": c["role"], "function": c["function"], "school_uai": c["school_uai"],
            "staff_confirmed": c["staff_confirmed"]}


def outbox(engine, kind, key, value):
    with engine.connect() as c:
        return [r[0] for r in c.execute(text("SELECT envelope->'data' FROM outbox WHERE type = :t "
                                             "AND envelope->'data'->>CAST(:k AS text) = :v ORDER BY id"),
                                        {"t": kind, "k": key, "v": value})]


def test_educonnect_pupil_created_then_found_again(identity, engine):
    rpc, _ = identity
    claims = pupil_claims()
    first = rpc.federated_sign_in(provider="educonnect", claims=claims, client={"ip": "192.0.2.7"})
    assert first["token_type"] == "Bearer" and first["refresh_token"]
    c = first["claims"]
    assert (c["role"], c["school_uai"], c["grade"]) == ("pupil", COLLEGE, "quatrieme")
    uid = first["user"]["id"]
    assert first["user"]["class_name"] == "4C" and first["user"]["status"] == "active"
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ine, password_hash, last_login_at FROM users WHERE id = :i"), {"i": uid}).one()
        link = conn.execute(text("SELECT provider, subject FROM federated_identities WHERE user_id = :i"),
                            {"i": uid}).one()
        sessions = conn.execute(text("SELECT count(*) FROM refresh_families WHERE user_id = :i"), {"i": uid}).scalar()
    assert row.ine == claims["FrEduCtEleveINE"] and row.password_hash is None and row.last_login_at is not None
    assert tuple(link) == ("educonnect", claims["sub"]) and sessions == 1
    assert [e["role"] for e in outbox(engine, "user.registered", "user_id", uid)] == ["pupil"]
    second = rpc.federated_sign_in(provider="educonnect", claims=claims)
    assert second["user"]["id"] == uid
    assert rpc.refresh(refresh_token=second["refresh_token"])["user"]["id"] == uid
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users WHERE ine = :i"),
                            {"i": claims["FrEduCtEleveINE"]}).scalar() == 1
    assert len(outbox(engine, "user.registered", "user_id", uid)) == 1


def test_parent_and_unknown_school_refused(identity):
    rpc, _ = identity
    with pytest.raises(Forbidden) as e:
        rpc.federated_sign_in(provider="educonnect", claims=pupil_claims(FrEduCtPersonAffiliation=["resp2d"]))
    assert e.value.code == "federation_parent" and "élève" in e.value.detail
    with pytest.raises(Forbidden) as e:
        rpc.federated_sign_in(provider="educonnect", claims=pupil_claims(FrEduCtEleveUAI="9999999Z"))
    assert e.value.code == "federation_unknown_school" and "9999999Z" in e.value.detail
    with pytest.raises(Forbidden) as e:
        rpc.federated_sign_in(provider="fim", claims=fim_claims(rne="9999999Z", others=()))
    assert e.value.code == "federation_unknown_school"


def test_code_sheet_pupil_links_once_then_uses_either(identity, engine):
    rpc, _ = identity
    tag = uuid.uuid4().hex[:6].upper()
    rows = ["Nom;Prénom;Date de naissance;Classe;Niveau", f"LIEN-{tag};Noé;15/09/2011;3B;3EME"]
    imported = rpc.import_pupils(actor=ADMIN, uai=COLLEGE, with_pdf=False,
                                 content_base64=base64.b64encode("\r\n".join(rows).encode()).decode())
    code = imported["codes"][0]["code"]
    email = unique_email("noe")
    session = rpc.pupil_activate(code=code, password=PASSWORD, email=email)
    pupil = actor_of(session)
    claims = pupil_claims(family_name=f"LIEN-{tag}", given_name="Noé", FrEduCtEleveNiveau="2116",
                          FrEduCtEleveClasse="3B")
    assert rpc.link_federated_identity(actor=pupil, provider="educonnect", claims=claims) == \
        {"linked": True, "provider": "educonnect"}
    with pytest.raises(Conflict) as e:
        rpc.link_federated_identity(actor=pupil, provider="educonnect", claims=pupil_claims(FrEduCtEleveINE=None))
    assert e.value.code == "federation_already_linked"
    # another pupil cannot take the same ÉduConnect identity
    other = rpc.federated_sign_in(provider="educonnect", claims=pupil_claims())
    with pytest.raises(Conflict) as e:
        rpc.link_federated_identity(actor=actor_of(other), provider="educonnect", claims=claims)
    assert e.value.code == "federation_already_linked"
    # either way leads to the same account
    assert rpc.federated_sign_in(provider="educonnect", claims=claims)["user"]["id"] == pupil["user_id"]
    assert rpc.login(identifier=email, password=PASSWORD)["user"]["id"] == pupil["user_id"]


def test_fim_head_of_two_schools_switches(identity, engine):
    rpc, _ = identity
    claims = fim_claims()
    s = rpc.federated_sign_in(provider="fim", claims=claims)
    head = actor_of(s)
    assert (head["function"], head["school_uai"], head["staff_confirmed"]) == ("head", COLLEGE, True)
    mine = rpc.list_my_schools(actor=head)
    assert mine["current_uai"] == COLLEGE
    assert [(i["school_uai"], i["current"], i["confirmed"], i["source"]) for i in mine["items"]] == \
        [(COLLEGE, True, True, "fim"), (LYCEE, False, True, "fim")]
    switched = rpc.switch_school(actor=head, uai=LYCEE)
    assert switched["claims"]["school_uai"] == LYCEE and switched["claims"]["staff_confirmed"] is True
    assert rpc.get_me(actor=actor_of(switched))["school_uai"] == LYCEE
    with pytest.raises(Forbidden) as e:
        rpc.switch_school(actor=actor_of(switched), uai=HEADLESS)
    assert e.value.code == "not_a_member"
    # other services still find the head at the collège (its membership there)
    heads = rpc.list_school_staff(uai=COLLEGE, functions=["head"])
    mine = [i for i in heads["items"] if i["user_id"] == head["user_id"]]
    assert mine and mine[0]["confirmed"] and mine[0]["designated_head"] and heads["designated_head_id"] == \
        head["user_id"]
    # the next FIM sign-in keeps the school chosen; the confirmation is published once per school
    again = rpc.federated_sign_in(provider="fim", claims=claims)
    assert again["claims"]["school_uai"] == LYCEE and again["user"]["id"] == head["user_id"]
    confirmed = outbox(engine, "staff.confirmed", "user_id", head["user_id"])
    assert sorted(e["school_uai"] for e in confirmed) == [COLLEGE, LYCEE]
    assert {e["how"] for e in confirmed} == {"federation"}


def test_head_confirms_a_colleague_whose_current_school_is_another(identity):
    rpc, _ = identity
    head = actor_of(rpc.federated_sign_in(provider="fim", claims=fim_claims(rne=LYCEE, others=())))
    t = rpc.federated_sign_in(provider="fim", claims=fim_claims(function="ENS", rne=COLLEGE, others=(LYCEE,)))
    tid = t["user"]["id"]
    assert t["claims"]["school_uai"] == COLLEGE
    listed = rpc.list_staff(actor=head, school_uai=LYCEE)
    mine = [i for i in listed["items"] if i["user_id"] == tid]
    assert mine and (mine[0]["function"], mine[0]["confirmed"], mine[0]["school_uai"]) == ("teacher", False, LYCEE)
    out = rpc.confirm_staff(actor=head, school_uai=LYCEE, user_id=tid)
    assert out["confirmed"] and out["confirmed_how"] == "head"
    schools = {i["school_uai"]: i["confirmed"] for i in rpc.list_my_schools(actor=actor_of(t))["items"]}
    assert schools == {COLLEGE: False, LYCEE: True}
    assert rpc.switch_school(actor=actor_of(t), uai=LYCEE)["claims"]["staff_confirmed"] is True


def test_fim_teacher_cannot_act_as_a_head(identity):
    rpc, _ = identity
    t = rpc.federated_sign_in(provider="fim", claims=fim_claims(function="ENS", others=()))
    teacher = actor_of(t)
    assert (teacher["function"], teacher["staff_confirmed"]) == ("teacher", False)
    colleague = rpc.federated_sign_in(provider="fim", claims=fim_claims(function="ADF", others=()))
    with pytest.raises(Forbidden):
        rpc.confirm_staff(actor=teacher, school_uai=COLLEGE, user_id=colleague["user"]["id"])
    with pytest.raises(Forbidden):
        rpc.designate_head(actor=teacher, school_uai=COLLEGE, user_id=teacher["user_id"])
    other = rpc.federated_sign_in(provider="fim", claims=fim_claims(function="DOC", others=()))
    assert other["claims"]["function"] == "other"


def test_designated_head_follows_fim(identity, engine):
    rpc, _ = identity
    email = unique_email("head", "ac-aix-marseille.fr")
    rpc.register(data={"role": "school_staff", "first_name": "Marc", "last_name": "Ancien", "function": "head",
                       "email": email, "password": PASSWORD, "school_uai": HEADLESS})
    former = rpc.activate(last_secret("activation", email))["user_id"]
    assert rpc.confirm_staff(actor=ADMIN, school_uai=HEADLESS, user_id=former)["designated_now"] is True
    new = rpc.federated_sign_in(provider="fim", claims=fim_claims(rne=HEADLESS, others=()))
    new_id = new["user"]["id"]
    staff = rpc.list_staff(actor=ADMIN, school_uai=HEADLESS)
    assert staff["designated_head_id"] == new_id
    latest = staff["history"][0]
    assert (latest["action"], latest["user_id"], latest["how"], latest["previous_user_id"]) == \
        ("head_designated", new_id, "federation", former)
    published = outbox(engine, "school.head_designated", "user_id", new_id)
    assert published == [{"school_uai": HEADLESS, "user_id": new_id, "previous_user_id": former,
                          "designated_by": None}]
    # a platform account with the same academic address is the one FIM signs in (and it keeps its school)
    same = rpc.federated_sign_in(provider="fim", claims=fim_claims(rne=HEADLESS, others=(), email=email,
                                                                   FrEduFonctAdm="DIR"))
    assert same["user"]["id"] == former
    assert rpc.list_staff(actor=ADMIN, school_uai=HEADLESS)["designated_head_id"] == former


def test_two_first_sign_ins_at_once_make_one_account(identity, amqp_uri, engine):
    import eventlet
    from common.rpc import cluster_rpc
    claims = pupil_claims()

    def sign_in():
        with cluster_rpc(amqp_uri, timeout=30) as tab:
            return tab.identity.federated_sign_in(provider="educonnect", claims=claims)

    first, second = [t.wait() for t in [eventlet.spawn(sign_in), eventlet.spawn(sign_in)]]
    assert first["user"]["id"] == second["user"]["id"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users WHERE ine = :i"),
                            {"i": claims["FrEduCtEleveINE"]}).scalar() == 1
