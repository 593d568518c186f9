"""RPCs the offers service makes to other services: none. Offers owns the offers, seats and reference data
the other services ask for (``offers.get_offer``, ``offers.reserve_seat``...), and calls no one; a call to
another service would get its typed wrapper here (``common.rpc.Rpc``), made outside any row lock."""
