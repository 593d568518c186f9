"""Pure rules of the identity service: no nameko, no SQLAlchemy, no I/O.

Every function that depends on time takes ``now`` (a tz-aware UTC datetime).
"""
