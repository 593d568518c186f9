"""The platform's switches in the browser (issue 21): the demo admin opens « Calendrier d'ouverture » (the
year's dates pre-filled, Paris time) and saves it with every date cleared (no restriction: the other journeys
of the session stay open), then turns maintenance on from « Maintenance »: every page shows the DSFR notice
with the message and the announced end, a write is refused with the message, and the admin turns it off.
Each page passes the accessibility checks (axe-core). Maintenance is off afterwards whatever happens."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from testkit.tokens import admin_token
from world import admin_login

MESSAGE = "Maintenance de la plateforme : retour prévu dans une heure."
GRADES = ("quatrieme", "troisieme", "seconde")
KINDS = ("publish_from", "browse_from", "apply_from")


def test_an_admin_sets_the_calendar_and_switches_maintenance(page, visit, platform):
    admin_login(page, platform)
    try:
        page.goto("/administration/calendrier")
        visit(page, "calendrier")
        assert page.locator("#id_seconde__publish_from").input_value().endswith("T14:00")   # the usual 14 h
        for g in GRADES:
            for k in KINDS:
                page.locator(f"#id_{g}__{k}").fill("")
        page.get_by_role("button", name="Enregistrer le calendrier").click()
        page.wait_for_load_state("load")
        assert "est enregistré" in page.content()
        year = platform.api.get("/api/v1/calendar").json()
        assert year["set"] is True and all(v is None for d in year["grades"].values() for v in d.values())

        page.goto("/administration/maintenance")
        visit(page, "maintenance-arretee")
        ends = dt.datetime.now(ZoneInfo("Europe/Paris")) + dt.timedelta(hours=1)
        page.get_by_label("Message affiché sur toutes les pages").fill(MESSAGE)
        page.get_by_label("Fin prévue").fill(ends.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Activer la maintenance").click()
        page.wait_for_load_state("load")
        notice = page.locator(".fr-notice")
        assert MESSAGE in notice.inner_text() and f"{ends.hour} h {ends.minute:02d}" in notice.inner_text()
        visit(page, "maintenance-en-cours")
        page.goto("/offres")
        assert MESSAGE in page.locator(".fr-notice").inner_text()   # every page, reads work
        # a write during maintenance: the form shows the gateway's French message
        page.goto("/administration/calendrier")
        page.get_by_role("button", name="Enregistrer le calendrier").click()
        page.wait_for_load_state("load")
        assert MESSAGE in page.locator("#form-errors").inner_text()
        page.goto("/administration/maintenance")
        page.get_by_role("button", name="Arrêter la maintenance").click()
        page.wait_for_load_state("load")
        assert "La maintenance est terminée" in page.content() and page.locator(".fr-notice").count() == 0
    finally:
        _off(platform)


def _off(platform):
    """Maintenance off through the API, whatever the page did (the demo admin's session: testkit.tokens)."""
    with platform.suite.rpc() as rpc:
        demo = rpc.identity.seed_demo()
    platform.api.put("/api/v1/admin/maintenance", json={"active": False}, token=admin_token(platform.api, demo))
