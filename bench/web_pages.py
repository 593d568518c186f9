"""The web front end's pages: render time through the gateway at 20 concurrent users, and the weight of each page
(issue 16: « page render time through the gateway (p50/p95 at 20 concurrent users) and the weight of each page
(HTML + CSS + JS transferred) »).

Plain HTTP (requests, one thread per user, no browser), each user with its own session cookie obtained by
logging in through the web's login form. Measured pages: home, search results (Marseille, 20 km), an offer page,
« Mes candidatures » (a pupil with an application), « Mes offres » (an employer with offers). Each page is asked
``--rounds`` times by every user, the users starting together; the time is the full response (the web's render,
including its calls to the gateway and the services). Weight: the page and every stylesheet, script, and icon it
links, fetched once; bytes as served (identity) and gzip-compressed (level 6, what a reverse proxy sends).

Two ways to run it (results printed and written to bench/results/web_pages.json; never part of `make test`):

    # its own platform: the real suite on throw-away databases (like the tests) + the web under gunicorn
    STAGES_TEST_PG=postgresql://stages:stages@127.0.0.1:5432/postgres STAGES_TEST_AMQP=amqp://guest:guest@127.0.0.1:5672/ \\
      STAGES_TEST_REDIS=redis://127.0.0.1:6379/0 .venv/bin/python bench/web_pages.py --users 20 --rounds 5

    # a running platform (`make up`): the web's URL and accounts that exist there (a pupil with an application,
    # an employer with offers, e.g. the demo accounts)
    .venv/bin/python bench/web_pages.py --web-url http://127.0.0.1:8080 --pupil EMAIL --employer EMAIL \\
      --password PASSWORD --offer OFFER_ID
"""
from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[1]
for sub in ("services/common", "services/identity", "services/offers", "services/applications",
            "services/conventions", "services/notifications", "gateway"):
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))


def pct(values, p):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))]


def machine_speed() -> float:
    """Microseconds for ``sum(range(100))``, best of 5 (see bench/README.md: the shared machine's speed varies)."""
    import timeit
    return round(min(timeit.repeat("sum(range(100))", number=200_000, repeat=5)) / 200_000 * 1e6, 2)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- sessions ---------------------------------------------------------------------------------

def web_session(web_url: str, identifier: str | None, password: str | None) -> requests.Session:
    """A session of the web front end, logged in through its login form (anonymous without identifier)."""
    s = requests.Session()
    if identifier:
        r = s.get(web_url + "/connexion", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text).group(1)
        r = s.post(web_url + "/connexion", data={"csrfmiddlewaretoken": token, "identifier": identifier,
                                                 "password": password}, headers={"Referer": web_url + "/connexion"},
                   timeout=30, allow_redirects=False)
        if r.status_code != 302:
            raise RuntimeError(f"login of {identifier} refused ({r.status_code})")
    return s


# -- weight -----------------------------------------------------------------------------------

class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href") and any(r in (a.get("rel") or "") for r in ("stylesheet", "icon",
                                                                                          "preload", "manifest")):
            self.urls.append(("css" if "stylesheet" in a["rel"] else "other", a["href"]))
        elif tag == "script" and a.get("src"):
            self.urls.append(("js", a["src"]))


def weight(s: requests.Session, url: str) -> dict:
    """Bytes of the page and of the stylesheets, scripts and icons it links (CSS url() fonts/images not followed:
    the browser fetches them lazily, and they are cached across pages)."""
    r = s.get(url, timeout=60, headers={"Accept-Encoding": "identity"})
    parser = _Assets()
    parser.feed(r.text)
    out = {"html": len(r.content), "html_gzip": len(gzip.compress(r.content, 6)), "css": 0, "css_gzip": 0,
           "js": 0, "js_gzip": 0, "other": 0, "other_gzip": 0, "assets": len(parser.urls)}
    for kind, href in dict.fromkeys(parser.urls):
        body = s.get(urljoin(url, href), timeout=60, headers={"Accept-Encoding": "identity"}).content
        out[kind] += len(body)
        out[f"{kind}_gzip"] += len(gzip.compress(body, 6))
    out["total"] = out["html"] + out["css"] + out["js"] + out["other"]
    out["total_gzip"] = out["html_gzip"] + out["css_gzip"] + out["js_gzip"] + out["other_gzip"]
    return out


# -- render time ---------------------------------------------------------------------------------

def render_times(sessions: list[requests.Session], url: str, rounds: int) -> dict:
    """Every session asks ``url`` ``rounds`` times, all sessions at once (one thread each)."""
    times: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(sessions))

    def user(s):
        start.wait()
        for _ in range(rounds):
            t = time.perf_counter()
            r = s.get(url, timeout=120)
            dt = (time.perf_counter() - t) * 1000
            with lock:
                (times.append(dt) if r.status_code == 200 else errors.append(r.status_code))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=user, args=(s,)) for s in sessions]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    return {"requests": len(times) + len(errors), "errors": len(errors), "error_statuses": sorted(set(errors)),
            "p50_ms": round(pct(times, 50), 1) if times else None, "p95_ms": round(pct(times, 95), 1) if times else None,
            "mean_ms": round(statistics.fmean(times), 1) if times else None, "req_per_s": round(len(times) / wall, 1)}


def measure(web_url: str, pages: dict[str, tuple[str, str | None]], accounts: dict[str, tuple[str, str]],
            users: int, rounds: int) -> dict:
    """``pages``: name -> (path, account name or None); ``accounts``: name -> (identifier, password)."""
    sessions = {name: [web_session(web_url, *cred) for _ in range(users)] for name, cred in accounts.items()}
    sessions[None] = [web_session(web_url, None, None) for _ in range(users)]
    out = {}
    for name, (path, who) in pages.items():
        url = web_url + path
        render_times(sessions[who][:2], url, 1)  # warm-up (templates, connections)
        out[name] = {"path": path, "as": who or "visitor", "load_before": load_average(),
                     **render_times(sessions[who], url, rounds), "weight": weight(sessions[who][0], url)}
        print(json.dumps({name: out[name]}, ensure_ascii=False), flush=True)
    return out


# -- its own platform ------------------------------------------------------------------------------

def _own_platform(users: int, rounds: int) -> dict:
    from testkit.harness import Backends, Suite, free_port

    from testkit.applications import PASSWORD, REP_PLUS_COLLEGE, application_form, suite_employer, suite_offer

    backends = Backends()
    log_dir = ROOT / "var" / "bench-logs" / f"{backends.run_id}-web"
    log_dir.mkdir(parents=True, exist_ok=True)
    web_port = free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    suite = Suite(backends, log_dir, extra_env={
        "STAGES_PUBLIC_URL": web_url, "LOG_LEVEL": "WARNING", "IDENTITY_ARGON2_TIME_COST": "1",
        "IDENTITY_ARGON2_MEMORY_KIB": "8192", "IDENTITY_ARGON2_PARALLELISM": "1"})
    web = None
    try:
        suite.start_all()
        env = dict(os.environ, STAGES_GATEWAY_URL=suite.url, STAGES_PUBLIC_URL=web_url, STAGES_WEB_ENV="development",
                   STAGES_WEB_CACHE_PREFIX=f"b{backends.run_id}-web", PYTHONUNBUFFERED="1")
        # as deployed (deploy/run.sh): gunicorn, 2 workers x 4 threads
        web = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(ROOT / "web"), "--bind",
             f"127.0.0.1:{web_port}", "--workers", "2", "--threads", "4", "stages_web.wsgi"],
            env=env, stdout=open(log_dir / "web.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(200):
            try:
                if requests.get(web_url + "/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        marseille = {"address": {"street": "10 boulevard National", "commune_insee": "13055"}}
        pupil_email = f"eleve.{uuid.uuid4().hex[:8]}@example.com"
        with suite.rpc() as rpc:
            emp = suite_employer(rpc)
            offers = [suite_offer(rpc, emp["user_id"], seats=5, **marseille) for _ in range(12)]
            employer_email = (rpc.identity.get_user(emp["user_id"]) or {}).get("email")
            tag = uuid.uuid4().hex[:8].upper()
            csv_text = f"Nom;Prénom;Date de naissance;Classe;Niveau\r\nBENCH-{tag};Camille;04/03/2011;3A;3EME"
            imp = rpc.identity.import_pupils(actor={"user_id": str(uuid.uuid4()), "role": "admin"},
                                             uai=REP_PLUS_COLLEGE, filename="classe.csv", with_pdf=False,
                                             content_base64=base64.b64encode(csv_text.encode()).decode())
            code = next(c["code"] for c in imp["codes"] if str(c.get("last_name", "")).upper() == f"BENCH-{tag}")
            pupil = rpc.identity.pupil_activate(code=code, password=PASSWORD, email=pupil_email,
                                                client={"ip": "127.0.0.1", "user_agent": "bench"})
        r = requests.post(f"{suite.url}/api/v1/offers/{offers[0]['id']}/applications",
                          json=application_form(offers[0]["offer_weeks"][0]),
                          headers={"Authorization": f"Bearer {pupil['access_token']}"}, timeout=30)
        r.raise_for_status()
        if not employer_email:
            me = requests.get(f"{suite.url}/api/v1/me", headers={"Authorization": f"Bearer {emp['token']}"},
                              timeout=30).json()
            employer_email = me.get("email") or me.get("user", {}).get("email")
        accounts = {"pupil": (pupil_email, PASSWORD), "employer": (employer_email, PASSWORD)}
        return {"web_url": web_url, "pages": measure(web_url, pages_of(offers[1]["id"]), accounts, users, rounds)}
    finally:
        if web is not None and web.poll() is None:
            web.terminate()
            try:
                web.wait(15)
            except subprocess.TimeoutExpired:
                web.kill()
        suite.stop_all()
        backends.close()


def pages_of(offer_id: str) -> dict[str, tuple[str, str | None]]:
    return {
        "home": ("/", None),
        "search_results": ("/offres?place=Marseille&radius_km=20", "pupil"),
        "offer": (f"/offres/{offer_id}", "pupil"),
        "mes_candidatures": ("/eleve/candidatures", "pupil"),
        "mes_offres": ("/entreprise/offres", "employer"),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5, help="requests of each page by each user")
    ap.add_argument("--web-url", help="a running platform's web front end (else: start one)")
    ap.add_argument("--pupil")
    ap.add_argument("--employer")
    ap.add_argument("--password")
    ap.add_argument("--offer", help="an offer id of the running platform")
    args = ap.parse_args(argv)
    results = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "users": args.users,
               "rounds": args.rounds, "machine_speed_before_us": machine_speed(), "load_before": load_average(),
               "cpus": os.cpu_count()}
    if args.web_url:
        accounts = {"pupil": (args.pupil, args.password), "employer": (args.employer, args.password)}
        results.update(web_url=args.web_url, pages=measure(args.web_url.rstrip("/"), pages_of(args.offer),
                                                           accounts, args.users, args.rounds))
    else:
        results.update(_own_platform(args.users, args.rounds))
    results["machine_speed_after_us"] = machine_speed()
    results["load_after"] = load_average()
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "web_pages.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in results.items() if k != "pages"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
