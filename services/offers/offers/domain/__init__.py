"""Pure rules of the offers service: no nameko, no SQLAlchemy, no I/O.

Every function that depends on time takes ``today``/``now`` as an argument.
Reference data (sectors, NAF mapping, communes) is passed in by the caller.
"""
