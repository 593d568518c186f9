"""Seats held in offers: given back after a cancellation, and the timer's retry of the releases that failed."""
from __future__ import annotations

from ..domain import states as S


def release(uow, offers, offer_id: str, application_id: str) -> bool:
    """Give the seat back to offers (idempotent); the timer retries what fails here."""
    if not offers.release_seat(offer_id, application_id):
        return False
    with uow.begin() as repo:
        repo.seat_released(application_id)
    return True


def compensate(uow, offers, reserved: tuple[str, str]) -> None:
    """A seat was reserved for a confirmation that did not happen: give it back, unless the application holds
    it after all (a concurrent confirmation of the same application; offers reserves once per application)."""
    offer_id, application_id = reserved
    with uow.read() as q:
        row = q.get(application_id)
    if row is not None and row["state"] in S.HOLDS_SEAT:
        return
    offers.release_seat(offer_id, application_id)


def reconcile(uow, clients, limit: int, timeout: float) -> int:
    """Release seats still held by applications that are no longer confirmed (a release that failed).

    Stops at the first failure, with a short deadline, so that offers being down never holds the timer (and
    the expiries behind it) for long."""
    with uow.read() as q:
        due = q.seat_releases_due(limit)
    offers = clients.offers.with_timeout(timeout)
    done = 0
    for offer_id, application_id in due:
        if not release(uow, offers, offer_id, application_id):
            break
        done += 1
    return done
