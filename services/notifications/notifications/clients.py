"""The RPCs the notifications service makes to other services, in one place (``common.rpc.Rpc`` proxies).

Every answer is read at send time: events carry identifiers only. ``NotFound`` from a service means the
recipient (or the application, the offer) does not exist; any other error is transient (the caller retries
with backoff). The use-case fake is ``testkit.notifications.FakeClients``.
"""
from __future__ import annotations

from nameko.exceptions import MethodNotFound


def _items(answer) -> list[dict]:
    items = answer.get("items", answer) if isinstance(answer, dict) else answer
    return list(items or [])


class Clients:
    def __init__(self, identity, applications=None, offers=None):
        self._identity = identity
        self._applications = applications
        self._offers = offers

    # identity
    def contact(self, user_id: str) -> dict | None:
        """``identity.get_contact``: e-mail, phone, names, role, school, status of one user."""
        return self._identity.get_contact(user_id=user_id)

    def school_staff(self, uai: str, functions: list[str] | None) -> list[dict]:
        return _items(self._identity.list_school_staff(uai=uai, functions=functions or None))

    def pupil_teachers(self, pupil_id: str) -> list[dict] | None:
        """The teachers following the pupil's class; None when identity cannot tell (no such RPC)."""
        try:
            return _items(self._identity.get_pupil_teachers(pupil_id=pupil_id))
        except MethodNotFound:
            return None

    # applications, offers (what a message may say; who the parties are)
    def space_members(self, space_id: str) -> list[dict]:
        """``identity.get_space_members``: the members of an employer space ([] for a space not shared, or an
        identity without spaces)."""
        try:
            return _items(self._identity.get_space_members(space_id=space_id))
        except MethodNotFound:
            return []

    def application(self, application_id: str) -> dict | None:
        if self._applications is None:
            return None
        return self._applications.get_application(application_id=application_id)

    def offer(self, offer_id: str) -> dict | None:
        if self._offers is None:
            return None
        return self._offers.get_offer(offer_id=offer_id)
