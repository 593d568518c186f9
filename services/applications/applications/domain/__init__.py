"""Pure rules of the applications service (no nameko, no SQLAlchemy, no I/O; ``now`` is a parameter).

- states: the states, employer tabs and French labels per role
- machine: the state machine (who may do what, from which state, with which guards) and its records
- deadlines: the answer, confirmation and transfer-link deadlines, reminders, what is due
- submission: the application form and the eligibility checks against an offer snapshot
- conflicts: the conflict rules between a pupil's internships (2nde vs collège)
- visibility: who sees what
- export: the employer's CSV export
- stats: aggregates by state and school category
"""
