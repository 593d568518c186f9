"""Use cases of the notifications service, one module per capability. Plain functions taking a unit of work
(``repository.Repository``, or the unit-of-work factory ``uows`` where a use case runs several transactions),
the actor where there is one, the clients or the outbound channels where needed, and ``now``. No SQL here:
write-side SQL is in ``repository``, the read side in ``queries``, the rules in ``domain``.

- ``intake``: a platform event -> intents (routing), agreement signers, reminders planned, erasure;
- ``direct``: a message asked directly by another service (``send_message``);
- ``delivery``: resolving recipients (``recipients``) and sending, with retries and a circuit per channel;
- ``reminders``: planning from application events, firing when due;
- ``inbox``, ``preferences``, ``personal_data``, ``admin`` (failed messages, retries).
"""
