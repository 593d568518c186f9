"""The national peak: the opening day for pupils (13 February), scaled to this machine (issue 18).

~1.4 million pupils of 3e and 2nde may apply from the opening; 10 % of them come in the first hour, i.e.
140,000 pupil sessions in the peak hour. Each session is a mix of actions (``PER_PUPIL``: a login, searches,
offer views, applications) and each application brings employer answers and pupils' confirmations. Every
action is an HTTP request through the real gateway, sent at a FIXED RATE (open loop: each request is
scheduled at its time and sent then, whether or not the previous ones have answered; its latency runs from
its scheduled time), on a suite of its own (the five services + the gateway as processes, on this run's
own databases and vhost, removed afterwards: the benchmark refuses any other target).

    STAGES_TEST_PG=postgresql://stages:stages@127.0.0.1:5432/postgres \\
    STAGES_TEST_AMQP=amqp://guest:guest@127.0.0.1:5672/ STAGES_TEST_REDIS=redis://127.0.0.1:6379/0 \\
    .venv/bin/python bench/peak.py [--scale 0.02] [--mix-seconds 75] [--phase-rate 4] [--phase-seconds 12]

Phases: (0) the mix for ``--warmup-seconds``, unmeasured (first calls, caches, prepared plans); (1) idle
(what every component spends doing nothing: subtracted from the others, measured again at the end); (2) each
action alone at ``--phase-rate`` (logins at ``--login-rate``) for ``--phase-seconds``: its CPU seconds per
action for each component (the
gateway, each service process, the PostgreSQL backends of each of the run's databases, RabbitMQ's Erlang
VM), read from /proc before and after, once the bus has drained (notifications work after the request);
(3) the whole mix at ``--scale`` × the national rates for ``--mix-seconds``: p50/p95 per action at that
rate, and the measured CPU against the one predicted by (2). The national peak's cores per component, two
ways: the national rates × the CPU per action of (2) (``national_peak``), and the mix's CPU / ``--scale``
(``national_peak_from_mix``: the one above the shared broker's noise for RabbitMQ). Results: printed, and
bench/results/peak.json.

Dataset (seeded before the phases): ``--offers`` published offers placed in real communes by population
(``offers_generate``), owned by ``--employers`` real employer accounts; ``--pupils`` pupils imported and
activated through identity, spread over collèges (3e) and lycées (2nde) of eight big cities, two of them
REP+.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg  # noqa: E402
import requests  # noqa: E402

from common.boot import prepare_process  # noqa: E402

prepare_process()
sys.path.insert(0, str(Path(__file__).resolve().parent))
import offers_generate  # noqa: E402 (bench/offers_generate.py)
from common import settings  # noqa: E402
from common.holidays import zone_of_academie  # noqa: E402
from offers.domain import calendar as cal  # noqa: E402
from peak_cpu import ProcSampler  # noqa: E402 (bench/peak_cpu.py)
from testkit.applications import PASSWORD, suite_employer  # noqa: E402
from testkit.harness import Backends, Suite, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SUITE_NAME = "peak"

# -- the national peak -------------------------------------------------------------------------
PUPILS_NATIONAL = 1_400_000          # pupils of 3e and 2nde
FIRST_HOUR_SHARE = 0.10              # of them in the first hour of the opening day
PEAK_PUPILS_PER_HOUR = PUPILS_NATIONAL * FIRST_HOUR_SHARE
# requests per pupil session of the peak hour (assumptions, see bench/README.md): one login, a few searches,
# more offer views, 1.5 applications; half of the applications answered by employers within the hour
# (60 % accepted), and a fifth of the pupils confirming an accepted one
PER_PUPIL = {"login": 1.0, "search": 4.0, "view": 6.0, "apply": 1.5, "answer": 0.75, "confirm": 0.2}
ACTIONS = list(PER_PUPIL)
ACCEPT_SHARE = 0.6
TARGET_CORES = 16
TARGET_P95_MS = 300

# collèges (3e) and lycées (2nde) of eight big cities (data/reference/schools.csv); two REP+ collèges
SCHOOLS = [("0751703U", "3EME"), ("0131884C", "3EME"), ("0692928H", "3EME"), ("0310037X", "3EME"),
           ("0590115E", "3EME"), ("0670105A", "3EME"), ("0440023L", "3EME"), ("0330065S", "3EME"),
           ("0750647W", "2NDE"), ("0130039X", "2NDE"), ("0690048C", "2NDE")]
KEYWORDS = ["boulanger", "informatique", "hopital", "mecanicien", "avocat", "cuisinier", "architecte",
            "journaliste", "pharmacien", "vente"]


def national_rates() -> dict[str, float]:
    """Requests per second of each action during the national peak hour."""
    return {a: PEAK_PUPILS_PER_HOUR * w / 3600 for a, w in PER_PUPIL.items()}


def pct(values, p):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))]


def machine_speed() -> float:
    """Microseconds for ``sum(range(100))``, best of 5 (the shared machine's speed varies: bench/README.md)."""
    import timeit
    return round(min(timeit.repeat("sum(range(100))", number=200_000, repeat=5)) / 200_000 * 1e6, 2)


# -- the run's own platform ----------------------------------------------------------------------
def own_suite_guard(suite: Suite, backends: Backends) -> dict[str, str]:
    """The databases of this run's suite ({service: name}); refuses anything but this run's own ones."""
    prefix = f"t{backends.run_id}_{SUITE_NAME}"
    names = {}
    for service in settings.SERVICES:
        name = suite.env[f"{service.upper()}_DATABASE_URL"].rsplit("/", 1)[1].split("?")[0]
        if name != f"{prefix}_{service}" or name not in backends.databases:
            raise SystemExit(f"refusing to run: {service}'s database {name} is not this run's own")
        names[service] = name
    if not suite.amqp_uri.endswith("/" + prefix) or prefix not in backends.vhosts:
        raise SystemExit(f"refusing to run: vhost of {suite.amqp_uri} is not this run's own")
    return names


def _pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def seed_offers(suite: Suite, count: int, employer_ids: list[str], seed: int) -> dict:
    """``count`` published offers in real communes (by population), each owned by one of ``employer_ids``."""
    import datetime as dt
    t0 = time.perf_counter()
    cols = offers_generate.COLUMNS
    with psycopg.connect(_pg(suite.env["OFFERS_DATABASE_URL"])) as conn:
        with conn.cursor().copy(f"COPY offers ({', '.join(cols)}) FROM STDIN") as copy:
            for n, row in enumerate(offers_generate.generate(count, seed, dt.date.today())):
                owner = employer_ids[n % len(employer_ids)]
                copy.write_row((row[0], row[1], owner, owner, *row[4:]))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE offers")
        published = conn.execute("SELECT count(*) FROM offers WHERE state = 'published'").fetchone()[0]
    return {"offers": published, "seconds": round(time.perf_counter() - t0, 1)}


def seed_pupils(suite: Suite, n: int) -> list[dict]:
    """``n`` pupils spread over ``SCHOOLS``, imported by an admin and activated (with an e-mail address to
    log in with): [{"email", "token", "uai", "grade"}]."""
    per_school = [n // len(SCHOOLS) + (1 if k < n % len(SCHOOLS) else 0) for k in range(len(SCHOOLS))]
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}
    pupils: list[dict] = []
    with suite.rpc(timeout=300) as rpc:
        for (uai, level), count in zip(SCHOOLS, per_school):
            if not count:
                continue
            tag = uuid.uuid4().hex[:8].upper()
            rows = ["Nom;Prénom;Date de naissance;Classe;Niveau;Courriel"]
            for i in range(count):
                rows.append(f"ELEVE{i}-{tag};Camille;04/03/2011;{level[0]}A;{level};eleve{i}.{tag.lower()}@example.com")
            imp = rpc.identity.import_pupils(actor=admin, uai=uai, content_base64=base64.b64encode(
                "\r\n".join(rows).encode()).decode(), filename="classe.csv", with_pdf=False)
            codes = [c for c in imp["codes"] if str(c.get("last_name", "")).upper().endswith(f"-{tag}")]
            replies = []
            for k, c in enumerate(codes):
                email = f"peak.{tag.lower()}.{k}@example.com"
                replies.append((email, rpc.identity.pupil_activate.call_async(
                    code=c["code"], password=PASSWORD, email=email,
                    client={"ip": "10.0.0.1", "user_agent": "peak-bench"})))
            for email, reply in replies:
                session = reply.result()
                claims = session["claims"]
                pupils.append({"email": email, "token": session["access_token"], "uai": uai,
                               "grade": claims.get("grade"), "zone": zone_of_academie(claims.get("academie"))})
    return pupils


def start_smtp_sink() -> tuple[subprocess.Popen, int]:
    """A throw-away SMTP server that accepts and drops every message (notifications' e-mails)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


def bus_depth(suite: Suite) -> int:
    """Messages (ready + unacked) in the queues of the run's vhost."""
    vhost = suite.amqp_uri.rsplit("/", 1)[1]
    out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages"],
                         capture_output=True, text=True).stdout
    return sum(int(line.split()[-1]) for line in out.splitlines() if line.split() and line.split()[-1].isdigit())


def wait_drained(suite: Suite, timeout: float = 60) -> bool:
    """Until the run's queues are empty twice in a row (the consumers have done the phase's work)."""
    deadline, empty = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        empty = empty + 1 if bus_depth(suite) == 0 else 0
        if empty >= 2:
            return True
        eventlet.sleep(0.5)
    return False


# -- the actions -----------------------------------------------------------------------------------
class Platform:
    """What the actions share: the gateway's URL, pupils and employers, and the work each action leaves for
    the next (search results to view, viewed offers to apply to, applications to answer and to confirm)."""

    def __init__(self, url: str, pupils: list[dict], employers: dict[str, str], seed: int):
        self.url = url
        self.pupils = pupils
        self.employers = employers          # user_id -> token
        self.rnd = random.Random(seed)
        self.found: list[tuple[dict, str]] = []      # (pupil, offer id) seen in search results
        self.viewed: list[tuple[dict, dict]] = []    # (pupil, offer) viewed, not applied to yet
        self.submitted: list[tuple[dict, dict]] = []  # (pupil, application) waiting for an answer
        self.accepted: list[tuple[dict, dict]] = []   # (pupil, application) accepted, to confirm
        self.confirmed: set[str] = set()              # pupils with a confirmed internship: they stop looking
        self.seen: set[tuple[str, str]] = set()      # (pupil, offer) already found: viewed at most once
        self.errors: dict[str, list[str]] = {}        # action -> the first answers other than 2xx
        self.sessions: list[requests.Session] = []

    def session(self) -> requests.Session:
        return self.sessions.pop() if self.sessions else requests.Session()

    def call(self, method: str, path: str, token: str | None, body=None, idempotent=False):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if idempotent:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        s = self.session()
        try:
            return s.request(method, self.url + path, json=body, headers=headers, timeout=60)
        finally:
            self.sessions.append(s)

    # each ``prepare_<action>`` picks the action's input now (None: nothing to do yet); ``run`` sends it
    def prepare(self, action: str):
        r = self.rnd
        if action == "login":
            return r.choice(self.pupils)
        if action == "search":
            params = {"radius_km": r.choice([10, 20, 30])}   # around the pupil's school (the default centre)
            if r.random() < 0.3:
                params["q"] = r.choice(KEYWORDS)
            looking = [p for p in self.pupils if p["email"] not in self.confirmed] or self.pupils
            return r.choice(looking), params
        pools = {"view": self.found, "apply": self.viewed, "answer": self.submitted, "confirm": self.accepted}
        pool = pools[action]
        while pool:
            item = pool.pop(r.randrange(len(pool)))
            if action in ("view", "apply") and item[0]["email"] in self.confirmed:
                continue   # found before the pupil confirmed an internship elsewhere
            return item
        return None

    def run(self, action: str, item) -> int:
        if action == "login":
            resp = self.call("POST", "/api/v1/auth/login", None, {"identifier": item["email"], "password": PASSWORD})
            if resp.status_code == 200:
                item["token"] = resp.json()["access_token"]
        elif action == "search":
            pupil, params = item
            q = "&".join(f"{k}={v}" for k, v in params.items())
            resp = self.call("GET", f"/api/v1/offers?{q}", pupil["token"])
            if resp.status_code == 200:
                items = resp.json().get("items") or []
                for o in self.rnd.sample(items, min(3, len(items))):
                    if (pupil["email"], o["id"]) not in self.seen:
                        self.seen.add((pupil["email"], o["id"]))
                        self.found.append((pupil, o["id"]))
        elif action == "view":
            pupil, offer_id = item
            resp = self.call("GET", f"/api/v1/offers/{offer_id}", pupil["token"])
            if resp.status_code == 200:
                self.viewed.append((pupil, resp.json()))
        elif action == "apply":
            pupil, offer = item
            weeks = offer.get("offer_weeks") or offer.get("weeks") or []
            # a week of school in the pupil's zone (as the web's form offers them)
            week = next((w for w in weeks if pupil["zone"] not in (cal.known_holiday_zones(w) or ())),
                        weeks[0] if weeks else None)
            form = {"motivation": "Je voudrais découvrir votre métier.", "email": pupil["email"],
                    "phone": "06 12 34 56 78", "address": "1 rue de la Paix, 75002 Paris",
                    "legal_representative": {"name": "Marie Martin", "email": "marie@example.fr",
                                             "phone": "07 12 34 56 78"}, "week": week}
            resp = self.call("POST", f"/api/v1/offers/{offer['id']}/applications", pupil["token"], form,
                             idempotent=True)
            if resp.status_code == 201:
                self.submitted.append((pupil, resp.json()))
        elif action == "answer":
            pupil, app = item
            token = self.employers[app["employer_id"]]
            if self.rnd.random() < ACCEPT_SHARE:
                resp = self.call("POST", f"/api/v1/applications/{app['id']}/accept", token,
                                 {"message": "Nous vous accueillons avec plaisir."}, idempotent=True)
                if resp.status_code == 200:
                    self.accepted.append((pupil, app))
            else:
                resp = self.call("POST", f"/api/v1/applications/{app['id']}/reject", token,
                                 {"reason": "Nous n'avons plus de tuteur disponible cette semaine."}, idempotent=True)
        else:  # confirm
            pupil, app = item
            resp = self.call("POST", f"/api/v1/applications/{app['id']}/confirm", pupil["token"], idempotent=True)
            if resp.status_code == 200:
                self.confirmed.add(pupil["email"])
        if resp.status_code >= 300 and len(self.errors.setdefault(action, [])) < 5:
            self.errors[action].append(f"{resp.status_code} {resp.text[:500]}")
        return resp.status_code


def schedule(rates: dict[str, float], seconds: float) -> list[tuple[float, str]]:
    """Every action at its fixed rate over ``seconds`` (evenly spaced, each action's first at half a
    period), merged by time."""
    out = []
    for action, rate in rates.items():
        if rate <= 0:
            continue
        period = 1.0 / rate
        t = period / 2
        while t < seconds:
            out.append((t, action))
            t += period
    return sorted(out)


def drive(platform: Platform, plan: list[tuple[float, str]]) -> dict:
    """Send ``plan`` open-loop: each request at its scheduled time (a green thread each), whatever the
    state of the earlier ones. Latency runs from the scheduled time to the full response."""
    results: dict[str, dict] = {a: {"latencies_ms": [], "status": {}, "skipped": 0} for a in ACTIONS}
    late: list[float] = []
    pool = eventlet.GreenPool(2000)

    def one(action, item, due):
        try:
            status = str(platform.run(action, item))
        except requests.RequestException as exc:
            status = type(exc).__name__
        r = results[action]
        r["latencies_ms"].append((time.monotonic() - due) * 1000)
        r["status"][status] = r["status"].get(status, 0) + 1

    t0 = time.monotonic()
    for offset, action in plan:
        due = t0 + offset
        wait = due - time.monotonic()
        if wait > 0:
            eventlet.sleep(wait)
        late.append(time.monotonic() - due)
        item = platform.prepare(action)
        if item is None:
            results[action]["skipped"] += 1
            continue
        pool.spawn(one, action, item, due)
    pool.waitall()
    elapsed = time.monotonic() - t0
    out = {"seconds": round(elapsed, 1), "max_send_lag_ms": round(max(late, default=0) * 1000, 1), "actions": {}}
    for action, r in results.items():
        lat = r["latencies_ms"]
        if not lat and not r["skipped"]:
            continue
        out["actions"][action] = {
            "requests": len(lat), "skipped_nothing_to_do": r["skipped"], "status": r["status"],
            "server_errors": sum(n for s, n in r["status"].items() if not s.isdigit() or s.startswith("5")),
            "p50_ms": round(pct(lat, 50), 1) if lat else None, "p95_ms": round(pct(lat, 95), 1) if lat else None,
            "p99_ms": round(pct(lat, 99), 1) if lat else None}
    return out


# -- phases and CPU ----------------------------------------------------------------------------------
def measured(suite: Suite, sampler: ProcSampler, platform: Platform, plan) -> dict:
    """Drive ``plan``, wait until the bus has drained, and return latencies and the CPU seconds of each
    component (``net_cpu`` subtracts what it spends idle over the same time)."""
    before, t0 = sampler.totals(), time.monotonic()
    out = drive(platform, plan)
    out["bus_drained"] = wait_drained(suite)
    spent = sampler.spent(before, sampler.totals())
    window = time.monotonic() - t0
    out["window_seconds"] = round(window, 1)
    out["cpu_seconds"] = spent
    return out


def idle_cpu(sampler: ProcSampler, seconds: float) -> dict[str, float]:
    """CPU seconds per second of each component while no request is sent."""
    before, t0 = sampler.totals(), time.monotonic()
    eventlet.sleep(seconds)
    spent = sampler.spent(before, sampler.totals())
    window = time.monotonic() - t0
    return {k: v / window for k, v in spent.items()}


def net_cpu(phase: dict, idle_rate: dict) -> None:
    """``cpu_seconds_net``: the phase's CPU seconds minus what each component spends idle over its window."""
    w = phase["window_seconds"]
    phase["cpu_seconds_net"] = {k: round(max(0.0, v - idle_rate.get(k, 0.0) * w), 3)
                                for k, v in phase["cpu_seconds"].items()}


def cpu_per_action(phase: dict, action: str) -> dict:
    """Milliseconds of CPU per answered request of ``action`` for each component (its phase's net CPU)."""
    n = phase["actions"].get(action, {}).get("requests", 0)
    if not n:
        return {}
    return {k: round(v * 1000 / n, 2) for k, v in phase["cpu_seconds_net"].items()}


PLATFORM_COMPONENTS = ("gateway", *settings.SERVICES, "postgresql", "rabbitmq")


def projection(per_action: dict[str, dict]) -> dict:
    """Cores of each component for the national peak hour: national rate × CPU per action."""
    rates = national_rates()
    cores: dict[str, float] = {}
    for action, per in per_action.items():
        for comp, ms in per.items():
            if comp in PLATFORM_COMPONENTS:
                cores[comp] = cores.get(comp, 0.0) + rates[action] * ms / 1000
    total = sum(cores.values())
    return {"national_rates_per_s": {a: round(r, 1) for a, r in rates.items()},
            "cores": {k: round(v, 2) for k, v in sorted(cores.items(), key=lambda kv: -kv[1])},
            "total_cores": round(total, 2), "dominant": max(cores, key=cores.get) if cores else None,
            "target_cores": TARGET_CORES, "within_target": total <= TARGET_CORES}


def projection_from_mix(mix: dict, scale: float, seconds: float) -> dict:
    """Cores of each component for the national peak hour, straight from the mix: it sent ``scale`` × the
    national rates for ``seconds``, so its net CPU seconds / (scale × seconds) are the national cores.
    The one measure of RabbitMQ that stands above the shared broker's noise (the phases are too short)."""
    cores = {k: round(v / (scale * seconds), 2) for k, v in mix["cpu_seconds_net"].items()
             if k in PLATFORM_COMPONENTS}
    cores = dict(sorted(cores.items(), key=lambda kv: -kv[1]))
    total = round(sum(cores.values()), 2)
    return {"cores": cores, "total_cores": total, "dominant": next(iter(cores), None),
            "target_cores": TARGET_CORES, "within_target": total <= TARGET_CORES,
            "postgresql_by_database": {k: round(v / (scale * seconds), 2) for k, v in mix["cpu_seconds_net"].items()
                                       if k.startswith("postgresql.")},
            # the whole broker's CPU during the mix, the other users' traffic included: an upper bound
            "rabbitmq_upper_bound_cores": round(mix["cpu_seconds"].get("rabbitmq", 0.0) / (scale * seconds), 2)}


def markdown(r: dict) -> str:
    """The run's tables, as bench/README.md shows them (also written to bench/results/peak.md)."""
    comps = [c for c in PLATFORM_COMPONENTS if c != "postgresql"] + ["postgresql"]
    per, mix, rates = r["cpu_ms_per_action"], r["mix"], national_rates()
    lines = [f"Run {r['date']} (machine speed {r['machine_speed_before_us']} → {r['machine_speed_after_us']} µs, "
             f"load average {r['load_average_before'][0]:.1f} → {r['load_average_after'][0]:.1f}), "
             f"mix at {r['args']['scale']:g} × the national rates for {r['args']['mix_seconds']:g} s.", "",
             "| action | national rate (/s) | mix rate (/s) | mix requests | statuses | p50 ms | p95 ms | "
             + " | ".join(f"{c} CPU ms" for c in comps) + " |",
             "| --- " * (7 + len(comps)) + "|"]
    for a in ACTIONS:
        m = mix["actions"].get(a, {})
        st = ", ".join(f"{k}: {v}" for k, v in sorted(m.get("status", {}).items()))
        lines.append(f"| {a} | {rates[a]:.1f} | {mix['rates_per_s'][a]:.2f} | {m.get('requests', 0)} | {st} | "
                     f"{m.get('p50_ms')} | {m.get('p95_ms')} | "
                     + " | ".join(f"{per.get(a, {}).get(c, 0):.1f}" for c in comps) + " |")
    nat, direct = r["national_peak"], r["national_peak_from_mix"]
    lines += ["", "| component | cores, from the CPU per action | cores, from the mix |", "| --- | --- | --- |"]
    for c in comps:
        lines.append(f"| {c} | {nat['cores'].get(c, 0):.2f} | {direct['cores'].get(c, 0):.2f} |")
    lines.append(f"| **total** | **{nat['total_cores']:.1f}** | **{direct['total_cores']:.1f}** |")
    lines.append(f"\nRabbitMQ, the whole shared broker's CPU during the mix (other users' traffic included): "
                 f"{direct.get('rabbitmq_upper_bound_cores')} cores at most.")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.02, help="share of the national peak's rates sent in the mix")
    ap.add_argument("--mix-seconds", type=float, default=75)
    ap.add_argument("--phase-rate", type=float, default=4, help="requests/s of each action alone")
    ap.add_argument("--login-rate", type=float, default=1,
                    help="logins/s of the login phase (Argon2id at the production cost: ~0.25 CPU-s each)")
    ap.add_argument("--phase-seconds", type=float, default=12)
    ap.add_argument("--warmup-seconds", type=float, default=10, help="unmeasured mix first (caches, plans)")
    ap.add_argument("--idle-seconds", type=float, default=8)
    ap.add_argument("--offers", type=int, default=20_000)
    ap.add_argument("--pupils", type=int, default=120)
    ap.add_argument("--employers", type=int, default=20)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "peak.json"))
    args = ap.parse_args(argv)
    if not (os.environ.get("STAGES_TEST_PG") and os.environ.get("STAGES_TEST_AMQP")):
        raise SystemExit("STAGES_TEST_PG and STAGES_TEST_AMQP are needed: the benchmark builds its own suite there")
    backends = Backends()
    log_dir = ROOT / "var" / "bench-logs" / backends.run_id
    smtp, smtp_port = start_smtp_sink()
    results = {"run_id": backends.run_id, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine_speed_before_us": machine_speed(), "load_average_before": os.getloadavg(),
               "args": vars(args), "per_pupil": PER_PUPIL, "accept_share": ACCEPT_SHARE,
               "peak_pupils_per_hour": PEAK_PUPILS_PER_HOUR}
    suite = None
    try:
        suite = Suite(backends, log_dir, name=SUITE_NAME, extra_env={
            "LOG_LEVEL": "WARNING", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none"})
        databases = own_suite_guard(suite, backends)
        suite.start_all(timeout=180)
        t0 = time.perf_counter()
        with suite.rpc(timeout=120) as rpc:
            employers = [suite_employer(rpc) for _ in range(args.employers)]
        results["seed"] = {"employers": len(employers),
                           **seed_offers(suite, args.offers, [e["user_id"] for e in employers], args.seed)}
        pupils = seed_pupils(suite, args.pupils)
        results["seed"].update({"pupils": len(pupils), "schools": len(SCHOOLS),
                                "seconds": round(time.perf_counter() - t0, 1)})
        print(json.dumps({"seed": results["seed"]}), flush=True)
        platform = Platform(suite.url, pupils, {e["user_id"]: e["token"] for e in employers}, args.seed)
        named = {proc.pid: name for name, proc in suite.processes.items()}
        named[smtp.pid] = "smtp_sink"
        sampler = ProcSampler(named, {db: f"postgresql.{svc}" for svc, db in databases.items()})
        sampler.start()
        rates = {a: r * args.scale for a, r in national_rates().items()}
        drive(platform, schedule(rates, args.warmup_seconds))
        wait_drained(suite)
        # 1. idle (again at the end: the shared broker's background moves with the other users' runs)
        idle_before = idle_cpu(sampler, args.idle_seconds)
        # 2. each action alone, in the order the work flows
        results["phases"] = {}
        for action in ACTIONS:
            rate = args.login_rate if action == "login" else args.phase_rate
            phase = measured(suite, sampler, platform, schedule({action: rate}, args.phase_seconds))
            results["phases"][action] = phase
            print(json.dumps({action: phase["actions"].get(action, {})}), flush=True)
        # 3. the mix at the scaled national rates
        mix = measured(suite, sampler, platform, schedule(rates, args.mix_seconds))
        mix["rates_per_s"] = {a: round(r, 3) for a, r in rates.items()}
        idle_after = idle_cpu(sampler, args.idle_seconds)
        sampler.stop()
        # what each component spends idle: the mean of before and after (RabbitMQ's moves with the others' runs)
        idle_rate = {k: (idle_before.get(k, 0.0) + idle_after.get(k, 0.0)) / 2 for k in {*idle_before, *idle_after}}
        results["idle_cpu_per_s"] = {"before": {k: round(v, 4) for k, v in idle_before.items()},
                                     "after": {k: round(v, 4) for k, v in idle_after.items()}}
        per_action = {}
        for action, phase in results["phases"].items():
            net_cpu(phase, idle_rate)
            per_action[action] = cpu_per_action(phase, action)
        results["cpu_ms_per_action"] = per_action
        net_cpu(mix, idle_rate)
        predicted: dict[str, float] = {}
        for action, a in mix["actions"].items():
            for comp, ms in per_action.get(action, {}).items():
                predicted[comp] = predicted.get(comp, 0.0) + a["requests"] * ms / 1000
        mix["cpu_seconds_predicted_from_phases"] = {k: round(v, 2) for k, v in predicted.items()}
        results["mix"] = mix
        print(json.dumps({"mix": {k: v for k, v in mix.items() if k != "cpu_seconds"}}, indent=1), flush=True)
        results["non_2xx_examples"] = platform.errors
        results["national_peak"] = projection(per_action)
        results["national_peak_from_mix"] = projection_from_mix(mix, args.scale, args.mix_seconds)
        results["national_peak"]["p95_within_target_at_scaled_rate"] = all(
            (a["p95_ms"] or 0) <= TARGET_P95_MS for a in mix["actions"].values())
        print(json.dumps({"national_peak": results["national_peak"]}, indent=1), flush=True)
    finally:
        if suite is not None:
            suite.stop_all()
        smtp.terminate()
        smtp.wait()
        backends.close()
    results["machine_speed_after_us"] = machine_speed()
    results["load_average_after"] = os.getloadavg()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    if "national_peak_from_mix" in results:
        table = markdown(results)
        out.with_suffix(".md").write_text(table)
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
