"""One pagination scheme for every list paged with ``page`` (the ``Page`` component of the OpenAPI
document, ``gateway.api.page_of``): ``items``, ``page``, ``per_page``, ``total``, ``has_more``.

Services answer in their own words; the gateway adds what a page leaves out, without removing
anything (the web front end reads the older fields): ``per_page`` from the older ``page_size``,
``has_more`` from ``page``, ``per_page`` and ``total``. A page passed through unchanged (raw JSON
bytes, the offer search) already carries ``per_page`` and ``has_more``."""
from __future__ import annotations


def complete(page) -> object:
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        return page
    out = dict(page)
    if out.get("per_page") is None and isinstance(out.get("page_size"), int):
        out["per_page"] = out["page_size"]
    number, size, total = out.get("page"), out.get("per_page"), out.get("total")
    if "has_more" not in out and all(isinstance(v, int) for v in (number, size, total)):
        out["has_more"] = number * size < total
    return out
