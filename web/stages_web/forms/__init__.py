"""Forms of the front end, one module per audience (public, auth, pupil, employer).

Every form derives from ``ApiForm``: DSFR rendering, and ``apply_api_error`` puts the gateway's
problem+json field errors next to the right fields (all of them at once)."""
from .base import ApiForm, apply_api_error  # noqa: F401
