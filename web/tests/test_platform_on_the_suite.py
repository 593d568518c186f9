"""The maintenance mode through the web front end against the real suite (services and gateway as processes;
nothing faked): an admin turns it on from the admin page, every page shows the notice, a form's write comes
back with the 503's French message, reads work, and the admin turns it off. Maintenance is off afterwards
whatever happens (other modules share the suite)."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client
from django.utils.html import escape

from common.clock import PARIS
from stages_web import maintenance
from testkit.tokens import admin_session

pytestmark = pytest.mark.suite

MESSAGE = "Maintenance de la plateforme : retour prévu dans une heure."
GRADES = ("quatrieme", "troisieme", "seconde")
KINDS = ("publish_from", "browse_from", "apply_from")


def _admin(suite, api) -> tuple[str, dict]:
    with suite.rpc() as rpc:
        demo = rpc.identity.seed_demo()
    session = admin_session(api, demo)
    return session["access_token"], session["user"]


def test_an_admin_turns_maintenance_on_and_off_from_the_web(suite, api, settings):
    settings.GATEWAY_URL = suite.url
    token, user = _admin(suite, api)
    web = Client()
    s = web.session
    s["auth"] = {"access_token": token, "refresh_token": "not-used", "expires_at": time.time() + 600, "user": user}
    s.save()
    maintenance.forget()
    try:
        ends = (dt.datetime.now(PARIS) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")   # typed in Paris time
        r = web.post("/administration/maintenance", {"action": "on", "message": MESSAGE, "ends_at": ends})
        assert r.status_code == 302, r.content.decode()[-2000:]
        assert api.get("/api/v1/maintenance").json()["active"] is True

        # every page shows the notice; reads work
        html = web.get("/administration/calendrier").content.decode()
        assert 'fr-notice fr-notice--info' in html and escape(MESSAGE) in html
        assert "Fin prévue" in html
        # a form's write: the gateway's 503 comes back as its French message at the top of the form
        empty = {f"{g}__{k}": "" for g in GRADES for k in KINDS}
        r = web.post("/administration/calendrier", empty)
        assert r.status_code == 422 and escape(MESSAGE) in r.content.decode()

        r = web.post("/administration/maintenance", {"action": "off"})
        assert r.status_code == 302
        assert api.get("/api/v1/maintenance").json()["active"] is False
        assert "fr-notice--info" not in web.get("/administration/maintenance").content.decode()
    finally:
        api.put("/api/v1/admin/maintenance", json={"active": False}, token=token)
        maintenance.forget()
