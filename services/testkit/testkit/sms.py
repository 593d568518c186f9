"""A tiny local HTTP endpoint standing in for the SMS provider (outside the platform), recording
what it receives: ``with FakeSmsApi() as api: ... api.requests``."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSmsApi:
    def __init__(self, status: int = 200, answer: bytes = b'{"id": "sms-42"}'):
        self.requests: list[dict] = []
        self.status = status
        self.answer = answer
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                api.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
                self.send_response(api.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(api.answer)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/sms"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, predicate, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in self.requests if predicate(r["json"])]
            if found:
                return found
            time.sleep(0.1)
        return []
