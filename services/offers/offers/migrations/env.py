from common.migrations import run_env
from offers.models import metadata

run_env(metadata)
