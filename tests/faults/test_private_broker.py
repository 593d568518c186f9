"""The private node of the fault suite (testkit.broker): a run that would mix it with the shared broker refuses to
start; the node is another node, on other ports, with its own data."""
import pytest

from testkit.broker import BrokerError, PrivateBroker, SHARED_PORT, refuse_shared_broker


def test_a_private_node_has_its_own_name_ports_and_directory():
    b = PrivateBroker("abcd1234")
    assert b.node == "faults-abcd1234@localhost"
    assert SHARED_PORT not in (b.port, b.dist_port) and b.port != b.dist_port
    assert str(b.dir).startswith("/tmp/") and f":{b.port}/" in b.uri


def test_settings_that_name_another_broker_refuse_the_run():
    b = PrivateBroker("abcd1234")
    mine = f"pyamqp://guest:guest@127.0.0.1:{b.port}/t_faults"
    refuse_shared_broker({"AMQP_URI": mine, "STAGES_TEST_AMQP": b.uri}, b)
    with pytest.raises(BrokerError, match="STAGES_TEST_AMQP"):
        refuse_shared_broker({"AMQP_URI": mine, "STAGES_TEST_AMQP": "amqp://guest:guest@127.0.0.1:5672/"}, b)
    with pytest.raises(BrokerError, match="AMQP_URI"):
        refuse_shared_broker({"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:5672/t_x"}, b)
    with pytest.raises(BrokerError, match="AMQP_URI"):
        refuse_shared_broker({}, b)

