import datetime as dt

import pytest
from common.errors import Conflict, ValidationError

from offers.domain import seats as sd
from offers.domain import states as st
from testkit.offers import TODAY, full_offer


def test_transitions():
    assert st.can("publish", "draft") and st.can("publish", "unpublished") and st.can("publish", "need_to_be_updated")
    assert not st.can("publish", "published") and not st.can("publish", "removed")
    assert st.can("unpublish", "published") and not st.can("unpublish", "draft")
    assert all(st.can("remove", s) for s in st.STATES if s != "removed")
    assert not st.can("update", "removed")
    with pytest.raises(Conflict) as e:
        st.check_transition("unpublish", "removed")
    assert e.value.detail == "Impossible : l'offre est supprimée."
    assert e.value.extra == {"state": "removed", "action": "unpublish"}


def test_republish_blockers_seats_and_weeks_in_french():
    o = full_offer(seats=2, weeks=["2026-W37"])
    blockers = st.republish_blockers(o, seats_taken=2, today=TODAY)
    assert [b["code"] for b in blockers] == ["seats", "weeks"]
    assert "augmentez le nombre de places" in blockers[0]["message"]
    assert "choisissez des semaines à venir" in blockers[1]["message"]
    with pytest.raises(Conflict) as e:
        st.raise_if_blocked(blockers)
    assert e.value.code == "republish_blocked" and e.value.extra["blockers"] == blockers
    assert st.republish_blockers(full_offer(), 1, TODAY) == []
    st.raise_if_blocked([])


def test_past_school_year_must_be_duplicated():
    o = full_offer(school_year="2025-2026", weeks=["2026-W10"])
    blockers = st.republish_blockers(o, 0, TODAY)
    assert blockers == [{"code": "duplicate", "message": st.BLOCKER_MESSAGES["duplicate"]}]
    assert "dupliquez-la" in blockers[0]["message"]


def test_live_state_follows_blockers():
    assert st.live_state("published", [{"code": "seats"}]) == "need_to_be_updated"
    assert st.live_state("need_to_be_updated", []) == "published"
    assert st.live_state("unpublished", []) == "unpublished"
    assert st.live_state("draft", [{"code": "seats"}]) == "draft"
    assert st.is_searchable("published") and not st.is_searchable("need_to_be_updated")


def test_timer_moves_offer_whose_weeks_are_all_past():
    o = full_offer(weeks=["2026-W50"])
    # W50: Monday 7 to Friday 11 December 2026; past from Saturday 12 (common.weeks.week_is_past)
    assert st.live_state("published", st.republish_blockers(o, 0, dt.date(2026, 12, 11))) == "published"
    assert st.live_state("published", st.republish_blockers(o, 0, dt.date(2026, 12, 12))) == "need_to_be_updated"


def test_seats_left_never_negative():
    assert sd.seats_left(3, 1) == 2
    assert sd.seats_left(3, 5) == 0


def test_reserve_decisions():
    weeks = ["2026-W50", "2026-W51"]
    assert sd.check_reserve(3, 2, "2026-W50", weeks, None) == "reserve"
    assert sd.check_reserve(3, 3, "2026-W50", weeks, "2026-W50") == "replay"  # idempotent even when full
    with pytest.raises(Conflict) as e:
        sd.check_reserve(3, 3, "2026-W50", weeks, None)
    assert e.value.code == "offer_full" and e.value.detail == sd.MSG_FULL
    with pytest.raises(ValidationError) as e:
        sd.check_reserve(3, 0, "2027-W01", weeks, None)
    assert e.value.errors == {"week": [sd.MSG_WEEK_NOT_OFFERED]}


def test_seats_never_lowered_below_taken():
    assert sd.check_seats_change(3, 3) is None
    assert sd.check_seats_change(2, 3) == "Impossible de descendre à 2 places : 3 places sont déjà prises."
