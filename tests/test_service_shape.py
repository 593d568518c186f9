"""The shape every service shares (docs/architecture.md, "One shape for every service"): its domain is pure.

Importing every module of ``<service>.domain`` in a fresh interpreter loads none of the libraries of the
plumbing: the rules can be read, run and tested without a broker, a database or a patched standard library.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SERVICES = ["identity", "offers", "applications", "conventions", "notifications"]
PLUMBING = {"nameko", "eventlet", "kombu", "amqp", "psycopg", "sqlalchemy", "redis", "weasyprint"}

PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(info.name)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("service", SERVICES)
def test_importing_a_domain_loads_no_plumbing(service):
    out = subprocess.run([sys.executable, "-c", PROBE, f"{service}.domain"], capture_output=True, text=True,
                         check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert service in loaded
    assert sorted(loaded & PLUMBING) == []


ROOT = Path(__file__).resolve().parents[1]
ROOMS = ["service", "use_cases", "domain", "repository", "queries", "clients", "models", "events", "settings",
         "migrations"]   # a module or a package of that name
MAX_LINES = 420   # "no module over ~400 lines" (migrations aside)


def _modules(service):
    package = ROOT / "services" / service / service
    return [p for p in package.rglob("*.py") if "migrations" not in p.relative_to(package).parts]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_rooms(service):
    package = ROOT / "services" / service / service
    rooms = [r for r in ROOMS if not (service == "notifications" and r == "events")]   # it publishes no event
    missing = [room for room in rooms if not (package / room).exists() and not (package / f"{room}.py").exists()]
    assert missing == []


@pytest.mark.parametrize("service", SERVICES)
def test_no_module_is_too_long_and_no_test_code_ships(service):
    too_long = {str(p.name): n for p in _modules(service) if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert too_long == {}
    shipped = [str(p) for p in _modules(service) if p.stem in ("testing", "fakes", "catcher")
               or "testing" in p.parts]
    assert shipped == []
    test_rpcs = [f"{p.name}: {line.strip()}" for p in _modules(service) for line in p.read_text().splitlines()
                 if re.match(r"\s*def (test_\w+|\w*for_tests)\(", line)]
    assert test_rpcs == []
