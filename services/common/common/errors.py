"""Typed domain errors shared by every service.

They travel over RPC: nameko serialises an exception as its class path and
``exc_args``; every subclass of ``DomainError`` is registered with nameko's
``deserialize_to_instance`` (by ``common.boot.prepare_process``, or at once when
nameko is already loaded) so the caller gets the same typed error back (not a
bare ``RemoteError``), and the gateway maps it to an ``application/problem+json``
response.

This module imports no library: any domain may use it.

Messages (``detail`` and field ``errors``) are French: end users read them.
"""
from __future__ import annotations

import sys


def _register(cls) -> None:
    exceptions = sys.modules.get("nameko.exceptions")
    if exceptions is not None:
        exceptions.deserialize_to_instance(cls)


def register_for_rpc() -> None:
    """Register every ``DomainError`` class defined so far with nameko (later ones register themselves)."""
    import importlib
    importlib.import_module("nameko.exceptions")   # loaded: _register now finds it
    pending = [DomainError]
    while pending:
        cls = pending.pop()
        _register(cls)
        pending.extend(cls.__subclasses__())


class DomainError(Exception):
    """Base of every error a user may see. ``status`` is the HTTP status.

    Every subclass is registered for deserialisation, so it crosses RPC typed
    (the caller must import the module that defines it: prefer the classes
    of this module, with a specific ``code``)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _register(cls)

    status = 400
    code = "bad_request"
    default_detail = "Requête invalide."

    def __init__(self, detail: str | None = None, errors: dict | None = None, code: str | None = None,
                 extra: dict | None = None):
        self.detail = detail or self.default_detail
        self.errors = errors or {}
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(self.detail, self.errors, self.code, self.extra)

    def __str__(self):
        return self.detail

    def to_dict(self) -> dict:
        out = {"code": self.code, "detail": self.detail, "status": self.status}
        if self.errors:
            out["errors"] = self.errors
        out.update(self.extra)
        return out


class ValidationError(DomainError):
    """Bad input. ``errors`` maps a field path to a list of French messages."""

    status = 422
    code = "validation_error"
    default_detail = "Certaines informations sont invalides ou manquantes."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_detail = "Ressource introuvable."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_detail = "Vous n'avez pas accès à cette ressource."


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_detail = "Authentification requise."


class Conflict(DomainError):
    """The request is valid but the current state refuses it (state machine, duplicate...)."""

    status = 409
    code = "conflict"
    default_detail = "Cette action n'est pas possible dans l'état actuel."


class Locked(DomainError):
    """The resource is locked (e.g. a link after too many failed attempts): a new one must be issued."""

    status = 423
    code = "locked"
    default_detail = "Cette ressource est verrouillée."


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_detail = "Trop de tentatives. Réessayez plus tard."

    def __init__(self, detail=None, errors=None, code=None, extra=None, retry_after: int = 60):
        extra = dict(extra or {})
        extra.setdefault("retry_after", int(retry_after))
        super().__init__(detail, errors, code, extra)

    @property
    def retry_after(self) -> int:
        return int(self.extra.get("retry_after", 60))


class ServiceUnavailable(DomainError):
    """A service we depend on did not answer in time."""

    status = 503
    code = "service_unavailable"
    default_detail = "Le service est momentanément indisponible. Réessayez dans quelques instants."


EXPECTED = (DomainError,)


class FieldErrors:
    """Collects every field error before raising, so users see them all at once.

    >>> errs = FieldErrors()
    >>> errs.add("email", "Adresse e-mail invalide.")
    >>> errs.raise_if_any()
    """

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def merge(self, errors: dict, prefix: str = "") -> None:
        for field, messages in errors.items():
            for m in messages:
                self.add(f"{prefix}{field}", m)

    def __bool__(self):
        return bool(self.errors)

    def raise_if_any(self, detail: str | None = None) -> None:
        if self.errors:
            raise ValidationError(detail, self.errors)
