"""The domain layer stays pure: no nameko, no SQLAlchemy, no network, file or database I/O."""
import ast
import pathlib

import notifications.domain as domain

FORBIDDEN = {"nameko", "sqlalchemy", "psycopg", "kombu", "requests", "socket", "eventlet", "pika", "alembic",
             "smtplib", "urllib", "http", "jinja2", "common", "os", "subprocess"}


def test_domain_imports_nothing_impure():
    root = pathlib.Path(domain.__file__).parent
    files = list(root.glob("*.py"))
    assert len(files) >= 5
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for n in names:
                assert n.split(".")[0] not in FORBIDDEN, f"{path.name} imports {n}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "open":
                raise AssertionError(f"{path.name} opens a file")


def test_domain_never_reads_the_clock():
    root = pathlib.Path(domain.__file__).parent
    for path in root.glob("*.py"):
        src = path.read_text()
        for call in ("datetime.now(", "dt.datetime.now(", "utcnow(", "time.time(", "date.today("):
            assert call not in src, f"{path.name} reads the clock ({call}): take `now` as a parameter"
