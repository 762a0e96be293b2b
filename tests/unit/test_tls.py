"""The local CA and broker certificate (security/tls.py), and the client TLS settings."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from pydantic import ValidationError

from incidentbus.kernel.settings import BusSettings
from incidentbus.security import tls

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _certs(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tls.Issued:
    return tls.init(tmp_path_factory.mktemp("tls"), now=NOW)


def test_the_broker_certificate_names_its_hosts_and_is_signed_by_the_ca(issued: tls.Issued) -> None:
    leaf, chained_ca = _certs(issued.broker_cert)
    (ca,) = _certs(issued.ca_cert)
    assert chained_ca == ca  # broker.crt is the chain a PEM keystore wants: leaf, then CA
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    # The CA's key signed it (a real signature check, not a name comparison).
    leaf.verify_directly_issued_by(ca)
    assert tls.signed_by(leaf, ca)
    assert not tls.signed_by(leaf, tls.make_ca(tls.new_key(), now=NOW))  # same name, other key
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest


def test_lifetimes_are_sane(issued: tls.Issued) -> None:
    leaf, ca = _certs(issued.broker_cert)
    assert leaf.not_valid_before_utc == ca.not_valid_before_utc == NOW - tls.CLOCK_SKEW
    assert leaf.not_valid_after_utc == NOW + dt.timedelta(days=397)
    assert ca.not_valid_after_utc == NOW + dt.timedelta(days=5 * 365)
    assert issued.broker_not_after == leaf.not_valid_after_utc
    # A broker certificate never outlives its CA.
    ca_key = tls.new_key()
    short_ca = tls.make_ca(ca_key, now=NOW, days=30)
    short = tls.make_broker_cert(tls.new_key(), short_ca, ca_key, now=NOW)
    assert short.not_valid_after_utc == short_ca.not_valid_after_utc


def test_key_usages_keep_the_ca_a_ca_and_the_broker_a_server(issued: tls.Issued) -> None:
    leaf, ca = _certs(issued.broker_cert)
    ca_basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert ca_basic.critical
    assert ca_basic.value.ca
    assert ca_basic.value.path_length == 0
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert ca_usage.critical
    assert ca_usage.value.key_cert_sign
    assert ca_usage.value.crl_sign
    assert not ca_usage.value.digital_signature

    leaf_basic = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert leaf_basic.critical
    assert not leaf_basic.value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert not usage.value.key_cert_sign
    extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(extended) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)


def test_keys_are_private_files_and_certificates_readable(issued: tls.Issued) -> None:
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in issued.directory.iterdir()}
    assert modes == {"ca.key": 0o600, "broker.key": 0o600, "ca.crt": 0o644, "broker.crt": 0o644}
    assert b"BEGIN PRIVATE KEY" in issued.broker_key.read_bytes()  # PKCS#8, what Kafka's PEM store reads


def test_python_clients_accept_the_chain_for_the_names_and_nothing_else(tmp_path: Path) -> None:
    """The standard library's own verification (what aiokafka and faust use) against the files."""
    issued = tls.init(tmp_path)  # valid now, by the wall clock the handshake checks
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(issued.broker_cert, issued.broker_key)
    client = ssl.create_default_context(cafile=str(issued.ca_cert))
    for host in ("127.0.0.1", "localhost"):
        assert _handshake(server, client, host) is None
    assert "mismatch" in str(_handshake(server, client, "broker.example.org")).lower()
    stranger = ssl.create_default_context()  # the system's CAs do not know ours
    assert "certificate verify failed" in str(_handshake(server, stranger, "127.0.0.1"))


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, host: str) -> Exception | None:
    """A TLS handshake in memory; the client's error, or None."""
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(c_in, c_out, server_hostname=host)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"c": False, "s": False}
    for _ in range(20):
        for name, side in (("c", c), ("s", s)):
            if done[name]:
                continue
            try:
                side.do_handshake()
                done[name] = True
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except ssl.SSLError as exc:
                if name == "c":
                    return exc
                done[name] = True  # the server's view of a client that gave up
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return None
    raise AssertionError("handshake did not finish")


def test_a_second_init_keeps_what_is_good_and_replaces_what_is_not(tmp_path: Path) -> None:
    first = tls.init(tmp_path, now=NOW)
    assert (first.ca, first.broker) == ("created", "created")
    ca_bytes, broker_bytes = first.ca_cert.read_bytes(), first.broker_cert.read_bytes()

    again = tls.init(tmp_path, now=NOW + dt.timedelta(days=10))
    assert (again.ca, again.broker) == ("kept", "kept")
    assert (first.ca_cert.read_bytes(), first.broker_cert.read_bytes()) == (ca_bytes, broker_bytes)

    other_hosts = tls.init(tmp_path, ["127.0.0.1", "localhost", "kafka.internal"], now=NOW)
    assert (other_hosts.ca, other_hosts.broker) == ("kept", "renewed")
    assert first.ca_cert.read_bytes() == ca_bytes  # clients keep trusting the same CA

    near_expiry = tls.init(tmp_path, other_hosts.hosts, now=NOW + dt.timedelta(days=380))
    assert near_expiry.broker == "renewed"

    forced = tls.init(tmp_path, now=NOW, force=True)
    assert (forced.ca, forced.broker) == ("created", "created")
    assert first.ca_cert.read_bytes() != ca_bytes


def test_a_broken_directory_is_refused_not_patched(tmp_path: Path) -> None:
    tls.init(tmp_path, now=NOW)
    (tmp_path / "ca.key").unlink()
    with pytest.raises(tls.TlsError, match="only one of"):
        tls.init(tmp_path, now=NOW)
    other = tmp_path / "other"
    tls.init(other, now=NOW)
    (tmp_path / "ca.key").write_bytes((other / "ca.key").read_bytes())
    with pytest.raises(tls.TlsError, match="is not the key of"):
        tls.init(tmp_path, now=NOW)


def test_settings_build_a_verifying_client_context(issued: tls.Issued) -> None:
    settings = BusSettings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="operator",
        sasl_password="x",  # type: ignore[arg-type]
        ssl_cafile=issued.ca_cert,
    )
    context = settings.ssl_context()
    assert context is not None
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert settings.kafka_client_options()["ssl_context"] is not None
    assert BusSettings().ssl_context() is None
    assert "ssl_context" not in BusSettings().kafka_client_options()


def test_settings_come_from_the_environment(issued: tls.Issued, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENTBUS_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("INCIDENTBUS_SSL_CAFILE", str(issued.ca_cert))
    monkeypatch.setenv("INCIDENTBUS_SSL_CHECK_HOSTNAME", "false")
    settings = BusSettings()
    assert settings.ssl_cafile == issued.ca_cert
    context = settings.ssl_context()
    assert context is not None
    assert not context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED  # the chain is still verified


def test_tls_files_with_a_plaintext_protocol_are_refused(issued: tls.Issued) -> None:
    with pytest.raises(ValidationError, match=r"INCIDENTBUS_SSL_CAFILE set but .*SASL_PLAINTEXT"):
        BusSettings(security_protocol="SASL_PLAINTEXT", ssl_cafile=issued.ca_cert)
    with pytest.raises(ValidationError, match="INCIDENTBUS_SSL_KEYFILE needs"):
        BusSettings(security_protocol="SSL", ssl_keyfile=issued.broker_key)


def test_a_client_certificate_is_loaded_for_mutual_tls(issued: tls.Issued) -> None:
    # The broker's own pair stands in for a client's: the loading is what is tested.
    settings = BusSettings(
        security_protocol="SSL",
        ssl_cafile=issued.ca_cert,
        ssl_certfile=issued.broker_cert,
        ssl_keyfile=issued.broker_key,
    )
    assert settings.ssl_context() is not None


def test_acl_env_carries_the_tls_settings(issued: tls.Issued) -> None:
    """`incidentbus acl env PRINCIPAL` prints everything a service needs, the CA included."""
    from typer.testing import CliRunner

    from incidentbus.cli.main import app

    env = {
        "INCIDENTBUS_SECURITY_PROTOCOL": "SASL_SSL",
        "INCIDENTBUS_SSL_CAFILE": str(issued.ca_cert),
        "INCIDENTBUS_ENVIRONMENT": "development",
    }
    result = CliRunner().invoke(app, ["acl", "env", "police-service", "--dev-passwords"], env=env)
    assert result.exit_code == 0, result.output
    assert "export INCIDENTBUS_SECURITY_PROTOCOL=SASL_SSL" in result.output
    assert f"export INCIDENTBUS_SSL_CAFILE={issued.ca_cert}" in result.output
    assert "export INCIDENTBUS_SSL_CHECK_HOSTNAME=true" in result.output
