from common.migrations import run_env
from conventions.models import metadata

run_env(metadata)
