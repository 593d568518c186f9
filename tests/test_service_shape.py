"""The shape every service shares (docs/architecture.md, "One shape for every service"): its domain is pure.

Importing every module of ``<service>.domain`` in a fresh interpreter loads none of the libraries of the
plumbing: the rules can be read, run and tested without a broker, a database or a patched standard library.
"""
import json
import subprocess
import sys

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
