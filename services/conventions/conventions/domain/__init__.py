"""Pure rules of conventions: no nameko, no SQLAlchemy, no I/O; time is a parameter."""
from . import codes, fields, hashing, hours, images, links, states  # noqa: F401
from .convention import (  # noqa: F401
    EMPLOYER_ROLE, HEAD_ROLE, LEGAL_REP_ROLE, PUPIL_ROLE, ROLE_LABELS, SIGNATURE_ROLES, Convention, Signature,
    cancel, check_can_view, check_typed_name, complete, party_of, reopen, sign, signer_for_actor, update, validate,
)
