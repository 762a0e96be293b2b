"""One SASL handshake with the broker: does it accept this principal's password?

Kafka clients report a refused login at bootstrap as "unable to connect", the same as a broker
that is down; this tells the two apart (for the login check of `acl users` and for the message
a command prints when it cannot start).
"""

from __future__ import annotations

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError, SaslAuthenticationFailed
from pydantic import SecretStr

from incidentbus.kernel.settings import BusSettings

MECHANISM = "SCRAM-SHA-512"


def sasl_protocol(settings: BusSettings) -> str:
    """SASL over whatever transport the settings use (TLS stays TLS)."""
    if settings.security_protocol.startswith("SASL"):
        return settings.security_protocol
    return "SASL_SSL" if settings.security_protocol == "SSL" else "SASL_PLAINTEXT"


def servers(settings: BusSettings) -> list[tuple[str, int]]:
    """The bootstrap servers as (host, port)."""
    found = []
    for server in settings.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        found.append((host.strip("[]"), int(port)))
    return found


async def try_login(
    settings: BusSettings, principal: str, password: SecretStr, mechanism: str = MECHANISM
) -> tuple[bool | None, list[str]]:
    """(True, []) when a bootstrap server accepts the login, (False, []) when one refuses it,
    (None, problems) when none could be reached. Uses the settings' TLS context."""
    protocol = sasl_protocol(settings)
    tls = settings.model_copy(update={"security_protocol": protocol}).ssl_context()
    problems: list[str] = []
    for host, port in servers(settings):
        try:
            conn = await create_conn(
                host,
                port,
                client_id=f"incidentbus-login-check-{principal}",
                request_timeout_ms=10000,
                ssl_context=tls,
                security_protocol=protocol,
                sasl_mechanism=mechanism,
                sasl_plain_username=principal,
                sasl_plain_password=password.get_secret_value(),
            )
        except SaslAuthenticationFailed:
            return False, []
        except (OSError, KafkaError) as exc:  # unreachable: try the next bootstrap server
            problems.append(f"{host}:{port}: {exc}")
            continue
        conn.close()
        return True, []
    return None, problems


async def login_refused(settings: BusSettings) -> bool:
    """Whether the broker refuses the settings' own SASL login (False without one, or when no
    broker answers): what a client's "unable to connect" at bootstrap may really mean."""
    user, password = settings.sasl_username, settings.sasl_password
    if not user or password is None:
        return False
    accepted, _ = await try_login(settings, user, password, settings.sasl_mechanism or MECHANISM)
    return accepted is False
