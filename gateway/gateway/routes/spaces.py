"""HTTP routes of employers' spaces (« espaces »): a team sharing offers, applications and agreements, joined by
invitation (identity: ``my_spaces``, ``get_space``, ``invite_to_space``, ``read_space_invitation``,
``accept_space_invitation``, ``join_space_with_new_account``, ``remove_space_member``, ``switch_space``;
docs/rpc/identity.md). The access token carries the employer's current space (claim ``space_id``); offers,
applications and agreements let every member of a record's space act on it."""
from __future__ import annotations

from gateway.api import UUID, array, component, obj, route

TAG = ["spaces"]
EMPLOYER = ["employer"]
ROLE = {"type": "string", "enum": ["owner", "member"]}
_NULLABLE_STR = {"type": ["string", "null"]}
TOKEN = {"type": "string", "minLength": 1, "maxLength": 200}

MEMBER = obj({"user_id": UUID, "role": ROLE, "first_name": {"type": "string"}, "last_name": {"type": "string"},
              "email": {"type": "string"}, "job_title": _NULLABLE_STR, "joined_at": _NULLABLE_STR},
             ["user_id", "role"], additional=True)
SPACE = component("Space", obj({"id": UUID, "name": {"type": "string"}, "my_role": ROLE,
                                "members": array(MEMBER)}, ["id", "name", "my_role", "members"], additional=True,
                               description="Un espace employeur et ses membres."),
                  {"id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "name": "Boulangerie du Vieux-Port",
                   "my_role": "owner",
                   "members": [{"user_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "role": "owner",
                                "first_name": "Claire", "last_name": "Durand", "email": "claire.durand@example.fr",
                                "job_title": "Gérante", "joined_at": "2026-10-30T14:05:00+00:00"}]})
MY_SPACES = component("MySpaces", obj({
    "current_space_id": UUID,
    "items": array(obj({"id": UUID, "name": {"type": "string"}, "role": ROLE, "current": {"type": "boolean"}},
                       ["id", "name", "role", "current"]))}, ["current_space_id", "items"],
    description="Les espaces dont je suis membre ; « current » : celui du jeton d'accès."),
    {"current_space_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21",
     "items": [{"id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "name": "Boulangerie du Vieux-Port", "role": "owner",
                "current": True}]})
INVITATION = component("SpaceInvitation", obj({
    "space_id": UUID, "space_name": {"type": "string"}, "inviter_name": {"type": "string"},
    "email": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"},
    "has_account": {"type": "boolean"}}, ["space_id", "space_name", "email", "has_account"],
    description="Une invitation à rejoindre un espace, telle que la page du lien la montre."),
    {"space_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "space_name": "Boulangerie du Vieux-Port",
     "inviter_name": "Claire Durand", "email": "karim.benali@example.fr", "expires_at": "2026-12-12T09:00:00+00:00",
     "has_account": False})
STATUS = obj({"status": {"type": "string"}, "space_id": UUID, "user_id": UUID, "invitation_id": UUID,
              "email": {"type": "string"}, "expires_at": {"type": "string"}, "current_space_id": UUID,
              "detail": {"type": "string"}}, ["status"], additional=True)


def _identity(req):
    return req.rpc("identity")


@route("GET", "/api/v1/me/spaces", summary="Employeur : mes espaces et mon espace courant", tags=TAG, roles=EMPLOYER,
       response=MY_SPACES)
def my_spaces(req):
    return _identity(req).my_spaces(actor=req.actor)


@route("PUT", "/api/v1/me/space", summary="Employeur : changer d'espace courant",
       description="Le prochain jeton d'accès (POST /api/v1/auth/refresh) porte le nouvel espace.",
       tags=TAG, roles=EMPLOYER, body=obj({"space_id": UUID}, ["space_id"]), response=STATUS,
       response_example={"status": "switched", "current_space_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21"})
def switch_space(req):
    return _identity(req).switch_space(actor=req.actor, space_id=req.body["space_id"])


@route("GET", "/api/v1/spaces/<space_id>", summary="Un espace et ses membres (membres seulement)", tags=TAG,
       roles=EMPLOYER, response=SPACE)
def get_space(req):
    return _identity(req).get_space(actor=req.actor, space_id=req.path["space_id"])


@route("GET", "/api/v1/spaces/<space_id>/members", summary="Les membres d'un espace (membres seulement)", tags=TAG,
       roles=EMPLOYER, response=SPACE)
def space_members(req):
    return _identity(req).get_space(actor=req.actor, space_id=req.path["space_id"])


@route("POST", "/api/v1/spaces/<space_id>/invitations", summary="Inviter un collègue dans l'espace (propriétaire)",
       description="Un lien valable 7 jours est envoyé à l'adresse ; une nouvelle invitation remplace la précédente "
                   "de la même adresse.",
       tags=TAG, roles=EMPLOYER, body=obj({"email": {"type": "string", "maxLength": 254}}, ["email"]),
       body_example={"email": "karim.benali@example.fr"}, response=STATUS, status=201,
       response_example={"status": "invited", "invitation_id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11",
                         "email": "karim.benali@example.fr", "space_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21",
                         "expires_at": "2026-12-12T09:00:00+00:00",
                         "detail": "L'invitation est envoyée : le lien, valable 7 jours, permet de rejoindre "
                                   "l'espace."},
       rate_limit=(30, 3600))
def invite_to_space(req):
    return _identity(req).invite_to_space(actor=req.actor, space_id=req.path["space_id"],
                                          email=req.body["email"])


@route("DELETE", "/api/v1/spaces/<space_id>/members/<user_id>",
       summary="Quitter l'espace (soi-même) ou en retirer un membre (propriétaire)",
       description="Les sessions d'un membre retiré sont fermées (son jeton portait l'espace).",
       tags=TAG, roles=EMPLOYER, response=STATUS,
       response_example={"status": "removed", "space_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21",
                         "user_id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11"})
def remove_space_member(req):
    return _identity(req).remove_space_member(actor=req.actor, space_id=req.path["space_id"],
                                              user_id=req.path["user_id"])


@route("POST", "/api/v1/public/space-invitations/read", summary="Lire une invitation à un espace (page du lien)",
       tags=TAG, auth="none", body=obj({"token": TOKEN}, ["token"]), response=INVITATION, rate_limit=(60, 300))
def read_space_invitation(req):
    return _identity(req).read_space_invitation(token=req.body["token"])


@route("POST", "/api/v1/space-invitations/accept", summary="Accepter une invitation avec mon compte employeur",
       description="L'espace devient mon espace courant : renouvelez le jeton (POST /api/v1/auth/refresh).",
       tags=TAG, roles=EMPLOYER, body=obj({"token": TOKEN}, ["token"]), response=STATUS,
       response_example={"status": "joined", "space_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21",
                         "detail": "Vous avez rejoint l'espace : renouvelez votre session (ou reconnectez-vous) "
                                   "pour y travailler."})
def accept_space_invitation(req):
    return _identity(req).accept_space_invitation(actor=req.actor, token=req.body["token"])


@route("POST", "/api/v1/public/space-invitations/join", summary="Créer mon compte employeur depuis une invitation",
       description="Le lien reçu à l'adresse en est la preuve : le compte est actif aussitôt, membre de l'espace.",
       tags=TAG, auth="none",
       body=obj({"token": TOKEN, "first_name": {"type": "string", "maxLength": 100},
                 "last_name": {"type": "string", "maxLength": 100},
                 "job_title": {"type": "string", "maxLength": 100},
                 "password": {"type": "string", "minLength": 1, "maxLength": 1000}},
                ["token", "first_name", "last_name", "job_title", "password"]),
       body_example={"token": "kq3J…", "first_name": "Karim", "last_name": "Benali", "job_title": "Boulanger",
                     "password": "Boulangerie-2027!"},
       response=STATUS, status=201,
       response_example={"status": "joined", "space_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21",
                         "user_id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11",
                         "detail": "Votre compte est créé et vous avez rejoint l'espace : vous pouvez vous "
                                   "connecter."},
       rate_limit=(20, 3600))
def join_space_with_new_account(req):
    b = req.body
    return _identity(req).join_space_with_new_account(token=b["token"], first_name=b["first_name"],
                                                      last_name=b["last_name"], password=b["password"],
                                                      job_title=b["job_title"])
