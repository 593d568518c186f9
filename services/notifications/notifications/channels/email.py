"""Email over SMTP (smtplib): plain, STARTTLS or implicit TLS, with optional
credentials, producing ``multipart/alternative`` messages (text, then HTML).

Errors are classified so the caller can decide: ``TemporaryFailure`` (server
down, timeout, 4xx: retry later with backoff) or ``PermanentFailure`` (5xx on
the recipient or the content: retrying would not help).
"""
from __future__ import annotations

import email.policy
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

# No header folding below 998 characters: Python's folding of RFC 2047 encoded words can drop the
# space at a fold ("« Boulanger pâtissier »" arrived as "« Boulanger pâtissier»"). Subjects stay short.
POLICY = email.policy.SMTP.clone(max_line_length=998)

SECURITY_NONE = "none"
SECURITY_STARTTLS = "starttls"
SECURITY_TLS = "tls"


class DeliveryError(Exception):
    permanent = False


class TemporaryFailure(DeliveryError):
    permanent = False


class PermanentFailure(DeliveryError):
    permanent = True


class Unreachable(TemporaryFailure):
    """The server (or provider) cannot be reached at all: an outage of the channel, not of one message."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 1025
    security: str = SECURITY_NONE          # none | starttls | tls
    username: str | None = None
    password: str | None = None
    from_address: str = "ne-pas-repondre@1eleve1stage.education.gouv.fr"
    from_name: str = "1 élève, 1 stage"
    timeout: float = 10.0
    # Verify the server's certificate (disable only against a local test server).
    verify_tls: bool = True
    ca_file: str | None = None

    @classmethod
    def from_env(cls, env: dict) -> "SmtpConfig":
        def get(name, default=None):
            v = env.get(name)
            return default if v in (None, "") else v
        return cls(
            host=get("SMTP_HOST", "127.0.0.1"),
            port=int(get("SMTP_PORT", 1025)),
            security=get("SMTP_SECURITY", SECURITY_NONE).lower(),
            username=get("SMTP_USERNAME"),
            password=get("SMTP_PASSWORD"),
            from_address=get("SMTP_FROM", cls.from_address),
            from_name=get("SMTP_FROM_NAME", cls.from_name),
            timeout=float(get("SMTP_TIMEOUT", 10.0)),
            verify_tls=str(get("SMTP_VERIFY_TLS", "1")).lower() not in ("0", "false", "no"),
            ca_file=get("SMTP_CA_FILE"),
        )


def build_message(*, from_address: str, from_name: str, to: str, subject: str, text: str, html: str,
                  to_name: str | None = None, message_id: str | None = None,
                  headers: dict | None = None) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = formataddr((from_name, from_address))
    msg["To"] = formataddr((to_name, to)) if to_name else to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id or make_msgid(domain=from_address.rpartition("@")[2] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg


class SmtpSender:
    def __init__(self, config: SmtpConfig):
        if config.security not in (SECURITY_NONE, SECURITY_STARTTLS, SECURITY_TLS):
            raise ValueError(f"SMTP security must be none, starttls or tls, not {config.security!r}")
        self.config = config

    def _tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.config.ca_file)
        if not self.config.verify_tls:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == SECURITY_TLS:
            smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls_context())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        smtp.ehlo()
        if c.security == SECURITY_STARTTLS:
            smtp.starttls(context=self._tls_context())
            smtp.ehlo()
        if c.username:
            smtp.login(c.username, c.password or "")
        return smtp

    def send(self, *, to: str, subject: str, text: str, html: str, to_name: str | None = None,
             message_id: str | None = None, headers: dict | None = None) -> str:
        """Send one message; returns its Message-ID. Raises TemporaryFailure or PermanentFailure."""
        msg = build_message(from_address=self.config.from_address, from_name=self.config.from_name, to=to,
                            to_name=to_name, subject=subject, text=text, html=html, message_id=message_id,
                            headers=headers)
        try:
            smtp = self._connect()
        except smtplib.SMTPAuthenticationError as e:
            raise TemporaryFailure(f"SMTP authentication failed: {e.smtp_code} {_txt(e.smtp_error)}") from e
        except (OSError, smtplib.SMTPException, socket.timeout) as e:
            raise Unreachable(f"SMTP connection to {self.config.host}:{self.config.port} failed: {e}") from e
        try:
            refused = smtp.send_message(msg)
            if refused:
                raise PermanentFailure(f"SMTP refused recipients: {refused}")
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            detail = "; ".join(f"{rcpt}: {code} {_txt(err)}" for rcpt, (code, err) in e.recipients.items())
            if all(400 <= code < 500 for code in codes):
                raise TemporaryFailure(f"SMTP recipient deferred: {detail}") from e
            raise PermanentFailure(f"SMTP recipient refused: {detail}") from e
        except smtplib.SMTPResponseException as e:
            err = f"SMTP error {e.smtp_code}: {_txt(e.smtp_error)}"
            if 500 <= e.smtp_code < 600:
                raise PermanentFailure(err) from e
            raise TemporaryFailure(err) from e
        except (OSError, smtplib.SMTPException) as e:
            raise TemporaryFailure(f"SMTP error: {e}") from e
        finally:
            try:
                smtp.quit()
            except Exception:  # noqa: BLE001 - the message is sent (or not) already
                smtp.close()
        return msg["Message-ID"]


def _txt(v) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
