from common.migrations import run_env
from applications.models import metadata

run_env(metadata)
