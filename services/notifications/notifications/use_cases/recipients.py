"""Who the recipients of an intent are, and what their message may say, asked of the owning services at send
time (``clients``): contact details from identity, the parties of an application, the owner of an offer, the
names and titles of the application and offer (never contact details in the context)."""
from __future__ import annotations

import logging
from dataclasses import replace

from common.errors import NotFound

from ..domain.policy import Contact
from ..domain.routing import ADDRESS, APPLICATION_PARTY, OFFER_OWNER, PUPIL_TEACHERS, SCHOOL_STAFF, USER

log = logging.getLogger("notifications.recipients")


class RecipientUnknown(Exception):
    """Permanent: the owning service does not know this recipient."""


def contact_from(d: dict | None) -> Contact | None:
    """A ``Contact`` from identity's answer (``get_contact`` or an item of a staff list)."""
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
    """One dispatch pass's view of the other services (answers about an application or offer are kept for
    the pass)."""

    def __init__(self, clients):
        self.clients = clients
        self._cache: dict = {}

    def contacts(self, kind: str, value: str, functions: list[str], extra: dict) -> list[Contact]:
        if kind == ADDRESS:
            first, _, last = (extra.get("name") or "").partition(" ")
            return [Contact(email=extra.get("email"), phone=extra.get("phone"), first_name=first or None,
                            last_name=last or None)]
        if kind == USER:
            return [self._user(value)]
        if kind == SCHOOL_STAFF:
            return self._with_contacts(self.clients.school_staff(value, list(functions)))
        if kind == APPLICATION_PARTY:
            return self._application_party(value, list(functions or []))
        if kind == OFFER_OWNER:
            try:
                offer = self.clients.offer(value)
            except NotFound:
                raise RecipientUnknown(f"offers does not know offer {value}")
            owner = (offer or {}).get("employer_id") or (offer or {}).get("operator_id")
            if not owner:
                raise RecipientUnknown(f"offer {value} has no owner")
            return [self._user(str(owner))]
        if kind == PUPIL_TEACHERS:
            teachers = self.clients.pupil_teachers(value)
            if teachers is None:  # identity cannot tell: the teachers of the pupil's school
                school = (self.clients.contact(value) or {}).get("school_uai")
                return self._with_contacts(self.clients.school_staff(school, ["teacher"])) if school else []
            return self._with_contacts(teachers)
        raise RecipientUnknown(f"unknown recipient kind {kind}")

    def _user(self, user_id: str) -> Contact:
        try:
            c = contact_from(self.clients.contact(user_id))
        except NotFound:
            c = None
        if c is None:
            raise RecipientUnknown(f"identity does not know user {user_id}")
        return replace(c, user_id=c.user_id or user_id)

    def _application_party(self, application_id: str, functions: list[str]) -> list[Contact]:
        party, staff_functions = (functions or ["employer"])[0], functions[1:]
        try:
            app = self._cached(("application", application_id), lambda: self.clients.application(application_id),
                               raise_errors=True)
        except NotFound:
            app = None
        if app is None:
            raise RecipientUnknown(f"applications does not know application {application_id}")
        if party == "school":
            return self._with_contacts(self.clients.school_staff(app["school_uai"], staff_functions)) \
                if app.get("school_uai") else []
        uid = app.get(f"{party}_id")
        if not uid:
            raise RecipientUnknown(f"application {application_id} has no {party}")
        return [self._user(str(uid))]

    def colleagues(self, context: dict, reached: list[Contact]) -> list[Contact]:
        """A message meant for « the employer » of an offer (``offer_id`` in its context) also goes to the other
        members of the offer's employer space, each as a colleague (their preferences decide); none for a space
        not shared. Identity not answering is transient (the intent is retried)."""
        offer_id = (context or {}).get("offer_id")
        if not offer_id:
            return []
        offer = self._cached(("offer", offer_id), lambda: self.clients.offer(offer_id))
        space_id = (offer or {}).get("space_id")
        if not space_id:
            return []
        seen = {c.user_id for c in reached}
        out = []
        for m in self.clients.space_members(str(space_id)):
            uid = str(m.get("user_id") or "")
            if not uid or uid in seen:
                continue
            try:
                out.append(replace(self._user(uid), colleague=True))
            except RecipientUnknown:
                continue
        return out

    def _with_contacts(self, items: list[dict]) -> list[Contact]:
        """Lists give user ids (and names): the contact details come from get_contact, at send time."""
        out = []
        for item in items:
            c = contact_from(item)
            if c is None or not c.user_id:
                continue
            if not (c.email or c.phone):
                try:
                    c = contact_from(self.clients.contact(c.user_id)) or c
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
        if app_id:
            app = self._cached(("application", app_id), lambda: self.clients.application(app_id))
            if isinstance(app, dict):
                _from_application(ctx, app)
        offer_id = ctx.get("offer_id")
        if offer_id and not (ctx.get("offer_title") and ctx.get("organisation_name")):
            offer = self._cached(("offer", offer_id), lambda: self.clients.offer(offer_id))
            if isinstance(offer, dict):
                _from_offer(ctx, offer)
        return ctx


def _from_application(ctx: dict, app: dict) -> None:
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


def _from_offer(ctx: dict, offer: dict) -> None:
    title = offer.get("title") or offer.get("occupation") or offer.get("observed_occupations")
    if isinstance(title, list):
        title = ", ".join(str(t) for t in title)
    if title and not ctx.get("offer_title"):
        ctx["offer_title"] = str(title)[:150]
    moderation = offer.get("moderation")   # the decision an offer.moderated names, with its reason
    if isinstance(moderation, dict) and ctx.get("moderation_id") and moderation.get("id") == ctx["moderation_id"]:
        if moderation.get("reason") and not ctx.get("reason"):
            ctx["reason"] = str(moderation["reason"])[:2000]
    org = offer.get("organisation") or {}
    org_name = (org.get("trade_name") or org.get("name")) if isinstance(org, dict) else None
    org_name = org_name or offer.get("organisation_name")
    if org_name and not ctx.get("organisation_name"):
        ctx["organisation_name"] = org_name
