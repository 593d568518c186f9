"""SMS providers: the HTTP provider against a tiny local HTTP server, and the log provider."""
import logging

import pytest

from notifications.channels.email import PermanentFailure, TemporaryFailure
from notifications.channels.sms import HttpSmsProvider, LogSmsProvider, provider_from_env
from testkit.smtp import free_port
from testkit.sms import FakeSmsApi


def test_http_provider_posts_json_with_the_token():
    with FakeSmsApi() as api:
        p = HttpSmsProvider(api.url, "tok-123", sender="STAGES")
        assert p.send(to="+33612345678", text="Votre code est 123456", reference="k1") == "sms-42"
    [req] = api.requests
    assert req["path"] == "/v1/sms"
    assert req["headers"]["Authorization"] == "Bearer tok-123"
    assert req["headers"]["Content-Type"] == "application/json"
    assert req["json"] == {"to": "+33612345678", "text": "Votre code est 123456", "sender": "STAGES",
                           "reference": "k1"}


@pytest.mark.parametrize("status,error", [(500, TemporaryFailure), (503, TemporaryFailure),
                                          (429, TemporaryFailure), (400, PermanentFailure),
                                          (401, PermanentFailure)])
def test_http_provider_classifies_errors(status, error):
    with FakeSmsApi(status=status, answer=b'{"error": "x"}') as api:
        with pytest.raises(error, match=str(status)):
            HttpSmsProvider(api.url, "t").send(to="+33612345678", text="x")


def test_http_provider_unreachable_is_temporary():
    with pytest.raises(TemporaryFailure, match="unreachable"):
        HttpSmsProvider(f"http://127.0.0.1:{free_port()}/sms", "t", timeout=2).send(to="+33612345678", text="x")


def test_log_provider_writes_to_the_log(caplog):
    p = LogSmsProvider()
    with caplog.at_level(logging.INFO, logger="notifications.sms"):
        ref = p.send(to="+33612345678", text="Bonjour", reference="k")
    assert ref == "log-1"
    assert "+33612345678" in caplog.text and "Bonjour" in caplog.text
    assert p.sent == [{"to": "+33612345678", "text": "Bonjour", "reference": "k"}]


def test_provider_from_env():
    assert isinstance(provider_from_env({}), LogSmsProvider)
    p = provider_from_env({"SMS_PROVIDER": "http", "SMS_HTTP_URL": "http://x/sms", "SMS_HTTP_TOKEN": "t"})
    assert isinstance(p, HttpSmsProvider) and p.url == "http://x/sms" and p.token == "t"
    with pytest.raises(ValueError):
        provider_from_env({"SMS_PROVIDER": "carrier-pigeon"})
    with pytest.raises(ValueError):
        provider_from_env({"SMS_PROVIDER": "http"})
