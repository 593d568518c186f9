"""Root of every test run. eventlet must patch the standard library before
anything else is imported (otherwise pytest hangs on the first green call)."""
import warnings

warnings.filterwarnings("ignore", message=".*Eventlet is deprecated.*")

import eventlet  # noqa: E402

eventlet.monkey_patch()

pytest_plugins = ["testkit.pytest_plugin"]
