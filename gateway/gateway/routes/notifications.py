"""HTTP routes of the notifications domain: the in-app inbox, notification preferences, and the
admin view of failed messages. The notifications service checks the actor again."""
from gateway.api import PAGE, UUID, array, component, obj, page_of, route

ALL_ROLES = ["employer", "operator", "school_staff", "pupil", "statistician", "admin"]
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
# the notifications domain's channels and message statuses (a unit test of the service checks they agree)
CHANNEL = {"type": "string", "enum": ["email", "sms", "in_app"]}
STATUSES = ["pending", "sent", "failed", "skipped", "cancelled"]

NOTIFICATION = obj({
    "id": UUID,
    "template": {"type": "string", "description": "Type de message (ex. new_application)."},
    "title": {"type": "string"},
    "body": {"type": "string"},
    "link": {"type": "string", "format": "uri"},
    "created_at": DATETIME,
    "read_at": NULLABLE_DATETIME,
}, ["id", "template", "title", "body", "link", "created_at", "read_at"], description="Une notification de la boîte "
                                                                                   "de réception.")
NOTIFICATION = component("Notification", NOTIFICATION, {
    "id": "2f4e6a8c-1b3d-4f5a-9c7e-0a2b4c6d8e1f", "template": "new_application", "title": "Nouvelle candidature",
    "body": "Camille Martin a candidaté à votre offre « Découverte des métiers de la boulangerie ».",
    "link": "https://1eleve1stage.example.fr/candidatures/9a3d7c2e-1b4f-4e6a-8d5c-3f2e1a0b9c87",
    "created_at": "2026-12-01T17:45:00Z", "read_at": None})

NOTIFICATION_PAGE = component("NotificationPage", page_of(NOTIFICATION, {
    "unread": {"type": "integer", "description": "Notifications non lues (toutes pages)."}},
    ["page", "page_size", "total", "unread"]),
    {"items": [], "page": 1, "per_page": 30, "page_size": 30, "total": 0, "has_more": False, "unread": 0})

UNREAD = obj({"unread": {"type": "integer", "minimum": 0}}, ["unread"])

CATEGORY_SWITCHES = {"type": "object", "additionalProperties": {"type": "boolean"},
                     "description": "Catégorie -> reçue ou non (account, applications, conventions, offers, "
                                    "reminders, school). Les messages essentiels et de sécurité partent toujours."}
PREFERENCES_IN = obj({"email": CATEGORY_SWITCHES, "sms": CATEGORY_SWITCHES})
PREFERENCES = component("NotificationPreferences", obj({"email": CATEGORY_SWITCHES, "sms": CATEGORY_SWITCHES,
                   "categories": array({"type": "string"}),
                   "essential_templates": array({"type": "string"})},
                  ["email", "sms", "categories", "essential_templates"]),
    {"email": {"applications": True, "reminders": False}, "sms": {"applications": False},
     "categories": ["account", "applications", "conventions", "offers", "reminders", "school"],
     "essential_templates": ["password_reset"]})

MESSAGE = obj({
    "id": UUID, "event_id": {"type": "string"}, "event_type": {"type": "string"},
    "template": {"type": "string"}, "recipient": {"type": "string"},
    "channel": CHANNEL,
    "status": {"type": "string", "enum": STATUSES},
    "attempts": {"type": "integer"}, "last_error": {"type": ["string", "null"]},
    "subject": {"type": ["string", "null"]},
    "created_at": DATETIME, "next_attempt_at": NULLABLE_DATETIME, "sent_at": NULLABLE_DATETIME,
    "refs": {"type": "object", "additionalProperties": {"type": ["string", "null"]},
             "description": "Ce dont parle le message (application_id, offer_id, convention_id...)."},
}, ["id", "template", "channel", "status", "attempts"], additional=True, description="Un message envoyé (ou à "
                                                                                     "envoyer) par e-mail ou SMS.")
MESSAGE = component("Message", MESSAGE, {
    "id": "6c8e0a2b-4d6f-4a1c-8e3b-5d7f9a1c3e5b", "event_id": "1e3a5c7e-9b2d-4f6a-8c0e-2b4d6f8a0c2e",
    "event_type": "application.submitted", "template": "new_application", "recipient": "camille.martin@example.fr",
    "channel": "email", "status": "failed", "attempts": 5, "last_error": "550 boîte aux lettres inconnue",
    "subject": "Nouvelle candidature", "created_at": "2026-12-01T17:45:00Z", "next_attempt_at": None,
    "sent_at": None, "refs": {"application_id": "9a3d7c2e-1b4f-4e6a-8d5c-3f2e1a0b9c87"}})

MESSAGE_PAGE = component("MessagePage", page_of(MESSAGE, required=["total"]))


@route("GET", "/api/v1/me/notifications", summary="Mes notifications", tags=["notifications"], roles=ALL_ROLES,
       description="La boîte de réception de l'utilisateur connecté, les plus récentes d'abord.",
       query=obj({"unread_only": {"type": "boolean", "default": False},
                  "page": PAGE,
                  "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 30}}),
       response=NOTIFICATION_PAGE)
def list_my_notifications(req):
    q = req.query or {}
    return req.rpc("notifications").list_notifications(
        actor=req.actor, unread_only=bool(q.get("unread_only", False)), page=q.get("page", 1),
        page_size=q.get("page_size", 30))


@route("GET", "/api/v1/me/notifications/unread-count", summary="Nombre de notifications non lues",
       tags=["notifications"], roles=ALL_ROLES, response=UNREAD)
def unread_count(req):
    return req.rpc("notifications").unread_count(actor=req.actor)


@route("POST", "/api/v1/me/notifications/<notification_id>/read", summary="Marquer une notification comme lue",
       tags=["notifications"], roles=ALL_ROLES, response=NOTIFICATION)
def mark_read(req):
    return req.rpc("notifications").mark_read(actor=req.actor, notification_id=req.path["notification_id"])


@route("POST", "/api/v1/me/notifications/read-all", summary="Tout marquer comme lu", tags=["notifications"],
       roles=ALL_ROLES, response=obj({"marked": {"type": "integer"}}, ["marked"]))
def mark_all_read(req):
    return req.rpc("notifications").mark_all_read(actor=req.actor)


@route("GET", "/api/v1/me/notification-preferences", summary="Mes préférences de notification",
       tags=["notifications"], roles=ALL_ROLES, response=PREFERENCES)
def get_preferences(req):
    return req.rpc("notifications").get_preferences(actor=req.actor)


@route("PUT", "/api/v1/me/notification-preferences", summary="Choisir les messages reçus par e-mail et SMS",
       description="Seuls les messages facultatifs peuvent être désactivés ; les messages essentiels "
                   "et de sécurité (activation, mot de passe, code de signature) partent toujours.",
       tags=["notifications"], roles=ALL_ROLES, body=PREFERENCES_IN, response=PREFERENCES)
def set_preferences(req):
    return req.rpc("notifications").set_preferences(actor=req.actor, preferences=req.body or {})


@route("GET", "/api/v1/admin/notifications", summary="Messages envoyés ou en échec (administration)",
       description="Par défaut les messages en échec (`failed`) : tentatives épuisées ou refus définitif.",
       tags=["notifications", "admin"], roles=["admin"],
       query=obj({"status": {"type": "string", "enum": STATUSES, "default": "failed"},
                  "event_id": {"type": "string"}, "user_id": UUID,
                  "page": PAGE,
                  "page_size": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}),
       response=MESSAGE_PAGE)
def admin_list_messages(req):
    q = req.query or {}
    return req.rpc("notifications").list_messages(
        actor=req.actor, status=q.get("status", "failed"), page=q.get("page", 1), page_size=q.get("page_size", 50),
        event_id=q.get("event_id"), user_id=q.get("user_id"))


@route("POST", "/api/v1/admin/notifications/<message_id>/retry", summary="Renvoyer un message en échec",
       tags=["notifications", "admin"], roles=["admin"], response=MESSAGE)
def admin_retry_message(req):
    return req.rpc("notifications").retry_message(actor=req.actor, message_id=req.path["message_id"])


@route("POST", "/api/v1/admin/notifications/retry", summary="Renvoyer tous les messages en échec d'une période",
       description="Remet en envoi chaque message en échec créé dans `[from, to)` (sur un canal ou tous), avec une "
                   "nouvelle série de tentatives. Les messages en échec pendant une panne du serveur de courriel "
                   "ou du fournisseur de SMS sont déjà renvoyés d'eux-mêmes à son retour.",
       tags=["notifications", "admin"], roles=["admin"],
       body=obj({"from": DATETIME, "to": DATETIME,
                 "channel": CHANNEL}, ["from", "to"]),
       response=obj({"retried": {"type": "integer", "minimum": 0}}, ["retried"]))
def admin_retry_failed_messages(req):
    body = req.body
    return req.rpc("notifications").retry_failed_messages(actor=req.actor, created_from=body["from"],
                                                          created_to=body["to"], channel=body.get("channel"))
