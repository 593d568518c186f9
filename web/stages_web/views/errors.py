"""Error pages (French, with the DSFR layout)."""
from __future__ import annotations

from .common import page


def not_found(request, detail: str | None = None, exception=None):
    return page(request, "errors/error.html", "Page introuvable", status=404,
                detail=detail if isinstance(detail, str) else
                "La page que vous cherchez n'existe pas ou n'est plus disponible.")


def forbidden(request, detail: str | None = None, exception=None):
    return page(request, "errors/error.html", "Accès refusé", status=403,
                detail=detail if isinstance(detail, str) else "Vous n'avez pas accès à cette page.")


def refused(request, exc):
    """A refusal of the platform that the view did not handle itself (its French detail)."""
    status = exc.status if 400 <= exc.status < 500 or exc.code == "maintenance" else 502
    return page(request, "errors/error.html", "La demande n'a pas abouti", status=status, detail=exc.detail)


def unavailable(request):
    return page(request, "errors/error.html", "Service momentanément indisponible", status=503,
                detail="La plateforme ne répond pas pour le moment. Réessayez dans quelques minutes.")


def server_error(request):
    return page(request, "errors/error.html", "Erreur inattendue", status=500,
                detail="Une erreur inattendue s'est produite. Réessayez dans quelques minutes.")


def csrf_failure(request, reason=""):
    return page(request, "errors/error.html", "Formulaire expiré", status=403,
                detail="Le formulaire a expiré ou a été envoyé depuis une autre page. Revenez en arrière, "
                       "rechargez la page et envoyez-le à nouveau.")
