"""Offer search benchmark: 100,000 published offers, 10 concurrent clients.

    .venv/bin/python bench/offers_bench.py [--count 100000] [--duration 20] [--clients 10] [--regen]

1. Prepares the database ``offers_bench`` (created, migrated, reference data loaded, and
   ``bench/offers_generate.py`` run when it does not hold --count bench offers).
2. Starts the offers service (``nameko run``) and the real gateway (``bench/offers_gateway.py``,
   which adds a ``GET /bench/echo`` baseline route) as processes, on a RabbitMQ vhost of their own.
3. Measures, each for --duration seconds with --clients concurrent clients (threads with keep-alive
   HTTP connections, or one PostgreSQL connection each):
   * ``echo``: GET /bench/echo with the same pupils' tokens (HTTP -> gateway: token check ->
     RPC offers.echo -> reply);
   * ``search``: GET /api/v1/offers as pupils (signed tokens: grade, REP/QPV school), place = a
     commune drawn by population, radius 10/20/30 km, 30 % with a keyword, 15 % with a sector,
     20 % with a week;
   * ``database``: the search SQL of the same requests (``offers.queries.search_sql``) run directly on
     PostgreSQL by pgbench, prepared as the service's statements are (and, beside it, planned at
     every run).
4. Prints EXPLAIN (ANALYZE, BUFFERS) of the three query shapes, and writes everything to
   bench/results/offers.json and bench/results/offers.md.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import cpu  # bench/cpu.py

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DB = os.environ.get("BENCH_OFFERS_DB", "offers_bench")
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
VHOST = "offers_bench"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
KEYWORDS = ["boulanger", "developpeur", "infirmier", "mecanicien", "journaliste", "avocat", "cuisinier",
            "architecte", "vendeur", "technicien", "agriculteur", "pharmacien", "coiffeur", "comptable",
            "libraire", "electricien", "veterinaire", "pompier", "graphiste", "logisticien"]


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(name, latencies, duration, errors):
    ms = [x * 1000 for x in latencies]
    return {"name": name, "requests": len(ms), "errors": errors, "duration_s": round(duration, 2),
            "throughput_rps": round(len(ms) / duration, 1),
            "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2), "mean_ms": round(statistics.mean(ms), 2)}


def machine_speed() -> float:
    """Microseconds for ``sum(range(100))``, best of 5 (this shared machine's speed varies by 1.5x
    over an evening: numbers of runs are comparable only at a similar speed)."""
    import timeit
    return round(min(timeit.repeat("sum(range(100))", number=200_000, repeat=5)) / 200_000 * 1e6, 2)


# -- setup ----------------------------------------------------------------------------------

def prepare(count: int, regen: bool, env: dict) -> None:
    import psycopg
    subprocess.run([PY, "-m", "common.manage", "createdb", "offers"], env=env, check=True)
    subprocess.run([PY, "-m", "common.manage", "migrate", "offers"], env=env, check=True)
    with psycopg.connect(f"{PG}/{DB}") as conn:
        communes = conn.execute("SELECT count(*) FROM communes").fetchone()[0]
        bench = conn.execute("SELECT count(*) FROM offers WHERE employer_id = %s",
                             ("00000000-0000-4000-8000-00000000be4c",)).fetchone()[0]
    if communes < 30000:
        subprocess.run([PY, "-m", "common.manage", "load-reference", "offers"], env=env, check=True)
    if regen or bench != count:
        subprocess.run([PY, str(ROOT / "bench" / "offers_generate.py"), "--url", f"{PG}/{DB}",
                        "--count", str(count)], env=env, check=True)
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE offers")


def ensure_vhost() -> str:
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", VHOST], capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    return f"pyamqp://guest:guest@127.0.0.1:5672/{VHOST}"


def start_processes(env: dict, log_dir: Path) -> list[subprocess.Popen]:
    log_dir.mkdir(parents=True, exist_ok=True)
    procs = []
    procs.append(subprocess.Popen(
        [PY, "-m", "nameko", "run", "--config", str(ROOT / "services/offers/config.yml"),
         "offers.service:OffersService"], env=env, cwd=str(ROOT / "services/offers"),
        stdout=open(log_dir / "offers.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True))
    procs.append(subprocess.Popen(
        [PY, str(ROOT / "bench/offers_gateway.py")], env=env, cwd=str(ROOT),
        stdout=open(log_dir / "gateway.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"a benchmark process exited; see {log_dir}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            c.request("GET", "/bench/echo")
            if c.getresponse().status == 200:
                return procs
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the gateway did not answer in 60 s")


def stop_processes(procs):
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


# -- workload -------------------------------------------------------------------------------

def make_key():
    from cryptography.hazmat.primitives.asymmetric import rsa
    import jwt
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return key, {"keys": [{**public, "kid": "bench", "use": "sig", "alg": "RS256"}]}


def make_token(key, claims):
    import jwt
    now = dt.datetime.now(dt.timezone.utc)
    body = {"sub": str(uuid.uuid4()), "iss": "stages-identity", "aud": "stages-api", "iat": now,
            "exp": now + dt.timedelta(hours=2), "typ": "access", **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "bench"})


def workload(n: int, seed: int, key) -> list[dict]:
    """n search requests: (query params, viewer claims, token)."""
    from offers.domain import calendar as cal
    rnd = random.Random(seed)
    communes = []
    with open(ROOT / "data/reference/communes.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["lat"] and r["kind"] == "commune" and r["zone"] != "com":
                communes.append((r["insee_code"], int(r["population"] or 1)))
    picks = rnd.choices([c[0] for c in communes], weights=[c[1] for c in communes], k=n)
    today = dt.date.today()
    year = cal.school_year_of(today)
    weeks = [w for w in cal.college_weeks(year) if not cal.week_is_past(w, today)]
    tokens = {}
    out = []
    for i in range(n):
        grade = rnd.choice(["quatrieme", "troisieme", "troisieme", "seconde"])
        rep = rnd.random() < 0.1
        qpv = (not rep) and rnd.random() < 0.05
        claims = {"role": "pupil", "grade": grade, "school_uai": "0710001A", "school_rep": rep, "school_qpv": qpv}
        tk = (grade, rep, qpv)
        if tk not in tokens:
            tokens[tk] = make_token(key, claims)
        params = {"commune": picks[i], "radius_km": rnd.choice([10, 20, 20, 30])}
        if rnd.random() < 0.30:
            params["q"] = rnd.choice(KEYWORDS)
        if rnd.random() < 0.15:
            params["sector"] = f"s{rnd.randint(1, 51)}"
        if grade != "seconde" and weeks and rnd.random() < 0.20:
            params["week"] = rnd.choice(weeks)
        out.append({"params": params, "claims": claims, "token": tokens[tk]})
    return out


COMPONENTS = ("bench", "gateway", "offers", "rabbitmq", "postgresql", "all")


def per_request(cpu_seconds: dict, requests_: int) -> dict:
    """CPU milliseconds per request of each component (the client threads are "bench")."""
    out = {k: round(v * 1000 / max(requests_, 1), 2) for k, v in cpu_seconds.items()}
    out["all"] = round(sum(cpu_seconds.values()) * 1000 / max(requests_, 1), 2)
    return out


def run_clients(clients: int, duration: float, do_one) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker(idx):
        state = {}
        i = idx
        local, errs = [], 0
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            ok = do_one(state, i)
            dtm = time.perf_counter() - t0
            if ok:
                local.append(dtm)
            else:
                errs += 1
            i += clients
        with lock:
            latencies.extend(local)
            errors[0] += errs
    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], time.monotonic() - started


def http_get(state, path, token=None):
    conn = state.get("conn")
    if conn is None:
        conn = state["conn"] = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            state.setdefault("bad", []).append((resp.status, body[:300]))
        return resp.status == 200
    except (OSError, http.client.HTTPException):
        state["conn"] = None
        conn.close()
        return False


def db_queries(requests_: list[dict], url: str) -> list[tuple[str, dict, bool]]:
    """The first statement the service runs for each request (``offers.use_cases.search.page``), with its
    parameters and whether it takes the KNN path."""
    import psycopg
    from offers.queries import search_sql
    from offers.domain import search as sd
    today = dt.date.today()
    centres = {}
    with psycopg.connect(url) as conn:
        for r in requests_:
            c = r["params"]["commune"]
            if c not in centres:
                centres[c] = conn.execute("SELECT lat, lon FROM communes WHERE insee_code = %s", (c,)).fetchone()
    out = []
    for r in requests_:
        p = sd.parse_search_params({k: str(v) for k, v in r["params"].items()}, today)
        viewer = sd.viewer_from_actor(r["claims"])
        grade = sd.effective_grade(p, viewer)
        centre = centres[r["params"]["commune"]]
        if search_sql.priority_sql(viewer):
            sql, params = search_sql.build_priority_page(p, viewer, grade, centre, today - dt.timedelta(days=1),
                                                         limit=31)
        else:
            sql, params = search_sql.build_search(p, viewer, grade, centre, today - dt.timedelta(days=1),
                                                  limit=31, offset=0)
        out.append((to_psycopg(sql), params, search_sql.uses_knn(p, centre)))
    return out


def to_psycopg(sql: str) -> str:
    import re
    return re.sub(r"(?<!:):([a-z_]+)", r"%(\1)s", sql)


EXPLAIN_CASES = {
    "place only (KNN on the GiST index), Paris, 20 km, troisieme": {"commune": "75056", "radius_km": "20"},
    "place + keyword (GIN: text + grid cells), Paris, 20 km, 'boulanger'": {
        "commune": "75056", "radius_km": "20", "q": "boulanger"},
    "place + keyword + sector + week (GIN), Lyon, 30 km": {
        "commune": "69123", "radius_km": "30", "q": "technicien", "sector": "s35", "week": None},
}


def pgbench_search(queries, url: str, clients: int, duration: float, work: Path, prepared: bool = True) -> dict:
    """The search statements run by pgbench (a C client: the client's own cost does not crowd the
    database out of the 2 cores as 10 Python threads did), ``clients`` connections in all, as the
    service runs them: KNN statements on connections with bitmap scans off, the others on plain
    ones, the clients split in proportion. ``prepared``: each statement is planned once per
    connection and then only executed (``-M prepared``), as the service's are (psycopg prepares a
    statement run for the fifth time on a connection, and PostgreSQL then keeps a generic plan: 2,800
    of 2,893 executions measured); otherwise planned at every run. Returns the percentiles over
    every statement run."""
    import psycopg
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*"):
        old.unlink()
    with psycopg.connect(url) as conn:
        cur = psycopg.ClientCursor(conn)
        literal = [(cur.mogrify(sql, params), knn) for sql, params, knn in queries]
    groups = {True: [q for q, knn in literal if knn], False: [q for q, knn in literal if not knn]}
    share = len(groups[True]) / len(literal)
    split = {True: max(1, round(clients * share)), False: max(1, clients - max(1, round(clients * share)))}
    if clients == 1:
        split = None
    procs = []
    parts = [(True, groups[True]), (False, groups[False])]
    for knn, statements in parts:
        files = []
        for k, sql in enumerate(statements[:128]):  # pgbench takes at most 128 scripts
            f = work / f"{'knn' if knn else 'gin'}_{k:03d}.sql"
            f.write_text(sql.replace("\n", " ") + ";\n")
            files.append(f)
        n = (split or {True: 1, False: 1})[knn]
        cmd = ["pgbench", "-n", "-M", "prepared" if prepared else "extended", "-T", str(int(duration)),
               "-c", str(n), "-j", str(n), "-l", "--log-prefix", str(work / ("knn" if knn else "gin")), "-d", url]
        for f in files:
            cmd += ["-f", f"{f}@1"]
        env = dict(os.environ, PGOPTIONS="-c enable_bitmapscan=off" if knn else "")
        if split is None:  # one client: one kind after the other
            subprocess.run(cmd, env=env, check=True, capture_output=True)
        else:
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"pgbench failed: {err.decode()[-500:]}")
    label = "" if prepared else ", planned at every run"
    latencies = {True: [], False: []}
    for log_file in work.glob("*.*"):
        if log_file.suffix == ".sql":
            continue
        knn = log_file.name.startswith("knn")
        with open(log_file) as f:
            latencies[knn].extend(int(line.split()[2]) / 1e6 for line in f if line.strip())
    if split is None:
        # one client ran each kind for ``duration``: weigh them as the workload mixes them
        mixed = _weighted(latencies[True], share) + _weighted(latencies[False], 1 - share)
        return summary(f"search SQL on PostgreSQL (pgbench), 1 client{label}", mixed, duration * 2, 0) | {
            "throughput_rps": round(len(latencies[True] + latencies[False]) / (duration * 2), 1),
            "knn_share": round(share, 3)}
    both = latencies[True] + latencies[False]
    return summary(f"search SQL on PostgreSQL (pgbench), {clients} clients{label}", both, duration, 0) | {
        "knn_share": round(share, 3), "clients_knn": split[True], "clients_other": split[False]}


def _weighted(values: list[float], weight: float, n: int = 10_000) -> list[float]:
    """``n * weight`` values drawn evenly from ``values`` (to mix two samples in given proportions)."""
    if not values:
        return []
    s_ = sorted(values)
    k = max(1, int(n * weight))
    return [s_[int(i * len(s_) / k)] for i in range(k)]


def explain(url: str) -> dict:
    import psycopg
    from offers.queries import search_sql
    from offers.domain import calendar as cal
    from offers.domain import search as sd
    today = dt.date.today()
    year = cal.school_year_of(today)
    week = [w for w in cal.college_weeks(year) if not cal.week_is_past(w, today)][4]
    out = {}
    with psycopg.connect(url) as conn:
        for label, raw in EXPLAIN_CASES.items():
            raw = {k: (v if v is not None else week) for k, v in raw.items()}
            p = sd.parse_search_params(raw, today)
            viewer = sd.viewer_from_actor({"role": "pupil", "grade": "troisieme", "school_uai": "0710001A"})
            centre = conn.execute("SELECT lat, lon FROM communes WHERE insee_code = %s", (raw["commune"],)).fetchone()
            sql, params = search_sql.build_search(p, viewer, "troisieme", centre, today - dt.timedelta(days=1),
                                                  limit=31, offset=0)
            conn.execute("SET enable_bitmapscan = %s" % ("off" if search_sql.uses_knn(p, centre) else "on"))
            conn.execute(to_psycopg(sql), params).fetchall()  # warm
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + to_psycopg(sql), params).fetchall()
            out[label] = "\n".join(r[0] for r in plan)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--regen", action="store_true")
    ap.add_argument("--no-nodelay", action="store_true",
                    help="measure the gateway as it is (no TCP_NODELAY: ~40 ms keep-alive stalls on large responses)")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT / "services/offers"))
    env = dict(os.environ)
    env.update({"OFFERS_DATABASE_URL": f"postgresql+psycopg://{PG.split('://', 1)[1]}/{DB}",
                "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1",
                "OFFERS_TIMER_INTERVAL": "86400"})
    prepare(args.count, args.regen, env)
    key, jwks = make_key()
    env.update({"AMQP_URI": ensure_vhost(), "GATEWAY_ADDRESS": f"127.0.0.1:{PORT}", "BENCH_JWKS": json.dumps(jwks),
                "BENCH_NODELAY": "0" if args.no_nodelay else "1"})
    reqs = workload(5000, 7, key)
    paths = ["/api/v1/offers?" + urllib.parse.urlencode(r["params"]) for r in reqs]
    log_dir = ROOT / "var" / "bench-logs" / "offers"
    procs = start_processes(env, log_dir)
    results = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "offers": args.count,
               "load_average_before": os.getloadavg(), "machine_speed_before_us": machine_speed(),
               "clients": args.clients, "duration_s": args.duration, "cores": os.cpu_count(),
               "tcp_nodelay": not args.no_nodelay}
    try:
        # warm-up (connections, caches)
        run_clients(args.clients, 3, lambda s, i: http_get(s, paths[i % len(paths)], reqs[i % len(reqs)]["token"]))
        # the echo carries the same pupils' tokens: the gateway verifies them as for a search
        run_clients(args.clients, 2, lambda s, i: http_get(s, "/bench/echo", reqs[i % len(reqs)]["token"]))
        named = {procs[0].pid: "offers", procs[1].pid: "gateway"}
        before = cpu.by_component(named)
        lat, err, d = run_clients(args.clients, args.duration,
                                  lambda s, i: http_get(s, "/bench/echo", reqs[i % len(reqs)]["token"]))
        results["echo"] = summary("gateway -> offers.echo", lat, d, err)
        results["echo"]["cpu_ms_per_request"] = per_request(cpu.spent(before, cpu.by_component(named)), len(lat))
        print(results["echo"], flush=True)
        bad = []

        def search_one(s, i):
            ok = http_get(s, paths[i % len(paths)], reqs[i % len(reqs)]["token"])
            if s.get("bad"):
                bad.extend(s.pop("bad"))
            return ok
        before = cpu.by_component(named)
        lat, err, d = run_clients(args.clients, args.duration, search_one)
        results["search"] = summary("gateway search", lat, d, err)
        results["search"]["cpu_ms_per_request"] = per_request(cpu.spent(before, cpu.by_component(named)), len(lat))
        if bad:
            results["search"]["first_errors"] = [f"{c}: {b.decode(errors='replace')}" for c, b in bad[:3]]
        print(results["search"], flush=True)
        lat, err, d = run_clients(1, min(args.duration, 8),
                                  lambda s, i: http_get(s, "/bench/echo", reqs[i % len(reqs)]["token"]))
        results["echo_1_client"] = summary("gateway -> offers.echo, 1 client", lat, d, err)
        lat, err, d = run_clients(1, min(args.duration, 8), search_one)
        results["search_1_client"] = summary("gateway search, 1 client", lat, d, err)
        print(results["echo_1_client"], results["search_1_client"], flush=True)
    finally:
        stop_processes(procs)

    url = f"{PG}/{DB}"
    queries = db_queries(reqs[:2000], url)
    work = ROOT / "var" / "bench-logs" / "offers-pgbench"
    results["database"] = pgbench_search(queries, url, args.clients, args.duration, work)
    print(results["database"], flush=True)
    results["database_1_client"] = pgbench_search(queries, url, 1, min(args.duration, 10), work)
    print(results["database_1_client"], flush=True)
    results["database_planned"] = pgbench_search(queries, url, args.clients, args.duration, work, prepared=False)
    results["database_planned_1_client"] = pgbench_search(queries, url, 1, min(args.duration, 10), work,
                                                          prepared=False)
    print(results["database_planned"], results["database_planned_1_client"], flush=True)
    results["load_average_after"] = os.getloadavg()
    results["machine_speed_after_us"] = machine_speed()
    results["search_vs_echo_throughput"] = round(results["search"]["throughput_rps"] /
                                                 results["echo"]["throughput_rps"], 3)
    results["plans"] = explain(url)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    suffix = "-no-nodelay" if args.no_nodelay else ""
    (out_dir / f"offers{suffix}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    md = [f"Run {results['date']}: {args.count} offers, {args.clients} concurrent clients, "
          f"{args.duration:.0f} s per measure, {results['cores']} cores (everything on this machine); load average "
          f"before {results['load_average_before'][0]:.1f}, after {results['load_average_after'][0]:.1f} "
          f"(other test suites were running on the same 2 cores when it is above 2); machine speed "
          f"{results['machine_speed_before_us']} / {results['machine_speed_after_us']} us (sum(range(100)), lower is "
          f"faster); gateway TCP_NODELAY "
          f"{'off (as shipped)' if args.no_nodelay else 'on (proposed fix)'}.", "",
          "| measure | requests | throughput (req/s) | p50 (ms) | p95 (ms) | p99 (ms) | errors |",
          "|---|---|---|---|---|---|---|"]
    for k in ("echo", "search", "database", "database_planned", "echo_1_client", "search_1_client",
              "database_1_client", "database_planned_1_client"):
        r = results[k]
        md.append(f"| {r['name']} | {r['requests']} | {r['throughput_rps']} | {r['p50_ms']} | {r['p95_ms']} | "
                  f"{r['p99_ms']} | {r['errors']} |")
    md += ["", f"Search throughput / echo throughput: **{results['search_vs_echo_throughput']:.0%}**.", "",
           "CPU milliseconds per request, 10 clients (bench = the client threads):", "",
           "| measure | " + " | ".join(COMPONENTS) + " |", "|---" * (len(COMPONENTS) + 1) + "|"]
    for k in ("echo", "search"):
        c = results[k]["cpu_ms_per_request"]
        md.append(f"| {results[k]['name']} | " + " | ".join(str(c.get(n, 0.0)) for n in COMPONENTS) + " |")
    md.append("")
    for label, plan in results["plans"].items():
        md += [f"#### {label}", "```", plan, "```", ""]
    (out_dir / f"offers{suffix}.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
