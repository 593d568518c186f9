"""Staff in several schools (issue 20): a head with a platform account whom FIM also knows in a lycée logs in,
opens « Mes établissements » from « Mon compte », and switches the current school with the select; the pages
then act for the lycée."""
from __future__ import annotations

import uuid

from world import confirmed_head

COLLEGE = "0130007M"   # Collège Jas de Bouffan (no other browser test uses it)
LYCEE = "0130040Y"     # Lycée Thiers


def test_a_head_of_two_schools_switches_school(page, visit, platform):
    head = confirmed_head(platform, uai=COLLEGE)
    with platform.suite.rpc() as rpc:   # the FIM sign-in (the gateway's OpenID Connect client calls it)
        rpc.identity.federated_sign_in(provider="fim", claims={
            "sub": f"fim-{uuid.uuid4()}", "email": head["email"], "FrEduFonctAdm": "DIR", "rne": COLLEGE,
            "FrEduRneResp": [f"{LYCEE}$UAJ$PU$N$T3$LYC$300"], "given_name": "Marie", "family_name": "Lambert"})

    page.goto("/connexion")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(head["email"])
    page.get_by_label("Mot de passe", exact=True).fill(head["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)
    assert f"/etablissements/{COLLEGE}/" in page.url

    page.goto("/compte")
    page.get_by_role("link", name="Mes établissements (changer d'établissement)").click()
    visit(page, "mes-etablissements")
    assert "Lycée Thiers" in page.content() and "Jas de Bouffan" in page.content()
    page.get_by_label("Établissement courant").select_option(LYCEE)
    page.get_by_role("button", name="Changer d'établissement").click()
    page.wait_for_url(lambda url: f"/etablissements/{LYCEE}/" in url)
    visit(page, "etablissement-change")
    assert "Établissement courant : Lycée Thiers" in page.content()
