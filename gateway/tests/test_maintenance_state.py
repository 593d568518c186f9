"""The maintenance switch's shared state (gateway/maintenance.py) without services: which requests it
refuses and how (503, Retry-After), the exempt routes, and what a replica does when Redis does not answer
(the last known state for STALE_LIMIT seconds, then off; a switch refused with 503)."""
import datetime as dt
import json
import math

import pytest

from common.errors import DomainError
from gateway import maintenance as M

MESSAGE = "Maintenance en cours : retour prévu à 14 h."


class FakeRedis:
    def __init__(self):
        self.data, self.down = {}, False

    def _check(self):
        if self.down:
            raise ConnectionError("redis away")

    def get(self, k):
        self._check()
        return self.data.get(k)

    def set(self, k, v):
        self._check()
        self.data[k] = v

    def delete(self, k):
        self._check()
        self.data.pop(k, None)


@pytest.fixture
def redis(monkeypatch):
    fake = FakeRedis()
    monkeypatch.setattr(M.kv, "client", lambda: fake)
    clock = {"t": 1000.0}
    monkeypatch.setattr(M.time, "monotonic", lambda: clock["t"])
    monkeypatch.setattr(M, "_STATE", M._State())
    fake.clock = clock
    return fake


def _on(minutes=30):
    ends = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)
    return M.store({"active": True, "message": MESSAGE, "ends_at": ends.isoformat()})


def test_writes_are_refused_with_503_and_retry_after_reads_and_exempt_routes_are_not(redis):
    assert M.refusal("POST", "/api/v1/offers", "/api/v1/offers", "rid") is None
    _on(30)
    r = M.refusal("POST", "/api/v1/offers", "/api/v1/offers", "rid")
    body = json.loads(r.get_data())
    assert r.status_code == 503 and r.mimetype == "application/problem+json"
    assert body["code"] == "maintenance" and body["detail"] == MESSAGE
    assert 29 * 60 <= int(r.headers["Retry-After"]) <= 30 * 60
    for method in ("PUT", "PATCH", "DELETE"):
        assert M.refusal(method, "/api/v1/offers/<offer_id>", "/api/v1/offers/x", "rid").status_code == 503
    assert M.refusal("GET", "/api/v1/offers", "/api/v1/offers", "rid") is None
    for method, path in M.EXEMPT:
        assert M.refusal(method, path, path, "rid") is None


def test_retry_after_is_at_least_a_minute():
    now = dt.datetime(2027, 1, 19, 12, tzinfo=dt.timezone.utc)
    assert M.retry_after((now + dt.timedelta(seconds=10)).isoformat(), now) == 60
    assert M.retry_after((now - dt.timedelta(hours=1)).isoformat(), now) == 60   # overrun: still on
    assert M.retry_after((now + dt.timedelta(seconds=3600.2)).isoformat(), now) == 3601
    assert M.retry_after(None, now) == 60


def test_another_replica_follows_within_the_ttl(redis):
    M.store({"active": False})
    ends = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    redis.data[M._key()] = json.dumps({"active": True, "message": MESSAGE, "ends_at": ends})   # another replica
    assert M.current()["active"] is False            # this replica's copy, younger than TTL
    redis.clock["t"] += M.TTL
    assert M.current()["active"] is True and M.current()["message"] == MESSAGE


def test_redis_away_keeps_the_last_state_for_a_while_then_off_and_a_switch_is_refused(redis):
    _on(30)
    redis.down = True
    redis.clock["t"] += M.TTL
    assert M.current()["active"] is True             # last known state
    redis.clock["t"] += M.STALE_LIMIT
    assert M.current()["active"] is False            # taken as off: never refuse for a Redis outage
    with pytest.raises(DomainError) as e:
        M.store({"active": True, "message": MESSAGE, "ends_at": None})
    assert e.value.status == 503 and e.value.code == "maintenance_store_unavailable"
    redis.down = False
    redis.clock["t"] += M.TTL
    assert M.current()["active"] is True             # back: Redis still says on
    assert not math.isinf(M._STATE.good_at)
