"""Local PKI: a dev CA, a loopback server certificate and the token signing key.

Everything lives in the state directory and is reused across restarts, so a
client that trusts ``ca.pem`` once keeps trusting later server runs.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_DNS_NAMES: tuple[str, ...] = ("localhost",)
SERVER_IPS: tuple[str, ...] = ("127.0.0.1", "::1")
_RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class PkiFiles:
    """Paths of the PEM files that make up the dev tenant's PKI."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    signing_key: Path
    signing_cert: Path

    @classmethod
    def in_dir(cls, state_dir: Path) -> PkiFiles:
        return cls(
            ca_cert=state_dir / "ca.pem",
            ca_key=state_dir / "ca-key.pem",
            server_cert=state_dir / "server.pem",
            server_key=state_dir / "server-key.pem",
            signing_key=state_dir / "signing-key.pem",
            signing_cert=state_dir / "signing-cert.pem",
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_key(path: Path) -> CertificateIssuerPrivateKeyTypes:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey))
    return key


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "devtenant"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _create_ca(files: PkiFiles) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("devtenant local CA")
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(files.ca_key, _key_pem(key))
    _write_public(files.ca_cert, cert.public_bytes(serialization.Encoding.PEM))


def _server_cert_ok(files: PkiFiles, ca_cert: x509.Certificate) -> bool:
    if not (files.server_cert.exists() and files.server_key.exists()):
        return False
    cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    if cert.issuer != ca_cert.subject or cert.not_valid_after_utc - _now() < _RENEW_BEFORE:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except Exception:  # noqa: BLE001 - any verification failure means "reissue"
        return False
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    dns = set(san.get_values_for_type(x509.DNSName))
    return ips >= set(SERVER_IPS) and dns >= set(SERVER_DNS_NAMES)


def _create_server_cert(files: PkiFiles, ca_cert: x509.Certificate) -> None:
    ca_key = _load_key(files.ca_key)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    san = x509.SubjectAlternativeName(
        [x509.DNSName(name) for name in SERVER_DNS_NAMES]
        + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IPS]
    )
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=397))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(files.server_key, _key_pem(key))
    _write_public(files.server_cert, cert.public_bytes(serialization.Encoding.PEM))


def _create_signing_key(files: PkiFiles) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name("devtenant token signing")
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    _write_private(files.signing_key, _key_pem(key))
    _write_public(files.signing_cert, cert.public_bytes(serialization.Encoding.PEM))


def ensure_pki(state_dir: Path) -> PkiFiles:
    """Create (or reuse) the CA, server certificate and signing key in `state_dir`."""
    state_dir.mkdir(parents=True, exist_ok=True)
    files = PkiFiles.in_dir(state_dir)
    with open(state_dir / ".pki.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (files.ca_cert.exists() and files.ca_key.exists()):
            _create_ca(files)
            for stale in (files.server_cert, files.server_key):
                stale.unlink(missing_ok=True)
        ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        if not _server_cert_ok(files, ca_cert):
            _create_server_cert(files, ca_cert)
        if not (files.signing_key.exists() and files.signing_cert.exists()):
            _create_signing_key(files)
    return files


def load_signing_key(files: PkiFiles) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The RSA key (and its self-signed certificate) used to sign access tokens."""
    key = serialization.load_pem_private_key(files.signing_key.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError(f"{files.signing_key} is not an RSA key")
    cert = x509.load_pem_x509_certificate(files.signing_cert.read_bytes())
    return key, cert
