"""Filters every template can use (registered as builtins in settings)."""
from __future__ import annotations

import datetime as dt
import math

from django import template
from django.utils import timezone

register = template.Library()

GRADES = {"quatrieme": "4e", "troisieme": "3e", "seconde": "2nde"}
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


@register.filter
def error_count(errors) -> int:
    return sum(len(v) for v in errors.values())


@register.filter
def field_id(form, name: str) -> str:
    try:
        return form[name].auto_id
    except KeyError:
        return ""


@register.filter
def field_label(form, name: str) -> str:
    try:
        return str(form[name].label)
    except KeyError:
        return name


@register.filter
def grade_label(value) -> str:
    return GRADES.get(value or "", value or "")


@register.filter
def function_label(value) -> str:
    """A school-staff function's French label ("head" -> "Chef d'établissement")."""
    from ..forms.account_profile import FUNCTIONS
    return dict(FUNCTIONS).get(value or "", value or "")


def parse_dt(value):
    if not value:
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            return None


@register.filter
def date_fr(value) -> str:
    """« 16 juin 2027 » (Paris time for datetimes)."""
    d = parse_dt(value)
    if d is None:
        return ""
    if isinstance(d, dt.datetime):
        d = timezone.localtime(d) if timezone.is_aware(d) else d
        d = d.date()
    return f"{d.day}{'er' if d.day == 1 else ''} {MONTHS[d.month - 1]} {d.year}"


@register.filter
def datetime_fr(value) -> str:
    d = parse_dt(value)
    if not isinstance(d, dt.datetime):
        return date_fr(value)
    d = timezone.localtime(d) if timezone.is_aware(d) else d
    return f"{date_fr(d)} à {d.hour} h {d.minute:02d}"


def time_left_text(deadline, now=None) -> str:
    """« 3 jours », « 5 heures », « moins d'une heure », or « délai dépassé »."""
    d = parse_dt(deadline)
    if not isinstance(d, dt.datetime):
        return ""
    now = now or timezone.now()
    seconds = (d - now).total_seconds()
    if seconds <= 0:
        return "délai dépassé"
    if seconds >= 2 * 86400:
        days = math.floor(seconds / 86400)
        return f"{days} jours"
    if seconds >= 3600:
        hours = math.floor(seconds / 3600)
        return f"{hours} heure{'s' if hours > 1 else ''}"
    return "moins d'une heure"


@register.filter
def time_left(deadline) -> str:
    return time_left_text(deadline)


@register.filter
def iso_week_label(week: str) -> str:
    """« 2027-W24 » -> « semaine du 14 au 18 juin 2027 »."""
    try:
        year, w = week.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(w), 1)
    except (ValueError, AttributeError):
        return week or ""
    friday = monday + dt.timedelta(days=4)
    if monday.month == friday.month:
        return f"semaine du {monday.day} au {friday.day} {MONTHS[friday.month - 1]} {friday.year}"
    return f"semaine du {monday.day} {MONTHS[monday.month - 1]} au {friday.day} {MONTHS[friday.month - 1]} {friday.year}"


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def local_link(url: str) -> str:
    """Links of notifications are absolute (they go in e-mails too): keep only the path in pages."""
    from urllib.parse import urlsplit
    parts = urlsplit(url or "")
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
