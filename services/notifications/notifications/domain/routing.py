"""From a platform event to the messages it causes.

``route(event_type, data)`` returns the list of ``Intent``: which message
(template), for whom (a ``RecipientRef`` the service resolves by RPC at send
time, since events carry identifiers only), with which context (identifiers
the templates and links need). Pure: no I/O, deterministic.

Event payload fields read here (identifiers only), as published by the
services' ``events.py``:

- user.*: ``user_id`` (``role``); pupil.imported: ``school_uai``, ``import_id``, ``created``/``updated``
  (lists of pupil ids), ``imported_by`` (optional: else the head and admin staff of the school)
- offer.*: ``offer_id``, ``employer_id``/``operator_id`` when given (else the owner is read from the offer),
  ``reason`` (offer.unpublished), ``republished`` (offer.published), ``decision``, ``moderation_id``
  (offer.moderated)
- application.*: ``application_id``, ``offer_id``, ``pupil_id``, ``employer_id``, ``school_uai``,
  ``state`` (the new state, used to tell cancellations and expiries apart), ``confirmed_employer_id``
  (application.cancelled after another confirmation: no « a choisi un autre stage » to that employer),
  ``cause`` (application.cancelled: offer_removed)
- convention.*: ``convention_id``, ``application_id`` (the parties are then read from the application at
  send time, unless named: ``employer_user_id``, ``pupil_user_id``, ``school_uai``), ``role``
  (convention.signed), ``signed_roles`` (added by the service from earlier signatures) or ``remaining_roles``

Unknown fields are ignored; a missing identifier drops only the message that
needs it (``route`` never raises on a payload: a bad event must not block the
queue), and the caller logs what was dropped through ``RouteResult.skipped``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .messages import MESSAGES

# Recipient kinds, resolved by the service at send time.
USER = "user"                      # value: user id (identity.get_contact)
SCHOOL_STAFF = "school_staff"      # value: school uai; functions: which staff (identity)
PUPIL_TEACHERS = "pupil_teachers"  # value: pupil user id: the teachers of the pupil's class (identity)
ADDRESS = "address"                # value: an email address or phone given directly (direct messages)
OFFER_OWNER = "offer_owner"        # value: offer id: its employer or operator (offers.get_offer, then identity)
APPLICATION_PARTY = "application_party"  # value: application id; functions: (party, *staff functions):
                                         # its employer, pupil or school (applications.get_application)

SIGNATORY_ROLES = ("employer", "head_of_school", "pupil", "legal_representative")
_ROLE_ALIASES = {"school_head": "head_of_school", "head": "head_of_school"}


@dataclass(frozen=True)
class RecipientRef:
    kind: str
    value: str
    functions: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable identity of the recipient, part of the idempotency key."""
        if self.kind == USER:
            return f"user:{self.value}"
        if self.functions:
            return f"{self.kind}:{self.value}:{','.join(self.functions)}"
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class Intent:
    template: str
    recipient: RecipientRef
    context: dict = field(default_factory=dict)


@dataclass
class RouteResult:
    intents: list[Intent] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # templates dropped for a missing identifier


def _ctx(data: dict, *keys: str) -> dict:
    return {k: data[k] for k in keys if data.get(k) is not None}


# A rule builds zero or more intents from the event data.
Rule = Callable[[dict, RouteResult], None]


def _to_user(template: str, id_field: str, *ctx_keys: str) -> Rule:
    def rule(data: dict, out: RouteResult) -> None:
        uid = data.get(id_field)
        if not uid:
            out.skipped.append(template)
            return
        out.intents.append(Intent(template, RecipientRef(USER, str(uid)), _ctx(data, *ctx_keys)))
    return rule


def _to_offer_owner(template: str, *ctx_keys: str) -> Rule:
    """The offer's employer (or operator): named in the event when it is, else found from the offer."""
    def rule(data: dict, out: RouteResult) -> None:
        owner = data.get("employer_id") or data.get("operator_id")
        if owner:
            out.intents.append(Intent(template, RecipientRef(USER, str(owner)), _ctx(data, *ctx_keys)))
        elif data.get("offer_id"):
            out.intents.append(Intent(template, RecipientRef(OFFER_OWNER, str(data["offer_id"])),
                                      _ctx(data, *ctx_keys)))
        else:
            out.skipped.append(template)
    return rule


def _to_school(template: str, functions: tuple[str, ...], *ctx_keys: str) -> Rule:
    def rule(data: dict, out: RouteResult) -> None:
        uai = data.get("school_uai")
        if not uai:
            out.skipped.append(template)
            return
        out.intents.append(Intent(template, RecipientRef(SCHOOL_STAFF, str(uai), functions),
                                  _ctx(data, *ctx_keys)))
    return rule


def _to_teachers(template: str, *ctx_keys: str) -> Rule:
    def rule(data: dict, out: RouteResult) -> None:
        pid = data.get("pupil_id")
        if not pid:
            out.skipped.append(template)
            return
        out.intents.append(Intent(template, RecipientRef(PUPIL_TEACHERS, str(pid)), _ctx(data, *ctx_keys)))
    return rule


def _when(predicate: Callable[[dict], bool], *rules: Rule) -> Rule:
    def rule(data: dict, out: RouteResult) -> None:
        if predicate(data):
            for r in rules:
                r(data, out)
    return rule


def _state_is(*states: str) -> Callable[[dict], bool]:
    return lambda data: data.get("state") in states


APP_KEYS = ("application_id", "offer_id", "school_uai", "pupil_id", "employer_id", "state")
CONV_KEYS = ("convention_id", "application_id", "offer_id", "school_uai", "role")
HEAD_AND_ADMIN = ("head", "admin_staff")
IMPORT_KEYS = ("school_uai", "import_id", "created", "updated", "rejected")


def _party(template: str, party: str, functions: tuple[str, ...] = (), *ctx_keys: str) -> Rule:
    """A party of an application or agreement: ``employer``, ``pupil`` or ``school`` (its staff with
    ``functions``). Named in the event when it is (``employer_id``/``employer_user_id``, ...), else
    found from the application at send time."""
    keys = ctx_keys or CONV_KEYS

    def rule(data: dict, out: RouteResult) -> None:
        ctx = _ctx(data, *keys)
        if party == "school":
            if data.get("school_uai"):
                out.intents.append(Intent(template, RecipientRef(SCHOOL_STAFF, str(data["school_uai"]), functions),
                                          ctx))
                return
        else:
            uid = data.get(f"{party}_id") or data.get(f"{party}_user_id")
            if uid:
                out.intents.append(Intent(template, RecipientRef(USER, str(uid)), ctx))
                return
        if data.get("application_id"):
            out.intents.append(Intent(template, RecipientRef(APPLICATION_PARTY, str(data["application_id"]),
                                                             (party, *functions)), ctx))
        else:
            out.skipped.append(template)
    return rule


def _signatories_left(data: dict) -> list[str]:
    """Roles whose signature is still awaited after a ``convention.signed``: from
    ``remaining_roles`` when the producer gives it, else from the roles signed so far
    (``signed_roles``, which the service keeps from the convention.signed events)."""
    if isinstance(data.get("remaining_roles"), list):
        remaining = {_ROLE_ALIASES.get(r, r) for r in data["remaining_roles"]}
        return [r for r in SIGNATORY_ROLES if r in remaining]
    signed = {_ROLE_ALIASES.get(r, r) for r in (data.get("signed_roles") or [])}
    if data.get("role"):
        signed.add(_ROLE_ALIASES.get(data["role"], data["role"]))
    return [r for r in SIGNATORY_ROLES if r not in signed]


def _to_signatories(template: str, roles_of: Callable[[dict], list[str]]) -> Rule:
    """Platform signatories: employer, head of school, pupil. Legal representatives are outside
    the platform: their link is a direct message sent by the conventions service (it holds the token)."""
    def rule(data: dict, out: RouteResult) -> None:
        for role in roles_of(data):
            if role == "employer":
                _party(template, "employer")(data, out)
            elif role == "pupil":
                _party(template, "pupil")(data, out)
            elif role == "head_of_school":
                _party(template, "school", ("head",))(data, out)
    return rule


def _all_parties(template: str) -> list[Rule]:
    return [_party(template, "employer"), _party(template, "pupil"), _party(template, "school", HEAD_AND_ADMIN)]


ROUTES: dict[str, list[Rule]] = {
    # identity
    "user.registered": [],  # the activation link carries a token: identity sends it with send_message
    "user.activated": [_to_user("welcome", "user_id", "role")],
    "staff.confirmed": [_to_user("staff_confirmed", "user_id", "school_uai")],
    "school.head_designated": [_to_user("head_designated", "user_id", "school_uai")],
    "pupil.imported": [_when(lambda d: bool(d.get("imported_by")),
                             _to_user("pupil_activation_codes_ready", "imported_by", *IMPORT_KEYS)),
                       _when(lambda d: not d.get("imported_by"),
                             _to_school("pupil_activation_codes_ready", HEAD_AND_ADMIN, *IMPORT_KEYS))],
    "user.anonymized": [],  # handled by the service: erases what it holds about the user
    "pupil.school_changed": [],              # the national register moved a pupil: nobody is told
    "school.internship_weeks_declared": [],  # a collège's 3e weeks: read by the pages, nobody is told
    "user.locked": [],      # back-office (issue 21): the admin tells the person; the login page says it too
    "user.unlocked": [],
    "school.created": [],
    "school.updated": [],
    # the confirmation link or code and the notice to the old address or number: identity sends them with
    # send_message (the new and the old identifiers never travel in events)
    "user.email_changed": [],
    "user.phone_changed": [],
    # members are asked of identity at send time (recipients.Directory.colleagues)
    "space.member_joined": [],
    "space.member_left": [],
    # offers
    "offer.published": [_when(lambda d: not d.get("republished"), _to_offer_owner("offer_published", "offer_id"))],
    "offer.updated": [],
    # unpublished by its employer: they know; by the timer (weeks past): tell them
    "offer.unpublished": [_when(lambda d: d.get("reason") not in ("employer", "moderation"),
                                _to_offer_owner("offer_unpublished", "offer_id"))],
    # a moderator's request for changes or removal: the employer gets the decision and its reason (the reason
    # is read from offers.get_offer's ``moderation`` at send time, never carried by the event)
    "offer.moderated": [_when(lambda d: d.get("decision") in ("request_changes", "remove"),
                              _to_offer_owner("offer_moderated", "offer_id", "decision", "moderation_id"))],
    "offer.reported": [],
    "offer.full": [_to_offer_owner("offer_full", "offer_id")],
    "offer.removed": [],
    "calendar.changed": [],  # the opening calendar: read by the front end (GET /calendar), nobody is told
    # applications
    "application.submitted": [_to_user("new_application", "employer_id", *APP_KEYS)],
    "application.read": [_to_user("application_read", "pupil_id", *APP_KEYS)],
    "application.transferred": [],  # the link carries a token: applications sends it with send_message
    "application.accepted": [_to_user("application_accepted", "pupil_id", *APP_KEYS, "accept_expires_at"),
                             _to_teachers("teacher_application_accepted", *APP_KEYS)],
    "application.confirmed": [_to_user("pupil_confirmed", "employer_id", *APP_KEYS),
                              _to_teachers("teacher_application_confirmed", *APP_KEYS)],
    "application.rejected": [_to_user("application_rejected", "pupil_id", *APP_KEYS)],
    "application.cancelled": [
        _when(lambda d: d.get("state") == "cancelled_by_employer" and d.get("cause") != "offer_removed",
              _to_user("application_cancelled", "pupil_id", *APP_KEYS)),
        _when(lambda d: d.get("cause") == "offer_removed",
              _to_user("application_offer_removed", "pupil_id", *APP_KEYS)),
        _when(_state_is("cancelled_by_pupil"), _to_user("pupil_cancelled", "employer_id", *APP_KEYS)),
        # the employer the pupil confirmed with gets « X a confirmé son stage » only (issue 13 item 8)
        _when(lambda d: d.get("state") == "cancelled_after_other_confirmed"
              and d.get("confirmed_employer_id") != d.get("employer_id"),
              _to_user("pupil_chose_other", "employer_id", *APP_KEYS)),
    ],
    "application.restored": [_to_user("application_restored", "employer_id", *APP_KEYS)],
    "application.expired": [
        _when(lambda d: d.get("state") in (None, "expired"),
              _to_user("application_expired", "pupil_id", *APP_KEYS)),
        _when(_state_is("expired_by_pupil"),
              _to_user("acceptance_expired", "pupil_id", *APP_KEYS),
              _to_user("acceptance_expired_employer", "employer_id", *APP_KEYS)),
    ],
    "application.nudged": [_to_user("nudge", "employer_id", *APP_KEYS)],
    "application.reapply_invited": [_to_user("reapply_invited", "pupil_id", *APP_KEYS)],
    # conventions
    "convention.created": [_party("convention_to_fill_employer", "employer")],
    "convention.completed_by_employer": [_party("convention_to_fill_school", "school", HEAD_AND_ADMIN)],
    "convention.validated": [_to_signatories("convention_ready_to_sign",
                                             lambda d: ["employer", "head_of_school", "pupil"])],
    "convention.reopened": [_party("convention_reopened", "employer"), _party("convention_reopened", "pupil")],
    "convention.signed": [_to_signatories("next_signature_awaited", _signatories_left)],
    "convention.signed_by_all": _all_parties("convention_signed_by_all"),
    "convention.cancelled": _all_parties("convention_cancelled"),
}


def route(event_type: str, data: dict) -> RouteResult:
    """Messages caused by one event. Unknown event types cause none."""
    out = RouteResult()
    for rule in ROUTES.get(event_type, []):
        rule(data or {}, out)
    # One message per (recipient, template) for a given event.
    seen: set[tuple[str, str]] = set()
    unique = []
    for intent in out.intents:
        k = (intent.recipient.key, intent.template)
        if k not in seen:
            seen.add(k)
            unique.append(intent)
    out.intents = unique
    for intent in out.intents:
        assert intent.template in MESSAGES, intent.template
    return out


def handled_event_types() -> list[str]:
    return sorted(ROUTES)


def listened_event_types() -> list[str]:
    """The events the service subscribes to (one handler each in ``service.py``): those that cause messages,
    every application event (they move the reminders: ``reminders.plan``) and ``user.anonymized`` (erasure)."""
    return sorted(t for t, rules in ROUTES.items()
                  if rules or t.startswith("application.") or t == "user.anonymized")
