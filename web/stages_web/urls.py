"""Every route of the front end, one section per audience.

Each e-mail, SMS, in-app notification and printed sheet names a route here (checked by
web/tests/test_links.py): keep those paths stable."""
from django.urls import include, path
from django.views.generic import RedirectView

from .views import account_profile, agreements, auth, employer, errors, federation, lifecycle, public, pupil, spaces
from .views import moderation
from .views import admin as admin_views
from .views import backoffice, memberships, register, school
from .views import platform as platform_views
from .views import stats as stats_views

handler404 = errors.not_found
handler403 = errors.forbidden
handler500 = errors.server_error

# -- visitors ----------------------------------------------------------------------------------
public_urls = [
    path("", public.home, name="home"),
    path("offres", public.search, name="search"),
    path("offres/<uuid:offer_id>", public.offer, name="offer"),
    path("offres/<uuid:offer_id>/signaler", moderation.report, name="offer_report"),
    path("accessibilite", public.info, {"name": "accessibility"}, name="accessibility"),
    path("mentions-legales", public.info, {"name": "legal"}, name="legal"),
    path("donnees-personnelles", public.info, {"name": "privacy"}, name="privacy"),
]

# -- authentication and account (every audience) -------------------------------------------
auth_urls = [
    path("connexion", auth.login, name="login"),
    path("connexion/<str:slug>", federation.start, name="federation_start"),  # ÉduConnect, FIM (agents)
    path("connexion/educonnect/retour", federation.back, {"slug": "educonnect"},
         name="federation_return_educonnect"),
    path("connexion/agents/retour", federation.back, {"slug": "agents"}, name="federation_return_agents"),
    path("compte/educonnect/lier", federation.link_start, name="federation_link"),
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
    path("compte/informations", account_profile.edit, name="account_edit"),
    path("compte/adresse", account_profile.change_email, name="account_email"),
    path("compte/adresse/confirmer", account_profile.confirm_email, name="account_email_confirm"),  # e-mail
    path("compte/telephone", account_profile.change_phone, name="account_phone"),  # SMS: phone_change_code
    path("espace", spaces.space, name="spaces"),
    path("espace/changer", spaces.switch, name="spaces_switch"),
    path("espaces/<uuid:space_id>/membres/<uuid:user_id>/retirer", spaces.remove, name="spaces_remove"),
    path("espaces/invitation", spaces.invitation, name="space_invitation"),  # e-mail: space_invitation
    path("compte/suppression", lifecycle.delete_account, name="delete_account"),
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

# -- employers ---------------------------------------------------------------------------------------
employer_urls = ([
    path("entreprise/offres", employer.home, name="home"),
    path("entreprise/offres/nouvelle", employer.offer_new, name="offer_new"),
    path("entreprise/offres/<uuid:offer_id>", employer.offer, name="offer"),  # e-mails
    path("entreprise/offres/<uuid:offer_id>/etapes/<str:step>", employer.offer_step, name="offer_step"),
    path("entreprise/offres/<uuid:offer_id>/<str:action>", employer.offer_action, name="offer_action"),
    path("entreprise/candidatures", employer.applications, name="applications"),
    path("entreprise/candidatures/export.csv", employer.applications_export, name="applications_export"),
    path("entreprise/candidatures/traitement-groupe", employer.applications_bulk, name="applications_bulk"),
    path("entreprise/candidatures/<uuid:application_id>", employer.application, name="application"),  # e-mails
    path("entreprise/candidatures/<uuid:application_id>/<str:action>", employer.application,
         name="application_action"),
], "employer")
employer_public_urls = [
    path("entreprise", RedirectView.as_view(pattern_name="employer:home"), name="employer_root"),
    path("entreprise/inscription", employer.register, name="employer_register"),
    path("entreprise/inscription/envoyee", employer.registered, name="employer_registered"),
    path("transferts/<str:token>", employer.transfer, name="transfer"),  # e-mail: transfer_link
]

# -- agreements, by role (employer, school staff, pupil) and the legal representative's link ---------
agreement_urls = [
    path("conventions", agreements.conventions, name="conventions"),  # by role
    path("conventions/image-de-signature", agreements.signature_image, name="school_signature_image"),
    path("conventions/signature/<str:token>", agreements.sign_link, name="convention_sign_link"),  # e-mail
    path("conventions/signature/<str:token>/document", agreements.sign_link_document,
         name="convention_sign_link_document"),
    path("conventions/<uuid:convention_id>", agreements.convention, name="convention"),
    path("conventions/<uuid:convention_id>/document", agreements.document, name="convention_document"),
    path("conventions/<uuid:convention_id>/<str:action>", agreements.convention, name="convention_action"),
]

# -- statistics: statisticians, school staff, admins ---------------------------------------------
stats_urls = [
    path("statistiques", stats_views.stats, name="stats"),
    path("statistiques/export.csv", stats_views.stats_csv, name="stats_csv"),
    path("statistiques/inscription", stats_views.register, name="stats_register"),
    path("statistiques/inscription/envoyee", stats_views.registered, name="stats_registered"),
]

# -- school staff (pupils, classes, colleagues) and admin pages ----------------------------------
school_urls = [
    path("etablissement", school.home, name="school_home"),
    path("etablissement/mes-etablissements", memberships.my_schools, name="my_schools"),
    path("etablissement/inscription", school.register, name="school_register"),
    path("etablissement/inscription/envoyee", school.registered, name="school_registered"),
    path("invitation", school.invitation, name="invitation"),  # e-mail: colleague_invitation
    path("etablissements/<str:uai>/eleves", school.pupils, name="school_pupils"),  # e-mails
    path("etablissements/<str:uai>/eleves/import", school.pupils_import, name="school_pupils_import"),
    path("etablissements/<str:uai>/eleves/import/resultat", school.import_done, name="school_import_done"),
    path("etablissements/<str:uai>/eleves/import/fiche.pdf", school.import_sheet, name="school_import_sheet"),
    path("etablissements/<str:uai>/eleves/codes", school.codes, name="school_codes"),
    path("etablissements/<str:uai>/classes", school.classes, name="school_classes"),
    path("etablissements/<str:uai>/suivi", school.follow_up, name="school_follow_up"),
    path("etablissements/<str:uai>/candidatures/<uuid:application_id>", school.application,
         name="school_application"),  # e-mails
    path("etablissements/<str:uai>/registre", register.register, name="school_pupil_register"),   # issue 20
    path("etablissements/<str:uai>/personnels", school.staff, name="school_staff"),
    path("etablissements/<str:uai>/personnels/inviter", school.staff, {"action": "inviter"}, name="school_invite"),
    path("etablissements/<str:uai>/personnels/<uuid:user_id>/<str:action>", school.staff,
         name="school_staff_action"),
    path("administration/personnels", admin_views.staff, name="admin_staff"),
    path("administration/personnels/<str:uai>/<uuid:user_id>/confirmer", admin_views.staff_confirm,
         name="admin_staff_confirm"),
    path("administration/statisticiens", admin_views.statisticians, name="admin_statisticians"),
    path("administration/passage-annee", lifecycle.rollover, name="admin_rollover"),
    path("administration/notifications", admin_views.notifications, name="admin_notifications"),
    path("administration/notifications/<uuid:message_id>/renvoyer", admin_views.notification_retry,
         name="admin_notification_retry"),
    path("administration/offres", admin_views.offers, name="admin_offers"),
    path("administration/calendrier", platform_views.calendar, name="admin_calendar"),
    path("administration/maintenance", platform_views.maintenance, name="admin_maintenance"),
    path("administration/moderation", moderation.queue, name="admin_moderation"),
    path("administration/moderation/<uuid:offer_id>", moderation.decide, name="admin_moderation_decide"),
    path("administration/offres/<uuid:offer_id>/depublier", admin_views.offer_unpublish, name="admin_offer_unpublish"),
]

# -- back-office (admins) and classes (school staff): views/backoffice.py -----------------------------
backoffice_urls = [
    path("administration/utilisateurs", backoffice.users, name="backoffice_users"),
    path("administration/utilisateurs/<uuid:user_id>", backoffice.user, name="backoffice_user"),
    path("administration/etablissements", backoffice.schools, name="backoffice_schools"),
    path("administration/etablissements/nouveau", backoffice.school_new, name="backoffice_school_new"),
    path("administration/etablissements/<str:uai>", backoffice.school, name="backoffice_school"),
    path("administration/journal", backoffice.audit, name="backoffice_audit"),
    path("etablissements/<str:uai>/classes/gestion", backoffice.classes, name="school_classes_manage"),
    path("etablissements/<str:uai>/eleves/changer-de-classe", backoffice.pupils_move, name="school_pupils_move"),
]

urlpatterns = [
    *public_urls,
    *auth_urls,
    path("", include(pupil_urls)),
    path("", include(employer_urls)),
    *employer_public_urls,
    *agreement_urls,
    *school_urls,
    *stats_urls,
    *backoffice_urls,
]
