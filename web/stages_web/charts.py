"""Charts drawn on the server as inline SVG (no JavaScript): accessible images (role="img", <title> and
<desc> named by aria-labelledby) whose figures the page also shows as a table beside them.

    bar_chart("Candidatures par mois", "…", ["2026-12", "2027-01"],
              [("Candidatures", [3, 5]), ("Élèves placés", [1, 2])])
"""
from __future__ import annotations

import itertools
from html import escape

from django.utils.safestring import SafeString, mark_safe

# DSFR colours with enough contrast on white (blue France, then illustrative colours)
COLOURS = ("#000091", "#c9191e", "#18753c", "#716043", "#6e445a")
_ids = itertools.count(1)

WIDTH, BAR_AREA_HEIGHT, LEFT, TOP, BOTTOM = 640, 220, 56, 16, 64


def _fmt(v: float, percent: bool) -> str:
    if percent:
        return f"{v * 100:.1f}".replace(".", ",") + " %"
    return f"{int(v)}"


def _ticks(top: float, percent: bool) -> list[float]:
    if percent:
        return [0, 0.25, 0.5, 0.75, 1.0]
    step = max(1, -(-int(top) // 4))
    return [step * i for i in range(5)]


def bar_chart(title: str, desc: str, labels: list[str], series: list[tuple[str, list[float | None]]],
              percent: bool = False) -> SafeString:
    """A vertical bar chart: one group per label, one bar per series (values None drawn as nothing)."""
    n = next(_ids)
    tid, did = f"chart-{n}-title", f"chart-{n}-desc"
    values = [v for _, vs in series for v in vs if v is not None]
    ticks = _ticks(max(values, default=0) or 1, percent)
    top = ticks[-1] or 1
    plot_w = WIDTH - LEFT - 8
    group_w = plot_w / max(len(labels), 1)
    bar_w = min(40.0, group_w * 0.8 / max(len(series), 1))
    height = TOP + BAR_AREA_HEIGHT + BOTTOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{tid} {did}" '
           f'viewBox="0 0 {WIDTH} {height}" width="100%" class="stages-chart" focusable="false">',
           f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>']
    base = TOP + BAR_AREA_HEIGHT
    for t in ticks:
        y = base - BAR_AREA_HEIGHT * t / top
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="#3a3a3a">'
                   f'{_fmt(t, percent)}</text>')
    for i, label in enumerate(labels):
        x0 = LEFT + i * group_w + (group_w - bar_w * len(series)) / 2
        for j, (_, vs) in enumerate(series):
            v = vs[i]
            if v is None:
                continue
            h = BAR_AREA_HEIGHT * v / top
            out.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{base - h:.1f}" width="{bar_w - 2:.1f}" '
                       f'height="{h:.1f}" fill="{COLOURS[j % len(COLOURS)]}"/>')
        out.append(f'<text x="{LEFT + (i + 0.5) * group_w:.1f}" y="{base + 16}" text-anchor="middle" '
                   f'font-size="12" fill="#3a3a3a">{escape(label)}</text>')
    # legend
    x = LEFT
    for j, (name, _) in enumerate(series):
        out.append(f'<rect x="{x}" y="{height - 22}" width="12" height="12" fill="{COLOURS[j % len(COLOURS)]}"/>'
                   f'<text x="{x + 16}" y="{height - 12}" font-size="12" fill="#161616">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
