import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402


@pytest.fixture
def probe_db(backends):
    """A database for the probe services (probe_services.py)."""
    import probe_services as ps

    url = backends.create_database(f"t{backends.run_id}_probe_{uuid.uuid4().hex[:6]}")
    engine = create_engine(url)
    ps.metadata.create_all(engine)
    engine.dispose()
    os.environ["PROBE_DATABASE_URL"] = url
    return url
