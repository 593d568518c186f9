"""The development SMTP catcher writes what it receives to readable files."""
import json
import signal
import subprocess
import sys
import time

from notifications.channels.email import SmtpConfig, SmtpSender
from testkit.catcher import start
from testkit.smtp import free_port


def test_catcher_writes_eml_txt_and_index(tmp_path):
    port = free_port()
    c = start("127.0.0.1", port, tmp_path)
    try:
        SmtpSender(SmtpConfig(port=port)).send(to="lea@example.org", subject="Votre candidature a été lue",
                                               text="Bonjour Léa,\n\nTexte.\n", html="<p>Bonjour Léa,</p>")
    finally:
        c.stop()
    [entry] = [json.loads(line) for line in (tmp_path / "index.jsonl").read_text().splitlines()]
    assert entry["rcpt_tos"] == ["lea@example.org"] and entry["subject"] == "Votre candidature a été lue"
    txt = (tmp_path / entry["txt"]).read_text(encoding="utf-8")
    assert "Subject: Votre candidature a été lue" in txt and "Bonjour Léa," in txt
    raw = (tmp_path / entry["eml"]).read_bytes()
    assert b"Content-Type: multipart/alternative" in raw and b"<p>Bonjour L" in raw


def test_catcher_command_line(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "testkit.catcher", "--port", str(port), "--dir",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                SmtpSender(SmtpConfig(port=port, timeout=2)).send(to="a@example.org", subject="S", text="T", html="<p>T</p>")
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert len(list(tmp_path.glob("*.eml"))) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode == 0
