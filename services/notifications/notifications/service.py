"""nameko entrypoints of the notifications service. Keep them thin: rules live in
``notifications.domain``, recording and sending in ``notifications.dispatch``."""

import datetime as dt
import logging
import os
import uuid

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy import false, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from common.db import Database
from common.errors import Conflict, FieldErrors, Forbidden, NotFound, ValidationError
from common.events import event_handler
from common.rpc import Rpc
from common.service import PlatformService, rpc
from common.validation import check_email, normalize_phone

from . import config
from .channels.email import SmtpSender
from .channels.sms import provider_from_env
from .dispatch import Directory, Dispatcher, record_direct, record_event
from .domain import records
from .domain.circuit import Circuit
from .domain.messages import CATEGORIES, EMAIL, IN_APP, MESSAGES, SMS
from .domain.policy import normalize_preferences
from .domain.routing import ROUTES
from .models import inbox_items, messages, metadata, reminders
from .models import preferences as preferences_table
from .templates.renderer import MissingContext, Renderer

log = logging.getLogger("notifications")

SETTINGS = config.load()  # timer intervals (read when the class is defined)


class Outbound(DependencyProvider):
    """Settings, renderer, SMTP sender and SMS provider of this container: from the environment,
    overridden by the container's config keys ``SMTP_*``, ``SMS_*``, ``NOTIFICATIONS_*`` and
    ``STAGES_PUBLIC_URL`` (in-process tests)."""

    def setup(self):
        env = dict(os.environ)
        env.update({k: str(v) for k, v in self.container.config.items()
                    if isinstance(k, str) and k.startswith(("SMTP_", "SMS_", "NOTIFICATIONS_", "STAGES_PUBLIC_URL"))})
        self.configure(env)
        # the channels' circuit breakers live as long as the process (see domain/circuit.py)
        self.circuits = {EMAIL: Circuit(), SMS: Circuit()}

    def configure(self, env: dict) -> None:
        self.settings = config.load(env)
        self.renderer = Renderer(self.settings.base_url)
        self.smtp = SmtpSender(self.settings.smtp)
        self.sms = provider_from_env(env)
        self.env = env

    def get_dependency(self, worker_ctx):
        return self


# Events this service listens to: those that cause messages, reminders or erasure.
SOURCES = {"user": "identity", "pupil": "identity", "staff": "identity", "school": "identity", "offer": "offers", "application": "applications",
           "convention": "conventions"}
LISTENED = sorted(t for t, rules in ROUTES.items()
                  if rules or t.startswith("application.") or t == "user.anonymized")


def _actor_user(actor) -> str:
    if not isinstance(actor, dict) or not actor.get("user_id"):
        raise Forbidden("Authentification requise.")
    return str(actor["user_id"])


def _require_admin(actor) -> None:
    if not isinstance(actor, dict) or actor.get("role") != "admin":
        raise Forbidden("Réservé aux administrateurs.")


def _datetime_field(errors: FieldErrors, field: str, value) -> dt.datetime | None:
    """An aware ISO 8601 datetime from a request field, or an error on that field."""
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        errors.add(field, "Date et heure attendues au format ISO 8601 avec fuseau, par exemple "
                          "2027-02-13T08:00:00+01:00.")
        return None
    return parsed


def _iso(value):
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


def _inbox_item(row) -> dict:
    return {"id": row["id"], "template": row["template"], "title": row["title"], "body": row["body"],
            "link": row["link"], "created_at": _iso(row["created_at"]), "read_at": _iso(row["read_at"])}


REF_KEYS = ("application_id", "offer_id", "convention_id", "school_uai", "import_id")


def _message_view(row) -> dict:
    out = {k: _iso(row[k]) for k in ("id", "event_id", "event_type", "template", "recipient", "channel", "status",
                                     "attempts", "last_error", "created_at", "next_attempt_at", "sent_at",
                                     "subject")}
    out["refs"] = {k: v for k, v in (row["context"] or {}).items() if k in REF_KEYS}  # what it was about
    return out


SECRET_CONTEXT_KEYS = ("token", "code", "password", "secret")  # single-use secrets: not repeated in an export


def _exported_message(row) -> dict:
    out = {k: _iso(row[k]) for k in ("id", "event_id", "event_type", "template", "channel", "address",
                                     "recipient_name", "subject", "status", "attempts", "created_at", "sent_at")}
    out["context"] = {k: ("(masqué)" if any(s in k.lower() for s in SECRET_CONTEXT_KEYS) else v)
                      for k, v in (row["context"] or {}).items()}
    return out


class NotificationsService(PlatformService):
    name = "notifications"
    # 8 kept + 8 overflow at most: the platform runs five services on one PostgreSQL (max_connections 100)
    db = Database("notifications", metadata, pool_size=8)
    # the dispatch timer's lag (intents to resolve, messages to send), exported as stages_timer_lag_seconds
    ops_timers = {"dispatch": "SELECT least((SELECT min(next_attempt_at) FROM intents WHERE status = 'pending' "
                              "AND next_attempt_at <= :now), (SELECT min(next_attempt_at) FROM messages "
                              "WHERE status = 'pending' AND next_attempt_at <= :now))"}
    identity = Rpc("identity", timeout=SETTINGS.rpc_timeout)
    applications = Rpc("applications", timeout=SETTINGS.rpc_timeout)
    offers = Rpc("offers", timeout=SETTINGS.rpc_timeout)
    conventions = Rpc("conventions", timeout=SETTINGS.rpc_timeout)
    outbound = Outbound()

    # -- plumbing ---------------------------------------------------------------------
    def _dispatcher(self) -> Dispatcher:
        directory = Directory(self.identity, self.applications, self.offers, self.conventions)
        o = self.outbound
        return Dispatcher(self.db, directory, o.renderer, o.smtp, o.sms, o.settings.policy,
                          circuits=o.circuits, probe_interval=o.settings.probe_interval)

    def _dispatch_now(self, event_id: str) -> None:
        """Send what an event or a direct call just recorded, without waiting for the timer.
        A failure here only delays: the rows stay pending for the retry timer."""
        try:
            self._dispatcher().run_once(self.clock.now(), event_id=event_id)
        except Exception:  # noqa: BLE001
            log.exception("immediate dispatch of %s failed; the retry timer will resume it", event_id)

    def _on_event(self, envelope: dict) -> None:
        now = self.clock.now()
        with self.db.uow() as uow:
            if not uow.claim(envelope, "notifications.on_event"):
                return
            summary = record_event(uow.session, envelope, now)
        log.info("event %s %s: %s", envelope.get("type"), envelope.get("event_id"), summary)
        self._dispatch_now(str(envelope["event_id"]))

    @timer(interval=SETTINGS.dispatch_interval)
    def retry_due(self):
        """Resolve and send what is due: new rows missed by an immediate dispatch, and retries."""
        d = self._dispatcher()
        now = self.clock.now()
        d.resolve_due(now, limit=200)
        d.send_due(now, limit=200)

    @timer(interval=SETTINGS.reminder_interval)
    def fire_reminders(self):
        fired = self._dispatcher().fire_reminders(self.clock.now())
        if fired:
            log.info("%s reminders due", fired)

    # -- direct messages (other services) ------------------------------------------------
    @rpc
    def send_message(self, template, to, context=None, key=None):
        errs = FieldErrors()
        context = context if context is not None else {}
        if template not in MESSAGES:
            errs.add("template", "Modèle de message inconnu.")
        if not isinstance(to, dict) or not (to.get("user_id") or to.get("email") or to.get("phone")):
            errs.add("to", "Destinataire requis : user_id, email ou phone.")
        else:
            if to.get("email") and check_email(to["email"]):
                errs.add("to.email", check_email(to["email"]))
            if to.get("phone") and not normalize_phone(to["phone"]):
                errs.add("to.phone", "Numéro de téléphone mobile invalide.")
        if not isinstance(context, dict):
            errs.add("context", "Le contexte doit être un objet.")
        if not isinstance(key, str) or not key.strip() or len(key) > 200:
            errs.add("key", "Clé d'idempotence requise (200 caractères au plus).")
        if not errs and template in MESSAGES:
            try:
                self.outbound.renderer.link(template, context)
            except MissingContext as exc:
                errs.add("context", f"Information manquante pour le lien : {exc.args[0]}")
        errs.raise_if_any()
        to = dict(to)
        if to.get("phone"):
            to["phone"] = normalize_phone(to["phone"])
        now = self.clock.now()
        with self.db.uow() as uow:
            record_direct(uow.session, template, to, context, key.strip(), now)
        # Recorded: the retry timer (every NOTIFICATIONS_DISPATCH_INTERVAL, 1 s) resolves and sends it.
        # Nothing is sent inline, so a caller inside its own transaction never waits on SMTP.
        return {"key": key, "status": "accepted"}

    # -- in-app inbox -----------------------------------------------------------------------
    @rpc
    def list_notifications(self, actor, unread_only=False, page=1, page_size=30):
        user_id = _actor_user(actor)
        page, page_size = max(1, int(page or 1)), min(100, max(1, int(page_size or 30)))
        cond = [inbox_items.c.user_id == user_id]
        if unread_only:
            cond.append(inbox_items.c.read_at.is_(None))
        with self.db.session() as s:
            total = s.execute(select(func.count()).select_from(inbox_items).where(*cond)).scalar()
            unread = s.execute(select(func.count()).select_from(inbox_items).where(
                inbox_items.c.user_id == user_id, inbox_items.c.read_at.is_(None))).scalar()
            rows = s.execute(select(inbox_items).where(*cond)
                             .order_by(inbox_items.c.created_at.desc(), inbox_items.c.id)
                             .offset((page - 1) * page_size).limit(page_size)).mappings().all()
        return {"items": [_inbox_item(r) for r in rows], "page": page, "page_size": page_size, "total": total,
                "unread": unread}

    @rpc
    def unread_count(self, actor):
        user_id = _actor_user(actor)
        with self.db.session() as s:
            n = s.execute(select(func.count()).select_from(inbox_items).where(
                inbox_items.c.user_id == user_id, inbox_items.c.read_at.is_(None))).scalar()
        return {"unread": n}

    @rpc
    def mark_read(self, actor, notification_id):
        user_id = _actor_user(actor)
        try:
            uuid.UUID(str(notification_id))
        except ValueError:
            raise NotFound("Notification introuvable.", code="notification_not_found")
        now = self.clock.now()
        with self.db.uow() as uow:
            uow.execute(update(inbox_items).where(inbox_items.c.id == str(notification_id),
                                                  inbox_items.c.user_id == user_id,
                                                  inbox_items.c.read_at.is_(None)).values(read_at=now))
            row = uow.execute(select(inbox_items).where(inbox_items.c.id == str(notification_id),
                                                        inbox_items.c.user_id == user_id)).mappings().first()
        if row is None:
            raise NotFound("Notification introuvable.", code="notification_not_found")
        return _inbox_item(row)

    @rpc
    def mark_all_read(self, actor):
        user_id = _actor_user(actor)
        with self.db.uow() as uow:
            n = uow.execute(update(inbox_items).where(inbox_items.c.user_id == user_id,
                                                      inbox_items.c.read_at.is_(None))
                            .values(read_at=self.clock.now())).rowcount
        return {"marked": n}

    # -- personal data -------------------------------------------------------------------------
    @rpc
    def export_personal_data(self, actor, addresses=None):
        """Everything this service keeps about the caller (``GET /me/data``): the messages sent to them (to their
        account, or to one of ``addresses``, their e-mail and phone as identity knows them, for messages sent
        before they had an account) with what each said (template, subject, context; single-use secrets masked),
        their in-app notifications, their preferences and their pending reminders."""
        user_id = _actor_user(actor)
        addrs = sorted({str(a).strip().lower() for a in (addresses or []) if a and str(a).strip()})[:10]
        with self.db.session() as s:
            sent = s.execute(select(messages).where(or_(
                messages.c.user_id == user_id, func.lower(messages.c.address).in_(addrs) if addrs else false()))
                .order_by(messages.c.created_at, messages.c.id)).mappings().all()
            inbox = s.execute(select(inbox_items).where(inbox_items.c.user_id == user_id)
                              .order_by(inbox_items.c.created_at, inbox_items.c.id)).mappings().all()
            prefs = s.execute(select(preferences_table.c.preferences, preferences_table.c.updated_at)
                              .where(preferences_table.c.user_id == user_id)).mappings().first()
            rems = s.execute(select(reminders).where(reminders.c.user_id == user_id)
                             .order_by(reminders.c.due_at)).mappings().all()
        return {"messages": [_exported_message(r) for r in sent],
                "in_app": [_inbox_item(r) for r in inbox],
                "preferences": ({"preferences": prefs["preferences"], "updated_at": _iso(prefs["updated_at"])}
                                if prefs else None),
                "reminders": [{"application_id": r["application_id"], "template": r["template"],
                               "deadline": _iso(r["deadline"]), "due_at": _iso(r["due_at"]), "status": r["status"]}
                              for r in rems]}

    # -- preferences -----------------------------------------------------------------------------
    def _preferences_view(self, prefs: dict) -> dict:
        return {**normalize_preferences(prefs), "categories": list(CATEGORIES),
                "essential_templates": sorted(t for t, s in MESSAGES.items() if s.essential)}

    @rpc
    def get_preferences(self, actor):
        user_id = _actor_user(actor)
        with self.db.session() as s:
            p = s.execute(select(preferences_table.c.preferences)
                          .where(preferences_table.c.user_id == user_id)).scalar()
        return self._preferences_view(p or {})

    @rpc
    def set_preferences(self, actor, preferences):
        user_id = _actor_user(actor)
        errs = FieldErrors()
        if not isinstance(preferences, dict):
            raise ValidationError(errors={"preferences": ["Les préférences doivent être un objet."]})
        for channel, cats in preferences.items():
            if channel not in ("email", "sms"):
                errs.add(channel, "Canal inconnu (email ou sms).")
                continue
            if not isinstance(cats, dict):
                errs.add(channel, "Attendu : un objet {catégorie: vrai/faux}.")
                continue
            for cat, on in cats.items():
                if cat not in CATEGORIES:
                    errs.add(f"{channel}.{cat}", "Catégorie inconnue.")
                elif not isinstance(on, bool):
                    errs.add(f"{channel}.{cat}", "Attendu : vrai ou faux.")
        errs.raise_if_any()
        prefs = normalize_preferences(preferences)
        with self.db.uow() as uow:
            uow.execute(insert(preferences_table).values(user_id=user_id, preferences=prefs, updated_at=self.clock.now())
                        .on_conflict_do_update(index_elements=["user_id"],
                                               set_={"preferences": prefs, "updated_at": self.clock.now()}))
        return self._preferences_view(prefs)

    # -- admin ------------------------------------------------------------------------------------
    @rpc
    def list_messages(self, actor, status="failed", page=1, page_size=50, event_id=None, user_id=None):
        _require_admin(actor)
        if status and status not in records.STATUSES:
            raise ValidationError(errors={"status": [f"Statut inconnu ({', '.join(records.STATUSES)})."]})
        page, page_size = max(1, int(page or 1)), min(200, max(1, int(page_size or 50)))
        cond = []
        if status:
            cond.append(messages.c.status == status)
        if event_id:
            cond.append(messages.c.event_id == event_id)
        if user_id:
            cond.append(messages.c.user_id == str(user_id))
        with self.db.session() as s:
            total = s.execute(select(func.count()).select_from(messages).where(*cond)).scalar()
            rows = s.execute(select(messages).where(*cond).order_by(messages.c.created_at.desc(), messages.c.id)
                             .offset((page - 1) * page_size).limit(page_size)).mappings().all()
        return {"items": [_message_view(r) for r in rows], "total": total, "page": page, "page_size": page_size}

    @rpc
    def retry_message(self, actor, message_id):
        _require_admin(actor)
        now = self.clock.now()
        with self.db.uow() as uow:
            row = uow.execute(select(messages).where(messages.c.id == str(message_id)).with_for_update()
                              ).mappings().first()
            if row is None:
                raise NotFound("Message introuvable.", code="message_not_found")
            try:
                d = records.retry_failed(records.Delivery(row["status"], row["attempts"]), now)
            except records.InvalidTransition:
                raise Conflict("Seul un message en échec peut être renvoyé.", code="message_not_failed")
            uow.execute(update(messages).where(messages.c.id == row["id"]).values(
                status=d.status, attempts=d.attempts, next_attempt_at=d.next_attempt_at, updated_at=now))
            row = uow.execute(select(messages).where(messages.c.id == row["id"])).mappings().first()
        return _message_view(row)

    @rpc
    def retry_failed_messages(self, actor, created_from, created_to, channel=None):
        """Send again every failed message created in ``[created_from, created_to)`` (ISO 8601 datetimes),
        on one channel or all: a fresh round of attempts for each. Returns ``{"retried": n}``."""
        _require_admin(actor)
        errors = FieldErrors()
        start, end = _datetime_field(errors, "from", created_from), _datetime_field(errors, "to", created_to)
        if start and end and start >= end:
            errors.add("to", "La fin de la période doit suivre son début.")
        if channel is not None and channel not in (EMAIL, SMS, IN_APP):
            errors.add("channel", "Canal inconnu : email, sms ou in_app.")
        errors.raise_if_any()
        now = self.clock.now()
        cond = [messages.c.status == records.FAILED, messages.c.created_at >= start, messages.c.created_at < end]
        if channel is not None:
            cond.append(messages.c.channel == channel)
        with self.db.uow() as uow:
            n = uow.execute(update(messages).where(*cond).values(
                status=records.PENDING, attempts=0, next_attempt_at=now, updated_at=now)).rowcount
        log.info("admin %s retried %s failed messages created in [%s, %s) (%s)", actor.get("user_id"), n,
                 start.isoformat(), end.isoformat(), channel or "all channels")
        return {"retried": n}

    @rpc
    def configure_for_tests(self, settings):
        """Point this process at a test SMTP server / SMS settings (cross-service tests only:
        refused unless STAGES_CLOCK_CONTROL=1, like ``set_clock_offset``)."""
        from common import settings as common_settings
        if not common_settings.env_flag("STAGES_CLOCK_CONTROL"):
            raise Forbidden("La configuration de test est désactivée.")
        env = dict(self.outbound.env)
        env.update({k: str(v) for k, v in (settings or {}).items()
                    if k.startswith(("SMTP_", "SMS_", "NOTIFICATIONS_", "STAGES_PUBLIC_URL"))})
        self.outbound.configure(env)
        self.outbound.circuits = {EMAIL: Circuit(), SMS: Circuit()}  # other servers: what was seen no longer holds
        return {"smtp": f"{self.outbound.settings.smtp.host}:{self.outbound.settings.smtp.port}"}

    @rpc
    def dispatch_pending(self):
        """Run one pass of the retry timer now (operations; tests)."""
        d = self._dispatcher()
        now = self.clock.now()
        return {"resolved": d.resolve_due(now, limit=1000), "sent": d.send_due(now, limit=1000),
                "reminders": d.fire_reminders(now)}


def _make_handler(event_type: str):
    source = SOURCES[event_type.split(".")[0]]

    def handle(self, envelope):
        self._on_event(envelope)

    handle.__name__ = "on_" + event_type.replace(".", "_")
    return event_handler(source, event_type)(handle)


for _event_type in LISTENED:
    _h = _make_handler(_event_type)
    setattr(NotificationsService, _h.__name__, _h)
