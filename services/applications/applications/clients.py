"""Typed wrappers of the RPCs the applications service makes to other services (the one place they are made).

Built per call by the entrypoints around the worker's timed proxies (``common.rpc.Rpc``); use-case unit
tests pass in-memory fakes with the same methods (``testkit.applications``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from common import scopes
from common.errors import Conflict, DomainError

from .domain.submission import OfferSnapshot

log = logging.getLogger(__name__)

SCHOOLS: dict[str, dict] = {}  # uai -> {"school_name", and its location codes (common.scopes.location)}
PROFILES: dict[str, tuple[float, dict]] = {}  # pupil id -> (valid until, {"pupil_name", "class_name"})
SCHOOL_WEEKS: dict[str, tuple[float, list]] = {}  # uai -> (valid until, the 3e weeks it declared, not past)
SCHOOL_WEEKS_TTL = 30.0


class OffersClient:
    def __init__(self, proxy):
        self.proxy = proxy

    def offer(self, offer_id: str) -> OfferSnapshot:
        return OfferSnapshot.from_dict(self.proxy.get_offer(offer_id=str(offer_id)))

    def reserve_seat(self, offer_id: str, application_id: str, week: str | None) -> None:
        """Reserve the application's seat (idempotent per application); one refusal code for clients."""
        try:
            self.proxy.reserve_seat(offer_id=offer_id, application_id=application_id, week=week)
        except Conflict as exc:  # offers says "offer_full" / "offer_not_available"
            raise Conflict(exc.detail, code="no_seat_left" if exc.code in ("offer_full", "no_seat_left")
                           else exc.code, extra={"offers_code": exc.code}) from None

    def release_seat(self, offer_id: str, application_id: str) -> bool:
        """Give the seat back (idempotent); False when offers could not be reached (the timer retries)."""
        try:
            self.proxy.release_seat(offer_id=offer_id, application_id=application_id)
        except Exception as exc:  # offers away: the seat stays flagged, reconcile_seats retries
            log.warning("release_seat(%s, %s) failed: %s", offer_id, application_id, exc)
            return False
        return True

    def with_timeout(self, seconds: float) -> "OffersClient":
        proxy = self.proxy.with_timeout(seconds) if hasattr(self.proxy, "with_timeout") else self.proxy
        return OffersClient(proxy)


class IdentityClient:
    def __init__(self, proxy, profile_ttl: float = 300.0):
        self.proxy = proxy
        self.profile_ttl = profile_ttl

    def profile(self, actor: dict) -> dict:
        """Display snapshots (name, class, school name) and the school's location codes (common.scopes); the
        location falls back on the token's académie, the rest is left empty if identity cannot say (the
        application does not depend on them)."""
        out = {"pupil_name": None, "school_name": None, "class_name": None, "academie_code": actor.get("academie"),
               "departement_code": None, "region_code": None}
        if self.proxy is None:
            return out
        try:
            uai = actor.get("school_uai")
            if uai:
                if uai not in SCHOOLS:  # schools do not change name nor place: one lookup per process
                    school = self.proxy.get_school(uai=uai) or {}
                    loc = scopes.location(school)
                    SCHOOLS[uai] = {"school_name": school.get("name"),
                                    **{k: v for k, v in loc.items() if k != "school_uai" and v}}
                out.update(SCHOOLS[uai])
            uid = actor["user_id"]
            cached = PROFILES.get(uid)
            if cached is None or cached[0] < time.monotonic():
                u = self.proxy.get_user(user_id=uid)
                if len(PROFILES) > 50_000:
                    PROFILES.clear()
                cached = PROFILES[uid] = (time.monotonic() + self.profile_ttl, {
                    "pupil_name": " ".join(x for x in (u.get("first_name"), u.get("last_name")) if x) or None,
                    "class_name": u.get("class_name")})
            out.update(cached[1])
        except DomainError as exc:
            log.warning("no profile for pupil %s: %s", actor.get("user_id"), exc)
        return out

    def declared_weeks(self, uai: str | None) -> list[str]:
        """The 3e internship weeks ``uai`` declared that still restrict its pupils (identity's
        ``get_internship_weeks``, kept 30 s); none when identity cannot say (the application is not blocked)."""
        if self.proxy is None or not uai:
            return []
        cached = SCHOOL_WEEKS.get(uai)
        if cached is None or cached[0] < time.monotonic():
            try:
                weeks = list((self.proxy.get_internship_weeks(uai=uai) or {}).get("restricting") or [])
            except Exception as exc:
                log.warning("no declared weeks for school %s: %s", uai, exc)
                return []
            if len(SCHOOL_WEEKS) > 20_000:
                SCHOOL_WEEKS.clear()
            cached = SCHOOL_WEEKS[uai] = (time.monotonic() + SCHOOL_WEEKS_TTL, weeks)
        return list(cached[1])

    def school_pupils(self, actor: dict, uai: str) -> list[dict]:
        """The school's roster (identity's), every page: [{"pupil_id", "name", "class_name"}]."""
        pupils, page = [], 1
        while True:
            out = self.proxy.list_pupils(actor=actor, uai=uai, page=page, page_size=500)
            pupils += [{"pupil_id": p["id"],
                        "name": f"{p.get('first_name') or ''} {p.get('last_name') or ''}".strip(),
                        "class_name": p.get("class_name")} for p in out["items"]]
            if page * out["page_size"] >= out["total"]:
                return pupils
            page += 1


class NotificationsClient:
    def __init__(self, proxy):
        self.proxy = proxy

    def send_transfer_link(self, email: str, token: str, token_hash: str, application: dict,
                           message: str | None) -> None:
        self.proxy.send_message(
            template="transfer_link", to={"email": email},
            context={"token": token, "application_id": application["id"],
                     "offer_title": application.get("offer_title") or "", "message": message or ""},
            key=f"transfer:{token_hash[:32]}")


@dataclass
class Clients:
    offers: OffersClient
    identity: IdentityClient
    notifications: NotificationsClient

    @classmethod
    def of(cls, offers, identity, notifications, profile_ttl: float = 300.0) -> "Clients":
        return cls(OffersClient(offers), IdentityClient(identity, profile_ttl), NotificationsClient(notifications))
