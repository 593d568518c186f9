"""The RPCs the conventions service makes to other services, in one place (typed wrappers of nameko proxies).

Two kinds of failure:
- what is needed to act (the signing or validating account, the school's heads): ``None`` when identity says it
  does not exist, ``ServiceUnavailable`` when it does not answer (``Clients.user``, ``school``, ``heads``);
- what only enriches a new convention (``Clients.prefill_sources``): ``None`` on a failure (the parties complete
  what is missing), but a timeout raises so that the event is handled again later.
None of them is called while a row lock is held: use cases read, call, then lock and write.
"""
from __future__ import annotations

import logging

from common.errors import NotFound, ServiceUnavailable
from common.rpc import RpcTimeout

log = logging.getLogger("conventions")


class PrefillUnavailable(RuntimeError):
    """An enrichment RPC timed out: the event is requeued (handled again later)."""


class Clients:
    def __init__(self, *, identity, applications, offers, notifications):
        self._identity = identity
        self._applications = applications
        self._offers = offers
        self._notifications = notifications

    # -- identity, to act ---------------------------------------------------------------------------------
    def _ask_identity(self, method: str, **kwargs):
        try:
            return getattr(self._identity, method)(**kwargs)
        except NotFound:
            return None
        except Exception as exc:
            log.warning("identity.%s failed: %s", method, exc)
            raise ServiceUnavailable("L'annuaire des comptes ne répond pas. Réessayez dans quelques instants.")

    def user(self, user_id: str) -> dict | None:
        return self._ask_identity("get_user", user_id=user_id)

    def school(self, uai: str) -> dict | None:
        return self._ask_identity("get_school", uai=uai)

    def heads(self, uai: str) -> list[dict]:
        """The school's heads (``list_school_staff``; the designated one is marked ``designated_head``)."""
        return (self._ask_identity("list_school_staff", uai=uai, functions=["head"]) or {}).get("items") or []

    # -- enrichment of a new convention --------------------------------------------------------------------
    def _fetch(self, proxy, name: str, method: str, **kwargs):
        try:
            return getattr(proxy, method)(**kwargs)
        except RpcTimeout:
            raise PrefillUnavailable(f"{name}.{method} timed out: retry the event later")
        except Exception as exc:
            log.warning("prefill: %s.%s failed: %s", name, method, exc)
            return None

    def prefill_sources(self, data: dict) -> dict:
        """What the other services tell about a confirmed application (``application.confirmed`` data):
        {application, pupil, school, heads, offer}, each None when unknown or failed."""
        application = self._fetch(self._applications, "applications", "get_application",
                                  application_id=str(data["application_id"]))
        app = application or {}
        pupil_id = data.get("pupil_id") or app.get("pupil_id")
        uai = data.get("school_uai") or app.get("school_uai")
        offer_id = data.get("offer_id") or app.get("offer_id")
        heads = self._fetch(self._identity, "identity", "list_school_staff", uai=uai, functions=["head"]) \
            if uai else None
        return {
            "application": application,
            "pupil": self._fetch(self._identity, "identity", "get_user", user_id=pupil_id) if pupil_id else None,
            "school": self._fetch(self._identity, "identity", "get_school", uai=uai) if uai else None,
            "heads": (heads or {}).get("items") or [],
            "offer": self._fetch(self._offers, "offers", "get_offer", offer_id=offer_id) if offer_id else None,
        }

    # -- notifications -------------------------------------------------------------------------------------
    def send_message(self, template: str, to: dict, context: dict, key: str) -> bool:
        """Ask notifications to send a message; False when it could not (the link or code exists: the user can
        ask again)."""
        try:
            self._notifications.send_message(template=template, to=to, context=context, key=key)
            return True
        except Exception as exc:
            log.warning("could not send %s (%s): %s", template, key, exc)
            return False
