"""Every link that an e-mail, an SMS, an in-app notification or a printed sheet names opens a page of the
web front end (a Django route resolves it), and they are all built from the one STAGES_PUBLIC_URL."""
import re
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

BASE = "https://stages.example.fr"
CONTEXT = {
    "token": "tok-abc", "code": "482913", "application_id": "0d7b7f0e-8c2b-4c43-9a0e-0e0c2c6f3b11",
    "offer_id": "6c1f3a3e-1b8f-4d9f-9c55-2f0a9b7e2d10", "convention_id": "8a9b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "school_uai": "0131884C", "pupil_id": "p1", "employer_id": "e1", "import_id": "imp-1",
    "offer_title": "Atelier de boulangerie", "organisation_name": "Boulangerie Dupont",
    "pupil_first_name": "Léa", "pupil_last_name": "Martin", "school_name": "Collège Jean Moulin",
    "grade": "troisieme", "created": 25, "updated": 2, "rejected": 1, "role": "employer",
    "expires_at": "2026-12-08T09:00:00+00:00", "deadline": "2026-12-08T09:00:00+00:00",
    "accept_expires_at": "2026-12-08T09:00:00+00:00",
    "inviter_name": "Mme Durand", "message": "Au plaisir", "reason": "Plus de place",
    "convention_ids": ["8a9b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"], "class_name": "3e B", "week": "2027-W24",
    "weeks": ["2027-W24"], "signer_name": "M. Martin",
}


def _links(text: str) -> set[str]:
    return {u.rstrip(".,;)»") for u in re.findall(re.escape(BASE) + r"[^\s<>\"']*", text)}


def _resolves(url: str) -> bool:
    try:
        resolve(urlsplit(url).path)
        return True
    except Resolver404:
        return False


def test_every_message_links_to_a_page_of_the_web_front_end():
    from notifications.domain.messages import MESSAGES
    from notifications.templates.renderer import Renderer

    renderer = Renderer(BASE)
    seen: set[str] = set()
    broken = []
    for template in MESSAGES:
        rendered = renderer.render(template, dict(CONTEXT))
        texts = [rendered.text, rendered.html or "", rendered.sms or "", rendered.summary or "", rendered.link]
        for url in set().union(*(_links(t) for t in texts)):
            seen.add(urlsplit(url).path)
            if not _resolves(url):
                broken.append(f"{template}: {url}")
    assert not broken, f"links to pages the web front end does not have: {broken}"
    targets = {re.sub(r"/[0-9a-f-]{36}|/tok-abc|/0131884C", "/<id>", p) for p in seen}
    assert len(targets) >= 14, sorted(targets)


def test_the_activation_code_sheet_sends_pupils_to_an_existing_page(monkeypatch):
    monkeypatch.setenv("STAGES_PUBLIC_URL", BASE)
    from identity import settings
    url = settings.public_url() + "/activer-mon-compte"
    assert _resolves(url)
    assert resolve("/activer-mon-compte").url_name == "pupil_activate"


@pytest.mark.parametrize("service_config", ["notifications", "identity"])
def test_links_come_from_the_one_public_url_setting(monkeypatch, service_config):
    monkeypatch.setenv("STAGES_PUBLIC_URL", "https://un-autre.example.fr/")
    if service_config == "notifications":
        from notifications import settings
        assert settings.load().base_url == "https://un-autre.example.fr"
    else:
        from identity import settings
        assert settings.public_url() == "https://un-autre.example.fr"
