"""Browser tests: the real suite (five services + gateway as processes), the web front end (gunicorn),
an SMTP catcher, and a headless Chromium driven by Playwright's sync API.

Fixtures:
- ``platform``: the running suite + web (session-wide): ``platform.web_url``, ``platform.api``
  (an HTTP client of the gateway, for setting up data the journey under test does not create),
  ``platform.mail`` (the caught e-mails), ``platform.suite`` (``testkit.harness.Suite``).
- ``page``: a new browser context and page per test (French locale).
- ``visit``: ``visit(page, "name")`` checks the page shown (one h1, a skip link, every field labelled,
  no serious or critical axe-core violation) and keeps a screenshot in var/test-artefacts/browser/.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
ARTEFACTS = ROOT / "var" / "test-artefacts" / "browser"
CHROMIUM = os.environ.get("STAGES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
BLANK_TILE = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/"
              "PchI7wAAAABJRU5ErkJggg==")


class Mailbox:
    """The e-mails caught by this run's SMTP catcher (testkit.catcher writes one file each)."""

    def __init__(self, directory: Path):
        self.dir = directory

    def all(self) -> list[dict]:
        index = self.dir / "index.jsonl"
        if not index.exists():
            return []
        out = []
        for line in index.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            entry["text"] = (self.dir / entry["txt"]).read_text(encoding="utf-8")
            out.append(entry)
        return out

    def wait_for(self, to: str, subject_contains: str = "", timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in reversed(self.all()):
                if to in m["rcpt_tos"] and subject_contains in m["subject"]:
                    return m
            time.sleep(0.3)
        raise AssertionError(f"no e-mail to {to} with {subject_contains!r} in {timeout}s: "
                             f"{[(m['rcpt_tos'], m['subject']) for m in self.all()]}")

    @staticmethod
    def link(mail: dict, base_url: str) -> str:
        """The first link of the mail that points at the web front end."""
        m = re.search(re.escape(base_url) + r"[^\s<>\"')]*", mail["text"])
        assert m, f"no link to {base_url} in: {mail['text']}"
        return m.group(0)


class Platform:
    def __init__(self, suite, web_url: str, mail: Mailbox):
        from testkit.pytest_plugin import ApiClient
        self.suite = suite
        self.web_url = web_url
        self.mail = mail
        self.api = ApiClient(suite.url)


def _free_port() -> int:
    from testkit.harness import free_port
    return free_port()


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the web front end exited ({proc.returncode}); see {log}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.3)
    raise RuntimeError(f"the web front end did not answer at {url}; see {log}")


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    from common import settings
    from testkit.harness import Backends, BackendsUnavailable, Suite
    from testkit import catcher

    try:
        backends = Backends()
    except BackendsUnavailable as exc:
        pytest.exit(str(exc), returncode=3)
    log_dir = settings.REPO_ROOT / "var" / "test-logs" / f"{backends.run_id}-browser"
    log_dir.mkdir(parents=True, exist_ok=True)
    mail_dir = tmp_path_factory.mktemp("mail")
    smtp_port = _free_port()
    smtp = catcher.start("127.0.0.1", smtp_port, mail_dir)
    web_port = _free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    suite = web = None
    try:
        suite = Suite(backends, log_dir, extra_env={
            "STAGES_PUBLIC_URL": web_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
            "SMTP_SECURITY": "none", "SMTP_TIMEOUT": "5", "NOTIFICATIONS_DISPATCH_INTERVAL": "0.5",
            "IDENTITY_ARGON2_TIME_COST": "1", "IDENTITY_ARGON2_MEMORY_KIB": "8192", "IDENTITY_ARGON2_PARALLELISM": "1",
        })
        suite.start_all()
        env = dict(os.environ, STAGES_GATEWAY_URL=suite.url, STAGES_PUBLIC_URL=web_url, STAGES_WEB_ENV="development",
                   STAGES_WEB_CACHE_PREFIX=f"t{backends.run_id}-web", PYTHONUNBUFFERED="1",
                   # the optional map, with a blank tile (no tile server: the tests stay offline)
                   STAGES_WEB_MAP_TILES_URL=BLANK_TILE, STAGES_WEB_MAP_TILES_ATTRIBUTION="Fond de carte de test")
        web_log = log_dir / "web.log"
        web = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(ROOT / "web"), "--bind",
             f"127.0.0.1:{web_port}", "--workers", "1", "--threads", "8", "--access-logfile", "-",
             "stages_web.wsgi"],
            env=env, stdout=open(web_log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        _wait_http(web_url + "/", web, web_log)
        yield Platform(suite, web_url, Mailbox(mail_dir))
    finally:
        if web is not None and web.poll() is None:
            web.terminate()
            try:
                web.wait(15)
            except subprocess.TimeoutExpired:
                web.kill()
        if suite is not None:
            suite.stop_all()
        smtp.stop()
        backends.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "LANGUAGE": "fr"})
        yield b
        b.close()


@pytest.fixture
def page(browser, platform):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", base_url=platform.web_url,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20000)
    p = context.new_page()
    yield p
    context.close()


@pytest.fixture
def visit(request):
    """``visit(page, "name")``: accessibility checks of the page shown, and its screenshot."""
    from checks import check_page
    from playwright.sync_api import Error as PlaywrightError
    folder = ARTEFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = iter(range(1, 1000))

    def run(page, name: str, axe: bool = True) -> None:
        page.wait_for_load_state("load")
        shot = folder / f"{next(counter):02d}-{name}.png"
        for attempt in range(3):
            # Chromium sometimes refuses a capture right after a navigation (« Unable to capture screenshot »,
            # seen once under load): the screenshot is an artefact of the run, so it is tried again, then left out
            try:
                page.screenshot(path=str(shot), full_page=True)
                break
            except PlaywrightError as exc:
                if attempt == 2:
                    warnings.warn(f"no screenshot of {name}: {exc}")
                page.wait_for_timeout(500)
        check_page(page, name, axe=axe)

    return run


def unique_email(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}@example.com"
