"""Every paged list answers in one scheme: the gateway adds per_page and has_more to the pages that
lack them, and removes nothing (the web front end reads the older page_size)."""
from gateway.pagination import complete


def test_a_page_with_page_size_gets_per_page_and_has_more_and_keeps_page_size():
    page = {"items": [1, 2], "page": 1, "page_size": 2, "total": 5, "unread": 1}
    assert complete(page) == {"items": [1, 2], "page": 1, "page_size": 2, "per_page": 2, "total": 5,
                              "has_more": True, "unread": 1}


def test_the_last_page_has_no_more():
    assert complete({"items": [5], "page": 3, "per_page": 2, "total": 5})["has_more"] is False
    assert complete({"items": [], "page": 1, "per_page": 30, "total": 0})["has_more"] is False


def test_a_page_that_says_has_more_itself_is_left_as_it_is():
    page = {"items": [1], "page": 1, "per_page": 30, "has_more": True, "relaxed": False}
    assert complete(page) == page


def test_anything_else_passes_through():
    assert complete([1, 2]) == [1, 2]
    assert complete({"status": "ok"}) == {"status": "ok"}
