"""HTML (Jinja2) and PDF (weasyprint) rendering of a convention.

``render_pdf`` is CPU-bound and thread-safe: the service calls it through
``eventlet.tpool.execute`` so that the event loop keeps answering. weasyprint
and fontTools log from that native thread; their loggers are quietened at
import (a logging lock taken in a native thread can deadlock eventlet's hub).
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
import pathlib

import jinja2
import markupsafe

from common.clock import paris_date, to_paris
from common.daytime import fmt_minutes
from common.weeks import parse_week, period_of_weeks

from ..domain.convention import ROLE_LABELS, SIGNATURE_ROLES
from ..domain import printed
from ..domain.fields import EMERGENCY_KIT_BY
from ..domain.hours import check_schedule, schedule_rows

for _name in ("weasyprint", "weasyprint.progress", "fontTools", "fontTools.subset", "fontTools.ttLib",
              "fontTools.ttLib.ttFont", "fontTools.subset.cff", "fontTools.varLib"):
    _lg = logging.getLogger(_name)
    _lg.setLevel(logging.CRITICAL)
    _lg.propagate = False
    _lg.handlers[:] = [logging.NullHandler()]

TEMPLATES = pathlib.Path(__file__).parent / "templates"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
GRADE_LABELS = {"quatrieme": "quatrième", "troisieme": "troisième", "seconde": "seconde générale et technologique"}
METHOD_LABELS = {"code": "code à usage unique", "image": "signature de l'établissement",
                 "typed_name": "nom saisi", "session": "compte personnel", "link": "lien personnel et nom saisi"}

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                          undefined=jinja2.ChainableUndefined, trim_blocks=True, lstrip_blocks=True)
_css = None


def date_fr(value) -> str | None:
    if not value:
        return None
    try:
        d = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    return f"{d.day}{'er' if d.day == 1 else ''} {MONTHS[d.month - 1]} {d.year}"


def datetime_fr(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = to_paris(value)
    return f"{date_fr(local.date())} à {local.hour} h {local.minute:02d} (heure de Paris)"


def _weeks_label(weeks) -> str:
    labels = []
    for w in weeks or []:
        p = parse_week(w)
        if p:
            labels.append(f"semaine {p[1]} de {p[0]}")
    return ", ".join(labels)


def css_string(text: str) -> markupsafe.Markup:
    """Escape text for a CSS string inside <style> (every character outside [A-Za-z0-9 .,] as a CSS escape:
    no quote, backslash or '</style>' can get through)."""
    out = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in " .,"):
            out.append(ch)
        elif ch == "\n":
            out.append("\\A ")
        else:
            out.append(f"\\{ord(ch):06x} ")
    return markupsafe.Markup("".join(out))


def build_context(content: dict, *, signatures: list[dict] | None = None, document_hash: str | None = None,
                  draft: bool = False, school_signature: tuple[bytes, str] | None = None,
                  generated_at: dt.datetime | None = None) -> dict:
    """Template variables from a convention's content and its signatures (dicts, as stored)."""
    prefill = content.get("prefill") or {}
    e = content.get("employer") or {}
    s = content.get("school") or {}
    grade = content.get("grade")
    level = "seconde" if grade == "seconde" else "college"
    pupil = dict(prefill.get("pupil") or {})
    pupil["birth_date_label"] = date_fr(pupil.get("birth_date"))
    period = dict(prefill.get("period") or period_of_weeks(content.get("weeks")) or {})
    period["start_label"] = date_fr(period.get("start"))
    period["end_label"] = date_fr(period.get("end"))
    hours = e.get("hours")
    week_total = None
    if isinstance(hours, dict):
        from common.errors import FieldErrors
        summary = check_schedule(hours, FieldErrors())
        if summary:
            week_total = fmt_minutes(summary["week_minutes"])
    by_role = {sig["role"]: sig for sig in signatures or []}
    reps = [r for r in (s.get("legal_representatives") or []) if isinstance(r, dict)]
    expected = {
        "employer": (e.get("representative") or {}).get("name"),
        "head_of_school": printed.school(content).get("head_name"),
        "pupil": " ".join(x for x in (pupil.get("first_name"), pupil.get("last_name")) if x),
        "legal_representative": " ou ".join(r.get("name") for r in reps if r.get("name")),
    }
    boxes = []
    for role in SIGNATURE_ROLES:
        sig = by_role.get(role)
        box = {"role": role, "role_label": ROLE_LABELS[role], "signed": bool(sig), "expected": expected.get(role)}
        if sig:
            box.update(name=sig.get("signer_name"), when=datetime_fr(sig["signed_at"]),
                       method_label=METHOD_LABELS.get(sig.get("method"), sig.get("method")),
                       document_hash=sig.get("document_hash"))
            if role == "head_of_school" and sig.get("method") == "image" and school_signature:
                data, mime = school_signature
                box["image"] = f"data:{mime};base64," + base64.b64encode(data).decode()
        boxes.append(box)
    title = ("Convention relative à l'organisation d'une séquence d'observation en milieu professionnel"
             if level == "college" else
             "Convention relative à l'organisation d'un stage d'observation en milieu professionnel")
    subtitle = ("Élèves de quatrième et de troisième des collèges" if level == "college"
                else "Élèves de seconde générale et technologique des lycées")
    purpose = ("d'une séquence d'observation en milieu professionnel" if level == "college"
               else "d'un stage d'observation en milieu professionnel de seconde générale et technologique")
    school = printed.school(content)  # the directory's address, or the school's correction
    footer = " — ".join(x for x in (school.get("name") or "Établissement",
                                     f"UAI {school['uai']}" if school.get("uai") else None,
                                     " ".join(x for x in (school.get("zipcode"), school.get("city")) if x) or None)
                        if x)
    footer += f"\nConvention n° {content.get('convention_id') or '—'}"
    return {
        "footer_css": css_string(footer),
        "title": title, "subtitle": subtitle, "purpose": purpose, "level": level,
        "grade_label": GRADE_LABELS.get(grade, grade),
        "convention_id": content.get("convention_id"),
        "pupil": pupil,
        "pupil_name": " ".join(x for x in (pupil.get("first_name"), pupil.get("last_name")) if x) or None,
        "school": school, "organisation": prefill.get("organisation") or {},
        "offer": prefill.get("offer") or {}, "period": period, "weeks_label": _weeks_label(content.get("weeks")),
        "e": e, "s": s, "rep": e.get("representative") or {}, "tutor": e.get("tutor") or {},
        "srep": s.get("school_representative") or {}, "teacher": s.get("referent_teacher") or {},
        "legal_reps": reps, "kit_label": EMERGENCY_KIT_BY.get(s.get("emergency_kit_by"), "—"),
        "board_date_label": date_fr(s.get("board_deliberation_date")),
        "hours_rows": schedule_rows(hours), "week_total": week_total,
        "signature_boxes": boxes, "document_hash": document_hash, "draft": draft,
        "generated_at": date_fr(paris_date(generated_at or dt.datetime.now(dt.timezone.utc))),
    }


def render_html(context: dict) -> str:
    return _env.get_template("convention.html").render(**context)


def _stylesheet():
    global _css
    if _css is None:
        from weasyprint import CSS
        _css = CSS(filename=str(TEMPLATES / "convention.css"))
    return _css


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=[_stylesheet()])
