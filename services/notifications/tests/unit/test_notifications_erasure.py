"""Messages to others about an anonymised person lose their names and words (notifications.domain.erasure)."""
from notifications.domain import erasure


def test_names_found_in_the_contexts_are_replaced_in_texts():
    contexts = [{"application_id": "a1", "pupil_first_name": "Camille", "pupil_last_name": "ELEVE0-AB12"},
                {"convention_id": "c1"}, "not a dict"]
    assert erasure.linked_ids(contexts) == {"a1", "c1"}
    names = erasure.names_in(contexts, "pupil")
    assert names[0] == "Camille ELEVE0-AB12"
    assert erasure.redact("La convention de Camille ELEVE0-AB12 est signée.", names) == \
        "La convention de Anonyme est signée."
    assert erasure.redact("Camille a confirmé ; camillE aussi", names) == "Anonyme a confirmé ; Anonyme aussi"
    assert erasure.redact(None, names) is None and erasure.names_in(contexts, "employer") == []


def test_contexts_lose_the_keys_that_name_or_quote_the_person():
    ctx = {"application_id": "a1", "pupil_first_name": "Camille", "message": "Appelez-moi", "offer_title": "Pain"}
    assert erasure.without_person(ctx, "pupil") == {"application_id": "a1", "offer_title": "Pain"}
    assert erasure.without_person(ctx, "employer") == {"application_id": "a1", "pupil_first_name": "Camille",
                                                       "offer_title": "Pain"}
