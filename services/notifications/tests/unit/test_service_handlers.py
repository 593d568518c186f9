"""One explicit ``@event_handler`` per listened event in ``service.py`` (grep finds who handles an event), each
subscribed to the service that publishes it."""
import importlib

from notifications.domain.routing import listened_event_types
from notifications.service import NotificationsService


def _handlers() -> dict:
    found = {}
    for name, fn in vars(NotificationsService).items():
        for ep in getattr(fn, "nameko_entrypoints", ()):
            if hasattr(ep, "event_type"):
                assert ep.event_type not in found, f"two handlers of {ep.event_type}"
                found[ep.event_type] = (ep.source_service, name)
    return found


def test_every_listened_event_has_its_handler_and_no_other():
    assert sorted(_handlers()) == listened_event_types()


def test_each_handler_listens_to_the_producer_of_its_event_under_its_usual_name():
    for event_type, (source, name) in _handlers().items():
        registry = importlib.import_module(f"{source}.events").EVENTS
        assert event_type in registry, f"{source} does not publish {event_type}"
        assert name == "on_" + event_type.replace(".", "_")   # the queue names stay those of before
