"""The gateway's schemas of the notifications routes (gateway/gateway/routes/notifications.py) name the
domain's channels, statuses and categories: the gateway cannot import the service, so this test keeps them
in step (the rules themselves live in the service's domain only)."""
from gateway.routes import notifications as routes
from notifications.domain.messages import CATEGORIES, CHANNELS
from notifications.domain.records import STATUSES


def test_channels_statuses_and_categories_are_the_domains():
    assert routes.CHANNEL["enum"] == list(CHANNELS)
    assert routes.STATUSES == list(STATUSES)
    described = routes.CATEGORY_SWITCHES["description"]
    assert all(c in described for c in CATEGORIES)
