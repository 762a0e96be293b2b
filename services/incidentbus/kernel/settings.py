"""Settings from the environment, frozen once read.

`KAFKA_BOOTSTRAP_SERVERS` is honoured as well as `INCIDENTBUS_BOOTSTRAP_SERVERS` so that an
existing cluster can be used without learning our variable names.

Two refusals happen here, when the settings are read, so that no client is ever built from them:
production (`INCIDENTBUS_ENVIRONMENT=production`) refuses a public development password for the
SASL user, whoever it is (admin included), and TLS files configured for a plaintext protocol are
refused rather than silently ignored.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from incidentbus.kernel.jurisdictions import SHIPPED as SHIPPED_JURISDICTIONS

LOCAL_BOOTSTRAP = "127.0.0.1:9092"
REPO_ROOT = Path(__file__).resolve().parents[3]
# kernel/grids.py's SHIPPED, named here so that reading settings does not import shapely.
SHIPPED_GRIDS = Path(__file__).resolve().parents[1] / "data" / "grids.geojson"
# The key personal fields are sealed with outside production when no keys are configured
# (kernel/sealing.py). Public and fixed on purpose: a development bus needs no secret, tests
# and demos can open what they sealed, and the name says it must never guard real data.
DEV_FIELD_KEY_ID = "dev"
DEV_FIELD_KEY = "aW5jaWRlbnRidXMtZGV2LWtleS1OT1QtQS1TRUNSRVQ="  # base64("incidentbus-dev-key-NOT-A-SECRET")
# The Ed25519 seed checkpoints are signed with outside production when no keys are configured
# (kernel/checkpoint_keys.py): public for the same reasons; production refuses it.
DEV_CHECKPOINT_KEY_ID = "dev"
DEV_CHECKPOINT_KEY = (
    "aW5jaWRlbnRidXMtZGV2LWNoZWNrcG9pbnQtTk9UU0U="  # base64("incidentbus-dev-checkpoint-NOTSE")
)

# Public development passwords: the principals' derived ones (security/users.py dev_password)
# start with DEV_PASSWORD_PREFIX; infra/kafka-secure's admin default is DEV_ADMIN_PASSWORD. Every
# public development secret of the project carries DEV_SECRET_MARKER in its name, and production
# refuses any password that contains it (in any case), so a new one is covered without a list.
DEV_SECRET_MARKER = "NOT-A-SECRET"
DEV_PASSWORD_PREFIX = "dev-NOT-A-SECRET-"
DEV_ADMIN_PASSWORD = "incidentbus-dev-admin-NOT-A-SECRET"  # keep in step with infra/kafka
ENVIRONMENT_VAR = "INCIDENTBUS_ENVIRONMENT"
TLS_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})


def is_development_password(value: str) -> bool:
    """Whether a password is one of the project's public development passwords."""
    return (
        value.startswith(DEV_PASSWORD_PREFIX)
        or value == DEV_ADMIN_PASSWORD
        or DEV_SECRET_MARKER.lower() in value.lower()
    )


class DevelopmentSecretError(ValueError):
    """Production was given a public development password."""


def refuse_development_password(principal: str, value: str, source: str) -> None:
    """DevelopmentSecretError naming the principal and where the password came from.

    Call only for production; elsewhere development passwords are the point.
    """
    if is_development_password(value):
        raise DevelopmentSecretError(
            f"{source}: the password of {principal!r} is a public development password "
            f"(it contains {DEV_SECRET_MARKER!r}); production ({ENVIRONMENT_VAR}=production) refuses "
            "development passwords for every principal, admin included: set a real secret"
        )


class BusSettings(BaseSettings):
    """Connection and runtime settings shared by every service and command."""

    model_config = SettingsConfigDict(
        env_prefix="INCIDENTBUS_", frozen=True, extra="ignore", populate_by_name=True
    )

    bootstrap_servers: str = Field(
        default=LOCAL_BOOTSTRAP,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "INCIDENTBUS_BOOTSTRAP_SERVERS"),
    )
    security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # Prepended to every topic name: sandboxes for replay and isolated test runs.
    topic_prefix: str = ""
    catalog_path: Path = REPO_ROOT / "topics" / "catalog.toml"
    # The districts the bus knows (kernel/jurisdictions.py); tests and the benchmark bring their own.
    jurisdictions_path: Path = SHIPPED_JURISDICTIONS
    # The grid polygons (GeoJSON) that place reports with a point and no grid code (kernel/grids.py);
    # default: the shipped sample for district 310101. Tests and the benchmark bring their own.
    grids_path: Path = SHIPPED_GRIDS
    environment: Literal["production", "development", "test"] = "development"
    log_format: Literal["json", "console"] | None = None
    log_level: str = "INFO"
    max_message_bytes: int = Field(default=1_000_000, gt=0)
    # How long a silent worker keeps its partitions: the failover time after a crash (faust's
    # default is 60 s). With 15 s a killed correlator's partitions reach the survivor 15-16 s
    # after the kill (tests/integration/faults, also beside CPU hogs). The heartbeat is a fifth
    # of it, at most 3 s (kernel/faust_shell.py).
    group_session_seconds: float = Field(default=15.0, ge=6.0, le=300.0)
    client_id: str = "incidentbus"
    # The correlator reads its input in batches: whatever its consumer has already fetched, up to
    # this many records; when nothing more is fetched, it waits once this long (ms) for more. One
    # round of acknowledgements and one state write per key per batch (kernel/faust_shell.py
    # take_buffered, run_batches). The correlator's routers (one agent per agency events topic
    # and the commands topic) read in batches of the same size and wait; they store nothing.
    correlator_batch_records: int = Field(default=500, ge=1, le=100_000)
    correlator_batch_wait_ms: int = Field(default=10, ge=0, le=10_000)
    # The agency services read their inbox (intake) and dispatch (outbox) topics the same way: up
    # to this many records already fetched, one wait of this long (ms) when nothing more is; one
    # round of acknowledgements per batch, the intake's published ids stored after it.
    agency_batch_records: int = Field(default=500, ge=1, le=100_000)
    agency_batch_wait_ms: int = Field(default=10, ge=0, le=10_000)
    # Where faust keeps each service's local data, one directory per app (<data_dir>/<prefix><app id>):
    # with the RocksDB store, the table state a restarted worker finds again instead of reading its
    # changelog from the start. Relative paths are taken from the working directory. Two workers of
    # one service on one host need two data directories (RocksDB locks its files).
    data_dir: Path = Path("var/faust")
    # TLS (security_protocol SSL or SASL_SSL): the CA that signed the brokers' certificates
    # (None: the system's trust store), and a client certificate and key for brokers that ask for
    # one (mutual TLS; the local node does not). The broker's name is always checked against its
    # certificate unless ssl_check_hostname is false (for brokers whose certificates name other
    # hosts than clients dial; the chain is verified either way).
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_key_password: SecretStr | None = None
    ssl_check_hostname: bool = True
    # Keys that seal personal fields: JSON {"kid": "<base64 32 bytes>", ...} or
    # "kid:<base64>,kid2:<base64>". Old ids stay listed so events sealed with them still open.
    field_keys: SecretStr | None = None
    # The id in field_keys that new values are sealed with (optional when there is one key).
    field_key_id: str | None = None
    # Ed25519 seeds that sign the correlator's checkpoints: "kid:<base64 32 bytes>,kid2:...". The
    # active one signs (checkpoint_key_id, or the first); older ids stay listed while their
    # checkpoints are audited, so `incidentbus checkpoints public-key` still prints them.
    checkpoint_keys: SecretStr | None = None
    checkpoint_key_id: str | None = None
    # The query service (its API and the dashboard page): the address it binds (loopback unless
    # told otherwise) and the access token that page and API then require (`Authorization: Bearer`,
    # or the cookie the page sets from `?access_token=`). Production refuses to serve without one.
    query_host: str = "127.0.0.1"
    query_token: SecretStr | None = None
    # CAP 1.2 alerts (ops/cap.py): the `sender` (the operator's domain, unique per sender; part of
    # every alert's identifier, so never change it once alerts are out) and the `scope`
    # (Restricted to the bus's agencies unless an operator declares its alerts Public; Private
    # would need CAP `addresses`, which the bus does not keep).
    cap_sender: str = Field(default="incidentbus.local", pattern=r"^[A-Za-z0-9._@:-]+$")
    cap_scope: Literal["Public", "Restricted"] = "Restricted"
    # The Open311 gateway's front ends (gateways/open311/requests.py ApiKeys): JSON {"<api_key>":
    # {"client": "<name>", "event_status": "actual" | "exercise" | "test"}}. A training front end
    # gets an exercise key: its requests are drills from end to end. Production requires keys;
    # without any, development lets every poster in as an actual client.
    open311_keys: SecretStr | None = None

    @model_validator(mode="after")
    def _refusals(self) -> Self:
        self.refuse_development_passwords()
        tls_files = {
            "INCIDENTBUS_SSL_CAFILE": self.ssl_cafile,
            "INCIDENTBUS_SSL_CERTFILE": self.ssl_certfile,
            "INCIDENTBUS_SSL_KEYFILE": self.ssl_keyfile,
        }
        configured = [name for name, value in tls_files.items() if value is not None]
        if configured and not self.uses_tls:
            raise ValueError(
                f"{', '.join(configured)} set but INCIDENTBUS_SECURITY_PROTOCOL={self.security_protocol} "
                "does not use TLS: set SASL_SSL (or SSL), or unset them"
            )
        if self.ssl_keyfile is not None and self.ssl_certfile is None:
            raise ValueError(
                "INCIDENTBUS_SSL_KEYFILE needs INCIDENTBUS_SSL_CERTFILE (the client certificate)"
            )
        return self

    def refuse_development_passwords(self) -> None:
        """In production, DevelopmentSecretError for a public development SASL password."""
        if self.environment == "production" and self.sasl_password is not None:
            refuse_development_password(
                self.sasl_username or "(no INCIDENTBUS_SASL_USERNAME)",
                self.sasl_password.get_secret_value(),
                "INCIDENTBUS_SASL_PASSWORD",
            )

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in TLS_PROTOCOLS

    def ssl_context(self) -> ssl.SSLContext | None:
        """The client TLS context for SSL/SASL_SSL (None for plaintext protocols).

        Certificates are verified against ssl_cafile (or the system's store), the broker's host
        name is checked, TLS 1.2 is the floor.
        """
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(
            ssl.Purpose.SERVER_AUTH, cafile=str(self.ssl_cafile) if self.ssl_cafile else None
        )
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = self.ssl_check_hostname
        if self.ssl_certfile is not None:
            context.load_cert_chain(
                self.ssl_certfile,
                self.ssl_keyfile,
                self.ssl_key_password.get_secret_value() if self.ssl_key_password else None,
            )
        return context

    @property
    def effective_log_format(self) -> Literal["json", "console"]:
        """JSON lines in production, a readable console elsewhere, unless set explicitly."""
        if self.log_format is not None:
            return self.log_format
        return "json" if self.environment == "production" else "console"

    @property
    def logs_debug(self) -> bool:
        """Whether DEBUG lines are logged: per-record lines are built only then (a structlog call
        costs even when its level is filtered out)."""
        return self.log_level.upper() == "DEBUG"

    def topic(self, name: str) -> str:
        """The physical name of a catalog topic under this deployment's prefix."""
        return f"{self.topic_prefix}{name}"

    def kafka_client_options(self) -> dict[str, object]:
        """Keyword arguments shared by aiokafka producers, consumers and admin clients."""
        options: dict[str, object] = {
            "bootstrap_servers": self.bootstrap_servers,
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        context = self.ssl_context()
        if context is not None:
            options["ssl_context"] = context
        return options
