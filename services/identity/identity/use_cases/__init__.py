"""What the identity service does, one module per capability; each RPC of ``identity.service`` calls one
function here. Every function takes a ``Context`` (``use_cases.context``) first: the unit-of-work factory,
``now``, the repository and queries, the notifications client, signing keys, password hashing, the gateway's
list of closed sessions. Rules live in ``identity.domain``, SQL in ``identity.repository`` (write side) and
``identity.queries`` (read side), answer shapes in ``identity.views``."""
