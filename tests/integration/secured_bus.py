"""The catalog applied on the secured test broker under a fresh prefix: users, ACLs, seed records.

`tests/integration/conftest.py` turns this into fixtures: `secured` (one broker per session,
started only when a test asks for it) and `bus` (a fresh prefix, users and ACLs per module).
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass

from pydantic import SecretStr

from incidentbus.kernel.admin import apply_catalog
from incidentbus.kernel.catalog import Catalog, load_catalog
from incidentbus.kernel.kafka import producer
from incidentbus.kernel.settings import BusSettings
from incidentbus.security.broker import AclReport, apply_acls, apply_users, as_principal
from incidentbus.security.users import (
    Password,
    PasswordSources,
    UserChange,
    password_env_var,
    resolve_passwords,
)
from tests.integration.acl_probes import SecuredBroker


@dataclass(frozen=True)
class SecuredBus:
    """The secured broker with the catalog applied under a prefix of its own."""

    broker: SecuredBroker
    admin: BusSettings
    catalog: Catalog
    passwords: dict[str, Password]
    env: dict[str, str]
    users: list[UserChange]
    acls: AclReport

    def password(self, principal: str) -> SecretStr:
        return self.passwords[principal].value

    def as_(self, principal: str) -> BusSettings:
        return as_principal(self.admin, principal, self.password(principal))


async def seed_records(admin: BusSettings, names: list[str]) -> None:
    """One record in partition 0 of each topic, so an allowed read has something to read."""
    async with producer(admin) as client:
        for name in names:
            await client.send_and_wait(name, b"seed", key=b"seed", partition=0)


def secure_catalog(broker: SecuredBroker, *, seed: bool = True) -> SecuredBus:
    """Topics, a user per principal (fresh random passwords) and the planned ACLs, under a new prefix."""
    admin = broker.admin_settings(f"acl-{uuid.uuid4().hex[:8]}.")
    catalog = load_catalog(admin.catalog_path)
    # Passwords come from configuration: one INCIDENTBUS_PASSWORD_<PRINCIPAL> per principal.
    env = {password_env_var(p): secrets.token_urlsafe(16) for p in catalog.principals()}
    passwords = resolve_passwords(catalog.principals(), PasswordSources(env=env), production=False)

    async def setup() -> tuple[list[UserChange], AclReport]:
        await apply_catalog(admin, catalog)
        users = await apply_users(admin, passwords)
        acls = await apply_acls(admin, catalog)
        if seed:
            await seed_records(admin, [admin.topic(t.name) for t in catalog.topics])
        return users, acls

    users, acls = asyncio.run(setup())
    return SecuredBus(broker, admin, catalog, passwords, env, users, acls)
