"""PAdES sealing of the final PDF with the platform's certificate (pyHanko).

Production configures a certificate and key (PEM files, optional passphrase:
env ``CONVENTIONS_SEAL_CERT``, ``CONVENTIONS_SEAL_KEY``, ``CONVENTIONS_SEAL_KEY_PASSPHRASE``).
Development and tests use a self-signed certificate generated with
``cryptography`` (``ensure_dev_certificate``).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import pathlib

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SEAL_FIELD = "SceauPlateforme"


def generate_self_signed(common_name: str = "Plateforme des stages d'observation (développement)",
                         *, days: int = 3650) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) of a self-signed RSA-2048 sealing certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Plateforme des stages d'observation"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_cert_sign=True,
                                         crl_sign=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def ensure_dev_certificate(directory: str | os.PathLike) -> tuple[pathlib.Path, pathlib.Path]:
    """Create (once) a self-signed certificate and key under ``directory``; return their paths."""
    d = pathlib.Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = d / "seal-cert.pem", d / "seal-key.pem"
    if not (cert_path.exists() and key_path.exists()):
        cert_pem, key_pem = generate_self_signed()
        tmp_key = key_path.with_suffix(f".{os.getpid()}.tmp")
        tmp_key.write_bytes(key_pem)
        os.chmod(tmp_key, 0o600)
        tmp_cert = cert_path.with_suffix(f".{os.getpid()}.tmp")
        tmp_cert.write_bytes(cert_pem)
        os.replace(tmp_key, key_path)
        os.replace(tmp_cert, cert_path)
    return cert_path, key_path


def _cached_key_signer_class():
    """pyHanko's SimpleSigner re-parses (and, for RSA, re-validates: ~50 ms) the private key on every
    signature; this subclass keeps the parsed key."""
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    class CachedKeySigner(signers.SimpleSigner):
        def __init__(self, *args, crypto_key=None, **kwargs):
            super().__init__(*args, **kwargs)
            self._crypto_key = crypto_key

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algo = mechanism.signature_algo
            except ValueError:
                algo = mechanism["algorithm"].native
            key = self._crypto_key
            hash_algo = get_pyca_cryptography_hash(digest_algorithm)
            if algo == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                return key.sign(data, PKCS1v15(), hash_algo)
            if algo == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
                return key.sign(data, signature_algorithm=ECDSA(hash_algo))
            return super().sign_raw(data, digest_algorithm)

    return CachedKeySigner


class Sealer:
    """Seals PDFs with one certificate. Thread-safe (each call builds its own writer)."""

    def __init__(self, cert_pem: bytes, key_pem: bytes, passphrase: bytes | None = None):
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        crypto_cert = x509.load_pem_x509_certificate(cert_pem)
        crypto_key = serialization.load_pem_private_key(key_pem, password=passphrase)
        self.certificate = asn1_x509.Certificate.load(crypto_cert.public_bytes(serialization.Encoding.DER))
        key_info = asn1_keys.PrivateKeyInfo.load(crypto_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        self.signer = _cached_key_signer_class()(
            signing_cert=self.certificate, signing_key=key_info,
            cert_registry=SimpleCertificateStore.from_certs([self.certificate]), crypto_key=crypto_key)
        self.cert_pem = cert_pem

    @classmethod
    def from_files(cls, cert_path, key_path, passphrase: str | None = None) -> "Sealer":
        return cls(pathlib.Path(cert_path).read_bytes(), pathlib.Path(key_path).read_bytes(),
                   passphrase.encode() if passphrase else None)

    @classmethod
    def from_env(cls, dev_dir: str | os.PathLike | None = None) -> "Sealer":
        cert, key = os.environ.get("CONVENTIONS_SEAL_CERT"), os.environ.get("CONVENTIONS_SEAL_KEY")
        if cert and key:
            return cls.from_files(cert, key, os.environ.get("CONVENTIONS_SEAL_KEY_PASSPHRASE"))
        cert_path, key_path = ensure_dev_certificate(dev_dir or os.environ.get("CONVENTIONS_SEAL_DEV_DIR")
                                                     or pathlib.Path.cwd() / "var" / "conventions")
        return cls.from_files(cert_path, key_path)

    def seal(self, pdf: bytes, *, reason: str = "Scellement de la convention par la plateforme",
             location: str = "France") -> bytes:
        """Return the PDF with a PAdES (ETSI.CAdES.detached) certification signature: no change allowed."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko.sign.fields import MDPPerm

        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason, location=location, certify=True, docmdp_permissions=MDPPerm.NO_CHANGES,
            name="Plateforme des stages d'observation")
        out = io.BytesIO()
        # bytes_reserved: skip the dry run that sizes the signature (one RSA-2048 CMS is ~2 kB; hex doubles it)
        signers.PdfSigner(meta, signer=self.signer).sign_pdf(writer, output=out, bytes_reserved=16384)
        return out.getvalue()


def validate_seal(pdf: bytes, trusted_cert_pem: bytes) -> dict:
    """Validate the platform seal of a PDF (used by tests and for support): a summary dict."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(trusted_cert_pem)
                                      .public_bytes(serialization.Encoding.DER))
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    sigs = reader.embedded_signatures
    if not sigs:
        return {"signed": False, "intact": False, "valid": False, "trusted": False}
    sig = sigs[0]
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[root], allow_fetching=False))
    return {"signed": True, "field": sig.field_name, "intact": bool(status.intact), "valid": bool(status.valid),
            "trusted": bool(status.trusted), "coverage": str(status.coverage),
            "docmdp_ok": getattr(status, "docmdp_ok", None), "md_algorithm": status.md_algorithm,
            "subfilter": str(sig.sig_object.get("/SubFilter")), "bottom_line": bool(status.bottom_line)}
