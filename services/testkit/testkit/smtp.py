"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 and an ephemeral port,
optionally with STARTTLS or implicit TLS and authentication, collecting what
arrives (parsed with the email package) so tests assert on real messages."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_cert(directory: str | Path, hostname: str = "127.0.0.1") -> tuple[str, str]:
    """Write a self-signed certificate and key for ``hostname``; return their paths."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.timezone.utc)
    try:
        alt = x509.IPAddress(ipaddress.ip_address(hostname))
    except ValueError:
        alt = x509.DNSName(hostname)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .sign(key, hashes.SHA256()))
    d = Path(directory)
    cert_path, key_path = d / "cert.pem", d / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: email.message.EmailMessage
    login: str | None = None

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)      # 550 for these recipients
    defer: set[str] = field(default_factory=set)       # 451 for these recipients
    cond: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        if address in self.defer:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        login = session.auth_data.login.decode() if getattr(session, "auth_data", None) is not None else None
        with self.cond:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, msg, login))
            self.cond.notify_all()
        return "250 Message accepted for delivery"


class SmtpTestServer:
    """``with SmtpTestServer(mode="starttls", users={"u": "p"}) as srv: ...``

    mode: "plain" | "starttls" (required before AUTH) | "tls" (implicit TLS)."""

    def __init__(self, mode: str = "plain", users: dict[str, str] | None = None, port: int | None = None):
        self.mode = mode
        self.users = users
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.handler = _Handler()
        self._tmp = tempfile.TemporaryDirectory()
        self.cert_file, self.key_file = self_signed_cert(self._tmp.name)
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = (self.users is not None and auth_data is not None
              and self.users.get(auth_data.login.decode()) == auth_data.password.decode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def start(self) -> "SmtpTestServer":
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(self.cert_file, self.key_file)
        kwargs = {}
        if self.users is not None:
            kwargs.update(authenticator=self._authenticator, auth_required=True,
                          # aiosmtpd only counts STARTTLS as TLS; implicit TLS is TLS from the start.
                          auth_require_tls=self.mode == "starttls")
        else:
            kwargs.update(auth_require_tls=False)
        if self.mode == "starttls":
            kwargs.update(tls_context=server_ctx, require_starttls=True)
        elif self.mode == "tls":
            kwargs.update(ssl_context=server_ctx)
        self.controller = Controller(self.handler, hostname=self.host, port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self._tmp.cleanup()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until ``count`` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self.handler.cond:
            while len(self.handler.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self.handler.received)}")
                self.handler.cond.wait(left)
            return list(self.handler.received)
