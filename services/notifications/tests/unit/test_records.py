"""Message record state machine, backoff with jitter, idempotency key."""
import datetime as dt
import random

import pytest

from notifications.domain import records as r

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


def test_new_delivery_is_pending_and_due_now():
    d = r.new_delivery(NOW)
    assert (d.status, d.attempts, d.next_attempt_at) == ("pending", 0, NOW)
    assert r.is_due(d, NOW)
    later = NOW + dt.timedelta(days=2)
    d2 = r.new_delivery(NOW, not_before=later)
    assert not r.is_due(d2, NOW) and r.is_due(d2, later)


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        r.new_delivery(dt.datetime(2026, 1, 1))


def test_success():
    d = r.mark_sent(r.new_delivery(NOW), NOW)
    assert (d.status, d.attempts, d.sent_at, d.next_attempt_at) == ("sent", 1, NOW, None)
    assert not r.is_due(d, NOW)
    with pytest.raises(r.InvalidTransition):
        r.mark_sent(d, NOW)
    with pytest.raises(r.InvalidTransition):
        r.mark_failure(d, NOW, "x")


def test_temporary_failures_back_off_exponentially_then_fail():
    policy = r.RetryPolicy(max_attempts=5, base_delay=30, max_delay=3600)
    rng = random.Random(7)
    d = r.new_delivery(NOW)
    now = NOW
    waits = []
    for n in range(1, 5):
        d = r.mark_failure(d, now, f"down {n}", policy=policy, rng=rng)
        assert d.status == "pending" and d.attempts == n and d.last_error == f"down {n}"
        wait = (d.next_attempt_at - now).total_seconds()
        nominal = 30 * 2 ** (n - 1)
        assert nominal / 2 <= wait <= nominal  # equal jitter
        assert not r.is_due(d, now)
        waits.append(wait)
        now = d.next_attempt_at
        assert r.is_due(d, now)
    d = r.mark_failure(d, now, "still down", policy=policy, rng=rng)
    assert (d.status, d.attempts, d.next_attempt_at, d.last_error) == ("failed", 5, None, "still down")
    assert not r.is_due(d, now + dt.timedelta(days=1))


def test_delay_is_capped_and_jittered():
    p = r.RetryPolicy(base_delay=30, max_delay=600)
    assert p.delay(0) == 0
    assert 300 <= p.delay(20, random.Random(1)) <= 600
    samples = {round(p.delay(3, random.Random(seed)), 3) for seed in range(20)}
    assert len(samples) > 10 and all(60 <= s <= 120 for s in samples)
    assert r.RetryPolicy(max_attempts=3, base_delay=10, max_delay=1000).worst_case_total() == 10 + 20


def test_permanent_failure_gives_up_at_once():
    d = r.mark_failure(r.new_delivery(NOW), NOW, "550 no such user", permanent=True)
    assert (d.status, d.attempts) == ("failed", 1)


def test_admin_retry_of_a_failed_message():
    d = r.mark_failure(r.new_delivery(NOW), NOW, "x", permanent=True)
    later = NOW + dt.timedelta(hours=5)
    d = r.retry_failed(d, later)
    assert (d.status, d.attempts, d.next_attempt_at) == ("pending", 0, later)
    with pytest.raises(r.InvalidTransition):
        r.retry_failed(d, later)


def test_skip_and_cancel():
    assert r.mark_skipped(r.new_delivery(NOW), "opted out").status == "skipped"
    c = r.mark_cancelled(r.new_delivery(NOW), "application confirmed")
    assert (c.status, c.last_error) == ("cancelled", "application confirmed")
    with pytest.raises(r.InvalidTransition):
        r.mark_cancelled(c)


def test_long_errors_are_truncated():
    d = r.mark_failure(r.new_delivery(NOW), NOW, "e" * 5000)
    assert len(d.last_error) == 1000


def test_message_key_is_per_event_recipient_template():
    k = r.message_key("evt-1", "user:u1", "new_application")
    assert k == r.message_key("evt-1", "user:u1", "new_application")
    assert len(k) == 64
    others = {r.message_key("evt-2", "user:u1", "new_application"),
              r.message_key("evt-1", "user:u2", "new_application"),
              r.message_key("evt-1", "user:u1", "nudge")}
    assert k not in others and len(others) == 3
    # no ambiguity from concatenation
    assert r.message_key("a", "bc", "d") != r.message_key("ab", "c", "d")
