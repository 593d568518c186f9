"""Helpers shared by every audience's views."""
from __future__ import annotations

from django.shortcuts import render


def page(request, template: str, title: str, crumbs: list[tuple[str, str]] | None = None, status: int = 200,
         **context):
    """Render ``template`` with its title (h1 and <title>) and breadcrumbs [(label, url), ...]."""
    context.update(page_title=title, breadcrumb_data={
        "links": [{"url": url, "title": label} for label, url in (crumbs or [])],
        "current": title,
    })
    return render(request, template, context, status=status)
