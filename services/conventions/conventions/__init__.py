"""Conventions service: internship agreements, their signatures and their sealed PDF documents."""
