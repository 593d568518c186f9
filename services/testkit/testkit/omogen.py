"""A local stand-in of the Omogen SYGNE API (the national pupil register), for development and tests.

It serves the same payloads as the real API (``identity.register_client``, ``identity.domain.register``):

    POST /oauth/token                                            client credentials -> {"access_token", ...}
    GET  /sygne/api/v1/version
    GET  /sygne/api/v1/etablissements/<uai>/eleves?niveau=<MEFSTAT4>   -> [eleve]
    GET  /sygne/api/v1/eleves/<ine>/responsables                       -> [responsable]

from a JSON file (default: ``omogen_data.json`` beside this module: a few classes of the demo schools):
``{"eleves": [eleve...], "responsables": {ine: [responsable...]}}``; an ``eleve``'s school is its ``codeUai``
and its level its ``niveau``.

Tests change its data between two imports, in process (``StandIn.move``, ``.put_pupil``, ``.set_data``), or over
HTTP: ``PUT /_standin/data`` (the whole dataset) and ``GET /_standin/data``.

    python -m testkit.omogen --port 8095 [--data FILE] [--require-token]
    (identity: OMOGEN_SYGNE_URL=http://127.0.0.1:8095/sygne/api/v1 OMOGEN_OAUTH_URL=http://127.0.0.1:8095/oauth/token)
"""
from __future__ import annotations

import argparse
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATA_FILE = Path(__file__).with_name("omogen_data.json")
PREFIX = "/sygne/api/v1"
TOKEN = "standin-omogen-token"


def load(path: Path | str | None = None) -> dict:
    return json.loads(Path(path or DATA_FILE).read_text(encoding="utf-8"))


class StandIn:
    """The register's data and the HTTP server serving it (``start()`` on a free port in a thread)."""

    def __init__(self, data: dict | None = None, host: str = "127.0.0.1", port: int = 0,
                 require_token: bool = False):
        self.lock = threading.Lock()
        self.data = copy.deepcopy(data if data is not None else load())
        self.require_token = require_token
        self.requests: list[str] = []      # paths asked, in order (tests check what identity asked)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):   # quiet
                pass

            def _send(self, status: int, body) -> None:
                raw = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(n).decode())
                if urlparse(self.path).path != "/oauth/token":
                    return self._send(404, {"error": "not_found"})
                if form.get("grant_type") != ["client_credentials"]:
                    return self._send(400, {"error": "unsupported_grant_type"})
                return self._send(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})

            def do_PUT(self):
                if urlparse(self.path).path != "/_standin/data":
                    return self._send(404, {"error": "not_found"})
                n = int(self.headers.get("Content-Length") or 0)
                standin.set_data(json.loads(self.rfile.read(n) or b"{}"))
                return self._send(200, {"status": "ok"})

            def do_GET(self):
                url = urlparse(self.path)
                standin.requests.append(self.path)
                if url.path == "/_standin/data":
                    return self._send(200, standin.snapshot())
                if not url.path.startswith(PREFIX):
                    return self._send(404, {"error": "not_found"})
                if standin.require_token and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, {"error": "invalid_token"})
                parts = url.path[len(PREFIX):].strip("/").split("/")
                if parts == ["version"]:
                    return self._send(200, {"version": "1.0.0-standin"})
                if len(parts) == 3 and parts[0] == "etablissements" and parts[2] == "eleves":
                    niveau = (parse_qs(url.query).get("niveau") or [None])[0]
                    return self._send(200, standin.pupils(parts[1], niveau))
                if len(parts) == 3 and parts[0] == "eleves" and parts[2] == "responsables":
                    return self._send(200, standin.guardians(parts[1]))
                return self._send(404, {"error": "not_found"})

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    # -- the API's answers --------------------------------------------------------------------------------
    def pupils(self, uai: str, niveau: str | None) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(e) for e in self.data.get("eleves", [])
                    if e.get("codeUai") == uai and (niveau is None or str(e.get("niveau")) == str(niveau))]

    def guardians(self, ine: str) -> list[dict]:
        with self.lock:
            return copy.deepcopy((self.data.get("responsables") or {}).get(ine, []))

    # -- what tests change ----------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        with self.lock:
            return copy.deepcopy(self.data)

    def set_data(self, data: dict) -> None:
        with self.lock:
            self.data = {"eleves": list(data.get("eleves") or []), "responsables": dict(data.get("responsables") or {})}

    def put_pupil(self, eleve: dict, responsables: list[dict] | None = None) -> None:
        """Add or replace (by INE) one pupil, and their guardians when given."""
        with self.lock:
            self.data["eleves"] = [e for e in self.data.get("eleves", []) if e.get("ine") != eleve["ine"]] + [eleve]
            if responsables is not None:
                self.data.setdefault("responsables", {})[eleve["ine"]] = responsables

    def move(self, ine: str, uai: str, classe: str | None = None) -> None:
        """The pupil ``ine`` now belongs to ``uai`` (a change of school, as the register would tell it)."""
        with self.lock:
            for e in self.data.get("eleves", []):
                if e.get("ine") == ine:
                    e["codeUai"] = uai
                    if classe:
                        e["classe"] = classe

    # -- the server -------------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    @property
    def oauth_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oauth/token"

    def start(self) -> "StandIn":
        self.thread = threading.Thread(target=self.server.serve_forever, name="omogen-standin", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Local stand-in of the Omogen SYGNE API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8095)
    parser.add_argument("--data", default=None, help="JSON file (default: testkit/omogen_data.json)")
    parser.add_argument("--require-token", action="store_true", help="refuse requests without the bearer token")
    args = parser.parse_args(argv)
    s = StandIn(load(args.data), host=args.host, port=args.port, require_token=args.require_token)
    print(f"omogen stand-in on http://{args.host}:{s.port}{PREFIX}", flush=True)
    try:
        s.server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
