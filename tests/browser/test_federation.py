"""National sign-in in a real browser: « Se connecter avec ÉduConnect » on /connexion, the local OpenID provider's
page (deploy/oidc-provider, the real npm oidc-provider standing in for ÉduConnect), the demo pupil chosen, the
pupil's home page; logout ends the provider's session too. A parent is shown the page explaining that the pupil
signs in.

The suite's gateway is restarted with the FEDERATION_* settings of this module's provider (and put back after)."""
from __future__ import annotations

import re

import pytest

from testkit.oidc import OidcProvider, identities

# the provider's demo identities at schools the other browser tests do not use (the demo collège stays as they
# expect it): Collège Edmond Rostand, Marseille 13e (REP+)
PUPILS_COLLEGE = "0131260Z"


@pytest.fixture(scope="module")
def provider(platform):
    web = platform.web_url
    backs = [web + "/connexion/educonnect/retour", web + "/connexion/agents/retour"]
    suite = platform.suite
    with OidcProvider(backs, [web + "/"], log_path=suite.log_dir / "oidc-provider.log",
                      identities=identities(PUPILS_COLLEGE, ("0131261A", "0131262B"))) as op:
        suite.stop("gateway")
        suite.start("gateway", **op.gateway_env(backs, post_logout_redirect_uri=web + "/"))
        suite.wait_ready()
        try:
            yield op
        finally:
            suite.stop("gateway")
            suite.start("gateway")
            suite.wait_ready()


def test_educonnect_button_to_the_pupils_home_and_back_out(page, visit, platform, provider):
    page.goto("/connexion")
    visit(page, "connexion-educonnect")
    page.get_by_role("button", name=re.compile(r"Se connecter avec\s+ÉduConnect")).click()

    # the provider's page (the stand-in for ÉduConnect): choose the demo pupil
    page.wait_for_url(re.compile(re.escape(provider.issuer("educonnect")) + r"/interaction/"))
    page.get_by_label(re.compile("Inaya Benali")).check()
    page.get_by_role("button", name="Se connecter").click()

    # back on the platform, signed in, on the pupil's home page
    page.wait_for_url(re.compile(re.escape(platform.web_url) + r"/eleve/candidatures"))
    visit(page, "eleve-accueil-educonnect")
    assert page.get_by_role("button", name="Se déconnecter").is_visible()

    # logout ends the platform's session and the provider's, then comes back to the home page
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(platform.web_url + "/")
    assert page.get_by_role("link", name=re.compile("Se connecter")).first.is_visible()
    page.goto("/eleve/candidatures")
    page.wait_for_url(re.compile(r"/connexion"))


def test_a_parent_is_told_that_the_pupil_signs_in(page, visit, platform, provider):
    page.goto("/connexion")
    page.get_by_role("button", name=re.compile(r"Se connecter avec\s+ÉduConnect")).click()
    page.wait_for_url(re.compile(re.escape(provider.issuer("educonnect")) + r"/interaction/"))
    page.get_by_label(re.compile("Karim Benali")).check()
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(re.escape(platform.web_url) + r"/connexion/educonnect/retour"))
    visit(page, "educonnect-parent-refuse")
    assert page.get_by_role("heading", level=1).inner_text() == "Cet espace est réservé aux élèves"
    # still signed in at ÉduConnect: the page offers to end that session, and the provider comes back home
    page.get_by_role("link", name="fermez aussi cette session").click()
    page.wait_for_url(platform.web_url + "/")
