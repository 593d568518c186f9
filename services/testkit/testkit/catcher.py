"""A local SMTP catcher for development: accepts every message and writes it
to files a developer can read. Nothing is delivered anywhere.

    python -m testkit.catcher --host 127.0.0.1 --port 1025 --dir var/mail

For each message, in ``--dir``:
- ``<n>-<time>.eml``: the raw message (open it with any mail client);
- ``<n>-<time>.txt``: From, To, Subject, then the decoded text part (read it with ``cat``);
- ``index.jsonl``: one JSON line per message (time, from, to, subject, files).
"""
from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import json
import logging
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

log = logging.getLogger("testkit.catcher")


class FileCatcher:
    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.count = len(list(self.dir.glob("*.eml")))

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        try:
            body = msg.get_body(preferencelist=("plain", "html"))
            text = body.get_content() if body is not None else ""
        except Exception:  # noqa: BLE001 - a malformed message is still kept raw
            text = ""
        now = dt.datetime.now(dt.timezone.utc)
        with self._lock:
            self.count += 1
            stem = f"{self.count:05d}-{now.strftime('%Y%m%dT%H%M%S')}"
            eml, txt = self.dir / f"{stem}.eml", self.dir / f"{stem}.txt"
            eml.write_bytes(raw)
            txt.write_text(f"From: {msg['From']}\nTo: {msg['To']}\nSubject: {msg['Subject']}\n"
                           f"Envelope-To: {', '.join(envelope.rcpt_tos)}\n\n{text}", encoding="utf-8")
            entry = {"at": now.isoformat(), "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                     "subject": str(msg["Subject"] or ""), "eml": eml.name, "txt": txt.name}
            with open(self.dir / "index.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        log.info("caught %s -> %s: %s (%s)", envelope.mail_from, ",".join(envelope.rcpt_tos), msg["Subject"], txt)
        return "250 Message accepted"


def start(host: str, port: int, directory: str | Path) -> Controller:
    controller = Controller(FileCatcher(directory), hostname=host, port=port, auth_require_tls=False)
    controller.start()
    return controller


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Local SMTP catcher: writes every message to files.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1025)
    ap.add_argument("--dir", default="var/mail", help="where messages are written (default: var/mail)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='{"level":"%(levelname)s","logger":"%(name)s","message":"%(message)s"}')
    controller = start(args.host, args.port, args.dir)
    log.info("SMTP catcher listening on %s:%s, writing to %s", args.host, args.port, Path(args.dir).resolve())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
