"""Routes that e-mails, SMS, notifications or printed sheets name but whose pages belong to journeys
not built yet (issue 17: school staff, agreements, legal representatives). Each answers with a French
page that says where to go meanwhile; replace the route in urls.py when its page exists."""
from __future__ import annotations

from .common import page


def coming_soon(request, **kwargs):
    return page(request, "errors/coming_soon.html", "Page bientôt disponible")
