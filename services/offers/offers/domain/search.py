"""Search parameters, who sees what, and the index columns of an offer.

``parse_search_params`` turns the raw query (strings, or lists for repeated
keys) into a clean dict, or raises ValidationError with every field error.
``visible_to``/``can_apply`` state the rules per viewer; the search SQL
(``offers.queries.search``) is built from the same constants. The order of
the results (REP/QPV first) lives in ``ranking``.
"""
from __future__ import annotations

import datetime as dt
import re

from common.errors import ValidationError

from . import calendar as cal
from .offer import GRADES, INSEE_RE, offer_weeks
from .sectors import SECTORS

PAGE_SIZE = 30
RADIUS_MIN, RADIUS_MAX, RADIUS_DEFAULT = 5, 60, 20
Q_MAX = 200
MAX_PAGE = 1000

MSG_RADIUS = f"Le rayon doit être un nombre de kilomètres entre {RADIUS_MIN} et {RADIUS_MAX}."
MSG_PLACE_ONE = "Indiquez un seul lieu : commune, code postal, ou latitude et longitude."
MSG_PAGE = "Numéro de page invalide."
MSG_WEEK_AND_PERIOD = "Indiquez une semaine ou une période, pas les deux."
MSG_PERIOD = "Période inconnue (attendu : both, week1 ou week2)."

PUPIL_ROLES = ("pupil",)
SEE_ALL_ROLES = ("admin", "operator", "statistician")
RESERVATION_ROLES = ("pupil", "school_staff")   # may see the reserved offers their school qualifies for


def _one(v):
    if isinstance(v, (list, tuple)):
        return v[-1] if v else None
    return v


def _many(v) -> list:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        out = []
        for x in v:
            out.extend(_many(x))
        return out
    if isinstance(v, str):
        return [p for p in (s.strip() for s in v.split(",")) if p]
    return [v]


def _float(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return f


def parse_search_params(raw: dict, today: dt.date, overrides: dict | None = None) -> dict:
    """Clean search parameters. Keys: commune, postal_code, lat, lon, radius_km,
    q, sector (list), grade, week, period, page."""
    errors: dict[str, list[str]] = {}

    def add(f, m):
        errors.setdefault(f, []).append(m)

    out = {"commune": None, "postal_code": None, "lat": None, "lon": None, "radius_km": RADIUS_DEFAULT,
           "q": None, "sector": [], "grade": None, "week": None, "period": None, "weeks": None,
           "page": 1, "page_size": PAGE_SIZE}
    commune = _one(raw.get("commune"))
    postal = _one(raw.get("postal_code"))
    lat, lon = _one(raw.get("lat")), _one(raw.get("lon"))
    places = sum(1 for x in (commune, postal, (lat if lat not in (None, "") else lon)) if x not in (None, ""))
    if places > 1:
        add("commune", MSG_PLACE_ONE)
    if commune not in (None, ""):
        c = str(commune).strip().upper()
        if not INSEE_RE.match(c):
            add("commune", "Code commune INSEE invalide (5 caractères, par exemple 75056 ou 2A004).")
        out["commune"] = c
    if postal not in (None, ""):
        p = str(postal).strip()
        if not re.fullmatch(r"\d{5}", p):
            add("postal_code", "Code postal invalide (5 chiffres).")
        out["postal_code"] = p
    if lat not in (None, "") or lon not in (None, ""):
        flat, flon = _float(lat), _float(lon)
        if lat in (None, "") or lon in (None, ""):
            add("lat" if lat in (None, "") else "lon", "Indiquez la latitude et la longitude ensemble.")
        else:
            if flat is None or not -90 <= flat <= 90:
                add("lat", "Latitude invalide (entre -90 et 90).")
            if flon is None or not -180 <= flon <= 180:
                add("lon", "Longitude invalide (entre -180 et 180).")
        out["lat"], out["lon"] = flat, flon
    radius = _one(raw.get("radius_km"))
    if radius not in (None, ""):
        r = _float(radius)
        if r is None or not RADIUS_MIN <= r <= RADIUS_MAX:
            add("radius_km", MSG_RADIUS)
        else:
            out["radius_km"] = r
    q = _one(raw.get("q"))
    if q not in (None, ""):
        q = " ".join(str(q).split())
        if len(q) > Q_MAX:
            add("q", f"La recherche doit contenir au plus {Q_MAX} caractères.")
        out["q"] = q or None
    sectors = _many(raw.get("sector"))
    bad = [s for s in sectors if s not in SECTORS]
    if bad:
        add("sector", "Secteur d'activité inconnu : " + ", ".join(map(str, bad)) + " (attendu : s1 à s51).")
    out["sector"] = sorted(set(s for s in sectors if s in SECTORS), key=lambda s: int(s[1:]))
    grade = _one(raw.get("grade"))
    if grade not in (None, ""):
        if grade not in GRADES:
            add("grade", "Niveau inconnu (attendu : quatrieme, troisieme ou seconde).")
        out["grade"] = grade
    week, period = _one(raw.get("week")), _one(raw.get("period"))
    if week not in (None, "") and period not in (None, ""):
        add("week", MSG_WEEK_AND_PERIOD)
    if week not in (None, ""):
        if cal.check_week(week):
            add("week", cal.MSG_WEEK_FORMAT)
        else:
            out["week"] = week
            out["weeks"] = [week]
    if period not in (None, ""):
        if period not in cal.SECONDE_PERIODS:
            add("period", MSG_PERIOD)
        else:
            out["period"] = period
            out["weeks"] = period_weeks(period, today, overrides)
    page = _one(raw.get("page"))
    if page not in (None, ""):
        try:
            p = int(page)
            if p < 1 or p > MAX_PAGE:
                raise ValueError
            out["page"] = p
        except (TypeError, ValueError):
            add("page", MSG_PAGE)
    if errors:
        raise ValidationError(None, errors)
    return out


def period_weeks(period: str, today: dt.date, overrides: dict | None = None) -> list[str]:
    """The 2nde weeks of a period in the school year that is running (or the
    next one once this year's weeks are over)."""
    overrides = overrides or {}
    year = cal.school_year_of(today)
    weeks = cal.seconde_weeks(year, "both", overrides.get(year))
    if all(cal.week_is_past(w, today) for w in weeks):
        year = cal.next_school_year(year)
    return cal.seconde_weeks(year, period, overrides.get(year))


def relaxed_params(params: dict) -> dict | None:
    """Parameters of the relaxed search (keyword and sector dropped), or None
    when there is nothing to relax."""
    if not params.get("q") and not params.get("sector"):
        return None
    out = dict(params)
    out["q"] = None
    out["sector"] = []
    return out


# -- viewer ---------------------------------------------------------------------

def viewer_from_actor(actor: dict | None) -> dict:
    actor = actor or {}
    return {
        "role": actor.get("role"),
        "user_id": actor.get("user_id"),
        "grade": actor.get("grade"),
        "school_uai": actor.get("school_uai"),
        "school_rep": bool(actor.get("school_rep")),
        "school_qpv": bool(actor.get("school_qpv")),
    }


def effective_grade(params: dict, viewer: dict) -> str | None:
    """A pupil only ever sees their own grade's offers."""
    if viewer.get("role") == "pupil":
        return viewer.get("grade") or "__none__"
    return params.get("grade")


def is_reserved(offer: dict) -> bool:
    return bool(offer.get("reserved_school_uais") or offer.get("reserved_rep") or offer.get("reserved_qpv"))


def reservation_matches(offer: dict, viewer: dict) -> bool:
    """The viewer's school qualifies for at least one of the offer's reservations."""
    uai = viewer.get("school_uai")
    if uai and uai in (offer.get("reserved_school_uais") or []):
        return True
    if offer.get("reserved_rep") and viewer.get("school_rep"):
        return True
    if offer.get("reserved_qpv") and viewer.get("school_qpv"):
        return True
    return False


def reservation_visible(offer: dict, viewer: dict) -> bool:
    """May this viewer see this offer as far as its reservations go? Admins, operators and statisticians
    see every offer; an unreserved offer is seen by all; a reserved one only by pupils and school staff of
    a school that qualifies."""
    if viewer.get("role") in SEE_ALL_ROLES or not is_reserved(offer):
        return True
    return viewer.get("role") in RESERVATION_ROLES and reservation_matches(offer, viewer)


def visible_to(offer: dict, viewer: dict) -> bool:
    """May this viewer see this published offer in the search?

    Pupils: their grade only; a reserved offer only if their school qualifies.
    School staff: reserved offers only if their school qualifies.
    Admin, operators, statisticians: everything. Others (anonymous,
    employers): unreserved offers only.
    """
    if viewer.get("role") == "pupil" and viewer.get("grade") not in (offer.get("grades") or []):
        return False
    return reservation_visible(offer, viewer)


def can_apply(offer: dict, viewer: dict, seats_left: int) -> bool:
    return (viewer.get("role") == "pupil" and offer.get("state", "published") == "published"
            and seats_left > 0 and visible_to(offer, viewer))


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    import math
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


# -- index tags -------------------------------------------------------------------
# Offers carry an int[] of "tags" indexed with GIN together with their
# tsvector, so one index answers place + text + sector/week filters at once:
#   * the 0.2° x 0.2° grid cell of the offer's point (a coarse place filter:
#     the exact distance is checked on the rows the index returns),
#   * the sector (100 + N for sN),
#   * every week (YYYYWW).
# A second int[], ``knn_tags`` (grades 1 quatrieme / 2 troisieme / 3 seconde, and
# the weeks), sits beside ``geo`` in the GiST index of the KNN path, so grade and
# week filters are checked inside that index too. Two columns, so that neither
# index can answer the other path's conditions (the planner misjudges them).

CELL = 0.2
CELL_BASE = 1_000_000
SECTOR_BASE = 100


def cell_of(lat: float, lon: float) -> int:
    import math
    return CELL_BASE + math.floor((lat + 90) / CELL) * 10_000 + (math.floor((lon + 180) / CELL) % int(360 / CELL))


def cells_around(lat: float, lon: float, radius_km: float) -> list[int]:
    """Every grid cell that a circle of ``radius_km`` around the point touches."""
    import math
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * max(math.cos(math.radians(min(abs(lat) + dlat, 89.0))), 0.01))
    out = []
    for i in range(math.floor((lat - dlat + 90) / CELL), math.floor((lat + dlat + 90) / CELL) + 1):
        for j in range(math.floor((lon - dlon + 180) / CELL), math.floor((lon + dlon + 180) / CELL) + 1):
            out.append(CELL_BASE + i * 10_000 + (j % int(360 / CELL)))
    return out


def sector_tag(sector: str) -> int:
    return SECTOR_BASE + int(sector[1:])


def week_tag(week: str) -> int:
    return int(week[:4]) * 100 + int(week[6:8])


GRADE_TAGS = {"quatrieme": 1, "troisieme": 2, "seconde": 3}


def grade_tag(grade: str) -> int:
    return GRADE_TAGS.get(grade, 9)


def knn_tags(grades, weeks) -> list[int]:
    return sorted({GRADE_TAGS[g] for g in grades or () if g in GRADE_TAGS} | {week_tag(w) for w in weeks or []})


def search_tags(lat, lon, sector, weeks) -> list[int]:
    tags = []
    if lat is not None and lon is not None:
        tags.append(cell_of(lat, lon))
    if sector:
        tags.append(sector_tag(sector))
    tags.extend(week_tag(w) for w in weeks or [])
    return sorted(set(tags))


def index_columns(offer: dict, overrides: dict | None = None) -> dict:
    """The columns the search reads, derived from the offer's content: its weeks, first and last day,
    sector and index tags."""
    weeks = offer_weeks(offer, overrides)
    first, last = (cal.week_monday(weeks[0]), cal.week_friday(weeks[-1])) if weeks else (None, None)
    sector = (offer.get("organisation") or {}).get("sector") or offer.get("sector")
    return {
        "search_weeks": weeks, "first_day": first, "last_day": last, "sector": sector,
        "tags": search_tags(offer.get("lat"), offer.get("lon"), sector, weeks),
        "knn_tags": knn_tags(offer.get("grades"), weeks),
    }
