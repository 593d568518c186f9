"""Who gets what: preferences, channel choice, and the privacy rule.

- Security messages (activation, reset, invitation, signature code, signing
  links) always go, even to an account that is not active yet.
- Essential messages always go to active accounts.
- Optional messages respect the user's preferences, per category and channel
  (the in-app inbox keeps them all: preferences only silence email and SMS).
- Privacy: an employer (or a transfer recipient, who acts for the employer)
  never receives a pupil's phone, email, postal address or legal
  representatives before accepting the application.
- Secrets: the single-use secrets a message carries (a link's token, a code)
  are not kept once it is sent (nor on a message that will not be sent); a
  personal-data export masks every value whose key names a secret.
"""
from __future__ import annotations

from dataclasses import dataclass

from .messages import EMAIL, IN_APP, SMS, MessageSpec


@dataclass(frozen=True)
class Contact:
    """What identity tells at send time about a recipient."""
    user_id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None
    active: bool = True
    anonymized: bool = False
    # a colleague of the employer space the record belongs to, not its creator: the message reaches them as an
    # optional one (their preferences decide, security messages aside)
    colleague: bool = False

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or ""


def default_preferences() -> dict:
    """Every optional message on every channel."""
    return {"email": {}, "sms": {}}


def normalize_preferences(prefs: dict | None) -> dict:
    """Keep only known channels (email, sms) and boolean per-category switches."""
    from .messages import CATEGORIES
    out = default_preferences()
    for channel in ("email", "sms"):
        for cat, on in ((prefs or {}).get(channel) or {}).items():
            if cat in CATEGORIES and isinstance(on, bool):
                out[channel][cat] = on
    return out


def allowed(spec: MessageSpec, channel: str, prefs: dict | None, colleague: bool = False) -> bool:
    """Essential messages always go out, except to a colleague of an employer space (their preferences decide:
    a member may switch off e-mails about new applications)."""
    if spec.security or channel == IN_APP or (spec.essential and not colleague):
        return True
    return bool(((prefs or {}).get(channel) or {}).get(spec.category, True))


def choose_channels(spec: MessageSpec, contact: Contact, prefs: dict | None) -> tuple[list[str], list[tuple[str, str]]]:
    """The channels this message goes out on for this recipient, and the
    (channel, reason) pairs it does not (recorded as ``skipped``)."""
    go: list[str] = []
    skipped: list[tuple[str, str]] = []
    if contact.anonymized:
        return [], [(c, "recipient anonymised") for c in spec.channels]
    if not contact.active and not spec.security:
        return [], [(c, "account not active") for c in spec.channels]
    channels = list(spec.channels)
    if spec.sms_or_email:
        channels = [SMS] if contact.phone else [EMAIL]
    for ch in channels:
        if ch == EMAIL and not contact.email:
            skipped.append((ch, "no email address"))
        elif ch == SMS and not contact.phone:
            skipped.append((ch, "no mobile phone"))
        elif ch == IN_APP and not contact.user_id:
            skipped.append((ch, "not a platform user"))
        elif not allowed(spec, ch, prefs, colleague=contact.colleague):
            skipped.append((ch, "opted out"))
        else:
            go.append(ch)
    return go, skipped


# Application states after which the employer may know the pupil's contact details.
CONTACT_VISIBLE_STATES = frozenset({"accepted_by_employer", "confirmed"})
PUPIL_PRIVATE_KEYS = ("pupil_email", "pupil_phone", "pupil_address", "legal_representatives",
                      "legal_rep_name", "legal_rep_email", "legal_rep_phone", "pupil_birth_date")
EMPLOYER_SIDE = ("employer", "transfer_recipient")


def may_see_pupil_contact(audience: str, application_state: str | None) -> bool:
    if audience not in EMPLOYER_SIDE:
        return True
    return application_state in CONTACT_VISIBLE_STATES


def apply_privacy(context: dict, audience: str, application_state: str | None) -> dict:
    """Drop the pupil's private details from a message context the recipient
    may not know yet. Returns a new dict."""
    if may_see_pupil_contact(audience, application_state):
        return dict(context)
    return {k: v for k, v in context.items() if k not in PUPIL_PRIVATE_KEYS}


# Single-use secrets of a message context (a link's token, a signature code): dropped from the record once the
# message is sent or skipped, and from the intent once resolved.
SECRET_KEYS = ("token", "code")
# A personal-data export masks every context value whose key contains one of these.
EXPORT_MASKED_KEY_PARTS = ("token", "code", "password", "secret")
MASK = "(masqué)"


# What stays of the recipient of a message that forgets it (``MessageSpec.forget_recipient``) once settled.
FORGOTTEN_RECIPIENT = "forgotten"


def forgotten_recipient() -> dict:
    """The message columns that replace a forgotten recipient's address and name."""
    return {"address": None, "recipient_name": None, "recipient": f"address:{FORGOTTEN_RECIPIENT}"}


def without_secrets(context: dict | None) -> dict:
    return {k: v for k, v in (context or {}).items() if k not in SECRET_KEYS}


def masked_for_export(context: dict | None) -> dict:
    return {k: (MASK if any(s in k.lower() for s in EXPORT_MASKED_KEY_PARTS) else v)
            for k, v in (context or {}).items()}
