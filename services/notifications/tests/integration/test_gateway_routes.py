"""The notifications routes of the gateway, in-process with the real notifications service: the inbox,
unread count, mark read, preferences, the admin view, role checks, and the OpenAPI document."""
import datetime as dt
import json
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from openapi_spec_validator import validate
from sqlalchemy import create_engine
from sqlalchemy.dialects.postgresql import insert

from testkit.harness import free_port
from gateway import security, service
from notifications.models import inbox_items, messages
from notifications.service import NotificationsService


@pytest.fixture
def signing_key():
    key, kid = rsa.generate_private_key(public_exponent=65537, key_size=2048), "notif-test-key"
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    saved = dict(service.verifier.keys)
    service.verifier.load_jwks({"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]})
    service.verifier._last_refresh = 1e18  # identity is not running here
    yield key, kid
    service.verifier.keys = saved
    service.verifier._last_refresh = 0.0


def _token(signing_key, user_id, role):
    key, kid = signing_key
    now = dt.datetime.now(dt.timezone.utc)
    claims = {"sub": user_id, "role": role, "iss": security.ISSUER, "aud": security.AUDIENCE, "iat": now,
              "exp": now + dt.timedelta(minutes=15), "typ": "access"}
    return {"Authorization": "Bearer " + jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})}


@pytest.fixture
def gw(service_db, start_service, signing_key):
    url = service_db("notifications")
    start_service(NotificationsService)
    service.GatewayService.router = None
    port = free_port()
    start_service(service.GatewayService, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    engine = create_engine(url)
    yield {"url": f"http://127.0.0.1:{port}", "engine": engine, "key": signing_key}
    engine.dispose()


def _seed(engine, user_id, n):
    now = dt.datetime.now(dt.timezone.utc)
    ids = []
    with engine.begin() as c:
        for i in range(n):
            mid, iid = str(uuid.uuid4()), str(uuid.uuid4())
            c.execute(insert(messages).values(id=mid, key=uuid.uuid4().hex, channel="in_app", event_id=str(uuid.uuid4()),
                                              event_type="application.read", template="application_read",
                                              recipient=f"user:{user_id}", user_id=user_id, status="sent",
                                              created_at=now, updated_at=now, sent_at=now))
            c.execute(insert(inbox_items).values(id=iid, user_id=user_id, message_id=mid, template="application_read",
                                                 title=f"Titre {i}", body="Corps", link="https://x/y",
                                                 created_at=now + dt.timedelta(seconds=i)))
            ids.append(iid)
        c.execute(insert(messages).values(id=str(uuid.uuid4()), key=uuid.uuid4().hex, channel="email",
                                          event_id=str(uuid.uuid4()), event_type="direct", template="password_reset",
                                          recipient=f"user:{user_id}", user_id=user_id, status="failed",
                                          attempts=10, last_error="SMTP connection failed", created_at=now,
                                          updated_at=now))
    return ids


def test_inbox_routes(gw):
    user = str(uuid.uuid4())
    ids = _seed(gw["engine"], user, 3)
    h = _token(gw["key"], user, "pupil")
    r = requests.get(gw["url"] + "/api/v1/me/notifications", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and body["unread"] == 3
    assert [i["title"] for i in body["items"]] == ["Titre 2", "Titre 1", "Titre 0"]
    assert requests.get(gw["url"] + "/api/v1/me/notifications/unread-count", headers=h).json() == {"unread": 3}
    r = requests.post(gw["url"] + f"/api/v1/me/notifications/{ids[0]}/read", headers=h)
    assert r.status_code == 200 and r.json()["read_at"]
    r = requests.get(gw["url"] + "/api/v1/me/notifications?unread_only=true&page_size=1", headers=h).json()
    assert r["total"] == 2 and len(r["items"]) == 1 and r["unread"] == 2
    assert requests.post(gw["url"] + "/api/v1/me/notifications/read-all", headers=h).json() == {"marked": 2}
    assert requests.get(gw["url"] + "/api/v1/me/notifications/unread-count", headers=h).json() == {"unread": 0}
    # someone else's notification: 404, and no token: 401
    other = _token(gw["key"], str(uuid.uuid4()), "employer")
    r = requests.post(gw["url"] + f"/api/v1/me/notifications/{ids[1]}/read", headers=other)
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    assert requests.get(gw["url"] + "/api/v1/me/notifications").status_code == 401


def test_preferences_routes(gw):
    h = _token(gw["key"], str(uuid.uuid4()), "employer")
    r = requests.get(gw["url"] + "/api/v1/me/notification-preferences", headers=h)
    assert r.status_code == 200 and r.json()["email"] == {}
    r = requests.put(gw["url"] + "/api/v1/me/notification-preferences", headers=h,
                     json={"email": {"offers": False}, "sms": {"reminders": False}})
    assert r.status_code == 200, r.text
    assert r.json()["email"] == {"offers": False} and r.json()["sms"] == {"reminders": False}
    r = requests.put(gw["url"] + "/api/v1/me/notification-preferences", headers=h, json={"email": {"nope": False}})
    assert r.status_code == 422 and "email.nope" in r.json()["errors"]


def test_admin_routes(gw):
    user = str(uuid.uuid4())
    _seed(gw["engine"], user, 1)
    admin = _token(gw["key"], str(uuid.uuid4()), "admin")
    r = requests.get(gw["url"] + f"/api/v1/admin/notifications?user_id={user}", headers=admin)
    assert r.status_code == 200, r.text
    [failed] = r.json()["items"]
    assert failed["status"] == "failed" and failed["attempts"] == 10 and "SMTP" in failed["last_error"]
    r = requests.post(gw["url"] + f"/api/v1/admin/notifications/{failed['id']}/retry", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    r = requests.post(gw["url"] + f"/api/v1/admin/notifications/{failed['id']}/retry", headers=admin)
    assert r.status_code == 409
    employer = _token(gw["key"], user, "employer")
    assert requests.get(gw["url"] + "/api/v1/admin/notifications", headers=employer).status_code == 403


def test_openapi_lists_the_notification_routes(gw):
    doc = requests.get(gw["url"] + "/openapi.json").json()
    validate(doc)
    for path in ("/api/v1/me/notifications", "/api/v1/me/notifications/unread-count",
                 "/api/v1/me/notifications/{notification_id}/read", "/api/v1/me/notifications/read-all",
                 "/api/v1/me/notification-preferences", "/api/v1/admin/notifications",
                 "/api/v1/admin/notifications/{message_id}/retry"):
        assert path in doc["paths"], path
