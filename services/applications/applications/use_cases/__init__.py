"""The use cases of the applications service, one module per capability.

Each is a plain function taking the unit-of-work factory (``repository.UnitOfWork``: ``uow.begin()`` gives a
``Repository`` in one transaction, ``uow.read()`` the ``Queries``), the typed clients of other services
(``clients.Clients``) where it calls them, the actor and arguments, and ``now``. They hold no SQL (repository,
queries), no rule (domain) and no shaping of answers (views). Use-case unit tests pass the in-memory fakes of
``testkit.applications``.

- reading: one application, the lists
- submission: applying to an offer
- answers: every user action on an application (read, accept, reject, transfer, confirm, cancel, restore,
  nudge, invite to reapply) and the employer's bulk actions
- transitions: applying a transition (row, history, event), the deadline a user action applies first
- transfers: the transfer link (issued with a transfer; read and answered by its holder)
- seats: giving seats back to offers, and the timer's reconciliation of failed releases
- expiry: the timer's expiry batches
- exports: the employer's CSV, a person's data (GDPR)
- statistics: figures in the actor's scope, the school's class summary
- anonymisation: erasing an anonymised pupil's data
"""
