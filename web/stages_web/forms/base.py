"""Base form: DSFR rendering and mapping of the gateway's errors onto the form."""
from __future__ import annotations

from django import forms
from dsfr.forms import DsfrBaseForm

from ..gateway import ApiError


class ApiForm(DsfrBaseForm):
    """A DSFR form whose fields receive the gateway's field errors.

    ``api_fields`` maps the API's dotted field paths onto this form's field names when they differ
    (``{"legal_representative.email": "legal_email"}``); errors on fields the form does not show are
    listed at the top of the form with the field's label, so that nothing is lost.
    """

    api_fields: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def apply_api_error(self, exc: ApiError) -> None:
        apply_api_error(self, exc)


def _form_field(form: forms.Form, path: str) -> str | None:
    mapping = getattr(form, "api_fields", {}) or {}
    if path in mapping:
        return mapping[path]
    if path in form.fields:
        return path
    # a.b.c -> the deepest known prefix (address.city -> address)
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in mapping:
            return mapping[prefix]
        if prefix in form.fields:
            return prefix
    return None


def apply_api_error(form: forms.Form, exc: ApiError) -> None:
    """Every field error of the problem next to its field; the rest (and the detail) at the top."""
    placed = False
    for path, msgs in (exc.errors or {}).items():
        msgs = msgs if isinstance(msgs, list) else [str(msgs)]
        name = _form_field(form, path)
        if name is not None and name in form.fields:
            for m in msgs:
                form.add_error(name, m)
            placed = True
        else:
            for m in msgs:
                form.add_error(None, m)
            placed = True
    if not placed or exc.status not in (400, 422):
        form.add_error(None, exc.detail)
