"""Resolving and sending: stages 2 and 3 of a message (stage 1, recording intents, is ``intake``).

2. ``resolve_due``: each pending intent's recipients and contact details are asked of the owning services
   (``recipients.Directory``, RPC, at send time, no row lock held), its context enriched, the channels chosen
   (preferences, privacy: ``domain.policy``), and one message row written per (event, recipient, template)
   and channel (unique: nothing is sent twice). The intent is then locked and written only if nobody
   resolved it meanwhile.
3. ``send_due``: each pending message due now is claimed (``FOR UPDATE SKIP LOCKED``), sent (SMTP, SMS, or
   the in-app inbox) and marked sent, or its failure recorded with backoff until ``failed``
   (``domain.records``). A channel whose server is unreachable opens its circuit (``domain.circuit``): its
   messages wait without being charged attempts, one probes every ``probe_interval``, and when one goes out
   the backlog is due at once.

A failure at stage 2 (identity down) or 3 (SMTP down) delays, never loses: the row stays pending with its
next attempt time, and the retry timer resumes it. ``uow`` is the unit of work (``repository.UnitOfWork``;
each step opens its own transactions with ``uow.begin()``); ``outbound`` the process's
``channels.outbound.Outbound`` (or a fake).
"""
from __future__ import annotations

import datetime as dt
import logging

from common.errors import NotFound
from common.ops import observe_message

from ..channels.email import DeliveryError, PermanentFailure, Unreachable
from ..domain import circuit as circuits, records
from ..domain.messages import EMAIL, IN_APP, MESSAGES, SMS
from ..domain.policy import (FORGOTTEN_RECIPIENT, apply_privacy, choose_channels, forgotten_recipient,
                             normalize_preferences, without_secrets)
from ..templates.renderer import MissingContext
from . import reminders
from .recipients import Directory, RecipientUnknown

log = logging.getLogger("notifications.delivery")

RESOLVED = "resolved"
BATCH = 20


def dispatch(uow, clients, outbound, now: dt.datetime, event_id: str | None = None, limit: int = 50,
             send_limit: int = 100, rng=None) -> dict:
    """One pass: resolve then send what is due (only what ``event_id`` caused, when given)."""
    return {"resolved": resolve_due(uow, Directory(clients), outbound.settings.policy, now, event_id, limit, rng),
            "sent": send_due(uow, outbound, now, event_id, send_limit, rng)}


def run_all_due(uow, clients, outbound, now: dt.datetime, limit: int = 1000) -> dict:
    """One pass of every timer now (``dispatch_pending``: operations, tests): resolve, send, fire reminders."""
    out = dispatch(uow, clients, outbound, now, limit=limit, send_limit=limit)
    out["reminders"] = reminders.fire_due(uow, now)
    return out


# ------------------------------------------------------------------ stage 2
def resolve_due(uow, directory: Directory, policy: records.RetryPolicy, now: dt.datetime,
                event_id: str | None = None, limit: int = 50, rng=None) -> int:
    done, seen = 0, set()
    while done < limit:
        with uow.begin() as repo:
            batch = repo.due_intents(now, event_id, min(BATCH, limit - done), seen)
        if not batch:
            return done
        for row in batch:
            seen.add(row["id"])
            outcome = _look_up(directory, row)          # RPCs: no transaction, no lock
            with uow.begin() as repo:
                current = repo.lock_pending_intent(row["id"], row["attempts"])
                if current is None:                      # another dispatcher took it meanwhile
                    continue
                if isinstance(outcome, _Failure):
                    _intent_failed(repo, current, now, outcome, policy, rng)
                else:
                    _write_messages(repo, current, outcome, now)
            done += 1
    return done


class _Failure:
    def __init__(self, error: str, permanent: bool):
        self.error, self.permanent = error, permanent


def _look_up(directory: Directory, row: dict):
    """The recipients' contacts and the enriched context of an intent, or a ``_Failure``."""
    try:
        if row["template"] not in MESSAGES:
            raise RecipientUnknown(f"unknown template {row['template']}")
        contacts = directory.contacts(row["recipient_kind"], row["recipient_value"],
                                      row["recipient_functions"] or [], row["recipient_extra"] or {})
        if MESSAGES[row["template"]].audience == "employer":   # the employer space's other members too
            contacts = contacts + directory.colleagues(row["context"] or {}, contacts)
        return contacts, directory.enrich(row["context"] or {})
    except (RecipientUnknown, NotFound) as exc:
        return _Failure(str(exc), permanent=True)
    except Exception as exc:  # noqa: BLE001 - identity down, timeout...: retry later with backoff
        return _Failure(f"{type(exc).__name__}: {exc}", permanent=False)


def _write_messages(repo, row: dict, found, now: dt.datetime) -> None:
    contacts, context = found
    spec = MESSAGES[row["template"]]
    ctx = apply_privacy(context, spec.audience, context.get("application_state"))
    ctx.pop("application_state", None)
    for contact in contacts:
        recipient = f"user:{contact.user_id}" if contact.user_id else f"address:{row['recipient_value']}"
        key = records.message_key(row["event_id"], recipient, row["template"])
        prefs = normalize_preferences(repo.preferences_of(contact.user_id)) if contact.user_id else {}
        go, skipped = choose_channels(spec, contact, prefs)
        for channel in go + [c for c, _ in skipped]:
            reason = dict(skipped).get(channel)
            repo.add_message(
                key=key, channel=channel, intent_id=row["id"], event_id=row["event_id"],
                event_type=row["event_type"], template=row["template"], recipient=recipient,
                user_id=contact.user_id,
                address=contact.email if channel == EMAIL else contact.phone if channel == SMS else None,
                recipient_name=contact.display_name or None,
                context=ctx if reason is None else without_secrets(ctx),
                status=records.PENDING if reason is None else records.SKIPPED, last_error=reason,
                attempts=0, next_attempt_at=now if reason is None else None, created_at=now, updated_at=now)
    forget = {"recipient_value": FORGOTTEN_RECIPIENT, "recipient_extra": {}} if spec.forget_recipient else {}
    repo.update_intent(row["id"], status=RESOLVED, resolved_at=now, attempts=row["attempts"] + 1, last_error=None,
                       context=without_secrets(row["context"] or {}), **forget)


def _intent_failed(repo, row: dict, now: dt.datetime, failure: _Failure, policy, rng) -> None:
    d = records.Delivery(row["status"], row["attempts"], row["next_attempt_at"], row["last_error"])
    d = records.mark_failure(d, now, failure.error, permanent=failure.permanent, policy=policy, rng=rng)
    log.warning("intent %s (%s to %s:%s) attempt %s failed: %s", row["key"][:12], row["template"],
                row["recipient_kind"], row["recipient_value"], d.attempts, failure.error)
    repo.update_intent(row["id"], status=d.status, attempts=d.attempts, next_attempt_at=d.next_attempt_at,
                       last_error=d.last_error)


# ------------------------------------------------------------------ stage 3
def send_due(uow, outbound, now: dt.datetime, event_id: str | None = None, limit: int = 100, rng=None) -> int:
    """Send the due messages one at a time, each claimed and settled in its own transaction. Messages of a
    channel whose circuit is open wait."""
    done = 0
    while done < limit:
        with uow.begin() as repo:
            blocked = [ch for ch, c in outbound.circuits.items() if not circuits.may_send(c, now)]
            row = repo.next_due_message(now, event_id, blocked)
            if row is None:
                return done
            _send(repo, outbound, row, now, rng)
            done += 1
    return done


def _send(repo, outbound, row: dict, now: dt.datetime, rng) -> None:
    policy = outbound.settings.policy
    d = records.Delivery(row["status"], row["attempts"], row["next_attempt_at"], row["last_error"])
    subject, provider_id = row["subject"], None
    try:
        rendered = outbound.renderer.render(row["template"], row["context"] or {}, row["recipient_name"])
        subject = rendered.subject
        if row["channel"] == EMAIL:
            domain = outbound.smtp.config.from_address.rpartition("@")[2] or "localhost"
            provider_id = outbound.smtp.send(
                to=row["address"], to_name=row["recipient_name"], subject=rendered.subject, text=rendered.text,
                html=rendered.html, message_id=f"<{row['key'][:40]}.{row['channel']}@{domain}>",
                headers={"X-Stages-Template": row["template"], "X-Stages-Event": row["event_id"][:200]})
        elif row["channel"] == SMS:
            provider_id = outbound.sms.send(to=row["address"], text=rendered.sms, reference=row["key"])
        elif row["channel"] == IN_APP:
            repo.add_inbox_item(row["user_id"], row["id"], row["template"], rendered.subject, rendered.summary,
                                rendered.link, now)
        d = records.mark_sent(d, now)
        _delivered(repo, outbound, row["channel"], now)
    except Unreachable as exc:
        outbound.circuits[row["channel"]] = circuits.on_unreachable(
            outbound.circuits.get(row["channel"], circuits.Circuit()), now, outbound.settings.probe_interval)
        d = records.mark_unreachable(d, now, str(exc))
    except MissingContext as exc:
        d = records.mark_failure(d, now, f"template: {exc}", permanent=True, policy=policy)
    except DeliveryError as exc:
        d = records.mark_failure(d, now, str(exc), permanent=isinstance(exc, PermanentFailure), policy=policy,
                                 rng=rng)
    except Exception as exc:  # noqa: BLE001 - unexpected: keep it, retry with backoff
        log.exception("sending message %s failed unexpectedly", row["id"])
        d = records.mark_failure(d, now, f"{type(exc).__name__}: {exc}", policy=policy, rng=rng)
    values = {"status": d.status, "attempts": d.attempts, "next_attempt_at": d.next_attempt_at,
              "last_error": d.last_error, "sent_at": d.sent_at, "updated_at": now, "subject": subject,
              "provider_id": provider_id}
    if d.status == records.SENT:
        values["context"] = without_secrets(row["context"] or {})
    if d.status == records.SENT and MESSAGES[row["template"]].forget_recipient:   # a failed one may be retried
        values.update(forgotten_recipient())
    repo.update_message(row["id"], **values)
    observe_message(row["channel"], "sent" if d.status == records.SENT else
                    "failed" if d.status == records.FAILED else "retry")
    if d.status == records.SENT:
        log.info("message %s %s to %s sent", row["template"], row["channel"], row["recipient"])
    else:
        log.warning("message %s %s to %s: %s (attempt %s, %s)", row["template"], row["channel"],
                    row["recipient"], d.last_error, d.attempts, d.status)


def _delivered(repo, outbound, channel: str, now: dt.datetime) -> None:
    """A message went out on ``channel``: if that ends an outage, what it delayed is due at once, and what
    failed during it is tried again."""
    circuit = outbound.circuits.get(channel)
    if circuit is None:
        return
    outbound.circuits[channel], outage_began = circuits.on_delivered(circuit)
    if outage_began is None:
        return
    due, again = repo.due_again_after_outage(channel, outage_began, now)
    log.warning("%s channel back after an outage begun at %s: %s delayed and %s failed messages due now",
                channel, outage_began.isoformat(), due, again)
