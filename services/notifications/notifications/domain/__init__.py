"""Pure rules of the notifications service (no nameko, no SQLAlchemy, no I/O)."""
