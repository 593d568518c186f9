"""Reporting and moderation of offers: the pure rules (domain/moderation.py) and the use cases on the
in-memory fakes (testkit.offers.fakes); the integration tests prove the SQL."""
import datetime as dt
import uuid

import pytest

from common.errors import Conflict, Forbidden, NotFound, ValidationError
from offers.domain import moderation as mod
from offers.use_cases import drafting, moderation, publication, reading
from testkit.offers import TODAY, employer, offer_data
from testkit.offers.fakes import FakeOffers, FakeUnitOfWork

NOW = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.timezone.utc)
ADMIN = {"user_id": str(uuid.uuid4()), "role": "admin"}


def pupil():
    return {"user_id": str(uuid.uuid4()), "role": "pupil"}


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeOffers())


def published(uow, actor=None):
    actor = actor or employer()
    made = drafting.create_offer(uow, actor, offer_data(day=TODAY), None, NOW)
    [offer] = publication.publish_offer(uow, actor, made["id"], NOW)["offers"]
    return actor, offer


# -- domain ----------------------------------------------------------------------------------
def test_a_report_needs_a_listed_reason_and_a_text_for_other():
    assert mod.clean_report({"reason": "discriminatory"}) == {"reason": "discriminatory", "text": None}
    assert mod.clean_report({"reason": "other", "text": "  Horaires de nuit "})["text"] == "Horaires de nuit"
    with pytest.raises(ValidationError) as e:
        mod.clean_report({"reason": "boring", "text": 3})
    assert e.value.errors == {"reason": [mod.MSG_REASON], "text": [mod.MSG_TYPE]}
    with pytest.raises(ValidationError) as e:
        mod.clean_report({"reason": "other", "text": "   "})
    assert e.value.errors == {"text": [mod.MSG_TEXT_REQUIRED]}
    with pytest.raises(ValidationError) as e:
        mod.clean_report({"reason": "other", "text": "x" * (mod.TEXT_MAX + 1)})
    assert list(e.value.errors) == ["text"]


def test_reporters_are_users_or_hashed_visitors():
    uid = str(uuid.uuid4())
    assert mod.reporter_key({"user_id": uid, "role": "pupil"}, "ignored-hash") == f"user:{uid}"
    visitor = mod.reporter_key(None, "a" * 64)
    assert visitor.startswith("visitor:") and "a" * 64 not in visitor
    assert mod.reporter_key({}, "a" * 64) == visitor
    with pytest.raises(Conflict):
        mod.reporter_key(None, None)


def test_two_distinct_reporters_hide_an_offer():
    assert mod.REPORTS_TO_HIDE == 2
    assert [mod.should_hold(n) for n in (0, 1, 2, 3)] == [False, False, True, True]
    assert mod.hidden_from_search({mod.HOLD_COLUMN: True}) and not mod.hidden_from_search({})


def test_a_decision_needs_a_reason_to_change_or_remove():
    assert mod.clean_decision({"decision": "keep"}) == {"decision": "keep", "reason": None}
    for decision in ("request_changes", "remove"):
        with pytest.raises(ValidationError) as e:
            mod.clean_decision({"decision": decision, "reason": " "})
        assert e.value.errors == {"reason": [mod.MSG_DECISION_REASON]}
    with pytest.raises(ValidationError) as e:
        mod.clean_decision({"decision": "ban"})
    assert e.value.errors == {"decision": [mod.MSG_DECISION]}


def test_effects_of_each_decision():
    assert mod.effects("keep", "published") == {"columns": {mod.HOLD_COLUMN: False}, "unpublish": False,
                                                "remove": False}
    e = mod.effects("request_changes", "published")
    assert e["unpublish"] and e["columns"]["state"] == "unpublished"
    assert e["columns"]["moderation_status"] == mod.CHANGES_REQUESTED
    assert not mod.effects("request_changes", "unpublished")["unpublish"]
    assert mod.effects("remove", "published")["remove"]
    with pytest.raises(Conflict):
        mod.check_decidable("keep", "removed")
    assert mod.after_edit(mod.CHANGES_REQUESTED) == mod.CHANGES_MADE and mod.after_edit(None) is None
    with pytest.raises(Conflict):
        mod.check_republish(mod.CHANGES_REQUESTED)
    mod.check_republish(mod.CHANGES_MADE)


def test_counts_by_reason_lists_every_reason():
    assert mod.counts_by_reason(["other", "other", "discriminatory", "?"]) == {
        "not_observation": 0, "disguised_work": 0, "discriminatory": 1, "dangerous_for_minor": 0, "other": 2}


# -- use cases ---------------------------------------------------------------------------------
def test_one_report_per_person_and_two_people_hold_the_offer(uow):
    owner, offer = published(uow)
    someone = pupil()
    first = moderation.report_offer(uow, someone, offer["id"], {"reason": "discriminatory"}, None, NOW)
    again = moderation.report_offer(uow, someone, offer["id"], {"reason": "other", "text": "bis"}, None, NOW)
    assert first["created"] and not again["created"] and again["reason"] == "discriminatory"
    assert not uow.offers.rows[offer["id"]][mod.HOLD_COLUMN]
    reported = [d for t, d in uow.events if t == "offer.reported"]
    assert reported == [{"offer_id": offer["id"], "reason": "discriminatory", "open_reports": 1, "hidden": False}]
    moderation.report_offer(uow, None, offer["id"], {"reason": "disguised_work"}, "b" * 64, NOW)
    moderation.report_offer(uow, None, offer["id"], {"reason": "disguised_work"}, "b" * 64, NOW)  # same visitor
    assert uow.offers.rows[offer["id"]][mod.HOLD_COLUMN]
    assert [d["open_reports"] for t, d in uow.events if t == "offer.reported"] == [1, 2]
    with pytest.raises(Forbidden):
        moderation.report_offer(uow, owner, offer["id"], {"reason": "other", "text": "moi"}, None, NOW)
    with pytest.raises(NotFound):
        moderation.report_offer(uow, someone, str(uuid.uuid4()), {"reason": "other", "text": "x"}, None, NOW)


def test_the_queue_is_for_admins_and_keep_restores_the_offer(uow):
    _, offer = published(uow)
    for _ in range(2):
        moderation.report_offer(uow, pupil(), offer["id"], {"reason": "not_observation"}, None, NOW)
    with pytest.raises(Forbidden):
        moderation.moderation_queue(uow, pupil(), 1)
    queue = moderation.moderation_queue(uow, ADMIN, 1)
    assert queue["total"] == 1 and queue["items"][0]["counts"]["not_observation"] == 2
    assert queue["items"][0]["hidden"] is True
    with pytest.raises(ValidationError):
        moderation.moderation_queue(uow, ADMIN, "zero")
    with pytest.raises(Forbidden):
        moderation.decide(uow, employer(), offer["id"], {"decision": "keep"}, None, NOW)
    out = moderation.decide(uow, ADMIN, offer["id"], {"decision": "keep"}, "k1", NOW)
    assert out["decision"] == "keep" and out["report_counts"]["not_observation"] == 2
    assert moderation.decide(uow, ADMIN, offer["id"], {"decision": "keep"}, "k1", NOW)["id"] == out["id"]
    assert not uow.offers.rows[offer["id"]][mod.HOLD_COLUMN]
    assert moderation.moderation_queue(uow, ADMIN, 1)["total"] == 0
    moderated = [d for t, d in uow.events if t == "offer.moderated"]
    assert len(moderated) == 1 and moderated[0]["decision"] == "keep" and moderated[0]["reports"] == 2


def test_request_changes_unpublishes_until_the_employer_edits(uow):
    owner, offer = published(uow)
    moderation.decide(uow, ADMIN, offer["id"], {"decision": "request_changes", "reason": "Précisez les tâches."},
                      None, NOW)
    row = uow.offers.rows[offer["id"]]
    assert row["state"] == "unpublished" and row["moderation_status"] == mod.CHANGES_REQUESTED
    assert ("offer.unpublished", {"offer_id": offer["id"], "state": "unpublished", "reason": "moderation"}) \
        in uow.events
    with pytest.raises(Conflict) as e:
        publication.publish_offer(uow, owner, offer["id"], NOW)
    assert e.value.code == "changes_requested"
    drafting.update_offer(uow, owner, offer["id"], {"step": "place", "title": "Titre corrigé"}, NOW)
    assert uow.offers.rows[offer["id"]]["moderation_status"] == mod.CHANGES_MADE
    [again] = publication.publish_offer(uow, owner, offer["id"], NOW)["offers"]
    assert again["state"] == "published" and uow.offers.rows[offer["id"]]["moderation_status"] is None
    history = moderation.moderation_history(uow, owner, offer["id"])
    assert [(h["decision"], h["reason"], h["author_id"]) for h in history["items"]] == [
        ("request_changes", "Précisez les tâches.", None)]
    assert moderation.moderation_history(uow, ADMIN, offer["id"])["items"][0]["author_id"] == ADMIN["user_id"]
    with pytest.raises(NotFound):
        moderation.moderation_history(uow, employer(), offer["id"])
    internal = reading.get_offer(uow, offer["id"])
    assert internal["moderation"]["reason"] == "Précisez les tâches."


def test_remove_removes_the_offer_once(uow):
    _, offer = published(uow)
    moderation.decide(uow, ADMIN, offer["id"], {"decision": "remove", "reason": "Emploi déguisé."}, None, NOW)
    assert uow.offers.rows[offer["id"]]["state"] == "removed"
    assert ("offer.removed", {"offer_id": offer["id"]}) in uow.events
    with pytest.raises(Conflict):
        moderation.decide(uow, ADMIN, offer["id"], {"decision": "remove", "reason": "Encore."}, None, NOW)


def test_a_reporter_finds_their_reports_in_their_personal_data(uow):
    _, offer = published(uow)
    someone = pupil()
    moderation.report_offer(uow, someone, offer["id"], {"reason": "other", "text": "Horaires de nuit."}, None, NOW)
    [mine] = reading.export_personal_data(uow, someone)["reports"]
    assert mine == {"offer_id": offer["id"], "reason": "other", "text": "Horaires de nuit.",
                    "created_at": NOW.isoformat(), "closed_at": None}
