"""« Mon espace » and the invitation's page (gateway answers stood in by FakeGateway)."""
import uuid

from django.test import Client

from stages_web.gateway import ApiError
from testkit.web import FakeGateway, tokens

OWNER = str(uuid.uuid4())
MEMBER = str(uuid.uuid4())


def _space(my_role):
    return {"id": OWNER, "name": "Boulangerie du Vieux-Port", "my_role": my_role, "members": [
        {"user_id": OWNER, "role": "owner", "first_name": "Claire", "last_name": "Durand", "email": "c@example.fr"},
        {"user_id": MEMBER, "role": "member", "first_name": "Karim", "last_name": "Benali", "email": "k@example.fr"}]}


def _login(monkeypatch, user_id, my_role, **answers):
    fake = FakeGateway(monkeypatch, {
        "login": tokens("employer", id=user_id), "refresh": tokens("employer", id=user_id),
        "my_spaces": {"current_space_id": OWNER, "items": [{"id": OWNER, "name": "Boulangerie du Vieux-Port",
                                                            "role": my_role, "current": True}]},
        "space": _space(my_role), **answers})
    c = Client()
    assert c.post("/connexion", {"identifier": "c@example.fr", "password": "x"}).status_code == 302
    return c, fake


def test_the_owner_sees_the_members_invites_and_removes(monkeypatch):
    c, fake = _login(monkeypatch, OWNER, "owner", space_invite={"status": "invited", "email": "n@example.fr"},
                     space_remove_member={"status": "removed"})
    html = c.get("/espace").content.decode()
    assert "Karim Benali" in html and "Retirer Karim Benali" in html and 'name="email"' in html
    assert "Quitter l'espace" not in html
    r = c.post("/espace", {"email": "n@example.fr"})
    assert r.status_code == 302 and fake.named("space_invite")[-1]["json"] == {"email": "n@example.fr"}
    fake.answers["space_invite"] = ApiError(422, {"detail": "Données invalides",
                                                  "errors": {"email": ["Adresse e-mail invalide."]}})
    assert "Adresse e-mail invalide." in c.post("/espace", {"email": "x@example.fr"}).content.decode()
    r = c.post(f"/espaces/{OWNER}/membres/{MEMBER}/retirer")
    assert r.status_code == 302 and fake.named("space_remove_member")[-1]["user_id"] == MEMBER


def test_a_member_leaves_and_gets_a_fresh_token(monkeypatch):
    c, fake = _login(monkeypatch, MEMBER, "member", space_remove_member={"status": "removed"})
    html = c.get("/espace").content.decode()
    assert "Quitter l'espace" in html and 'name="email"' not in html and "Retirer" not in html
    c.post(f"/espaces/{OWNER}/membres/{MEMBER}/retirer")
    assert fake.named("space_remove_member")[-1]["user_id"] == MEMBER and fake.named("refresh")


def test_the_invitation_page_lets_an_employer_join_or_a_new_person_create_an_account(monkeypatch):
    info = {"space_id": OWNER, "space_name": "Boulangerie du Vieux-Port", "inviter_name": "Claire Durand",
            "email": "k@example.fr", "has_account": False}
    fake = FakeGateway(monkeypatch, {"space_invitation_read": info, "space_invitation_join": {"status": "joined"},
                                     "login": tokens("employer", id=MEMBER), "refresh": tokens("employer", id=MEMBER),
                                     "space_invitation_accept": {"status": "joined"},
                                     "my_spaces": {"current_space_id": OWNER, "items": []},
                                     "space": _space("member")})
    anonymous = Client()
    html = anonymous.get("/espaces/invitation?token=tok-abc").content.decode()
    assert "Claire Durand vous invite" in html and 'name="job_title"' in html
    r = anonymous.post("/espaces/invitation", {"token": "tok-abc", "step": "create", "first_name": "Karim",
                                               "last_name": "Benali", "job_title": "Boulanger",
                                               "password": "Un-Mot-De-Passe-2026!",
                                               "password_again": "Un-Mot-De-Passe-2026!"})
    assert r.status_code == 302 and r["Location"] == "/connexion"
    assert fake.named("space_invitation_join")[-1]["json"]["job_title"] == "Boulanger"
    member = Client()
    member.post("/connexion", {"identifier": "k@example.fr", "password": "x"})
    assert "Rejoindre l'espace" in member.get("/espaces/invitation?token=tok-abc").content.decode()
    r = member.post("/espaces/invitation", {"token": "tok-abc", "step": "join"})
    assert r.status_code == 302 and r["Location"] == "/espace"
    assert fake.named("space_invitation_accept")[-1]["json"] == {"token": "tok-abc"} and fake.named("refresh")
    fake.answers["space_invitation_read"] = ApiError(409, {"detail": "Cette invitation a déjà été acceptée."})
    assert "Cette invitation a déjà été acceptée." in anonymous.get("/espaces/invitation?token=t").content.decode()
