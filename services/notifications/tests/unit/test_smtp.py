"""The SMTP sender against a real aiosmtpd server on 127.0.0.1 (ephemeral port)."""
import pytest

from notifications.channels.email import (PermanentFailure, SmtpConfig, SmtpSender, TemporaryFailure)
from notifications.templates.renderer import Renderer
from testkit.smtp import SmtpTestServer, free_port

RENDERER = Renderer("https://stages.example.fr")


def _rendered():
    return RENDERER.render("application_rejected", {"application_id": "app-1", "offer_title": "Atelier vélo",
                                                    "organisation_name": "Vélos & Cie", "reason": "Plus de place"},
                           recipient_name="Léa Martin")


def _send(cfg, to="lea@example.org"):
    r = _rendered()
    return SmtpSender(cfg).send(to=to, to_name="Léa Martin", subject=r.subject, text=r.text, html=r.html,
                                headers={"X-Stages-Message": "key-1"})


def test_plain_smtp_delivers_a_multipart_alternative_message():
    with SmtpTestServer("plain") as srv:
        mid = _send(SmtpConfig(host=srv.host, port=srv.port, from_address="noreply@stages.test"))
        [got] = srv.wait_for(1)
    assert got.mail_from == "noreply@stages.test"
    assert got.rcpt_tos == ["lea@example.org"]
    msg = got.message
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Message-ID"] == mid
    assert msg["X-Stages-Message"] == "key-1"
    assert got.subject == "Réponse à votre candidature"
    assert "Léa Martin" in str(msg["To"]) and "lea@example.org" in str(msg["To"])
    assert "1 élève, 1 stage" in str(msg["From"])
    assert "Vélos & Cie n'a pas retenu votre candidature" in got.text
    assert "Motif : Plus de place" in got.text
    assert "Vélos &amp; Cie" in got.html
    assert "https://stages.example.fr/eleve/candidatures/app-1" in got.text
    assert 'href="https://stages.example.fr/eleve/candidatures/app-1"' in got.html


def test_starttls_with_credentials():
    with SmtpTestServer("starttls", users={"mailer": "s3cret"}) as srv:
        cfg = SmtpConfig(host=srv.host, port=srv.port, security="starttls", username="mailer", password="s3cret",
                         ca_file=srv.cert_file)
        _send(cfg)
        [got] = srv.wait_for(1)
    assert got.login == "mailer"
    assert got.rcpt_tos == ["lea@example.org"]


def test_implicit_tls_with_credentials():
    with SmtpTestServer("tls", users={"mailer": "s3cret"}) as srv:
        cfg = SmtpConfig(host=srv.host, port=srv.port, security="tls", username="mailer", password="s3cret",
                         ca_file=srv.cert_file)
        _send(cfg)
        [got] = srv.wait_for(1)
    assert got.login == "mailer"
    assert got.message.get_content_type() == "multipart/alternative"


def test_untrusted_certificate_is_refused_unless_verification_is_off():
    with SmtpTestServer("tls") as srv:
        with pytest.raises(TemporaryFailure):
            _send(SmtpConfig(host=srv.host, port=srv.port, security="tls"))
        _send(SmtpConfig(host=srv.host, port=srv.port, security="tls", verify_tls=False))
        assert len(srv.wait_for(1)) == 1


def test_wrong_password_is_a_temporary_failure_and_nothing_arrives():
    with SmtpTestServer("starttls", users={"mailer": "s3cret"}) as srv:
        cfg = SmtpConfig(host=srv.host, port=srv.port, security="starttls", username="mailer", password="nope",
                         ca_file=srv.cert_file)
        with pytest.raises(TemporaryFailure, match="authentication"):
            _send(cfg)
        assert srv.received == []


def test_server_down_is_a_temporary_failure():
    with pytest.raises(TemporaryFailure, match="connection"):
        _send(SmtpConfig(host="127.0.0.1", port=free_port(), timeout=2))


def test_refused_recipient_is_permanent_and_deferred_is_temporary():
    with SmtpTestServer("plain") as srv:
        srv.handler.refuse.add("nobody@example.org")
        srv.handler.defer.add("later@example.org")
        cfg = SmtpConfig(host=srv.host, port=srv.port)
        with pytest.raises(PermanentFailure, match="550"):
            _send(cfg, to="nobody@example.org")
        with pytest.raises(TemporaryFailure, match="451"):
            _send(cfg, to="later@example.org")
        assert srv.received == []


def test_config_from_env():
    cfg = SmtpConfig.from_env({"SMTP_HOST": "smtp.example.fr", "SMTP_PORT": "465", "SMTP_SECURITY": "TLS",
                               "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p", "SMTP_FROM": "a@b.fr"})
    assert (cfg.host, cfg.port, cfg.security, cfg.username, cfg.password, cfg.from_address) == \
        ("smtp.example.fr", 465, "tls", "u", "p", "a@b.fr")
    assert SmtpConfig.from_env({}).port == 1025
    with pytest.raises(ValueError):
        SmtpSender(SmtpConfig(security="ssl3"))


def test_accented_subjects_arrive_exactly():
    """Python's header folding could drop the space before '»' at an encoded-word fold."""
    subjects = ["Nouvelle candidature pour « Boulanger pâtissier »",
                "Rappel : confirmez votre stage avant le mardi 8 décembre 2026 à 10 h 00",
                "La convention de stage de Léa Martin-Dupont est signée par toutes les parties, bravo à vous"]
    with SmtpTestServer("plain") as srv:
        for s in subjects:
            SmtpSender(SmtpConfig(host=srv.host, port=srv.port)).send(to="a@example.org", subject=s, text="é" * 300,
                                                                      html="<p>é</p>")
        got = srv.wait_for(len(subjects))
    assert [g.subject for g in got] == subjects
    assert got[0].text.strip() == "é" * 300
