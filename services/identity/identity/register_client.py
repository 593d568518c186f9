"""The national pupil register (SYGNE), read through the Omogen API: the port the register's use cases use and
its HTTP implementation.

    GET  {OMOGEN_SYGNE_URL}/etablissements/{uai}/eleves?niveau={MEFSTAT4}   -> [eleve]
    GET  {OMOGEN_SYGNE_URL}/eleves/{ine}/responsables                       -> [responsable]
    POST {OMOGEN_OAUTH_URL} (client credentials)                             -> {"access_token"}

Payload shapes: ``identity.domain.register`` (read_pupil, read_guardians). In development and tests the
URL points at the local stand-in (``python -m testkit.omogen``), which serves the same payloads."""
from __future__ import annotations

import logging
import time
from typing import Protocol

import requests

from . import settings

log = logging.getLogger("identity.register")


class RegisterUnavailable(RuntimeError):
    """The register did not answer, or answered something else than its payloads (the run is marked failed)."""


class Register(Protocol):
    def pupils(self, uai: str, mefstat4: str) -> list[dict]: ...

    def guardians(self, ine: str) -> list[dict]: ...


class OmogenRegister:
    """``Register`` over HTTP. A bearer token is fetched with the client credentials when an OAuth URL is
    configured, kept until it expires, and fetched again once on a 401."""

    def __init__(self, base_url: str, oauth_url: str | None = None, client_id: str | None = None,
                 client_secret: str | None = None, timeout: float = 10.0, session=None):
        self.base_url = base_url.rstrip("/")
        self.oauth_url = oauth_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.http = session or requests.Session()
        self._token: tuple[str, float] | None = None

    @classmethod
    def from_settings(cls) -> "OmogenRegister | None":
        url = settings.omogen_url()
        if not url:
            return None
        return cls(url, settings.omogen_oauth_url(), settings.omogen_client_id(), settings.omogen_client_secret(),
                   settings.omogen_timeout())

    def _bearer(self, renew: bool = False) -> dict:
        if not self.oauth_url:
            return {}
        if renew or self._token is None or self._token[1] < time.monotonic():
            try:
                r = self.http.post(self.oauth_url, data={"grant_type": "client_credentials",
                                                         "client_id": self.client_id or "",
                                                         "client_secret": self.client_secret or ""},
                                   timeout=self.timeout)
                r.raise_for_status()
                body = r.json()
                self._token = (body["access_token"], time.monotonic() + max(30, int(body.get("expires_in") or 300)) - 20)
            except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
                raise RegisterUnavailable(f"oauth token: {exc.__class__.__name__}") from None
        return {"Authorization": f"Bearer {self._token[0]}"}

    def _get(self, path: str, params: dict | None = None, missing_ok: bool = False) -> list:
        headers = {"Accept": "application/json", "Compression-Zip": "non"}
        try:
            r = self.http.get(self.base_url + path, params=params, headers={**headers, **self._bearer()},
                              timeout=self.timeout)
            if r.status_code == 401 and self.oauth_url:
                r = self.http.get(self.base_url + path, params=params,
                                  headers={**headers, **self._bearer(renew=True)}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise RegisterUnavailable(f"GET {path}: {exc.__class__.__name__}") from None
        if r.status_code == 404 and missing_ok:
            return []
        if r.status_code != 200:
            raise RegisterUnavailable(f"GET {path}: HTTP {r.status_code}")
        try:
            body = r.json()
        except ValueError:
            raise RegisterUnavailable(f"GET {path}: invalid JSON") from None
        if not isinstance(body, list):
            raise RegisterUnavailable(f"GET {path}: a list was expected")
        return body

    def pupils(self, uai: str, mefstat4: str) -> list[dict]:
        return self._get(f"/etablissements/{uai}/eleves", {"niveau": mefstat4}, missing_ok=True)

    def guardians(self, ine: str) -> list[dict]:
        return self._get(f"/eleves/{ine}/responsables", missing_ok=True)
