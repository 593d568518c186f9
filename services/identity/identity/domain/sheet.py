"""The printable sheet of pupil activation codes (HTML; the service renders it to
PDF with weasyprint). One cut-out card per pupil, grouped by class. Dates and times are
printed in Paris local time, like every date shown to a person."""
from __future__ import annotations

import datetime as dt
from html import escape

from common.paris_time import format_paris_date, format_paris_datetime

from .roles import GRADE_LABELS

CSS = """
@page { size: A4; margin: 12mm; @bottom-center { content: "Page " counter(page) " / " counter(pages);
        font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #111; }
h1 { font-size: 14pt; margin: 0 0 2mm 0; }
h2 { font-size: 12pt; margin: 6mm 0 2mm 0; page-break-after: avoid; }
p.intro { font-size: 9pt; margin: 0 0 4mm 0; }
.cards { }
.card { display: inline-block; vertical-align: top; width: 88mm; height: 40mm; box-sizing: border-box; border: 1px dashed #888; padding: 3mm;
        margin: 0 2mm 2mm 0; page-break-inside: avoid; }
.name { font-weight: bold; font-size: 11pt; }
.meta { font-size: 8.5pt; color: #333; }
.code { font-family: "DejaVu Sans Mono", monospace; font-size: 16pt; letter-spacing: 1mm; margin: 2mm 0; }
.how { font-size: 7.5pt; color: #333; }
"""


def codes_sheet_html(school: dict, entries: list[dict], activation_url: str, generated_at: dt.datetime,
                     expires_at: dt.datetime | None = None) -> str:
    """entries: [{"last_name", "first_name", "class_name", "grade", "code"}]."""
    by_class: dict[str, list[dict]] = {}
    for e in sorted(entries, key=lambda e: (e["class_name"], e["last_name"].lower(), e["first_name"].lower())):
        by_class.setdefault(e["class_name"], []).append(e)
    until = f" Chaque code est valable une seule fois, jusqu'au {format_paris_date(expires_at)}." if expires_at else \
        " Chaque code est valable une seule fois."
    parts = [
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">",
        f"<title>Codes d'activation — {escape(school.get('name', ''))}</title><style>{CSS}</style></head><body>",
        f"<h1>Codes d'activation des comptes élèves — {escape(school.get('name', ''))} ({escape(school.get('uai', ''))})</h1>",
        f"<p class=\"intro\">Édité le {format_paris_datetime(generated_at)}. Découpez les cartes et remettez "
        f"chacune à l'élève concerné.{until}</p>",
    ]
    if not entries:
        parts.append("<p>Aucun nouveau code : tous les élèves de ce fichier avaient déjà un compte.</p>")
    for class_name, items in by_class.items():
        parts.append(f"<h2>Classe {escape(class_name)} ({len(items)} élève{'s' if len(items) > 1 else ''})</h2>"
                     "<div class=\"cards\">")
        for e in items:
            parts.append(
                "<div class=\"card\">"
                f"<div class=\"name\">{escape(e['last_name'])} {escape(e['first_name'])}</div>"
                f"<div class=\"meta\">{escape(school.get('name', ''))} — classe {escape(e['class_name'])}"
                f" ({escape(GRADE_LABELS.get(e.get('grade'), e.get('grade') or ''))})</div>"
                f"<div class=\"code\">{escape(e['code'])}</div>"
                f"<div class=\"how\">Pour activer ton compte, va sur {escape(activation_url)}, saisis ce code et "
                "choisis ton mot de passe. Ne le donne à personne.</div>"
                "</div>")
        parts.append("</div>")
    parts.append("</body></html>")
    return "".join(parts)
