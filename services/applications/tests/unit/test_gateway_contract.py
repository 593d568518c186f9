"""The gateway's schemas of the applications routes (gateway/gateway/routes/applications.py) describe the API
with the domain's vocabulary and bounds: they are the contract, the rules stay in the service. This test
keeps both the same (the gateway package does not depend on the service's)."""
import gateway.routes.applications as routes

from applications.domain import machine as M
from applications.domain import states as S
from applications.domain import submission


def test_states_tabs_and_actions_are_the_domains():
    assert routes.STATES == list(S.STATES)
    assert routes.TABS == list(S.TABS)
    assert routes.ACTIONS == list(M.USER_ACTIONS)
    assert routes.BULK["properties"]["action"]["enum"] == list(M.BULK_ACTIONS)


def test_text_bounds_are_the_domains():
    assert routes.REASON["maxLength"] == M.REASON_MAX
    assert routes.MESSAGE["maxLength"] == M.MESSAGE_MAX
    form = routes.FORM["properties"]
    assert form["motivation"]["maxLength"] == submission.MOTIVATION_MAX
    assert form["address"]["maxLength"] == submission.ADDRESS_MAX
    assert form["legal_representative"]["properties"]["name"]["maxLength"] == submission.NAME_MAX
