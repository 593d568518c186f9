"""What traces cost (common.tracing): off (the default) against the code before traces, and on.

Three builds of the same measurement, each in a process of its own, alternated over several rounds:

- ``base``: the plumbing as it was before traces (``services/common`` of the commit before the one that added
  ``common/tracing.py``, extracted with ``git archive`` and put first on ``PYTHONPATH``);
- ``off``: this tree, ``OTEL_EXPORTER_OTLP_ENDPOINT`` unset (the default);
- ``on``: this tree, every span exported with OTLP/HTTP (batches, protobuf) to a local sink (a process that
  answers 200 to what it is sent, standing for a collector).

Measured in each process:

- an RPC round trip between two in-process services (``common.rpc.Rpc`` -> ``@rpc echo``), 3,000 sequential
  calls after a warm-up: client and server hooks, and their spans when on. Wall time per call and the
  process's CPU time per call (the broker's is apart);
- one JSON log line (``common.logs.JsonFormatter.format``), within a span when on (CPU time, best of 7);
- the frames of one event publication (``common.events.publish_frames``), its context known when on (idem).

    .venv/bin/python bench/tracing_overhead.py [--rounds 3] [--calls 3000]

Results: bench/results/tracing.json; bench/README.md « Traces » records a run. A measurement, not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
RESULTS = ROOT / "bench" / "results" / "tracing.json"


# -- the child: one build, one measurement ------------------------------------------------------------------
def child(mode: str, amqp_uri: str, calls: int, sink: str | None) -> dict:
    import eventlet
    eventlet.monkey_patch()

    import logging
    import resource

    from common.boot import prepare_process
    prepare_process()
    from nameko.containers import ServiceContainer

    from common.events import EventMessage, publish_frames
    from common.logs import JsonFormatter
    from common.rpc import Rpc
    from common.service import PlatformService, rpc

    tracer = None
    if mode == "on":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from common import tracing
        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{sink}/v1/traces"))
        tracing.enable(processor)
        tracer = tracing._tracer("bench")

    class Target(PlatformService):
        name = "bench_target"

    class Caller(PlatformService):
        name = "bench_caller"
        target = Rpc("bench_target")

        @rpc
        def loop(self, n):
            wall, cpu = time.perf_counter(), _cpu()
            for i in range(n):
                self.target.echo(payload={"i": i})
            return time.perf_counter() - wall, _cpu() - cpu

    def _cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    config = {"AMQP_URI": amqp_uri, "serializer": "json", "max_workers": 10}
    containers = [ServiceContainer(Target, config), ServiceContainer(Caller, config)]
    for c in containers:
        c.start()
    from common.rpc import cluster_rpc
    with cluster_rpc(amqp_uri, timeout=120) as cluster:
        cluster.bench_caller.loop(300)  # warm-up
        wall, cpu = cluster.bench_caller.loop(calls)
    for c in containers:
        c.stop()

    def per_op(fn, n=10_000):  # CPU time, best of 7: the shared machine's load comes and goes
        best = None
        for _ in range(7):
            started = time.process_time()
            for _ in range(n):
                fn()
            took = (time.process_time() - started) / n * 1e6
            best = took if best is None else min(best, took)
        return best

    formatter = JsonFormatter(service="bench")
    record = logging.LogRecord("bench", logging.INFO, __file__, 1, "GET /api/v1/offers 200", None, None)
    message = EventMessage("offer.published", b'{"event_id": "x", "data": {}}', "e1", "rid-1")
    if tracer is not None:
        from common import tracing
        with tracer.start_as_current_span("bench"):
            log_us = per_op(lambda: formatter.format(record))
            envelope = {"producer": "offers", "type": "offer.published", "event_id": "e1"}
            tracing.event_created(envelope)  # the context the relay finds
        frames_us = per_op(lambda: publish_frames(1, 131072, "offers.events", message))
        processor.shutdown()
    else:
        log_us = per_op(lambda: formatter.format(record))
        frames_us = per_op(lambda: publish_frames(1, 131072, "offers.events", message))
    return {"mode": mode, "rpc_wall_us": wall / calls * 1e6, "rpc_cpu_us": cpu / calls * 1e6,
            "log_line_us": log_us, "publish_frames_us": frames_us}


# -- the OTLP sink: answers 200 to every export --------------------------------------------------------------
def sink(port: int) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


# -- the parent ------------------------------------------------------------------------------------------------
def base_tree(workdir: Path) -> tuple[Path, str]:
    """``services/common`` of the commit before traces, extracted into ``workdir``."""
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--",
                            "services/common/common/tracing.py"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    commit = f"{added[-1]}^" if added else "HEAD"
    sha = subprocess.run(["git", "rev-parse", "--short", commit], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", commit, "services/common/common"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(workdir)], input=archive, check=True)
    return workdir / "services" / "common", sha


def machine_speed() -> float:
    import timeit
    return round(min(timeit.repeat("sum(range(100))", number=200_000, repeat=5)) / 200_000 * 1e6, 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--child")
    parser.add_argument("--amqp")
    parser.add_argument("--sink")
    parser.add_argument("--sink-port", type=int)
    args = parser.parse_args(argv)
    if args.sink_port:
        sink(args.sink_port)
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.amqp, args.calls, args.sink)))
        return 0

    sys.path.insert(0, str(ROOT / "services" / "testkit"))
    from testkit.harness import Backends, free_port

    backends = Backends()
    vhost = f"t{backends.run_id}_tracing_bench"
    amqp_uri = backends.create_vhost(vhost)
    port = free_port()
    sink_proc = subprocess.Popen([PY, __file__, "--sink-port", str(port)])
    runs: dict[str, list[dict]] = {"base": [], "off": [], "on": []}
    speed_before = machine_speed()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base_common, base_sha = base_tree(Path(tmp))
            for round_ in range(args.rounds):
                for mode in ("base", "off", "on"):
                    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
                    env["STAGES_OPS_ADDRESS"] = "off"
                    env["PYTHONWARNINGS"] = "ignore"
                    if mode == "base":
                        env["PYTHONPATH"] = str(base_common)
                    out = subprocess.run([PY, __file__, "--child", "off" if mode == "base" else mode,
                                          "--amqp", amqp_uri, "--calls", str(args.calls),
                                          "--sink", f"http://127.0.0.1:{port}"],
                                         env=env, capture_output=True, text=True, cwd=ROOT)
                    if out.returncode != 0:
                        print(out.stderr[-3000:], file=sys.stderr)
                        return 1
                    result = json.loads(out.stdout.strip().splitlines()[-1])
                    result["mode"] = mode
                    runs[mode].append(result)
                    print(f"round {round_ + 1} {mode:4}: rpc {result['rpc_wall_us']:.0f} us wall, "
                          f"{result['rpc_cpu_us']:.0f} us CPU a call; log line {result['log_line_us']:.2f} us; "
                          f"publish frames {result['publish_frames_us']:.2f} us", flush=True)
    finally:
        sink_proc.kill()
        backends.delete_vhost(vhost)

    def median(mode, key):
        return statistics.median(r[key] for r in runs[mode])

    keys = ("rpc_wall_us", "rpc_cpu_us", "log_line_us", "publish_frames_us")
    summary = {mode: {k: round(median(mode, k), 2) for k in keys} for mode in runs}
    ratios = {f"{mode}/base": {k: round(median(mode, k) / median("base", k), 3) for k in keys}
              for mode in ("off", "on")}
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "base_commit": base_sha,
               "calls": args.calls, "rounds": args.rounds, "machine_speed_before_us": speed_before,
               "machine_speed_after_us": machine_speed(), "load_average": os.getloadavg(),
               "median": summary, "ratios": ratios, "runs": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({"median": summary, "ratios": ratios}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
