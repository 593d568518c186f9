"""States of an application, their groups, the employer tabs and the French labels per role."""
from __future__ import annotations

SUBMITTED = "submitted"
READ_BY_EMPLOYER = "read_by_employer"
TRANSFERRED = "transferred"
ACCEPTED_BY_EMPLOYER = "accepted_by_employer"
CONFIRMED = "confirmed"
REJECTED = "rejected"
CANCELLED_BY_EMPLOYER = "cancelled_by_employer"
CANCELLED_BY_PUPIL = "cancelled_by_pupil"
CANCELLED_AFTER_OTHER_CONFIRMED = "cancelled_after_other_confirmed"
RESTORED = "restored"
EXPIRED = "expired"
EXPIRED_BY_PUPIL = "expired_by_pupil"

STATES = (
    SUBMITTED, READ_BY_EMPLOYER, TRANSFERRED, ACCEPTED_BY_EMPLOYER, CONFIRMED, REJECTED,
    CANCELLED_BY_EMPLOYER, CANCELLED_BY_PUPIL, CANCELLED_AFTER_OTHER_CONFIRMED, RESTORED,
    EXPIRED, EXPIRED_BY_PUPIL,
)

# Waiting for the employer's answer (the 15/30-day clock runs).
UNANSWERED = frozenset({SUBMITTED, READ_BY_EMPLOYER, RESTORED})
AWAITING_EMPLOYER = UNANSWERED | {TRANSFERRED}
# Still alive and not confirmed: what a confirmation elsewhere may cancel.
PENDING = AWAITING_EMPLOYER | {ACCEPTED_BY_EMPLOYER}
CANCELLED = frozenset({CANCELLED_BY_EMPLOYER, CANCELLED_BY_PUPIL, CANCELLED_AFTER_OTHER_CONFIRMED})
EXPIRED_STATES = frozenset({EXPIRED, EXPIRED_BY_PUPIL})
FINAL_OR_CLOSED = CANCELLED | EXPIRED_STATES | {REJECTED}
# States in which the employer may see the pupil's contact details.
CONTACT_VISIBLE = frozenset({ACCEPTED_BY_EMPLOYER, CONFIRMED})
# States holding a seat in the offers service.
HOLDS_SEAT = frozenset({CONFIRMED})

# Employer tabs (the six), in display order.
TABS = {
    "received": (SUBMITTED, READ_BY_EMPLOYER, TRANSFERRED, RESTORED),
    "accepted": (ACCEPTED_BY_EMPLOYER,),
    "confirmed": (CONFIRMED,),
    "rejected": (REJECTED,),
    "expired": (EXPIRED, EXPIRED_BY_PUPIL),
    "cancelled": (CANCELLED_BY_EMPLOYER, CANCELLED_BY_PUPIL, CANCELLED_AFTER_OTHER_CONFIRMED),
}
TAB_OF_STATE = {state: tab for tab, states in TABS.items() for state in states}

PUPIL_LABELS = {
    SUBMITTED: "envoyée à l'entreprise",
    READ_BY_EMPLOYER: "lue par l'entreprise",
    TRANSFERRED: "en cours d'examen par l'entreprise",
    ACCEPTED_BY_EMPLOYER: "acceptée par l'entreprise",
    CONFIRMED: "stage confirmé",
    REJECTED: "refusée par l'entreprise",
    CANCELLED_BY_EMPLOYER: "annulée par l'entreprise",
    CANCELLED_BY_PUPIL: "annulée par vous",
    CANCELLED_AFTER_OTHER_CONFIRMED: "annulée car vous avez confirmé un autre stage",
    RESTORED: "renvoyée à l'entreprise",
    EXPIRED: "expirée : l'entreprise n'a pas répondu à temps",
    EXPIRED_BY_PUPIL: "expirée : vous ne l'avez pas confirmée à temps",
}

EMPLOYER_LABELS = {
    SUBMITTED: "nouvelle candidature, en attente de votre réponse",
    READ_BY_EMPLOYER: "lue, en attente de votre réponse",
    TRANSFERRED: "transférée, en attente de réponse",
    ACCEPTED_BY_EMPLOYER: "en attente de réponse de l'élève",
    CONFIRMED: "stage confirmé par l'élève",
    REJECTED: "refusée",
    CANCELLED_BY_EMPLOYER: "annulée par vous",
    CANCELLED_BY_PUPIL: "annulée par l'élève",
    CANCELLED_AFTER_OTHER_CONFIRMED: "annulée : l'élève a confirmé un autre stage",
    RESTORED: "renvoyée par l'élève, en attente de votre réponse",
    EXPIRED: "expirée : sans réponse dans les délais",
    EXPIRED_BY_PUPIL: "expirée : l'élève ne l'a pas confirmée à temps",
}

# School staff, statisticians, admins and transfer recipients read neutral third-person labels.
STAFF_LABELS = {
    SUBMITTED: "envoyée, en attente de réponse de l'entreprise",
    READ_BY_EMPLOYER: "lue par l'entreprise, en attente de réponse",
    TRANSFERRED: "transférée par l'entreprise, en attente de réponse",
    ACCEPTED_BY_EMPLOYER: "acceptée par l'entreprise, en attente de confirmation de l'élève",
    CONFIRMED: "stage confirmé",
    REJECTED: "refusée par l'entreprise",
    CANCELLED_BY_EMPLOYER: "annulée par l'entreprise",
    CANCELLED_BY_PUPIL: "annulée par l'élève",
    CANCELLED_AFTER_OTHER_CONFIRMED: "annulée : l'élève a confirmé un autre stage",
    RESTORED: "renvoyée par l'élève, en attente de réponse de l'entreprise",
    EXPIRED: "expirée : l'entreprise n'a pas répondu à temps",
    EXPIRED_BY_PUPIL: "expirée : l'élève ne l'a pas confirmée à temps",
}

TRANSFER_LABELS = dict(EMPLOYER_LABELS, **{
    TRANSFERRED: "en attente de votre réponse",
    CANCELLED_BY_EMPLOYER: "annulée par l'entreprise",
})


def label(state: str, role: str | None) -> str:
    """French label of ``state`` as ``role`` reads it."""
    if role == "pupil":
        table = PUPIL_LABELS
    elif role == "employer":
        table = EMPLOYER_LABELS
    elif role == "transfer_recipient":
        table = TRANSFER_LABELS
    else:
        table = STAFF_LABELS
    return table[state]


def tab_of(state: str) -> str:
    return TAB_OF_STATE[state]


def states_of_tab(tab: str) -> tuple[str, ...]:
    from common.errors import ValidationError

    try:
        return TABS[tab]
    except KeyError:
        raise ValidationError(errors={"tab": [f"Onglet inconnu : choisissez parmi {', '.join(TABS)}."]}) from None
