"""Every route of the front end, one section per audience.

Each e-mail, SMS, in-app notification and printed sheet names a route here (checked by
web/tests/test_links.py): keep those paths stable."""
from django.urls import include, path

from .views import auth, errors, placeholders, public, pupil

handler404 = errors.not_found
handler403 = errors.forbidden
handler500 = errors.server_error

# -- visitors ----------------------------------------------------------------------------------
public_urls = [
    path("", public.home, name="home"),
    path("offres", public.search, name="search"),
    path("offres/<uuid:offer_id>", public.offer, name="offer"),
    path("accessibilite", public.info, {"name": "accessibility"}, name="accessibility"),
    path("mentions-legales", public.info, {"name": "legal"}, name="legal"),
    path("donnees-personnelles", public.info, {"name": "privacy"}, name="privacy"),
]

# -- authentication and account (every audience) -------------------------------------------
auth_urls = [
    path("connexion", auth.login, name="login"),
    path("deconnexion", auth.logout, name="logout"),
    path("activation", auth.activation, name="activation"),  # e-mail: account_activation
    path("activation/nouveau-lien", auth.resend_activation, name="resend_activation"),
    path("activer-mon-compte", auth.pupil_activate, name="pupil_activate"),  # the school's printed sheet
    path("activer-mon-compte/identifiants", auth.pupil_activate_account, name="pupil_activate_account"),
    path("mot-de-passe/oublie", auth.password_reset, name="password_reset"),
    path("mot-de-passe/nouveau", auth.password_reset_confirm, name="password_reset_confirm"),  # e-mail
    path("compte", auth.account, name="account"),
    path("compte/mot-de-passe", auth.change_password, name="change_password"),
    path("compte/mes-donnees", auth.my_data, name="my_data"),
    path("notifications", auth.notifications, name="notifications"),
    path("preferences", auth.preferences, name="preferences"),  # every e-mail's footer
]

# -- pupils ---------------------------------------------------------------------------------------
pupil_urls = ([
    path("offres/<uuid:offer_id>/candidater", pupil.apply, name="apply"),
    path("eleve/candidatures", pupil.applications, name="applications"),
    path("eleve/candidatures/<uuid:application_id>", pupil.application, name="application"),  # e-mails
    path("eleve/candidatures/<uuid:application_id>/<str:action>", pupil.act, name="act"),
], "pupil")

# -- employers (employer journeys: replace the placeholders with their pages) -------------
employer_urls = ([
    path("entreprise", placeholders.coming_soon, name="home"),
    path("entreprise/offres/<uuid:offer_id>", placeholders.coming_soon, name="offer"),  # e-mails
    path("entreprise/candidatures/<uuid:application_id>", placeholders.coming_soon, name="application"),  # e-mails
], "employer")
employer_public_urls = [
    path("entreprise/inscription", placeholders.coming_soon, name="employer_register"),
    path("transferts/<str:token>", placeholders.coming_soon, name="transfer"),  # e-mail: transfer_link
]

# -- school staff, agreements, legal representatives (issue 17: placeholders for now) ------
later_urls = [
    path("invitation", placeholders.coming_soon, name="invitation"),  # e-mail: colleague_invitation
    path("conventions", placeholders.coming_soon, name="conventions"),
    path("conventions/signature/<str:token>", placeholders.coming_soon, name="convention_sign_link"),
    path("conventions/<uuid:convention_id>", placeholders.coming_soon, name="convention"),
    path("conventions/<uuid:convention_id>/document", placeholders.coming_soon, name="convention_document"),
    path("etablissements/<str:uai>/eleves", placeholders.coming_soon, name="school_pupils"),
    path("etablissements/<str:uai>/candidatures/<uuid:application_id>", placeholders.coming_soon,
         name="school_application"),
]

urlpatterns = [
    *public_urls,
    *auth_urls,
    path("", include(pupil_urls)),
    path("", include(employer_urls)),
    *employer_public_urls,
    *later_urls,
]
