"""Visitors: the home page, the offer search and the offer page."""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from .. import session
from ..forms.public import SearchForm
from ..gateway import ApiError
from ..templatetags.stages import iso_week_label
from .common import page

SEARCH_KEYS = ("radius_km", "grade", "week", "period", "sector", "q")

def home(request):
    form = _search_form(request, None, place_required=not _pupil_home(request))
    return page(request, "public/home.html", "Trouver un stage d'observation", form=form)

def _reference(request) -> tuple[list, list]:
    """Sectors and the coming collège weeks (cached: reference data)."""
    data = cache.get("reference:search")
    if data is None:
        api = session.public_api(request)
        sectors = api.call("sectors")
        calendar = api.call("calendar")
        data = {"sectors": sectors, "weeks": calendar["college"]["weeks"]}
        cache.set("reference:search", data, 3600)
    this_week = "%d-W%02d" % timezone.localdate().isocalendar()[:2]
    weeks = [(w, iso_week_label(w)) for w in data["weeks"] if w >= this_week]
    return data["sectors"], weeks

def _search_form(request, data, place_required=True):
    sectors, weeks = _reference(request)
    return SearchForm(data, sectors=sectors, weeks=weeks, place_required=place_required)

def _pupil_home(request) -> dict | None:
    """The pupil's school (its commune prefills the place)."""
    u = session.user(request)
    if not u or u["role"] != "pupil":
        return None
    me = request.session.get("pupil_school")
    if me is None:
        me = session.api(request).call("me").get("school") or {}
        request.session["pupil_school"] = me
    return me

def search(request):
    school = _pupil_home(request)
    submitted = bool(request.GET)
    form = _search_form(request, request.GET if submitted else None, place_required=not school)
    if not submitted and school:
        form.initial["place"] = " ".join((school.get("commune_name") or "").split())
    result = place = None
    alternatives: list = []
    if submitted and form.is_valid():
        params = {k: form.cleaned_data.get(k) for k in SEARCH_KEYS}
        params["page"] = request.GET.get("page") or 1
        if params["page"] and not str(params["page"]).isdigit():
            params["page"] = 1
        text = (form.cleaned_data.get("place") or "").strip()
        api = session.public_api(request)
        if text:
            found = api.call("places", params={"q": text, "limit": 6})["items"]
            if not found:
                form.add_error("place", "Nous ne trouvons pas ce lieu : saisissez le nom d'une commune ou un code "
                                        "postal, par exemple « Marseille » ou « 13003 ».")
            else:
                place, alternatives = found[0], found[1:]
                params["commune"] = place["insee_code"]
        elif not school:
            form.add_error("place", "Indiquez une commune, un code postal ou une adresse.")
        if not form.errors:
            try:
                result = api.call("search_offers", params=params)
            except ApiError as exc:
                form.apply_api_error(exc)
    return page(request, "public/search.html", "Rechercher un stage", form=form, result=result, place=place,
                alternatives=alternatives, school=school, query=_query_without(request, "page"),
                query_without_place=_query_without(request, "page", "place"),
                map_tiles=settings.MAP_TILES_URL, map_attribution=settings.MAP_TILES_ATTRIBUTION,
                map_offers=[{"title": o["title"], "lat": o.get("lat"), "lon": o.get("lon"),
                             "url": reverse("offer", args=[o["id"]])} for o in (result or {}).get("items", [])])

def _query_without(request, *keys: str) -> str:
    q = request.GET.copy()
    for k in keys:
        q.pop(k, None)
    return q.urlencode()

DAY_LABELS = {"monday": "Lundi", "tuesday": "Mardi", "wednesday": "Mercredi", "thursday": "Jeudi",
              "friday": "Vendredi", "saturday": "Samedi"}

def offer(request, offer_id):
    api = session.public_api(request)
    o = api.call("offer", offer_id=str(offer_id))
    sectors = {s["id"]: s["name"] for s in _reference(request)[0]}
    hours = [(DAY_LABELS.get(d, d), h) for d, h in (o.get("hours_by_day") or {}).items()]
    u = session.user(request)
    return page(request, "public/offer.html", o.get("title") or "Offre de stage",
                crumbs=[("Rechercher un stage", reverse("search"))], offer=o, sector=sectors.get(o.get("sector")),
                hours=hours, viewer_role=u["role"] if u else None)

INFO_PAGES = {
    "accessibility": ("Accessibilité", "public/info_accessibility.html"),
    "legal": ("Mentions légales", "public/info_legal.html"),
    "privacy": ("Données personnelles", "public/info_privacy.html"),
}

def info(request, name: str):
    title, template = INFO_PAGES[name]
    return page(request, template, title)
