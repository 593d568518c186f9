"""CPU seconds of one run's own components on a shared machine, from /proc (Linux): the processes it names
(gateway, services…), the PostgreSQL backends connected to its own databases (by the database name in their
process title), RabbitMQ's server (the Erlang VM running longest: the broker is shared, so its CPU includes
the other users' traffic) and this process ("bench").

The machine's PostgreSQL serves other runs too, so ``bench/cpu.py`` (every postgres process) does not fit:
backends are sampled every ``interval`` seconds and their CPU accumulated from sample to sample; a backend
that appears after the start counts from zero, one that exits loses at most its last ``interval``."""
from __future__ import annotations

import os

import eventlet


def _stat(pid: str) -> tuple[str, float] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return raw[raw.index("(") + 1:raw.rindex(")")], int(fields[11]) + int(fields[12])


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class ProcSampler:
    def __init__(self, named: dict[int, str], databases: dict[str, str], interval: float = 0.5):
        """``named``: pid -> component; ``databases``: database name -> component of its backends."""
        self.hz = os.sysconf("SC_CLK_TCK")
        self.named = {str(p): c for p, c in named.items()}
        self.named[str(os.getpid())] = "bench"
        self.databases = databases
        self.interval = interval
        self.prev: dict[str, tuple[str, int]] = {}   # pid -> (component, ticks at the last sample)
        self.acc: dict[str, float] = {}
        self._thread = None
        beams = [(s[1], p) for p in os.listdir("/proc") if p.isdigit() and (s := _stat(p)) and s[0] == "beam.smp"
                 and "rabbitmqctl" not in _cmdline(p)]
        self.rabbit = max(beams)[1] if beams else None
        self._sample(first=True)

    def _component(self, pid: str, comm: str) -> str | None:
        if pid in self.named:
            return self.named[pid]
        if pid == self.rabbit:
            return "rabbitmq"
        if comm == "postgres":
            words = _cmdline(pid).split()
            for w in words[2:5]:   # "postgres: 15/main: <user> <database> <host(port)> <state>"
                if w in self.databases:
                    return self.databases[w]
        return None

    def _sample(self, first: bool = False) -> None:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            s = _stat(pid)
            if s is None:
                continue
            known = self.prev.get(pid)
            comm, ticks = s
            if known is None:
                comp = self._component(pid, comm)
                if comp is None:
                    continue
                # present at the start: counted from now; appeared later: its whole life is the run's
                self.prev[pid] = (comp, ticks if first else 0)
                known = self.prev[pid]
            comp, last = known
            if ticks >= last:
                self.acc[comp] = self.acc.get(comp, 0.0) + (ticks - last) / self.hz
            self.prev[pid] = (comp, ticks)

    def start(self) -> None:
        def loop():
            while True:
                eventlet.sleep(self.interval)
                self._sample()
        self._thread = eventlet.spawn(loop)

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.kill()

    def totals(self) -> dict[str, float]:
        """CPU seconds of each component since the sampler started (sampled now); ``postgresql`` is the sum
        of the ``postgresql.<service>`` ones."""
        self._sample()
        out = dict(self.acc)
        out["postgresql"] = sum(v for k, v in self.acc.items() if k.startswith("postgresql."))
        return out

    @staticmethod
    def spent(before: dict, after: dict) -> dict:
        return {k: round(after[k] - before.get(k, 0.0), 3) for k in sorted(after)}
