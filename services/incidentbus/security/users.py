"""Who connects: one SCRAM-SHA-512 user per catalog principal, and where its password comes from.

Passwords never live in the repository. For each principal, in this order:

1. `INCIDENTBUS_PASSWORD_<PRINCIPAL>` (upper case, `-` as `_`: `INCIDENTBUS_PASSWORD_POLICE_SERVICE`),
2. the TOML file named by `INCIDENTBUS_SECRETS_FILE`, table `[passwords]`, key = principal,
3. only when asked for (`--dev-passwords` or `INCIDENTBUS_DEV_PASSWORDS=1`) and never in
   production: a deterministic development password derived from the principal's name. It is
   public by construction (anyone can compute it) and only fit for a local broker.

Production also refuses a development password that arrives through 1. or 2. (copied into a
variable or a secrets file): any value with the `NOT-A-SECRET` marker (kernel/settings.py), which
covers every principal's `dev-NOT-A-SECRET-…` and the local node's admin default.

The SCRAM math is here too, because Kafka's AlterUserScramCredentials takes the salted password,
not the password: the broker never sees it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from incidentbus.kernel.settings import (
    DEV_PASSWORD_PREFIX,
    DevelopmentSecretError,
    refuse_development_password,
)

PASSWORD_ENV_PREFIX = "INCIDENTBUS_PASSWORD_"
SECRETS_FILE_ENV = "INCIDENTBUS_SECRETS_FILE"
DEV_PASSWORDS_ENV = "INCIDENTBUS_DEV_PASSWORDS"
MECHANISM = "SCRAM-SHA-512"
# Kafka's ScramMechanism codes on the wire (AlterUserScramCredentials, DescribeUserScramCredentials).
MECHANISM_CODES = {"SCRAM-SHA-256": 1, "SCRAM-SHA-512": 2}
HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
# Kafka accepts 4096..16384 for SCRAM-SHA-512; every login costs the client this many rounds.
ITERATIONS = 8192
SALT_BYTES = 32

PasswordOrigin = Literal["env", "file", "dev"]


class PasswordError(Exception):
    """A principal has no password from any allowed source, or a source is unreadable."""


@dataclass(frozen=True)
class Password:
    """A principal's password and where it came from (shown to the operator; the value never is)."""

    principal: str
    value: SecretStr
    origin: PasswordOrigin
    source: str


def password_env_var(principal: str) -> str:
    """The environment variable holding a principal's password."""
    return PASSWORD_ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", principal.upper())


def dev_password(principal: str) -> str:
    """The development password of a principal: deterministic, public, and named so.

    Deterministic so a developer can run any service against the local secured broker without
    keeping a secret anywhere; the prefix makes it impossible to mistake for a real one.
    """
    digest = hashlib.sha256(f"incidentbus development password for {principal}".encode()).hexdigest()
    return f"{DEV_PASSWORD_PREFIX}{digest[:16]}"


def dev_passwords_requested(env: Mapping[str, str]) -> bool:
    return env.get(DEV_PASSWORDS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def read_secrets_file(path: Path) -> dict[str, str]:
    """The `[passwords]` table of a TOML secrets file: principal -> password."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PasswordError(f"cannot read secrets file {path}: {exc}") from exc
    table = data.get("passwords", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise PasswordError(f"{path}: [passwords] must map principal names to strings")
    return {str(k): v for k, v in table.items()}


@dataclass(frozen=True)
class PasswordSources:
    """Where passwords may come from; `from_env` reads the process environment once."""

    env: Mapping[str, str] = field(default_factory=dict)
    secrets_file: Path | None = None
    dev: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dev: bool = False) -> PasswordSources:
        env = dict(os.environ if env is None else env)
        path = env.get(SECRETS_FILE_ENV)
        return cls(
            env=env, secrets_file=Path(path) if path else None, dev=dev or dev_passwords_requested(env)
        )


def resolve_passwords(
    principals: Iterable[str], sources: PasswordSources, *, production: bool
) -> dict[str, Password]:
    """Every principal's password; PasswordError naming each one that has none."""
    if sources.dev and production:
        raise PasswordError(
            f"development passwords (--dev-passwords, {DEV_PASSWORDS_ENV}) are refused in production "
            "(INCIDENTBUS_ENVIRONMENT=production)"
        )
    from_file = read_secrets_file(sources.secrets_file) if sources.secrets_file else {}
    found: dict[str, Password] = {}
    missing: list[str] = []
    public: list[str] = []
    for principal in principals:
        password = _one_password(principal, sources, from_file)
        if password is None:
            missing.append(f"{principal} ({password_env_var(principal)})")
            continue
        if production:
            try:
                refuse_development_password(principal, password.value.get_secret_value(), password.source)
            except DevelopmentSecretError as exc:
                public.append(str(exc))
                continue
        found[principal] = password
    if public:
        raise PasswordError("; ".join(public))
    if missing:
        raise PasswordError(
            "no password for: " + ", ".join(missing) + f"; set the variables, {SECRETS_FILE_ENV}, "
            "or --dev-passwords for a local development broker"
        )
    return found


def _one_password(principal: str, sources: PasswordSources, from_file: Mapping[str, str]) -> Password | None:
    var = password_env_var(principal)
    if sources.env.get(var):
        return Password(principal, SecretStr(sources.env[var]), "env", var)
    if from_file.get(principal):
        return Password(principal, SecretStr(from_file[principal]), "file", str(sources.secrets_file))
    if sources.dev:
        return Password(principal, SecretStr(dev_password(principal)), "dev", "development password")
    return None


@dataclass(frozen=True)
class ScramCredential:
    """What the broker stores for a SCRAM user: never the password itself."""

    mechanism: str
    iterations: int
    salt: bytes
    salted_password: bytes

    @property
    def mechanism_code(self) -> int:
        return MECHANISM_CODES[self.mechanism]


def scram_credential(
    password: str, *, mechanism: str = MECHANISM, iterations: int = ITERATIONS, salt: bytes | None = None
) -> ScramCredential:
    """RFC 5802's SaltedPassword = Hi(password, salt, i), i.e. PBKDF2-HMAC with the mechanism's hash.

    Kafka does not SASLprep passwords (it uses their UTF-8 bytes), so neither do we.
    """
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    salted = hashlib.pbkdf2_hmac(HASHES[mechanism], password.encode("utf-8"), salt, iterations)
    return ScramCredential(mechanism, iterations, salt, salted)


UserAction = Literal["create", "update", "keep"]


@dataclass(frozen=True)
class UserChange:
    """What `acl users` does (or would do) for one principal, and why."""

    principal: str
    action: UserAction
    detail: str


def user_change(principal: str, *, has_credential: bool, password_works: bool | None) -> UserChange:
    """Decide for one principal from what the broker knows: create, update or keep it.

    `password_works` is the result of logging in with the configured password (None when the
    user has no credential to try). A credential that does not accept the configured password
    is replaced: the configuration is the source of truth.
    """
    if not has_credential:
        return UserChange(principal, "create", f"no {MECHANISM} credential yet")
    if password_works:
        return UserChange(principal, "keep", "credential accepts the configured password")
    return UserChange(principal, "update", "credential does not accept the configured password")
