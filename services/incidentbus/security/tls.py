"""A local certificate authority and the broker's certificate, made with `cryptography`.

`incidentbus tls init --dir DIR` (and `infra/kafka-secure start`, which calls it for its own
directory) writes:

- `ca.crt`     the CA certificate: what clients trust (`INCIDENTBUS_SSL_CAFILE`), 0644
- `ca.key`     the CA's private key, 0600: whoever holds it can mint broker certificates
- `broker.crt` the broker's certificate followed by the CA's (the chain a PEM keystore wants), 0644
- `broker.key` the broker's private key, unencrypted PKCS#8 PEM (what Kafka's PEM keystore
  reads), 0600

The keys are ECDSA P-256. The CA lives 5 years and may sign only end-entity certificates
(path length 0); a broker certificate lives 397 days (the public web's ceiling), is valid for
TLS server and client authentication (a KRaft node is a client of its own listeners), and names
its hosts as subject alternative names (127.0.0.1 and localhost by default): clients check them,
the common name is not looked at. A second `init` keeps what is still good — the CA, and a
broker certificate with the same hosts that the CA signed and that has 30 days left — so the
clients' trust survives a restart; `--force` makes everything new.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.crt"
CA_KEY = "ca.key"
BROKER_CERT = "broker.crt"
BROKER_KEY = "broker.key"
DEFAULT_HOSTS = ("127.0.0.1", "localhost")
CA_DAYS = 5 * 365
BROKER_DAYS = 397
RENEW_DAYS = 30  # a broker certificate with less left than this is replaced by `init`
CLOCK_SKEW = dt.timedelta(minutes=5)  # not-before lies this far back: a client's clock may be behind
ORGANIZATION = "incidentbus"

Action = Literal["created", "kept", "renewed"]


class TlsError(Exception):
    """The directory holds something unusable (unreadable PEM, a key that is not the CA's)."""


@dataclass(frozen=True)
class Issued:
    """What `init` did with each file pair, and where they are."""

    directory: Path
    ca: Action
    broker: Action
    hosts: tuple[str, ...]
    broker_not_after: dt.datetime

    @property
    def ca_cert(self) -> Path:
        return self.directory / CA_CERT

    @property
    def broker_cert(self) -> Path:
        return self.directory / BROKER_CERT

    @property
    def broker_key(self) -> Path:
        return self.directory / BROKER_KEY


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_ca(
    key: ec.EllipticCurvePrivateKey, *, now: dt.datetime | None = None, days: int = CA_DAYS
) -> x509.Certificate:
    """A self-signed CA that signs end-entity certificates only."""
    now = now or _now()
    name = _name("incidentbus local CA")
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def make_broker_cert(
    key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    *,
    now: dt.datetime | None = None,
    days: int = BROKER_DAYS,
) -> x509.Certificate:
    """An end-entity certificate for the broker's hosts, signed by the CA.

    Never outlives the CA: a chain whose CA expires first would break on that day anyway.
    """
    if not hosts:
        raise TlsError("a broker certificate needs at least one host")
    now = now or _now()
    not_after = min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc)
    public = key.public_key()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
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
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def signed_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    """Whether `ca_cert`'s key signed `cert` (issuer name and signature, not just the name)."""
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def hosts_of(cert: x509.Certificate) -> set[str]:
    """The subject alternative names of a certificate, as strings."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(n) for n in san.get_values_for_type(x509.IPAddress)} | set(
        san.get_values_for_type(x509.DNSName)
    )


# ---- files -----------------------------------------------------------------------------------


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write atomically with the permissions from the start (a key is never briefly world-readable)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed it; a key file is exactly 0600
        os.write(fd, data)
    finally:
        os.close(fd)
    tmp.replace(path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise TlsError(f"cannot read the private key {path}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TlsError(f"{path}: expected an EC private key")
    return key


def _load_cert(path: Path) -> x509.Certificate:
    """The first certificate of a PEM file (the leaf of a chain)."""
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())[0]
    except (OSError, ValueError, IndexError) as exc:
        raise TlsError(f"cannot read the certificate {path}: {exc}") from exc


def _same_key(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    return cert.public_key() == key.public_key()


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    cert_path, key_path = directory / CA_CERT, directory / CA_KEY
    if not cert_path.exists() and not key_path.exists():
        return None
    if not (cert_path.exists() and key_path.exists()):
        raise TlsError(f"{directory} has only one of {CA_CERT} and {CA_KEY}; --force starts over")
    cert, key = _load_cert(cert_path), _load_key(key_path)
    if not _same_key(cert, key):
        raise TlsError(f"{key_path} is not the key of {cert_path}; --force starts over")
    return cert, key


def _broker_still_good(
    directory: Path, ca_cert: x509.Certificate, hosts: Sequence[str], now: dt.datetime
) -> bool:
    cert_path, key_path = directory / BROKER_CERT, directory / BROKER_KEY
    if not (cert_path.exists() and key_path.exists()):
        return False
    cert = _load_cert(cert_path)
    return (
        signed_by(cert, ca_cert)
        and _same_key(cert, _load_key(key_path))
        and hosts_of(cert) == set(hosts)
        and cert.not_valid_after_utc - now > dt.timedelta(days=RENEW_DAYS)
    )


def init(
    directory: Path,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    *,
    force: bool = False,
    now: dt.datetime | None = None,
) -> Issued:
    """Make sure `directory` holds a CA and a broker certificate for `hosts`; see the module doc."""
    now = now or _now()
    hosts = tuple(dict.fromkeys(hosts))  # ordered, without repeats
    directory.mkdir(parents=True, exist_ok=True)
    existing = None if force else _load_ca(directory)
    ca_action: Action
    if existing is not None and existing[0].not_valid_after_utc - now > dt.timedelta(days=RENEW_DAYS):
        ca_cert, ca_key = existing
        ca_action = "kept"
    else:
        ca_key = new_key()
        ca_cert = make_ca(ca_key, now=now)
        _write(directory / CA_KEY, _key_pem(ca_key), 0o600)
        _write(directory / CA_CERT, _cert_pem(ca_cert), 0o644)
        ca_action = "created" if existing is None else "renewed"
    broker_action: Action
    had_broker = (directory / BROKER_CERT).exists()
    if ca_action == "kept" and _broker_still_good(directory, ca_cert, hosts, now):
        broker_action = "kept"
    else:
        key = new_key()
        cert = make_broker_cert(key, ca_cert, ca_key, hosts, now=now)
        _write(directory / BROKER_KEY, _key_pem(key), 0o600)
        _write(directory / BROKER_CERT, _cert_pem(cert, ca_cert), 0o644)
        broker_action = "renewed" if had_broker and not force else "created"
    return Issued(
        directory, ca_action, broker_action, hosts, _load_cert(directory / BROKER_CERT).not_valid_after_utc
    )
