"""HTTP routes of staff in several schools (identity): the schools I belong to, and switching the
current one (the token's ``school_uai``). docs/rpc/identity.md, docs/school-staff.md."""
from __future__ import annotations

from gateway.api import array, component, obj, route
from gateway.routes.identity import TOKENS, UAI

TAG_ME = ["me"]
_NULLABLE_STR = {"type": ["string", "null"]}

MEMBERSHIP = obj({
    "school_uai": {"type": "string"}, "name": _NULLABLE_STR, "commune_name": _NULLABLE_STR,
    "kind": {"type": ["string", "null"], "enum": ["college", "lycee", None]},
    "function": {"type": "string", "enum": ["head", "teacher", "cpe", "admin_staff", "other"]},
    "function_label": _NULLABLE_STR,
    "source": {"type": "string", "enum": ["fim", "platform"],
               "description": "fim : connu par l'authentification des personnels ; platform : compte de la "
                              "plateforme."},
    "confirmed": {"type": "boolean", "description": "Compte confirmé pour cet établissement."},
    "confirmed_how": _NULLABLE_STR,
    "current": {"type": "boolean", "description": "L'établissement courant (celui du jeton)."},
    "designated_head": {"type": "boolean"},
}, ["school_uai", "function", "confirmed", "current"], additional=True,
    description="Un établissement auquel je suis rattaché(e).")

MY_SCHOOLS = component("MySchools", obj({
    "current_uai": _NULLABLE_STR, "items": array(MEMBERSHIP)}, ["current_uai", "items"],
    description="Mes établissements (personnels rattachés à plusieurs établissements)."), {
    "current_uai": "0131884C",
    "items": [
        {"school_uai": "0131884C", "name": "Collège Belle de Mai", "commune_name": "Marseille", "kind": "college",
         "function": "head", "function_label": "Chef d'établissement", "source": "fim", "confirmed": True,
         "confirmed_how": "federation", "current": True, "designated_head": True},
        {"school_uai": "0130001A", "name": "Lycée Thiers", "commune_name": "Marseille", "kind": "lycee",
         "function": "head", "function_label": "Chef d'établissement", "source": "fim", "confirmed": True,
         "confirmed_how": "federation", "current": False, "designated_head": True}]})


@route("GET", "/api/v1/me/schools", summary="Personnel : mes établissements", tags=TAG_ME, roles=["school_staff"],
       description="Les établissements auxquels je suis rattaché(e) (par l'authentification des personnels FIM ou "
                   "sur la plateforme), ma fonction et ma confirmation dans chacun, et l'établissement courant.",
       response=MY_SCHOOLS)
def my_schools(req):
    return req.rpc("identity").list_my_schools(actor=req.actor)


@route("PUT", "/api/v1/me/school", summary="Personnel : changer d'établissement courant", tags=TAG_ME,
       roles=["school_staff"],
       description="Rend courant un de mes établissements et ouvre une nouvelle session : les jetons renvoyés portent "
                   "cet établissement (school_uai), ma fonction et ma confirmation dans celui-ci. 403 pour un "
                   "établissement qui n'est pas un des miens.",
       body=obj({"uai": UAI}, ["uai"]), body_example={"uai": "0130001A"}, response=TOKENS,
       extra_responses={403: "Établissement auquel vous n'êtes pas rattaché(e)"})
def switch_school(req):
    c = req.client()
    return req.rpc("identity").switch_school(actor=req.actor, uai=req.body["uai"],
                                             client={"ip": c["ip"], "user_agent": c["user_agent"]})
