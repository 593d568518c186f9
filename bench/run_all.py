"""Runs every benchmark of the platform, one after the other (`make bench`).
Each writes its results to bench/results/ and prints them; bench/README.md
records the numbers of a run and how to read them. A benchmark is a
measurement, never a pass/fail test: this script fails only if one crashes."""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ["offers_bench.py"],
    ["applications_bench.py"],
    ["conventions_render.py", "-n", "30"],
    ["conventions_health.py", "--seconds", "20", "--renders", "10"],
    ["web_pages.py", "--users", "20", "--rounds", "5"],
    ["peak.py"],
]


def main() -> int:
    env = dict(os.environ)
    env.setdefault("STAGES_TEST_PG", "postgresql://stages:stages@127.0.0.1:5432/postgres")
    env.setdefault("STAGES_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
    env.setdefault("STAGES_TEST_REDIS", "redis://127.0.0.1:6379/0")
    env.setdefault("PYTHONWARNINGS", "ignore")
    only = set(sys.argv[1:])
    failed = []
    for cmd in BENCHES:
        if only and cmd[0].removesuffix(".py") not in only:
            continue
        print(f"== {' '.join(cmd)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / cmd[0]), *cmd[1:]], env=env).returncode != 0:
            failed.append(cmd[0])
    if failed:
        print("crashed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
