"""The channels' circuit breaker: an outage is detected once, waits without charging attempts, and its end
makes the backlog due at once."""
import datetime as dt

from notifications.domain import circuit, records

T0 = dt.datetime(2027, 2, 13, 8, 0, tzinfo=dt.timezone.utc)


def test_an_unreachable_server_opens_the_circuit_until_the_next_probe():
    c = circuit.Circuit()
    assert circuit.may_send(c, T0)
    c = circuit.on_unreachable(c, T0, probe_interval=5)
    assert c.state == circuit.OPEN and c.opened_at == T0
    assert not circuit.may_send(c, T0 + dt.timedelta(seconds=4.9))
    assert circuit.may_send(c, T0 + dt.timedelta(seconds=5))        # one probe
    later = circuit.on_unreachable(c, T0 + dt.timedelta(seconds=5), probe_interval=5)
    assert later.opened_at == T0 and later.probe_after == T0 + dt.timedelta(seconds=10)  # the outage's start kept


def test_a_delivery_closes_the_circuit_and_says_when_the_outage_began():
    assert circuit.on_delivered(circuit.Circuit()) == (circuit.Circuit(), None)
    opened = circuit.on_unreachable(circuit.Circuit(), T0)
    closed, began = circuit.on_delivered(opened)
    assert closed.state == circuit.CLOSED and began == T0


def test_an_outage_never_makes_a_message_failed():
    policy = records.RetryPolicy(max_attempts=2)
    d = records.new_delivery(T0)
    for i in range(5):
        d = records.mark_unreachable(d, T0 + dt.timedelta(seconds=i), "SMTP connection failed")
    assert d.status == records.PENDING and d.attempts == 5 and d.next_attempt_at == T0 + dt.timedelta(seconds=4)
    # whereas ordinary temporary failures give up after max_attempts
    d = records.mark_failure(records.new_delivery(T0), T0, "451", policy=policy)
    assert records.mark_failure(d, T0, "451", policy=policy).status == records.FAILED


def test_a_clock_set_back_does_not_keep_the_channel_shut():
    c = circuit.on_unreachable(circuit.Circuit(), T0 + dt.timedelta(days=15), probe_interval=5)
    assert circuit.may_send(c, T0)  # the clock went back 15 days: probe now rather than in 15 days
