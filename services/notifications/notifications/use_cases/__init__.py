"""Use cases of the notifications service, one module per capability. Plain functions taking the unit of work
(``repository.UnitOfWork`` as ``uow``: ``uow.begin()`` one transaction yielding the ``Repository``, ``uow.read()``
the ``Queries``; ``testkit.notifications.FakeUnitOfWork`` in unit tests; helpers called inside an open
transaction take the ``repo``), the actor where there is one, the clients or the outbound channels where needed,
and ``now``. No SQL here: write-side SQL is in ``repository``, the read side in ``queries``, the rules in ``domain``.

- ``intake``: a platform event -> intents (routing), agreement signers, reminders planned, erasure;
- ``direct``: a message asked directly by another service (``send_message``);
- ``delivery``: resolving recipients (``recipients``) and sending, with retries and a circuit per channel;
- ``reminders``: planning from application events, firing when due;
- ``inbox``, ``preferences``, ``personal_data``, ``admin`` (failed messages, retries).
"""
