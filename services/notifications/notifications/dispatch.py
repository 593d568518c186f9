"""Recording and sending messages (database and network side of the service).

Three stages, each idempotent and safe under concurrency (rows are claimed
with ``FOR UPDATE SKIP LOCKED``, so two workers never handle the same row):

1. ``record_event`` / ``record_direct`` (in the event handler's or RPC's
   transaction): the domain's routing gives intents, stored once per
   (event, recipient reference, template).
2. ``Dispatcher.resolve_due``: each pending intent's recipients and contact
   details are asked to identity by RPC (at send time), its context enriched
   (offer title, pupil first name...) from the owning services, the channels
   chosen (preferences, privacy), and one message row is written per
   (event, recipient, template) and channel (unique: nothing is sent twice).
3. ``Dispatcher.send_due``: each pending message due now is sent (SMTP, SMS,
   or written to the in-app inbox) and marked sent, or its failure recorded
   with exponential backoff until ``failed``.

A failure at stage 2 (identity down) or 3 (SMTP down) delays, never loses:
the row stays pending with its next attempt time, and the retry timer
resumes it.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import replace

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from nameko.exceptions import MethodNotFound

from common.errors import NotFound
from common.ops import observe_message

from .channels.email import DeliveryError, PermanentFailure, SmtpSender, Unreachable
from .domain import circuit as circuits_domain, records, reminders as reminders_domain
from .domain.messages import EMAIL, IN_APP, MESSAGES, SMS
from .domain.policy import Contact, apply_privacy, choose_channels, normalize_preferences
from .domain.routing import (ADDRESS, APPLICATION_PARTY, OFFER_OWNER, PUPIL_TEACHERS, SCHOOL_STAFF, USER,
                             RecipientRef, route)
from .models import convention_signers, inbox_items, intents, messages, preferences, reminders
from .templates.renderer import MissingContext, Renderer

log = logging.getLogger("notifications.dispatch")

SECRET_KEYS = ("token", "code")
RESOLVED = "resolved"


class RecipientUnknown(Exception):
    """Permanent: identity does not know this recipient."""


# ------------------------------------------------------------------ stage 1
def _intent_row(event_id: str, event_type: str, template: str, ref: RecipientRef, context: dict,
                now: dt.datetime, extra: dict | None = None) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "key": records.message_key(event_id, ref.key, template),
        "event_id": event_id, "event_type": event_type, "template": template,
        "recipient_kind": ref.kind, "recipient_value": ref.value,
        "recipient_functions": list(ref.functions), "recipient_extra": extra or {},
        "context": context, "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
    }


def _insert_intents(session, rows: list[dict]) -> int:
    if not rows:
        return 0
    res = session.execute(insert(intents).values(rows).on_conflict_do_nothing(index_elements=["key"])
                          .returning(intents.c.id))
    return len(res.fetchall())


def record_event(session, envelope: dict, now: dt.datetime) -> dict:
    """Everything one platform event does here. Returns a summary (for logs and tests)."""
    event_type = envelope.get("type", "")
    data = envelope.get("data") or {}
    event_id = str(envelope["event_id"])
    if event_type in ("convention.signed", "convention.reopened") and data.get("convention_id"):
        data = _track_signers(session, event_type, data, _occurred_at(envelope, now))
    result = route(event_type, data)
    rows = [_intent_row(event_id, event_type, i.template, i.recipient, i.context, now) for i in result.intents]
    created = _insert_intents(session, rows)
    if result.skipped:
        log.warning("event %s (%s): no recipient for %s", event_id, event_type, result.skipped)
    summary = {"intents": created, "skipped": result.skipped}
    if event_type.startswith("application."):
        summary["reminders"] = _plan_reminders(session, event_type, data, envelope, now)
    if event_type == "user.anonymized" and data.get("user_id"):
        summary["anonymized"] = anonymize_user(session, str(data["user_id"]), now)
    return summary


def _track_signers(session, event_type: str, data: dict, occurred: dt.datetime) -> dict:
    """Remember who signed each agreement (reset when it is reopened); add ``signed_roles`` to the data."""
    conv = str(data["convention_id"])
    if event_type == "convention.reopened":
        session.execute(convention_signers.delete().where(convention_signers.c.convention_id == conv))
        return data
    if data.get("role"):
        session.execute(insert(convention_signers).values(convention_id=conv, role=str(data["role"]),
                                                          signed_at=occurred).on_conflict_do_nothing())
    roles = session.execute(select(convention_signers.c.role)
                            .where(convention_signers.c.convention_id == conv)).scalars().all()
    return {**data, "signed_roles": sorted(roles)}


def _occurred_at(envelope: dict, now: dt.datetime) -> dt.datetime:
    return reminders_domain.parse_dt(envelope.get("occurred_at")) or now


def _plan_reminders(session, event_type: str, data: dict, envelope: dict, now: dt.datetime) -> dict:
    occurred = _occurred_at(envelope, now)
    plan = reminders_domain.plan(event_type, data, occurred)
    app_id = str(data.get("application_id") or "")
    cancelled = created = 0
    if plan.cancel and app_id:
        cancelled = session.execute(
            update(reminders).where(reminders.c.application_id == app_id, reminders.c.status == "pending",
                                    reminders.c.source_occurred_at <= occurred)
            .values(status="cancelled")).rowcount
    if app_id and plan.create:
        newer = session.execute(select(func.count()).select_from(reminders).where(
            reminders.c.application_id == app_id, reminders.c.source_occurred_at > occurred)).scalar()
        if not newer:
            for r in plan.create:
                res = session.execute(insert(reminders).values(
                    id=str(uuid.uuid4()), key=r.key, application_id=r.application_id, template=r.template,
                    user_id=r.recipient.value, deadline=r.deadline, due_at=r.due_at, context=r.context,
                    status="pending", source_occurred_at=occurred, created_at=now,
                ).on_conflict_do_update(index_elements=["key"], set_={"status": "pending"},
                                        where=reminders.c.status == "cancelled").returning(reminders.c.id))
                created += len(res.fetchall())
    return {"cancelled": cancelled, "created": created}


def record_direct(session, template: str, to: dict, context: dict, key: str, now: dt.datetime) -> dict:
    """A direct message (``send_message`` RPC). Idempotent on ``key``."""
    if to.get("user_id"):
        ref = RecipientRef(USER, str(to["user_id"]))
        extra = {}
    else:
        address = (to.get("email") or to.get("phone") or "").strip()
        ref = RecipientRef(ADDRESS, address.lower() if "@" in address else address)
        extra = {k: str(to[k]).strip() for k in ("email", "phone", "name") if to.get(k)}
        if extra.get("email"):
            extra["email"] = extra["email"].lower()
    event_id = f"direct:{key}"
    row = _intent_row(event_id, "direct", template, ref, context, now, extra)
    _insert_intents(session, [row])
    return {"event_id": event_id, "intent_key": row["key"]}


def anonymize_user(session, user_id: str, now: dt.datetime) -> dict:
    """Erase what this service holds about a user (identity erased them first)."""
    inbox_deleted = session.execute(inbox_items.delete().where(inbox_items.c.user_id == user_id)).rowcount
    session.execute(preferences.delete().where(preferences.c.user_id == user_id))
    cancelled = session.execute(
        update(messages).where(messages.c.user_id == user_id, messages.c.status == "pending")
        .values(status="cancelled", last_error="recipient anonymised", next_attempt_at=None, updated_at=now)).rowcount
    session.execute(update(messages).where(messages.c.user_id == user_id)
                    .values(address=None, recipient_name=None, context={}, subject=None, updated_at=now))
    session.execute(update(intents).where(intents.c.recipient_kind == USER, intents.c.recipient_value == user_id,
                                          intents.c.status == "pending")
                    .values(status="cancelled", last_error="recipient anonymised"))
    session.execute(update(reminders).where(reminders.c.user_id == user_id, reminders.c.status == "pending")
                    .values(status="cancelled"))
    return {"inbox_deleted": inbox_deleted, "messages_cancelled": cancelled}


# ------------------------------------------------------------------ directory (RPC)
def contact_from(d: dict | None) -> Contact | None:
    if not d:
        return None
    status = d.get("status")
    active = d.get("active", d.get("is_active"))
    if active is None:
        active = status in (None, "active")
    return Contact(
        user_id=str(d.get("user_id") or d.get("id") or "") or None,
        email=d.get("email"),
        phone=d.get("phone") or d.get("mobile_phone"),
        first_name=d.get("first_name"),
        last_name=d.get("last_name"),
        role=d.get("role"),
        active=bool(active),
        anonymized=bool(d.get("anonymized") or d.get("anonymized_at") or status == "anonymized"),
    )


class Directory:
    """Who the recipients are, from identity (at send time), and what the messages may say about
    the application, offer or agreement, from their owners. Proxies are ``common.rpc.Rpc``."""

    def __init__(self, identity, applications=None, offers=None, conventions=None):
        self.identity = identity
        self.applications = applications
        self.offers = offers
        self.conventions = conventions
        self._cache: dict = {}

    def contacts(self, kind: str, value: str, functions: list[str], extra: dict) -> list[Contact]:
        if kind == ADDRESS:
            name = extra.get("name") or ""
            first, _, last = name.partition(" ")
            return [Contact(email=extra.get("email"), phone=extra.get("phone"), first_name=first or None,
                            last_name=last or None)]
        if kind == USER:
            try:
                c = contact_from(self.identity.get_contact(user_id=value))
            except NotFound:
                raise RecipientUnknown(f"identity does not know user {value}")
            if c is None:
                raise RecipientUnknown(f"identity does not know user {value}")
            return [replace(c, user_id=c.user_id or value)]
        if kind == SCHOOL_STAFF:
            return self._staff(value, list(functions))
        if kind == APPLICATION_PARTY:
            if self.applications is None:
                raise RecipientUnknown("no applications service to find the parties")
            party, staff_functions = (functions or ["employer"])[0], list(functions or [])[1:]
            try:
                app = self._cached(("application", value), lambda: self.applications.get_application(
                    application_id=value), raise_errors=True)
            except NotFound:
                raise RecipientUnknown(f"applications does not know application {value}")
            if party == "school":
                return self._staff(app["school_uai"], staff_functions) if app.get("school_uai") else []
            uid = app.get(f"{party}_id")
            if not uid:
                raise RecipientUnknown(f"application {value} has no {party}")
            return self.contacts(USER, str(uid), [], {})
        if kind == OFFER_OWNER:
            if self.offers is None:
                raise RecipientUnknown("no offers service to find the owner of an offer")
            try:
                offer = self.offers.get_offer(offer_id=value)
            except NotFound:
                raise RecipientUnknown(f"offers does not know offer {value}")
            owner = (offer or {}).get("employer_id") or (offer or {}).get("operator_id")
            if not owner:
                raise RecipientUnknown(f"offer {value} has no owner")
            return self.contacts(USER, str(owner), [], {})
        if kind == PUPIL_TEACHERS:
            try:
                teachers = self.identity.get_pupil_teachers(pupil_id=value)
            except MethodNotFound:
                # identity has no class -> teacher mapping (yet): the teachers of the pupil's school.
                school = self._school_of(value)
                return self._staff(school, ["teacher"]) if school else []
            items = teachers.get("items", teachers) if isinstance(teachers, dict) else teachers
            return self._with_contacts(items or [])
        raise RecipientUnknown(f"unknown recipient kind {kind}")

    def _school_of(self, user_id: str) -> str | None:
        c = self.identity.get_contact(user_id=user_id)
        return (c or {}).get("school_uai")

    def _staff(self, uai: str, functions: list[str]) -> list[Contact]:
        staff = self.identity.list_school_staff(uai=uai, functions=functions or None)
        items = staff.get("items", staff) if isinstance(staff, dict) else staff
        return self._with_contacts(items or [])

    def _with_contacts(self, items: list[dict]) -> list[Contact]:
        """Lists give user ids (and names): the contact details come from get_contact, at send time."""
        out = []
        for item in items:
            c = contact_from(item)
            if c is None or not c.user_id:
                continue
            if not (c.email or c.phone):
                try:
                    c = contact_from(self.identity.get_contact(user_id=c.user_id)) or c
                except NotFound:
                    continue
            out.append(c)
        return out

    def _cached(self, key, fn, raise_errors: bool = False):
        if self._cache.get(key) is None:
            try:
                self._cache[key] = fn()
            except Exception as exc:  # noqa: BLE001 - enrichment is best effort: ids are enough
                if raise_errors:
                    raise
                log.info("enrichment %s unavailable: %s", key, exc)
                self._cache[key] = None
        return self._cache[key]

    def enrich(self, context: dict) -> dict:
        """Add names and titles the recipient may read; never contact details."""
        ctx = dict(context)
        app_id = ctx.get("application_id")
        if app_id and self.applications is not None:
            app = self._cached(("application", app_id), lambda: self.applications.get_application(
                application_id=app_id))
            if isinstance(app, dict):
                for k in ("offer_title", "grade", "school_name", "offer_id", "school_uai"):
                    if app.get(k) and not ctx.get(k):
                        ctx[k] = app[k]
                if app.get("state"):
                    ctx.setdefault("application_state", app["state"])
                # the employer's message or reason that came with this transition
                state = ctx.get("state")
                for h in reversed(app.get("history") or []):
                    if state and h.get("to_state") == state:
                        for k in ("message", "reason"):
                            if h.get(k) and not ctx.get(k):
                                ctx[k] = str(h[k])[:1500]
                        break
                name = app.get("pupil_name") or ""
                if name and not ctx.get("pupil_first_name"):
                    first, _, last = name.partition(" ")
                    ctx["pupil_first_name"], ctx["pupil_last_name"] = first, last
        offer_id = ctx.get("offer_id")
        if offer_id and self.offers is not None and not (ctx.get("offer_title") and ctx.get("organisation_name")):
            offer = self._cached(("offer", offer_id), lambda: self.offers.get_offer(offer_id=offer_id))
            if isinstance(offer, dict):
                title = offer.get("title") or offer.get("occupation") or offer.get("observed_occupations")
                if isinstance(title, list):
                    title = ", ".join(str(t) for t in title)
                if title and not ctx.get("offer_title"):
                    ctx["offer_title"] = str(title)[:150]
                org = offer.get("organisation") or {}
                org_name = (org.get("trade_name") or org.get("name")) if isinstance(org, dict) else None
                org_name = org_name or offer.get("organisation_name")
                if org_name and not ctx.get("organisation_name"):
                    ctx["organisation_name"] = org_name
        return ctx


# ------------------------------------------------------------------ stages 2 and 3
class Dispatcher:
    def __init__(self, db, directory: Directory, renderer: Renderer, smtp: SmtpSender, sms, policy,
                 rng=None, circuits: dict | None = None, probe_interval: float = circuits_domain.DEFAULT_PROBE_INTERVAL):
        self.db = db
        self.directory = directory
        self.renderer = renderer
        self.smtp = smtp
        self.sms = sms
        self.policy = policy
        self.rng = rng
        # one circuit per outside channel, kept by the process (``Outbound``) across dispatch passes
        self.circuits = circuits if circuits is not None else {}
        self.probe_interval = probe_interval

    def _blocked_channels(self, now: dt.datetime) -> list[str]:
        return [ch for ch, c in self.circuits.items() if not circuits_domain.may_send(c, now)]

    # -- stage 2: resolve recipients ---------------------------------------------
    def _each_due(self, table, handle, now: dt.datetime, event_id: str | None, limit: int) -> int:
        """Handle the due pending rows of ``table`` one at a time, each locked (SKIP LOCKED, so several
        dispatchers never take the same row) and handled in its own transaction. Messages of a channel whose
        circuit is open wait (see ``domain.circuit``)."""
        done = 0
        while done < limit:
            with self.db.uow() as uow:
                q = select(table).where(table.c.status == "pending", table.c.next_attempt_at <= now)
                if event_id:
                    q = q.where(table.c.event_id == event_id)
                if table is messages:
                    blocked = self._blocked_channels(now)
                    if blocked:
                        q = q.where(table.c.channel.notin_(blocked))
                row = uow.execute(q.order_by(table.c.next_attempt_at).limit(1)
                                  .with_for_update(skip_locked=True)).mappings().first()
                if row is None:
                    return done
                handle(uow.session, dict(row), now)
                done += 1
        return done

    def resolve_due(self, now: dt.datetime, event_id: str | None = None, limit: int = 50) -> int:
        return self._each_due(intents, self._resolve, now, event_id, limit)

    def _resolve(self, session, row: dict, now: dt.datetime) -> None:
        spec = MESSAGES.get(row["template"])
        try:
            if spec is None:
                raise RecipientUnknown(f"unknown template {row['template']}")
            contacts = self.directory.contacts(row["recipient_kind"], row["recipient_value"],
                                               row["recipient_functions"] or [], row["recipient_extra"] or {})
            context = self.directory.enrich(row["context"] or {})
        except (RecipientUnknown, NotFound) as exc:
            self._intent_failed(session, row, now, str(exc), permanent=True)
            return
        except Exception as exc:  # noqa: BLE001 - identity down, timeout...: retry later with backoff
            self._intent_failed(session, row, now, f"{type(exc).__name__}: {exc}", permanent=False)
            return
        state = context.get("application_state")
        ctx = apply_privacy(context, spec.audience, state)
        ctx.pop("application_state", None)
        for contact in contacts:
            recipient = f"user:{contact.user_id}" if contact.user_id else f"address:{row['recipient_value']}"
            key = records.message_key(row["event_id"], recipient, row["template"])
            prefs = self._preferences(session, contact.user_id) if contact.user_id else {}
            go, skipped = choose_channels(spec, contact, prefs)
            for channel in go + [c for c, _ in skipped]:
                reason = dict(skipped).get(channel)
                address = contact.email if channel == EMAIL else contact.phone if channel == SMS else None
                session.execute(insert(messages).values(
                    id=str(uuid.uuid4()), key=key, channel=channel, intent_id=row["id"], event_id=row["event_id"],
                    event_type=row["event_type"], template=row["template"], recipient=recipient,
                    user_id=contact.user_id, address=address, recipient_name=contact.display_name or None,
                    context=ctx if reason is None else _without_secrets(ctx),
                    status="pending" if reason is None else "skipped", last_error=reason,
                    attempts=0, next_attempt_at=now if reason is None else None, created_at=now, updated_at=now,
                ).on_conflict_do_nothing(constraint="uq_messages_key_channel"))
        session.execute(update(intents).where(intents.c.id == row["id"]).values(
            status=RESOLVED, resolved_at=now, attempts=row["attempts"] + 1, last_error=None,
            context=_without_secrets(row["context"] or {})))

    def _intent_failed(self, session, row: dict, now: dt.datetime, error: str, permanent: bool) -> None:
        d = records.Delivery(row["status"], row["attempts"], row["next_attempt_at"], row["last_error"])
        d = records.mark_failure(d, now, error, permanent=permanent, policy=self.policy, rng=self.rng)
        log.warning("intent %s (%s to %s:%s) attempt %s failed: %s", row["key"][:12], row["template"],
                    row["recipient_kind"], row["recipient_value"], d.attempts, error)
        session.execute(update(intents).where(intents.c.id == row["id"]).values(
            status=d.status, attempts=d.attempts, next_attempt_at=d.next_attempt_at, last_error=d.last_error))

    def _preferences(self, session, user_id: str) -> dict:
        p = session.execute(select(preferences.c.preferences).where(preferences.c.user_id == user_id)).scalar()
        return normalize_preferences(p)

    # -- stage 3: send --------------------------------------------------------------
    def send_due(self, now: dt.datetime, event_id: str | None = None, limit: int = 100) -> int:
        return self._each_due(messages, self._send, now, event_id, limit)

    def _send(self, session, row: dict, now: dt.datetime) -> None:
        d = records.Delivery(row["status"], row["attempts"], row["next_attempt_at"], row["last_error"])
        subject = row["subject"]
        provider_id = None
        try:
            rendered = self.renderer.render(row["template"], row["context"] or {}, row["recipient_name"])
            subject = rendered.subject
            if row["channel"] == EMAIL:
                domain = self.smtp.config.from_address.rpartition("@")[2] or "localhost"
                provider_id = self.smtp.send(
                    to=row["address"], to_name=row["recipient_name"], subject=rendered.subject, text=rendered.text,
                    html=rendered.html, message_id=f"<{row['key'][:40]}.{row['channel']}@{domain}>",
                    headers={"X-Stages-Template": row["template"], "X-Stages-Event": row["event_id"][:200]})
            elif row["channel"] == SMS:
                provider_id = self.sms.send(to=row["address"], text=rendered.sms, reference=row["key"])
            elif row["channel"] == IN_APP:
                session.execute(insert(inbox_items).values(
                    id=str(uuid.uuid4()), user_id=row["user_id"], message_id=row["id"], template=row["template"],
                    title=rendered.subject, body=rendered.summary, link=rendered.link, created_at=now,
                ).on_conflict_do_nothing(index_elements=["message_id"]))
            d = records.mark_sent(d, now)
            self._delivered(session, row["channel"], now)
        except Unreachable as exc:
            self.circuits[row["channel"]] = circuits_domain.on_unreachable(
                self.circuits.get(row["channel"], circuits_domain.Circuit()), now, self.probe_interval)
            d = records.mark_unreachable(d, now, str(exc))
        except MissingContext as exc:
            d = records.mark_failure(d, now, f"template: {exc}", permanent=True, policy=self.policy)
        except DeliveryError as exc:
            d = records.mark_failure(d, now, str(exc), permanent=isinstance(exc, PermanentFailure),
                                     policy=self.policy, rng=self.rng)
        except Exception as exc:  # noqa: BLE001 - unexpected: keep it, retry with backoff
            log.exception("sending message %s failed unexpectedly", row["id"])
            d = records.mark_failure(d, now, f"{type(exc).__name__}: {exc}", policy=self.policy, rng=self.rng)
        values = {"status": d.status, "attempts": d.attempts, "next_attempt_at": d.next_attempt_at,
                  "last_error": d.last_error, "sent_at": d.sent_at, "updated_at": now, "subject": subject,
                  "provider_id": provider_id}
        if d.status == records.SENT:
            values["context"] = _without_secrets(row["context"] or {})
        session.execute(update(messages).where(messages.c.id == row["id"]).values(**values))
        observe_message(row["channel"], "sent" if d.status == records.SENT else
                        "failed" if d.status == records.FAILED else "retry")
        if d.status == records.SENT:
            log.info("message %s %s to %s sent", row["template"], row["channel"], row["recipient"])
        else:
            log.warning("message %s %s to %s: %s (attempt %s, %s)", row["template"], row["channel"],
                        row["recipient"], d.last_error, d.attempts, d.status)

    def _delivered(self, session, channel: str, now: dt.datetime) -> None:
        """A message went out on ``channel``: if that ends an outage, what it delayed is due at once, and what
        failed during it is tried again."""
        circuit = self.circuits.get(channel)
        if circuit is None:
            return
        self.circuits[channel], outage_began = circuits_domain.on_delivered(circuit)
        if outage_began is None:
            return
        due = session.execute(update(messages).where(
            messages.c.channel == channel, messages.c.status == records.PENDING, messages.c.next_attempt_at > now
        ).values(next_attempt_at=now, updated_at=now)).rowcount
        again = session.execute(update(messages).where(
            messages.c.channel == channel, messages.c.status == records.FAILED, messages.c.updated_at >= outage_began
        ).values(status=records.PENDING, attempts=0, next_attempt_at=now, updated_at=now)).rowcount
        log.warning("%s channel back after an outage begun at %s: %s delayed and %s failed messages due now",
                    channel, outage_began.isoformat(), due, again)

    # -- reminders --------------------------------------------------------------------
    def fire_reminders(self, now: dt.datetime, limit: int = 500) -> int:
        fired = 0
        with self.db.uow() as uow:
            rows = uow.execute(select(reminders).where(reminders.c.status == "pending", reminders.c.due_at <= now)
                               .order_by(reminders.c.due_at).limit(limit)
                               .with_for_update(skip_locked=True)).mappings().all()
            for r in rows:
                if reminders_domain.still_relevant(r["deadline"], now):
                    _insert_intents(uow.session, [_intent_row(r["key"], "reminder", r["template"],
                                                              RecipientRef(USER, r["user_id"]), r["context"], now)])
                    status = "done"
                    fired += 1
                else:
                    status = "late"
                uow.execute(update(reminders).where(reminders.c.id == r["id"]).values(status=status))
        return fired

    def run_once(self, now: dt.datetime, event_id: str | None = None) -> dict:
        return {"resolved": self.resolve_due(now, event_id), "sent": self.send_due(now, event_id)}


def _without_secrets(context: dict) -> dict:
    return {k: v for k, v in (context or {}).items() if k not in SECRET_KEYS}
