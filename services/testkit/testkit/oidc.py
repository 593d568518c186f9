"""The local OpenID Connect provider (``deploy/oidc-provider``, npm ``oidc-provider``) for tests: ÉduConnect and
FIM stand-ins on a free port, and a person's way through their pages with plain HTTP.

    with OidcProvider(redirect_uris=[CALLBACK]) as op:
        env = op.gateway_env(CALLBACK)            # FEDERATION_* settings of a gateway process
        answer = sign_in_at_provider(authorization_url, "ect-eleve-inaya", CALLBACK)
        answer["code"], answer["state"]

Its node modules are installed by ``deploy/setup.sh`` (``npm ci``); ``OidcProvider`` runs ``npm ci`` itself
when they are missing (a fresh checkout)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from common import settings

from .harness import free_port

PROVIDER_DIR = settings.REPO_ROOT / "deploy" / "oidc-provider"
CLIENT_ID = "stages-web"
PROVIDERS = ("educonnect", "fim")


def client_secret(provider: str) -> str:
    return f"test-secret-{provider}"


def ensure_node_modules() -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: deploy/setup.sh installs Node.js and the provider's modules")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True,
                   stdout=subprocess.DEVNULL)


class OidcProvider:
    """The node server on a free port, stopped on exit. ``code_ttl``: life of an authorization code."""

    def __init__(self, redirect_uris: list[str], post_logout_redirect_uris: list[str] | None = None,
                 code_ttl: int = 60, log_path: Path | None = None, identities: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redirect_uris = list(redirect_uris)
        self.post_logout_redirect_uris = list(post_logout_redirect_uris or [])
        self.code_ttl = code_ttl
        self.log_path = log_path
        self.identities = identities      # None: deploy/oidc-provider/identities.json
        self._identities_file: Path | None = None
        self.process: subprocess.Popen | None = None

    def issuer(self, provider: str) -> str:
        return f"{self.url}/{provider}"

    def start(self, timeout: float = 30) -> "OidcProvider":
        ensure_node_modules()
        clients = {p: [{
            "client_id": CLIENT_ID, "client_secret": client_secret(p), "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": self.post_logout_redirect_uris, "grant_types": ["authorization_code"],
            "response_types": ["code"], "token_endpoint_auth_method": "client_secret_basic"}] for p in PROVIDERS}
        env = {**os.environ, "OIDC_HOST": "127.0.0.1", "OIDC_PORT": str(self.port), "OIDC_PUBLIC_URL": self.url,
               "OIDC_CLIENTS": json.dumps(clients), "OIDC_CODE_TTL": str(self.code_ttl)}
        if self.identities is not None:
            fd, name = tempfile.mkstemp(prefix="oidc-identities-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self.identities, f, ensure_ascii=False)
            self._identities_file = Path(name)
            env["OIDC_IDENTITIES_FILE"] = name
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen([shutil.which("node") or "node", "server.mjs"], cwd=PROVIDER_DIR, env=env,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited with {self.process.returncode}")
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the OpenID provider did not answer in {timeout}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        if self._identities_file is not None:
            self._identities_file.unlink(missing_ok=True)
            self._identities_file = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def gateway_env(self, redirect_uris: list[str] | str, end_session: bool = True,
                    post_logout_redirect_uri: str | None = None) -> dict:
        """The FEDERATION_* settings of a gateway that uses both issuers of this provider."""
        uris = [redirect_uris] if isinstance(redirect_uris, str) else list(redirect_uris)
        env = {}
        for p in PROVIDERS:
            key = f"FEDERATION_{p.upper()}_"
            env.update({key + "ISSUER": self.issuer(p), key + "CLIENT_ID": CLIENT_ID,
                        key + "CLIENT_SECRET": client_secret(p), key + "REDIRECT_URIS": ",".join(uris)})
            if end_session:
                env[key + "END_SESSION_URL"] = "discovery"
            if post_logout_redirect_uri:
                env[key + "POST_LOGOUT_REDIRECT_URI"] = post_logout_redirect_uri
        return env


def identities(pupils_uai: str, staff_uais: tuple[str, str], unknown_uai: str = "0139999Z", tag: str = "") -> dict:
    """The demo identities of ``deploy/oidc-provider/identities.json`` moved to other schools, for tests that must
    leave the demo collège as other tests expect it: the pupils (and the parent) at ``pupils_uai``, the head and the
    teacher in both ``staff_uais``, the administrative staff at the first. ``tag`` makes the subjects, INE and
    e-mail addresses of this set its own."""
    data = json.loads((PROVIDER_DIR / "identities.json").read_text(encoding="utf-8"))
    demo_college = "0131884C"
    out = {}
    for fed in PROVIDERS:
        out[fed] = []
        for i, person in enumerate(data[fed]):
            claims = dict(person["claims"])
            if claims.get("FrEduCtEleveUAI") == demo_college:
                claims["FrEduCtEleveUAI"] = pupils_uai
            if claims.get("FrEduCtEleveINE") and tag:
                ine = claims["FrEduCtEleveINE"]    # 10 digits or capitals and a capital (identity checks it)
                claims["FrEduCtEleveINE"] = ine[:3] + tag[:6].upper().rjust(6, "0") + str(i % 10) + ine[-1]
            if fed == "fim":
                schools = [u for u in staff_uais] if claims.get("FrEduFonctAdm") in ("DIR", "ENS") else [staff_uais[0]]
                claims["rne"] = schools[0]
                claims["FrEduRne"] = [f"{u}$UAJ$PU$N$T3$CLG$340" for u in schools]
                claims["FrEduRneResp"] = claims["FrEduRne"] if claims.get("FrEduFonctAdm") == "DIR" else "X"
                if tag:
                    local, _, domain = claims["email"].partition("@")
                    claims["email"] = f"{local}.{tag}@{domain}"
            pid = f"{person['id']}-{tag}" if tag else person["id"]
            out[fed].append({"id": pid, "label": person["label"], "claims": {**claims, **(
                {"FrEduCtId": pid} if "FrEduCtId" in claims else {})}})
    return out


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": (a.get("method") or "get").lower(),
                               "radios": [], "hidden": {}})
        elif tag == "input" and self.forms:
            if a.get("type") == "radio":
                self.forms[-1]["radios"].append(a.get("value"))
            elif a.get("type") == "hidden":
                self.forms[-1]["hidden"][a.get("name")] = a.get("value") or ""


def sign_in_at_provider(authorization_url: str, account: str, redirect_uri: str,
                        http: requests.Session | None = None) -> dict:
    """Follow ``authorization_url`` as a browser would, choose ``account`` on the login page, and return the
    query of the redirect to ``redirect_uri`` (``code``, ``state``, ``iss``; or ``error``). ``http``: a session
    that keeps the provider's cookies (a second sign-in in the same browser)."""
    http = http or requests.Session()
    url, method, data = authorization_url, "GET", None
    for _ in range(20):
        r = http.request(method, url, data=data, allow_redirects=False, timeout=15)
        if r.is_redirect:
            nxt = urljoin(url, r.headers["Location"])
            if nxt.startswith(redirect_uri):
                return {k: v[0] for k, v in parse_qs(urlsplit(nxt).query).items()}
            url, method, data = nxt, "GET", None
            continue
        if r.status_code != 200:
            raise AssertionError(f"the provider answered {r.status_code}: {r.text[:500]}")
        parser = _Forms()
        parser.feed(r.text)
        form = next((f for f in parser.forms if account in f["radios"]), None)
        if form is None:
            raise AssertionError(f"no login form offering {account!r}: {re.sub(r'<[^>]+>', ' ', r.text)[:500]}")
        url, method, data = urljoin(url, form["action"]), form["method"].upper(), {**form["hidden"],
                                                                                      "account": account}
    raise AssertionError("too many redirects at the provider")


def end_session_at_provider(end_session_url: str, http: requests.Session | None = None) -> str:
    """Follow the provider's end-session address as a browser would (its page posts its form itself) and return
    where the provider sends the browser afterwards (the post-logout address, or its own « signed out » page)."""
    http = http or requests.Session()
    r = http.get(end_session_url, allow_redirects=False, timeout=15)
    if r.is_redirect:
        return urljoin(end_session_url, r.headers["Location"])
    parser = _Forms()
    parser.feed(r.text)
    form = parser.forms[0]
    action = urljoin(end_session_url, form["action"])
    r = http.post(action, data={**form["hidden"], "logout": "yes"}, allow_redirects=False, timeout=15)
    return urljoin(action, r.headers["Location"]) if r.is_redirect else action
