"""The secured node speaks TLS only: the right CA gets in, anything else is refused before SASL.

Runs on the session's secured broker (tests/integration/conftest.py `secured`), as admin, with
the project's own clients (security/broker.can_login, kernel/kafka.producer, kernel/admin).
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from incidentbus.kernel.admin import BrokerError, admin_client
from incidentbus.kernel.kafka import producer
from incidentbus.kernel.settings import BusSettings
from incidentbus.security import tls
from incidentbus.security.broker import can_login
from tests.integration.acl_probes import SecuredBroker

pytestmark = pytest.mark.broker


def _admin(secured: SecuredBroker, **changes: object) -> BusSettings:
    return secured.admin_settings("tls-wire.").model_copy(update=changes)


def test_the_node_serves_a_certificate_from_its_ca_for_its_address(secured: SecuredBroker) -> None:
    host, port = secured.bootstrap.rsplit(":", 1)
    pem = ssl.get_server_certificate((host, int(port)), ca_certs=str(secured.ca_file))
    served = x509.load_pem_x509_certificate(pem.encode())
    (ca,) = x509.load_pem_x509_certificates(secured.ca_file.read_bytes())
    assert tls.signed_by(served, ca)
    assert tls.hosts_of(served) == {"127.0.0.1", "localhost"}


def test_the_admin_logs_in_over_tls_with_the_nodes_ca(secured: SecuredBroker) -> None:
    admin = _admin(secured)
    assert admin.security_protocol == "SASL_SSL"

    async def run() -> tuple[bool, int]:
        ok = await can_login(admin, "admin", secured.admin_password)
        async with admin_client(admin) as client:
            cluster = await client.describe_cluster()
        return ok, len(cluster["brokers"])

    assert asyncio.run(run()) == (True, 1)
    # "localhost" is the certificate's other name: dialled by name, the name is checked too.
    by_name = _admin(secured, bootstrap_servers=secured.bootstrap.replace("127.0.0.1", "localhost"))
    assert asyncio.run(can_login(by_name, "admin", secured.admin_password))


def test_a_client_that_does_not_trust_the_ca_is_refused(secured: SecuredBroker, tmp_path: Path) -> None:
    """Another CA (same name, other key) and the system's trust store: the handshake fails, so
    the password is never sent, and the project's clients say they cannot connect."""
    stranger = tls.init(tmp_path / "other-ca").ca_cert
    for settings in (_admin(secured, ssl_cafile=stranger), _admin(secured, ssl_cafile=None)):
        with pytest.raises(BrokerError, match="CERTIFICATE_VERIFY_FAILED"):
            asyncio.run(can_login(settings, "admin", secured.admin_password))

        async def produce(settings: BusSettings = settings) -> None:
            async with producer(settings):
                pass

        with pytest.raises(ConnectionError, match="cannot reach Kafka"):
            asyncio.run(produce())


def test_there_is_no_clear_text_listener(secured: SecuredBroker) -> None:
    """SASL without TLS against the node: no SASL exchange happens, the connection fails."""
    clear = _admin(secured, security_protocol="SASL_PLAINTEXT", ssl_cafile=None)
    with pytest.raises(BrokerError, match="cannot reach Kafka"):
        asyncio.run(can_login(clear, "admin", secured.admin_password))
