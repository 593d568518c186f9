"""Request budgets (rate limits) of the gateway, shared by every replica through Redis.

A route declares its budgets (``rate_limit=``): a ``(requests, seconds)`` pair is one budget per
caller (the user when a token is presented, the client address otherwise); a list of ``Budget``
counts the same request in several budgets, e.g. per e-mail address first and per client address
only as a high backstop::

    rate_limit=[Budget(5, 3600, per="body:email"), Budget(1000, 3600, per="ip")]

How a request is counted:

- the budgets are read before the handler runs; one that is spent answers 429 with ``Retry-After``
  and ``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset`` (the three-header form
  of the IETF draft "RateLimit header fields for HTTP"; ``Reset`` is in seconds);
- a request is charged only once its answer is known, and only if it was not refused as invalid
  (400, 413, 415, 422), not itself limited (429) and not a server failure (5xx): a client that sends
  invalid requests spends nothing of anyone's budget (validation is cheap and its own answer);
- successful answers carry the ``RateLimit-*`` headers of the budget closest to being spent.

Counters are moving windows kept in Redis by the ``limits`` library (``MovingWindowRateLimiter`` over
``RedisStorage``), keys under ``<STAGES_REDIS_PREFIX>:limits``; identifiers taken from a body field or
a path token are hashed (no e-mail address or link token in Redis). When Redis does not answer, the
gateway counts in its own memory until it answers again (each replica then limits on its own) and
logs it: limits weaken, requests are not refused for it. Between the read and the charge, concurrent
requests may overshoot a budget by the number in flight.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from common import kv, settings
from common.errors import RateLimited

log = logging.getLogger("gateway.budgets")

# Answers that do not spend a budget: refused as invalid, limited, or failed on our side.
NOT_CHARGED = {400, 413, 415, 422, 429}


@dataclasses.dataclass(frozen=True)
class Budget:
    limit: int
    seconds: int
    # "caller": the user when authenticated, else the client address; "user"; "ip";
    # "path:<param>" (a link's token); "body:<field>" (an account's e-mail, case-folded).
    per: str = "caller"

    def describe(self) -> str:
        who = {"caller": "par utilisateur (ou par adresse sans jeton)", "user": "par utilisateur",
               "ip": "par adresse IP"}.get(self.per)
        if who is None:
            kind, _, name = self.per.partition(":")
            who = f"par {_FIELDS.get(name, name)}" if kind == "body" else "par lien"
        return f"{self.limit} requêtes par {_duration(self.seconds)} {who}"


_FIELDS = {"email": "adresse e-mail", "identifier": "identifiant"}


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        n = seconds // 3600
        return "heure" if n == 1 else f"{n} heures"
    if seconds % 60 == 0:
        n = seconds // 60
        return "minute" if n == 1 else f"{n} minutes"
    return f"{seconds} secondes"


def budgets_of(rate_limit) -> list[Budget]:
    if not rate_limit:
        return []
    if isinstance(rate_limit, tuple):
        return [Budget(int(rate_limit[0]), int(rate_limit[1]))]
    return list(rate_limit)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def identifier(budget: Budget, req) -> str | None:
    """Who a budget counts for this request (None: the budget does not apply, e.g. no such field)."""
    per = budget.per
    if per == "caller":
        return f"user:{req.actor['user_id']}" if req.actor else f"ip:{req.ip}"
    if per == "user":
        return f"user:{req.actor['user_id']}" if req.actor else None
    if per == "ip":
        return f"ip:{req.ip}"
    kind, _, name = per.partition(":")
    if kind == "path":
        value = req.path.get(name)
    elif kind == "body":
        value = req.body.get(name) if isinstance(req.body, dict) else None
        value = value.strip().lower() if isinstance(value, str) else None
    else:
        raise ValueError(f"unknown budget scope {per!r}")
    return f"{name}:{_digest(value)}" if value else None


@dataclasses.dataclass
class Charge:
    """The budgets a request will be charged, with what was left when it was read."""
    items: list  # (Budget, RateLimitItem, identifiers, remaining, reset_epoch)

    def headers(self, spent: int = 1) -> dict:
        if not self.items:
            return {}
        b, _, _, remaining, reset = min(self.items, key=lambda x: (x[3] - spent, -x[4]))
        return {"RateLimit-Limit": str(b.limit), "RateLimit-Remaining": str(max(0, remaining - spent)),
                "RateLimit-Reset": str(max(0, math.ceil(reset - time.time())))}


class Limiter:
    def __init__(self, url: str | None = None, prefix: str | None = None):
        self._url = url
        self._prefix = prefix
        self._redis: MovingWindowRateLimiter | None = None
        self._redis_for: tuple | None = None
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._down_since: float | None = None

    def _strategy(self) -> MovingWindowRateLimiter:
        url = self._url or settings.redis_url()
        prefix = f"{self._prefix or settings.redis_prefix()}:limits"
        if self._redis is None or self._redis_for != (url, prefix):
            storage = RedisStorage(url, key_prefix=prefix, socket_timeout=kv.SOCKET_TIMEOUT,
                                   socket_connect_timeout=kv.SOCKET_TIMEOUT)
            self._redis, self._redis_for = MovingWindowRateLimiter(storage), (url, prefix)
        return self._redis

    def _call(self, method: str, *args):
        try:
            out = getattr(self._strategy(), method)(*args)
            if self._down_since is not None:
                log.warning("Redis answers again: request budgets are shared again")
                self._down_since = None
            return out
        except Exception as exc:  # Redis down or unreachable: count in this process until it answers
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.error("Redis does not answer (%s): request budgets counted per gateway process", exc)
            return getattr(self._memory, method)(*args)

    def read(self, route_id: str, budgets: list[Budget], req) -> Charge:
        """Raise ``RateLimited`` when one of the budgets is spent; else what to charge later."""
        items = []
        for b in budgets:
            who = identifier(b, req)
            if who is None:
                continue
            item = RateLimitItemPerSecond(b.limit, b.seconds, namespace="budget")
            ids = (route_id, b.per, who)
            reset, remaining = self._call("get_window_stats", item, *ids)
            if remaining < 1:
                retry = max(1, math.ceil(reset - time.time()))
                raise RateLimited("Trop de requêtes. Réessayez dans quelques instants.", retry_after=retry,
                                  extra={"limit": b.limit})
            items.append((b, item, ids, remaining, reset))
        return Charge(items)

    def charge(self, charge: Charge, status: int) -> None:
        if status in NOT_CHARGED or status >= 500:
            return
        for _, item, ids, _, _ in charge.items:
            self._call("hit", item, *ids)


# Links sent by e-mail (a legal representative's signature, a transferred application): counted per
# link first; per address only as a backstop high enough for a school or a family behind one address.
LINK_VIEW_BUDGETS = [Budget(30, 60, per="path:token"), Budget(600, 60, per="ip")]
LINK_ACTION_BUDGETS = [Budget(10, 60, per="path:token"), Budget(300, 60, per="ip")]
