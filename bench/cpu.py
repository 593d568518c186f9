"""CPU seconds spent by each component of a benchmark run, from /proc (Linux)."""
from __future__ import annotations

import os


def by_component(named: dict[int, str]) -> dict[str, float]:
    """CPU seconds so far of PostgreSQL (every backend; the exited ones through the postmaster's children
    times), RabbitMQ (the Erlang VM), each process of ``named`` (pid -> name) and this one ("bench")."""
    hz = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm, fields = raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:].split()
        pid, ppid = int(entry), int(fields[1])
        own, children = (int(fields[11]) + int(fields[12])) / hz, (int(fields[13]) + int(fields[14])) / hz
        if comm == "postgres":
            key = "postgresql"
            own += children if ppid == 1 else 0
        elif comm == "beam.smp":
            key = "rabbitmq"
        elif pid in named:
            key = named[pid]
        elif pid == os.getpid():
            key = "bench"
        else:
            continue
        out[key] = out.get(key, 0.0) + own
    return out


def spent(before: dict, after: dict) -> dict:
    return {k: round(after[k] - before.get(k, 0.0), 1) for k in sorted(after) if after[k] - before.get(k, 0.0) >= 0.05}
