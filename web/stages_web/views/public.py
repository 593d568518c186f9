"""Visitors: the home page, the offer search and the offer page."""
from __future__ import annotations

from .common import page


def home(request):
    return page(request, "public/home.html", "Trouver un stage d'observation")


def search(request):
    return page(request, "public/search.html", "Rechercher un stage")


def offer(request, offer_id):
    return page(request, "public/offer.html", "Offre de stage")


INFO_PAGES = {
    "accessibility": ("Accessibilité", "public/info_accessibility.html"),
    "legal": ("Mentions légales", "public/info_legal.html"),
    "privacy": ("Données personnelles", "public/info_privacy.html"),
}


def info(request, name: str):
    title, template = INFO_PAGES[name]
    return page(request, template, title)
