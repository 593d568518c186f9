"""Use cases of the offers service, one module per capability. Each is a plain function taking the unit of
work (``offers.repository.UnitOfWork`` as ``uow``: ``uow.begin()`` one transaction yielding the repository,
which also emits, ``uow.read()`` the queries; helpers called inside a transaction take the ``repo``), the actor,
the arguments and ``now``; it loads rows, asks the rules of ``offers.domain``, writes and emits. No SQL text here.

- ``drafting``: the three creation steps (create, update, duplicate);
- ``publication``: publish (splitting collège + lycée), unpublish, remove, the daily move of past offers;
- ``seats``: reserve and release a seat (rules: ``domain/seats.py``);
- ``reading``: one offer (for another service or a caller), lists, the personal-data export;
- ``search``: the search, REP/QPV first (rules: ``domain/ranking.py``);
- ``partner``: the operators' API and its budget;
- ``reference``: sectors, places, the school calendar and its admin override;
- ``demo``: the demo offers (refused unless ``STAGES_DEMO=1``).
"""
