"""Document pipeline: templates -> HTML -> PDF (weasyprint) -> PAdES seal (pyHanko).

``render_convention`` is pure CPU work (no I/O but reading the packaged
templates and fonts): call it through ``eventlet.tpool.execute`` in the service.
"""
from __future__ import annotations

import datetime as dt

from ..domain.hashing import TEMPLATE_VERSION, content_hash  # noqa: F401  (the canonical fingerprint)
from .render import build_context, render_html, render_pdf  # noqa: F401
from .seal import Sealer, ensure_dev_certificate, generate_self_signed, validate_seal  # noqa: F401


def render_convention(content: dict, *, sealer: Sealer | None = None, signatures: list[dict] | None = None,
                      document_hash: str | None = None, draft: bool = False,
                      school_signature: tuple[bytes, str] | None = None,
                      generated_at: dt.datetime | None = None) -> bytes:
    """The PDF of a convention (sealed when a sealer is given)."""
    ctx = build_context(content, signatures=signatures, document_hash=document_hash, draft=draft,
                        school_signature=school_signature, generated_at=generated_at)
    pdf = render_pdf(render_html(ctx))
    return sealer.seal(pdf) if sealer is not None else pdf
