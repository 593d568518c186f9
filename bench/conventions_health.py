"""Benchmark: the conventions service stays responsive while documents render.

    .venv/bin/python bench/conventions_health.py [--seconds 20] [--renders 10]

Creates a throw-away database and RabbitMQ vhost (STAGES_TEST_PG / STAGES_TEST_AMQP, local defaults), inserts
validated conventions, starts the real service (`nameko run`, as in production) and measures:
1. health RPC latency at rest (p50/p95);
2. health RPC latency while `--renders` clients each request a sealed PDF (get_pdf) in a loop (target p95 <= 50 ms),
   and the get_pdf latency/throughput meanwhile.
Results go to bench/results/conventions_health.json. Everything created is removed at the end.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pathlib  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from common.boot import prepare_process  # noqa: E402

prepare_process()
from common import migrations  # noqa: E402
from common.rpc import cluster_rpc  # noqa: E402
from testkit.harness import Backends  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary(ms):
    return {"n": len(ms), "p50": round(statistics.median(ms), 1), "p95": round(pct(ms, 95), 1),
            "max": round(max(ms), 1)}


def seed(url, n):
    from conventions.repository import Repository
    from conventions.domain import convention as C
    from testkit.conventions import NOW, actors, sample_convention

    engine = create_engine(url)
    with engine.begin() as conn:
        from sqlalchemy.orm import Session
        s = Session(bind=conn)
        repo = Repository(s)
        ids = []
        for _ in range(n):
            conv = sample_convention()
            a = actors(conv)
            C.update(conv, a["employer"], {"lunch_break": conv.employer["lunch_break"]}, NOW)
            C.complete(conv, a["employer"], NOW)
            C.validate(conv, a["head"], NOW)
            for role, who in ((C.EMPLOYER_ROLE, "employer"), (C.PUPIL_ROLE, "pupil")):
                C.sign(conv, role=role, signer=C.signer_for_actor(conv, a[who], role),
                       document_hash=conv.document_hash, now=NOW, method="session")
            repo.add(conv, NOW)
            repo.save(conv, NOW, before=[])
            ids.append((conv.id, a["employer"]))
        s.flush()
    engine.dispose()
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--renders", type=int, default=10)
    args = ap.parse_args()
    os.environ.setdefault("STAGES_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    os.environ.setdefault("STAGES_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
    backends = Backends()
    proc = None
    log_path = ROOT / "var" / "bench-conventions-health.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        url = backends.create_database(f"bench{backends.run_id}_conventions")
        migrations.upgrade("conventions", url)
        amqp = backends.create_vhost(f"bench{backends.run_id}")
        ids = seed(url, max(args.renders, 10))
        env = dict(os.environ, CONVENTIONS_DATABASE_URL=url, AMQP_URI=amqp, PYTHONWARNINGS="ignore",
                   LOG_LEVEL="WARNING")
        proc = subprocess.Popen([sys.executable, "-m", "nameko", "run", "--config",
                                 str(ROOT / "services" / "conventions" / "config.yml"),
                                 "conventions.service:ConventionsService"],
                                env=env, cwd=str(ROOT), stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        with cluster_rpc(amqp, timeout=60) as rpc:
            deadline = time.monotonic() + 60
            while True:
                try:
                    rpc.conventions.health()
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            cid, actor = ids[0]
            rpc.conventions.get_pdf(actor=actor, convention_id=cid)  # warm-up (templates, fonts)
            rest = []
            for _ in range(200):
                t = time.perf_counter()
                rpc.conventions.health()
                rest.append((time.perf_counter() - t) * 1000)
                eventlet.sleep(0.01)

        stop = []
        render_ms = []

        engine = create_engine(url, pool_size=args.renders)

        def renderer(i):
            cid, actor = ids[i % len(ids)]
            with cluster_rpc(amqp, timeout=120) as r:
                while not stop:
                    with engine.begin() as conn:  # defeat the stored PDF: every call renders and seals
                        conn.exec_driver_sql("DELETE FROM documents WHERE convention_id = %s", (cid,))
                    t = time.perf_counter()
                    out = r.conventions.get_pdf(actor=actor, convention_id=cid)
                    assert out["size"] > 10000
                    render_ms.append((time.perf_counter() - t) * 1000)

        pool = eventlet.GreenPool(args.renders + 1)
        for i in range(args.renders):
            pool.spawn(renderer, i)
        eventlet.sleep(2)  # every renderer busy
        loaded = []
        end = time.monotonic() + args.seconds
        with cluster_rpc(amqp, timeout=60) as rpc:
            while time.monotonic() < end:
                t = time.perf_counter()
                rpc.conventions.health()
                loaded.append((time.perf_counter() - t) * 1000)
                eventlet.sleep(0.05)
        stop.append(1)
        pool.waitall()
        engine.dispose()
        result = {
            "benchmark": "conventions_health", "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "concurrent_renders": args.renders, "seconds": args.seconds, "cpus": os.cpu_count(),
            "health_at_rest_ms": summary(rest), "health_while_rendering_ms": summary(loaded),
            "get_pdf_while_loaded_ms": summary(render_ms),
            "pdfs_per_second": round(len(render_ms) / (args.seconds + 2), 2),
            "target_health_p95_ms": 50,
        }
        result["ok"] = result["health_while_rendering_ms"]["p95"] <= 50
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "conventions_health.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        backends.close()


if __name__ == "__main__":
    main()
