import sys
from pathlib import Path

# helpers shared by the offers tests (import-mode=importlib does not add test dirs to sys.path)
for sub in ("unit", "integration"):
    sys.path.insert(0, str(Path(__file__).parent / sub))
