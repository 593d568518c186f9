"""What every template needs: the site's identity (DSFR header and footer), the user, the skip links."""
from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings

from . import session

# django-dsfr's own context processor reads its configuration from a database; this front end has none.
SITE_CONFIG = SimpleNamespace(
    site_title=settings.SITE_TITLE,
    site_tagline=settings.SITE_TAGLINE,
    header_brand_html="Ministère<br>de l'Éducation<br>nationale",
    footer_brand_html="Ministère<br>de l'Éducation<br>nationale",
    footer_brand="Ministère de l'Éducation nationale",
    footer_description="Plateforme publique des stages d'observation des élèves de 4e, 3e et 2nde générale "
                       "et technologique.",
    beta_tag=False, mourning=False, notice_title="", notice_description="",
    operator_logo_file=None, operator_logo_alt="", operator_logo_width=0,
    accessibility_status="non conforme",
)

SKIPLINKS = [
    {"link": "#content", "label": "Contenu"},
    {"link": "#navigation-principale", "label": "Menu"},
    {"link": "#footer", "label": "Pied de page"},
]


# The main menu of each audience: (label, URL name). Each audience adds its own entry.
MENUS: dict[str | None, list[tuple[str, str]]] = {
    None: [("Accueil", "home"), ("Rechercher un stage", "search")],
    "pupil": [("Rechercher un stage", "search"), ("Mes candidatures", "pupil:applications"),
              ("Ma convention", "conventions"), ("Notifications", "notifications"), ("Mon compte", "account")],
    "employer": [("Mes offres", "employer:home"), ("Candidatures", "employer:applications"),
                 ("Conventions", "conventions"), ("Mon espace", "spaces"), ("Notifications", "notifications"),
                 ("Mon compte", "account")],
    "statistician": [("Statistiques", "stats"), ("Notifications", "notifications"), ("Mon compte", "account")],
    "school_staff": [("Élèves", "school_home"), ("Conventions", "conventions"), ("Statistiques", "stats"),
                     ("Notifications", "notifications"), ("Mon compte", "account")],
    "admin": [("Utilisateurs", "backoffice_users"), ("Établissements", "backoffice_schools"),
              ("Journal", "backoffice_audit"),
              ("Personnels à confirmer", "admin_staff"), ("Statisticiens à valider", "admin_statisticians"),
              ("Notifications en échec", "admin_notifications"), ("Offres signalées", "admin_moderation"),
              ("Calendrier", "admin_calendar"), ("Maintenance", "admin_maintenance"),
              ("Statistiques", "stats"), ("Mon compte", "account")],
}


def _menu(request, role):
    from django.urls import NoReverseMatch, reverse
    out = []
    for label, name in MENUS.get(role, MENUS[None]):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        out.append({"label": label, "url": url,
                    "current": request.path == url or (url != "/" and request.path.startswith(url))})
    return out


def site(request):
    u = session.user(request)
    return {
        "main_menu": _menu(request, u["role"] if u else None),
        "home_url": session.home_for(u["role"]) if u else "/",
        "SITE_CONFIG": SITE_CONFIG,
        "skiplinks": SKIPLINKS,
        "current_user": u,
        "public_url": settings.PUBLIC_URL,
    }
