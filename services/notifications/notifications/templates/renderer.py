"""Renders a message: subject, text part, HTML part, in-app summary, SMS text.

Each message is one Jinja2 file, ``messages/<template>.j2``, extending
``_base.j2``. The same file is rendered twice, by two environments over the
same loader: one without escaping (subject, text part, summary, SMS) and one
with HTML autoescaping (the HTML part), so the two parts always say the same.

The link to the right page is ``base_url`` + the message's ``page`` (see
``domain/messages.py``) formatted with the context; a missing identifier is
an error, never a broken link.
"""
from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from common.clock import to_paris

from ..domain.messages import MESSAGES, spec as message_spec

PLATFORM_NAME = "1 élève, 1 stage"
TEMPLATES_DIR = Path(__file__).parent

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
GRADES = {"quatrieme": "4e", "troisieme": "3e", "seconde": "2nde"}
SIGNER_ROLES = {"employer": "l'organisme d'accueil", "school_head": "le chef d'établissement",
                "head_of_school": "le chef d'établissement",
                "pupil": "l'élève", "legal_representative": "le représentant légal"}


class MissingContext(KeyError):
    """The context lacks an identifier the message's link needs."""


@dataclass(frozen=True)
class Rendered:
    template: str
    subject: str
    text: str
    html: str
    summary: str
    sms: str
    link: str


def date_fr(value) -> str:
    """'2026-12-07T13:30:00+00:00' -> 'lundi 7 décembre 2026 à 14 h 30' (Paris time);
    '2026-12-07' -> 'lundi 7 décembre 2026'. Empty for a missing value."""
    if value is None or isinstance(value, jinja2.Undefined) or value == "":
        return ""
    if isinstance(value, str):
        try:
            if len(value) == 10:
                value = dt.date.fromisoformat(value)
            else:
                value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        local = to_paris(value)
        day = f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}"
        return f"{day} à {local.hour} h {local.minute:02d}"
    if isinstance(value, dt.date):
        return f"{DAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]} {value.year}"
    return str(value)


def capfirst(value) -> str:
    if isinstance(value, jinja2.Undefined) or not value:
        return ""
    s = str(value)
    out = s[:1].upper() + s[1:]
    return Markup(out) if isinstance(value, Markup) else out


def paragraphs(value) -> list:
    """Split a body on blank lines; keeps Markup (HTML environment) safe."""
    is_markup = isinstance(value, Markup)
    parts = [p.strip() for p in re.split(r"\n\s*\n", str(value)) if p.strip()]
    # Single newlines inside a paragraph become spaces.
    parts = [re.sub(r"\s*\n\s*", " ", p) for p in parts]
    return [Markup(p) for p in parts] if is_markup else parts


def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=autoescape,
        undefined=jinja2.Undefined,
        keep_trailing_newline=False,
    )
    env.filters["date_fr"] = date_fr
    env.filters["capfirst"] = capfirst
    env.filters["paragraphs"] = paragraphs
    return env


class Renderer:
    def __init__(self, base_url: str = "http://127.0.0.1:8080", platform_name: str = PLATFORM_NAME):
        self.base_url = base_url.rstrip("/")  # the web front end (STAGES_PUBLIC_URL)
        self.platform_name = platform_name
        self._text = _env(False)
        self._html = _env(True)

    def link(self, template: str, context: dict) -> str:
        page = message_spec(template).page
        safe = {k: urllib.parse.quote(str(v), safe="") for k, v in context.items() if v is not None}
        try:
            path = page.format_map(safe)
        except KeyError as e:
            raise MissingContext(f"{template}: the context lacks {e.args[0]!r} for the link") from None
        return self.base_url + path

    def context_for(self, template: str, context: dict, recipient_name: str | None = None) -> dict:
        s = message_spec(template)
        ctx = dict(context)
        ctx.update(platform_name=self.platform_name, base_url=self.base_url, essential=s.essential,
                   recipient_name=recipient_name or ctx.get("recipient_name"),
                   preferences_link=self.base_url + "/preferences",
                   link=self.link(template, context))
        title = ctx.get("offer_title")
        ctx.setdefault("offer_label", f"« {title} »" if title else "« stage d'observation »")
        ctx.setdefault("organisation_label", ctx.get("organisation_name") or "l'organisme d'accueil")
        ctx.setdefault("sender_label", ctx.get("organisation_name") or "un organisme d'accueil")
        ctx.setdefault("inviter_label", ctx.get("inviter_name") or "un membre de votre établissement")
        ctx.setdefault("school_label", ctx.get("school_name") or "votre établissement")
        ctx.setdefault("grade_label", GRADES.get(ctx.get("grade") or "", ""))
        ctx.setdefault("signed_role_label", SIGNER_ROLES.get(ctx.get("role") or "", "une des parties"))
        first, last = ctx.get("pupil_first_name"), ctx.get("pupil_last_name")
        if s.audience in ("employer", "transfer_recipient"):
            pupil = first  # the first name only, before any acceptance
        else:
            pupil = " ".join(p for p in (first, last) if p)
        default_pupil = "votre enfant" if s.audience == "legal_representative" else "l'élève"
        ctx.setdefault("pupil_label", pupil or default_pupil)
        ctx.setdefault("deadline", ctx.get("accept_expires_at") or ctx.get("expires_at"))
        if ctx.get("convention_id"):
            # a page of the web front end (it asks for a login and serves the PDF), never the API itself
            ctx.setdefault("document_link", f"{self.base_url}/conventions/{ctx['convention_id']}/document")
        for counted in ("created", "updated", "rejected"):
            if isinstance(ctx.get(counted), list):
                ctx[counted] = len(ctx[counted])
        ids = ctx.get("convention_ids")
        if isinstance(ids, list):
            ctx.setdefault("convention_count", len(ids))
        return ctx

    def render(self, template: str, context: dict, recipient_name: str | None = None) -> Rendered:
        if template not in MESSAGES:
            raise KeyError(f"unknown message template {template!r}")
        ctx = self.context_for(template, context, recipient_name)
        name = f"messages/{template}.j2"
        t_text = self._text.get_template(name)
        t_html = self._html.get_template(name)

        def block(tpl, block_name):
            # The child's blocks first, then the layout's (what ``{% extends %}`` does when rendering).
            c = tpl.new_context(ctx)
            base = tpl.environment.get_template("_base.j2")
            for bname, func in base.blocks.items():
                c.blocks.setdefault(bname, []).append(func)
            return "".join(c.blocks[block_name][0](c))

        subject = " ".join(block(t_text, "subject").split())
        summary = " ".join(block(t_text, "summary").split())
        sms = " ".join(block(t_text, "sms").split())
        text = block(t_text, "text").strip() + "\n"
        html = block(t_html, "html").strip() + "\n"
        return Rendered(template, subject, text, html, summary, sms, ctx["link"])
