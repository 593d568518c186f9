"""`make up` runs the local processes under supervisord (deploy/run.sh): one that dies is started again."""
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(var, procs, *args):
    env = {**os.environ, "STAGES_VAR_DIR": str(var), "STAGES_PROCESSES_FILE": str(procs)}
    return subprocess.run(["bash", str(ROOT / "deploy" / "run.sh"), *args], env=env, capture_output=True,
                          text=True, timeout=60)


def _pid(var, procs):
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(var / "run" / "supervisord.conf"),
                          "pid", "sleeper"], capture_output=True, text=True, timeout=30).stdout.strip()
    return int(out) if out.isdigit() and out != "0" else None


def _wait(fn, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    return fn()


def test_a_process_that_dies_is_started_again(tmp_path):
    procs = tmp_path / "processes"
    procs.write_text(f"sleeper {sys.executable} -c 'import time; time.sleep(600)'\n")
    var = tmp_path / "var"
    started = _run(var, procs, "start")
    assert started.returncode == 0, started.stderr
    try:
        # startsecs=3: supervisord reports it RUNNING once it stayed up that long
        assert _wait(lambda: "RUNNING" in _run(var, procs, "status").stdout)
        first = _pid(var, procs)
        assert first
        os.kill(first, 9)
        second = _wait(lambda: (_pid(var, procs) or first) != first and _pid(var, procs))
        assert second and second != first
        assert (var / "log" / "sleeper.log").exists()
    finally:
        stopped = _run(var, procs, "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert _run(var, procs, "status").returncode == 3  # not running any more
