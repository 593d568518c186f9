"""What erasing an anonymised person means for messages sent to others (docs/privacy.md): the messages about
their applications and agreements (found by the ``application_id`` / ``convention_id`` of the messages they
received themselves) lose the context values that name them or carry their words, and their rendered subject and
in-app text have those names replaced. Pure."""
from __future__ import annotations

import re

ANONYMOUS = "Anonyme"
# context keys that name a pupil, or hold what a person wrote (an employer's message or reason)
PUPIL_KEYS = ("pupil_first_name", "pupil_last_name", "pupil_name", "message", "reason")
AUTHOR_KEYS = ("message", "reason", "inviter_name")
LINK_KEYS = ("application_id", "convention_id")


def keys_of(role: str | None) -> tuple[str, ...]:
    return PUPIL_KEYS if role == "pupil" else AUTHOR_KEYS


def linked_ids(contexts) -> set[str]:
    """The application and agreement ids the messages a person received are about."""
    return {str(c[k]) for c in contexts if isinstance(c, dict) for k in LINK_KEYS if c.get(k)}


def names_in(contexts, role: str | None) -> list[str]:
    """The names of the person as messages about them spelled them (longest first, to be replaced)."""
    if role != "pupil":
        return []
    found = set()
    for c in contexts:
        if not isinstance(c, dict):
            continue
        first, last = c.get("pupil_first_name"), c.get("pupil_last_name")
        for value in (" ".join(x for x in (first, last) if x), first, last, c.get("pupil_name")):
            if isinstance(value, str) and len(value.strip()) >= 2:
                found.add(value.strip())
    return sorted(found, key=len, reverse=True)


def without_person(context: dict | None, role: str | None) -> dict:
    return {k: v for k, v in (context or {}).items() if k not in keys_of(role)}


def redact(text: str | None, names: list[str]) -> str | None:
    """``text`` with each of ``names`` replaced (whole words, any case)."""
    if not text or not names:
        return text
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names), re.IGNORECASE)
    return pattern.sub(ANONYMOUS, text)
