"""Benchmark of the applications service, on the real suite (five services + gateway as processes, this
run's own databases and vhost, removed afterwards).

    STAGES_TEST_PG=postgresql://postgres@127.0.0.1:5432/postgres \\
    STAGES_TEST_AMQP=amqp://guest:guest@127.0.0.1:5672/ \\
    .venv/bin/python bench/applications_bench.py [--submissions 600] [--expire 200000] [--confirm 500]

1. Submission through the gateway at 20 concurrent pupils (real tokens from identity, real offers):
   throughput and latency percentiles of POST /api/v1/offers/{id}/applications.
2. Expiry of N overdue applications (rows inserted straight into the applications database, all past
   their deadline): time for the timer's run to expire them all (set-based batches, SKIP LOCKED), and
   time until the relay has published every application.expired event.
3. M pupils confirming concurrently (accepted applications on a few offers with 3 seats each): the
   confirmations that succeed must equal the seats; offers' own count must agree (zero overbooking).

Results are printed and written to bench/results/applications.json.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg  # noqa: E402
import requests  # noqa: E402

from common.boot import prepare_process  # noqa: E402

prepare_process()
import cpu  # noqa: E402 (bench/cpu.py)
from common.db import UnitOfWork, make_engine  # noqa: E402
from common.errors import Conflict  # noqa: E402
from testkit.harness import Backends, Suite  # noqa: E402

from testkit.applications import application_form, suite_employer, suite_offer, suite_pupils  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PUBLISH_WAIT = 300  # seconds we wait for the relay before reporting how far it got


def pct(values, p):
    values = sorted(values)
    if not values:
        return None
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def bench_submissions(suite: Suite, total: int, clients: int = 20) -> dict:
    with suite.rpc(timeout=120) as rpc:
        emp = suite_employer(rpc)
        pupils = suite_pupils(rpc, clients)
        per_pupil = max(1, total // clients)
        offers = [suite_offer(rpc, emp["user_id"], seats=50) for _ in range(per_pupil)]
    latencies: list[float] = []
    errors: list[str] = []

    def worker(p):
        http = requests.Session()
        for o in offers:
            t0 = time.perf_counter()
            r = http.post(f"{suite.url}/api/v1/offers/{o['id']}/applications",
                          json=application_form(o["offer_weeks"][0]),
                          headers={"Authorization": f"Bearer {p['token']}", "Idempotency-Key": str(uuid.uuid4())},
                          timeout=60)
            latencies.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 201:
                errors.append(f"{r.status_code} {r.text[:200]}")
        http.close()

    started = time.perf_counter()
    pool = eventlet.GreenPool(clients)
    for p in pupils:
        pool.spawn(worker, p)
    pool.waitall()
    elapsed = time.perf_counter() - started
    n = len(latencies)
    return {"clients": clients, "requests": n, "errors": len(errors), "first_errors": errors[:3],
            "seconds": round(elapsed, 2), "throughput_rps": round(n / elapsed, 1),
            "p50_ms": round(pct(latencies, 50), 1), "p95_ms": round(pct(latencies, 95), 1),
            "p99_ms": round(pct(latencies, 99), 1), "mean_ms": round(statistics.mean(latencies), 1)}


def _pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def connect(url: str, **kw):
    """The machine's PostgreSQL is shared (max_connections 100): wait for a free slot."""
    for _ in range(120):
        try:
            return psycopg.connect(url, **kw)
        except psycopg.OperationalError as exc:
            if "too many clients" not in str(exc):
                raise
            time.sleep(1)
    return psycopg.connect(url, **kw)


OVERDUE_SQL = """
INSERT INTO applications (id, offer_id, employer_id, pupil_id, school_uai, academie_code, school_category,
    grade, weeks, motivation, state, submitted_at, accepted_at, updated_at, deadline_at,
    deadline_action, reminder_at, reminder_to, space_id)
SELECT gen_random_uuid()::text, md5('o' || (i %% 60000))::uuid::text, md5('e' || (i %% 20000))::uuid::text,
       gen_random_uuid()::text, s.uai, s.academie, s.category, 'troisieme', ARRAY['2027-W05'],
       'Je souhaite découvrir ce métier.',
       (ARRAY['submitted','read_by_employer','transferred','restored','accepted_by_employer'])[1 + i %% 5],
       now() - interval '40 days', CASE WHEN i %% 5 = 4 THEN now() - interval '20 days' END,
       now() - interval '40 days', now() - interval '1 minute' - (i %% 1000) * interval '1 second',
       CASE WHEN i %% 5 = 4 THEN 'expire_by_pupil' ELSE 'expire' END, now() - interval '4 days', 'employer',
       md5('e' || (i %% 20000))::uuid::text
FROM generate_series(1, %(count)s) AS i
JOIN bench_schools s ON s.n = (hashint4(i) & 2147483647) %% %(schools)s
"""


def _schools() -> list[tuple]:
    """(n, uai, académie, category) of the real collèges and lycées (data/reference/schools.csv)."""
    import csv
    with open(ROOT / "data/reference/schools.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["kind"] in ("college", "lycee")]
    category = {"REP+": "rep_plus", "REP": "rep"}
    return [(k, r["uai"], r["academie_code"],
             category.get(r["education_prioritaire"], "qpv" if r["qpv"] == "1" else "other"))
            for k, r in enumerate(rows)]


def load_overdue(url: str, count: int) -> float:
    """``count`` overdue applications of every waiting kind (15-day ones: submitted, read, restored;
    transferred ones, 30 days; accepted ones the pupil did not confirm), spread like real ones: over
    the 13,300 collèges and lycées, 20,000 employers and 60,000 offers."""
    schools = _schools()
    with connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE outbox, application_transitions, applications CASCADE")
        t0 = time.perf_counter()
        conn.execute("CREATE TEMP TABLE bench_schools (n int, uai text, academie text, category text)")
        with conn.cursor().copy("COPY bench_schools FROM STDIN") as copy:
            for row in schools:
                copy.write_row(row)
        conn.execute(OVERDUE_SQL, {"count": count, "schools": len(schools)})
        conn.execute("VACUUM ANALYZE applications")
        conn.execute("VACUUM ANALYZE outbox")
        return time.perf_counter() - t0


def wait_published(conn) -> int:
    """Wait (at most PUBLISH_WAIT) until the relay has published every outbox row; returns how many are
    still pending."""
    # An EXISTS stops at the first pending row (~0.2 ms); a count(*) of 200,000 pending rows costs
    # 20-100 ms of PostgreSQL, and polled five times a second it took CPU from the relay it measured.
    deadline = time.monotonic() + PUBLISH_WAIT
    while conn.execute("SELECT EXISTS (SELECT FROM outbox WHERE published_at IS NULL)").fetchone()[0]:
        if time.monotonic() >= deadline:
            return conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
        time.sleep(0.2)
    return 0


def bench_expiry(suite: Suite, count: int, consumers: bool) -> dict:
    """One timer run over ``count`` overdue applications, then until the relay has published every
    application.expired event (the broker confirmed it). ``consumers=False``: notifications (the
    only service bound to application.expired) is stopped meanwhile, as if it ran on machines of its
    own; its queue keeps the events, and the rate at which it then works through them is measured."""
    url = _pg(suite.env["APPLICATIONS_DATABASE_URL"])
    load_s = load_overdue(url, count)
    if not consumers:
        suite.stop("notifications")
    cpu0 = _cpu()
    with suite.rpc(timeout=600) as rpc:
        t0 = time.perf_counter()
        out = rpc.applications.run_timer()
        expire_s = time.perf_counter() - t0
    with connect(url, autocommit=True) as conn:
        # the relay publishes (pipelined confirms) while the timer writes; wait until it has sent them all
        pending = wait_published(conn)
        published_s = time.perf_counter() - t0
        cpu1 = _cpu()
        left = conn.execute("SELECT count(*) FROM applications WHERE deadline_at <= now()").fetchone()[0]
        history = conn.execute("SELECT count(*) FROM application_transitions WHERE actor_role = 'system'").fetchone()[0]
        outbox = conn.execute("SELECT count(*) FROM outbox WHERE type = 'application.expired'").fetchone()[0]
        sent = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL").fetchone()[0]
    result = {"applications": count, "consumers_running": consumers, "load_seconds": round(load_s, 1),
              "expired": out["expired"], "expire_seconds": round(expire_s, 2), "still_overdue": left,
              "history_rows": history, "events_written": outbox, "events_published": sent,
              "events_pending_after_wait": pending,
              "expire_and_publish_seconds": round(published_s, 2),
              "publish_rate_per_s": round(sent / max(published_s, 1e-6)),
              "machine_busy_cpu_seconds": round(cpu1[0] - cpu0[0], 1),
              "machine_cpu_seconds": round(cpu1[1] - cpu0[1], 1)}
    if not consumers:
        suite.start("notifications")
        suite.wait_ready()
        result["notifications_consumption_per_s"] = _consumption_rate(suite, "application.expired", 30)
    return result


class _TimerDb:
    """What ``use_cases.expiry.expire_due`` needs of a database (``repository.Store``), outside a service container: units of work on an
    engine (there is no relay to wake: the applications service is stopped meanwhile)."""

    def __init__(self, engine):
        self.engine = engine

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self)

    def wake_relay(self) -> None:
        pass


def bench_expiry_split(suite: Suite, count: int) -> dict:
    """The two halves of the expiry apart, in the same run: the service's own timer code
    (``use_cases.expiry.expire_due``, same batches and loops) run by this process while the applications and
    notifications services are stopped (so no relay competes for the CPU), then the applications
    service started again and its relay alone publishing the 200,000 events written meanwhile."""
    import datetime as dt

    from applications.repository import Store
    from applications.settings import EXPIRY_BATCH, EXPIRY_WORKERS
    from applications.use_cases.expiry import expire_due
    url = _pg(suite.env["APPLICATIONS_DATABASE_URL"])
    load_s = load_overdue(url, count)
    suite.stop("notifications")
    suite.stop("applications")
    engine = make_engine(suite.env["APPLICATIONS_DATABASE_URL"], pool_size=EXPIRY_WORKERS)
    cpu0, t0, by_component = _cpu(), time.perf_counter(), _cpu_by_component(suite)
    try:
        expired = expire_due(Store(_TimerDb(engine)), dt.datetime.now(dt.timezone.utc), EXPIRY_BATCH, EXPIRY_WORKERS)
    finally:
        engine.dispose()
    expire_s, cpu1, expire_cpu = time.perf_counter() - t0, _cpu(), cpu.spent(by_component, _cpu_by_component(suite))
    suite.start("applications")  # the relay starts with the service; /readyz waits for notifications
    by_component = _cpu_by_component(suite)
    with connect(url, autocommit=True) as conn:
        pending = wait_published(conn)
        cpu2, relay_cpu = _cpu(), cpu.spent(by_component, _cpu_by_component(suite))
        # the relay's own span, from its first published row to its last (service start-up excluded)
        publish_s = conn.execute("SELECT extract(epoch FROM max(published_at) - min(published_at)) FROM outbox "
                                 "WHERE type = 'application.expired'").fetchone()[0]
    publish_s = float(publish_s or 0)
    suite.start("notifications")
    suite.wait_ready()
    return {"applications": count, "load_seconds": round(load_s, 1), "workers": EXPIRY_WORKERS,
            "batch": EXPIRY_BATCH, "expired": expired, "database_expire_seconds": round(expire_s, 2),
            "database_busy_cpu_seconds": round(cpu1[0] - cpu0[0], 1), "database_cpu_by_component": expire_cpu,
            "relay_publish_seconds": round(publish_s, 2), "events_pending_after_wait": pending,
            "relay_publish_rate_per_s": round(count / max(publish_s, 1e-6)),
            "service_start_and_relay_busy_cpu_seconds": round(cpu2[0] - cpu1[0], 1),
            "relay_cpu_by_component": relay_cpu}


def machine_speed() -> float:
    """Microseconds for ``sum(range(100))``, best of 5: this shared machine's speed varies (see
    bench/README.md), so each run records it."""
    import timeit
    return round(min(timeit.repeat("sum(range(100))", number=200_000, repeat=5)) / 200_000 * 1e6, 2)


def _cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:8]]
    hz = os.sysconf("SC_CLK_TCK")
    return sum(values[:3]) / hz, sum(values) / hz


def _cpu_by_component(suite: Suite) -> dict:
    """CPU seconds so far of PostgreSQL, RabbitMQ and each service process of ``suite``."""
    return cpu.by_component({proc.pid: name for name, proc in suite.processes.items()})


def _consumption_rate(suite: Suite, event_type: str, seconds: float) -> float:
    """Messages per second the queues bound to ``event_type`` lose over ``seconds``."""
    vhost = suite.amqp_uri.rsplit("/", 1)[1]

    def depth():
        out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages"],
                             capture_output=True, text=True).stdout
        return sum(int(line.split()[1]) for line in out.splitlines()[1:]
                   if event_type in line and line.split()[1].isdigit())
    before, t0 = depth(), time.monotonic()
    time.sleep(seconds)
    return round((before - depth()) / (time.monotonic() - t0), 1)


def bench_confirmations(suite: Suite, count: int, offers_n: int = 10, seats: int = 3) -> dict:
    with suite.rpc(timeout=120) as rpc:
        emp = suite_employer(rpc)
        offers = [suite_offer(rpc, emp["user_id"], seats=seats) for _ in range(offers_n)]
        pairs = []
        for i in range(count):
            o = offers[i % offers_n]
            actor = {"user_id": str(uuid.uuid4()), "role": "pupil", "function": None, "school_uai": "0131884C",
                     "grade": "troisieme", "school_rep": "REP+", "school_qpv": True, "academie": "02"}
            app = rpc.applications.submit(actor=actor, offer_id=o["id"], form=application_form(o["offer_weeks"][0]))
            pairs.append((actor, app["id"], o["id"]))
        by_offer: dict[str, list[str]] = {}
        for _, app_id, offer_id in pairs:
            by_offer.setdefault(offer_id, []).append(app_id)
        for offer_id, ids in by_offer.items():
            for k in range(0, len(ids), 200):
                rpc.applications.bulk(actor=emp["actor"], action="accept", application_ids=ids[k:k + 200])
    # every pupil confirms at once: all calls are on the bus before the first reply is read
    results = {"confirmed": 0, "no_seat_left": 0, "other": [], "retried": 0}

    def outcome(reply):
        try:
            state = reply.result()["state"]
            return "confirmed" if state == "confirmed" else state
        except Conflict as exc:
            return exc.code
        except Exception as exc:  # e.g. the shared PostgreSQL out of connections: the client retries
            return f"error:{type(exc).__name__}"

    with suite.rpc(timeout=300) as rpc:
        t0 = time.perf_counter()
        replies = [rpc.applications.confirm.call_async(actor=a, application_id=i) for a, i, _ in pairs]
        outcomes = [outcome(r) for r in replies]
        elapsed = time.perf_counter() - t0
        for k, (a, i, _) in enumerate(pairs):  # retries are safe: confirm is idempotent
            while outcomes[k].startswith("error:"):
                results["retried"] += 1
                outcomes[k] = outcome(rpc.applications.confirm.call_async(actor=a, application_id=i))
        for o in outcomes:
            if o in ("confirmed", "no_seat_left"):
                results[o] += 1
            else:
                results["other"].append(o)
        seats_taken = sum(rpc.offers.get_offer(o["id"])["seats_taken"] for o in offers)
    url = _pg(suite.env["APPLICATIONS_DATABASE_URL"])
    with connect(url) as conn:
        per_offer = conn.execute("SELECT offer_id, count(*) FROM applications WHERE state = 'confirmed' "
                                 "AND offer_id = ANY(%s) GROUP BY offer_id", ([o["id"] for o in offers],)).fetchall()
    over = [(o, n) for o, n in per_offer if n > seats]
    return {"pupils": count, "offers": offers_n, "seats_per_offer": seats, "total_seats": offers_n * seats,
            "confirmed": results["confirmed"], "refused_no_seat": results["no_seat_left"],
            "other_errors": results["other"][:5], "retried_after_server_error": results["retried"],
            "seats_taken_in_offers": seats_taken,
            "overbooked_offers": len(over), "seconds": round(elapsed, 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--submissions", type=int, default=600)
    ap.add_argument("--expire", type=int, default=200_000)
    ap.add_argument("--confirm", type=int, default=500)
    ap.add_argument("--skip", action="append", default=[], choices=["submit", "expire", "confirm"])
    ap.add_argument("--only-split", action="store_true", help="of the expiry scenarios, only expiry_split")
    args = ap.parse_args(argv)
    backends = Backends()
    log_dir = ROOT / "var" / "bench-logs" / backends.run_id
    # the service's own timer stays out of the way: the benchmark calls run_timer itself
    suite = Suite(backends, log_dir, extra_env={"APPLICATIONS_EXPIRY_INTERVAL": "3600", "LOG_LEVEL": "WARNING"})
    results = {"run_id": backends.run_id, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine_speed_before_us": machine_speed()}
    try:
        suite.start_all()
        if "submit" not in args.skip:
            results["submission"] = bench_submissions(suite, args.submissions)
            print(json.dumps({"submission": results["submission"]}, indent=2), flush=True)
        if "confirm" not in args.skip:
            results["confirmation"] = bench_confirmations(suite, args.confirm)
            print(json.dumps({"confirmation": results["confirmation"]}, indent=2), flush=True)
        if "expire" not in args.skip and not args.only_split:
            results["expiry_producer"] = bench_expiry(suite, args.expire, consumers=False)
            print(json.dumps({"expiry_producer": results["expiry_producer"]}, indent=2), flush=True)
            results["expiry_whole_suite"] = bench_expiry(suite, args.expire, consumers=True)
            print(json.dumps({"expiry_whole_suite": results["expiry_whole_suite"]}, indent=2), flush=True)
        if "expire" not in args.skip:
            results["expiry_split"] = bench_expiry_split(suite, args.expire)
            print(json.dumps({"expiry_split": results["expiry_split"]}, indent=2), flush=True)
    finally:
        suite.stop_all()
        backends.close()
    results["machine_speed_after_us"] = machine_speed()
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "applications.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
