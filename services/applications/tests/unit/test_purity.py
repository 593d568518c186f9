"""The domain layer stays pure: no nameko entrypoints, no SQLAlchemy, no network or database I/O."""
import ast
import pathlib

import applications.domain as domain

FORBIDDEN = {"nameko", "sqlalchemy", "psycopg", "kombu", "requests", "socket", "eventlet", "pika", "alembic"}


def test_domain_imports_nothing_impure():
    root = pathlib.Path(domain.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for n in names:
                assert n.split(".")[0] not in FORBIDDEN, f"{path.name} imports {n}"
