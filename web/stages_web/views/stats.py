"""Statistics for statisticians (their département, académie, région or the whole country), school staff (their
school) and admins (national): applications and placements over time, the placement rate of REP+ / REP / QPV
pupils against the others; each chart is a server-drawn SVG with its figures as a table beside it, and the same
figures as a CSV download. Every figure comes from ``GET /api/v1/stats/applications`` for the same scope."""
from __future__ import annotations

import csv
import io

from django.http import HttpResponse

from .. import session
from ..charts import bar_chart
from ..forms.stats import ScopeForm, StatisticianRegisterForm
from ..gateway import ApiError
from ..session import login_required
from .common import page, registration, registration_sent

ROLES = ("statistician", "school_staff", "admin")
CATEGORIES = [("rep_plus", "REP+"), ("rep", "REP"), ("qpv", "QPV (hors REP)"), ("other", "Autres")]
SCOPE_LABELS = {"school": "Établissement", "departement": "Département", "academie": "Académie",
                "region": "Région", "national": "France entière"}
MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def month_label(m: str) -> str:
    """"2027-01" -> "janv. 2027"."""
    try:
        year, month = m.split("-")
        return f"{MONTHS[int(month) - 1]} {year}"
    except (ValueError, IndexError):
        return m


def rate_label(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}".replace(".", ",") + " %"


def figures(data: dict) -> dict:
    """The tables the page and the CSV show, from the stats API's answer (no figure computed here but the
    'priority' vs 'others' split, which the API gives as well)."""
    cats = data.get("by_category") or {}
    total = data.get("total") or {}
    by_category = [{"key": k, "label": label, "applications": cats.get(k, {}).get("total", 0),
                    "pupils": cats.get(k, {}).get("pupils", 0), "placed": cats.get(k, {}).get("placed_pupils", 0),
                    "rate": cats.get(k, {}).get("placement_rate")} for k, label in CATEGORIES]
    prio = data.get("priority") or {}
    other = cats.get("other") or {}
    comparison = [
        {"label": "Élèves des établissements REP+, REP ou QPV", "pupils": prio.get("pupils", 0),
         "placed": prio.get("placed_pupils", 0), "rate": prio.get("placement_rate")},
        {"label": "Autres élèves", "pupils": other.get("pupils", 0), "placed": other.get("placed_pupils", 0),
         "rate": other.get("placement_rate")},
        {"label": "Ensemble", "pupils": total.get("pupils", 0), "placed": total.get("placed_pupils", 0),
         "rate": total.get("placement_rate")},
    ]
    months = [{"month": m["month"], "label": month_label(m["month"]), "applications": m["applications"],
               "placed": m["placed"]} for m in data.get("by_month") or []]
    tot = {"applications": total.get("total", 0), "pupils": total.get("pupils", 0),
           "placed": total.get("placed_pupils", 0), "rate": total.get("placement_rate")}
    for row in by_category + comparison + [tot]:
        row["rate_label"] = rate_label(row["rate"])
    return {"by_category": by_category, "comparison": comparison, "months": months, "total": tot}


def scope_label(scope: dict | None) -> str:
    scope = scope or {}
    kind = scope.get("kind")
    out = SCOPE_LABELS.get(kind, kind or "")
    if scope.get("code"):
        out += f" {scope['code']}"
    narrowed = [f"{SCOPE_LABELS.get(k, k).lower()} {v}" for k, v in scope.items()
                if k in ("school", "departement", "academie", "region")]
    if narrowed:
        out += " — restreint à : " + ", ".join(narrowed)
    return out


def _load(request):
    """(form, data or None, error message or None)."""
    form = ScopeForm(request.GET or None)
    params = form.params() if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        return form, None, None
    try:
        return form, session.api(request).call("stats_applications", params=params), None
    except ApiError as exc:
        if exc.status == 422:
            form.apply_api_error(exc)
            return form, None, None
        if exc.status in (400, 403, 404, 429):
            return form, None, exc.detail or "Ces statistiques ne vous sont pas accessibles."
        raise


@login_required(*ROLES)
def stats(request):
    form, data, error = _load(request)
    ctx = {"form": form, "error": error, "data": data}
    if data is not None:
        f = figures(data)
        ctx.update(f, scope=scope_label(data.get("scope")), query=request.GET.urlencode())
        ctx["chart_months"] = bar_chart(
            "Candidatures et placements par mois",
            "Par mois de dépôt, le nombre de candidatures déposées et combien sont aujourd'hui confirmées. "
            "Les chiffres sont dans le tableau qui suit.",
            [m["label"] for m in f["months"]],
            [("Candidatures", [m["applications"] for m in f["months"]]),
             ("Stages confirmés", [m["placed"] for m in f["months"]])])
        ctx["chart_rates"] = bar_chart(
            "Taux de placement selon l'établissement de l'élève",
            "Part des élèves ayant candidaté qui ont un stage confirmé, pour les élèves des établissements REP+, "
            "REP, QPV et les autres. Les chiffres sont dans le tableau qui suit.",
            [c["label"] for c in f["by_category"]] + ["Ensemble"],
            [("Taux de placement", [c["rate"] for c in f["by_category"]] + [f["total"]["rate"]])], percent=True)
    return page(request, "stats/stats.html", "Statistiques des stages", **ctx)


def csv_rows(f: dict) -> list[list]:
    rows = [["section", "libellé", "candidatures", "élèves ayant candidaté", "élèves placés", "taux de placement"]]
    for m in f["months"]:
        rows.append(["par mois de dépôt", m["month"], m["applications"], "", m["placed"], ""])
    for c in f["by_category"]:
        rows.append(["par catégorie d'établissement", c["label"], c["applications"], c["pupils"], c["placed"],
                     "" if c["rate"] is None else c["rate"]])
    for c in f["comparison"]:
        rows.append(["prioritaires et autres", c["label"], "", c["pupils"], c["placed"],
                     "" if c["rate"] is None else c["rate"]])
    t = f["total"]
    rows.append(["total", "Ensemble", t["applications"], t["pupils"], t["placed"], "" if t["rate"] is None else t["rate"]])
    return rows


@login_required(*ROLES)
def stats_csv(request):
    form, data, error = _load(request)
    if data is None:
        return stats(request)  # the page, with the error next to its field or the French message
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";")
    w.writerow([f"# périmètre : {scope_label(data.get('scope'))}"])
    w.writerows(csv_rows(figures(data)))
    resp = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="statistiques-stages.csv"'
    return resp


# -- registration ------------------------------------------------------------------------------------

def register(request):
    """A statistician's account: activated from the e-mail, then validated by an administrator."""
    return registration(request, StatisticianRegisterForm, "stats/register.html", "Créer un compte statisticien", "stats_registered")


def registered(request):
    return registration_sent(request, "stats/registered.html")
