"""The adapter between the pure plans (acl.py, users.py) and the broker's ACLs and SCRAM users.

Everything goes through aiokafka's admin client with the requests of `protocol.py`: no JVM, no
Kafka CLI. Run it as a super user (`User:admin` on the local secured broker). After a change it
waits until the broker shows it (ACLs) or accepts it (logins), because the broker applies
metadata changes asynchronously and the next command, or test, must not race them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from pydantic import SecretStr

from incidentbus.kernel.admin import BrokerError, admin_client, refusal
from incidentbus.kernel.catalog import Catalog
from incidentbus.kernel.login import sasl_protocol, try_login
from incidentbus.kernel.settings import BusSettings
from incidentbus.security.acl import (
    USER_PRINCIPAL,
    AclDiff,
    Binding,
    Operation,
    PatternType,
    Permission,
    ResourceType,
    acl_plan,
    diff,
)
from incidentbus.security.protocol import (
    AclRow,
    AlterUserScramCredentials,
    CreateAcls,
    DeleteAcls,
    DescribeAcls,
    DescribeUserScramCredentials,
)
from incidentbus.security.users import (
    MECHANISM,
    MECHANISM_CODES,
    Password,
    UserChange,
    scram_credential,
    user_change,
)

BATCH = 200  # ACLs per CreateAcls/DeleteAcls request
RESOURCE_NOT_FOUND = 91  # DescribeUserScramCredentials: the user has no credential
SETTLE_SECONDS = 20.0  # how long to wait for the broker to show a change
ANY_ACL: AclRow = (ResourceType.ANY, None, PatternType.ANY, None, None, Operation.ANY, Permission.ANY)


def _raise_for(code: int, message: str | None, what: str) -> None:
    if code:
        raise refusal(what, code, message)


def _row(binding: Binding) -> AclRow:
    return (
        binding.resource_type,
        binding.resource_name,
        binding.pattern_type,
        binding.kafka_principal,
        binding.host,
        binding.operation,
        binding.permission,
    )


async def _send(client: AIOKafkaAdminClient, request: Any) -> dict[str, Any]:
    """Send a request to any broker; the response as nested dicts (aiokafka's `to_object`)."""
    response = await client._send_request(request)
    result: dict[str, Any] = response.to_object()
    return result


def _binding(resource: dict[str, Any], acl: dict[str, Any]) -> Binding | None:
    """A broker ACL as a Binding; None for principals that are not users (nothing we manage)."""
    principal: str = acl["principal"]
    if not principal.startswith(USER_PRINCIPAL):
        return None
    return Binding(
        principal=principal.removeprefix(USER_PRINCIPAL),
        resource_type=ResourceType(resource["resource_type"]),
        resource_name=resource["resource_name"],
        pattern_type=PatternType(resource["pattern_type"]),
        operation=Operation(acl["operation"]),
        permission=Permission(acl["permission_type"]),
        host=acl["host"],
    )


async def describe_bindings(client: AIOKafkaAdminClient) -> list[Binding]:
    """Every user ACL on the cluster."""
    response = await _send(client, DescribeAcls(ANY_ACL))
    _raise_for(response["error_code"], response["error_message"], "describe ACLs")
    found = (_binding(r, a) for r in response["resources"] for a in r["acls"])
    return sorted(b for b in found if b is not None)


def _chunks(bindings: Sequence[Binding]) -> Iterable[list[AclRow]]:
    for start in range(0, len(bindings), BATCH):
        yield [_row(b) for b in bindings[start : start + BATCH]]


async def create_bindings(client: AIOKafkaAdminClient, bindings: Sequence[Binding]) -> None:
    for rows in _chunks(bindings):
        response = await _send(client, CreateAcls(rows))
        for row, result in zip(rows, response["results"], strict=True):
            _raise_for(result["error_code"], result["error_message"], f"create ACL {row}")


async def delete_bindings(client: AIOKafkaAdminClient, bindings: Sequence[Binding]) -> None:
    """Delete exactly these bindings (each filter names one ACL completely)."""
    for rows in _chunks(bindings):
        response = await _send(client, DeleteAcls(rows))
        for row, result in zip(rows, response["filter_results"], strict=True):
            _raise_for(result["error_code"], result["error_message"], f"delete ACL {row}")


async def _settle(client: AIOKafkaAdminClient, present: set[Binding], absent: set[Binding]) -> None:
    """Wait until the broker's authorizer shows the created bindings and not the deleted ones."""
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while True:
        seen = set(await describe_bindings(client))
        if present <= seen and not absent & seen:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise BrokerError(f"the broker did not show the ACL changes within {SETTLE_SECONDS:.0f}s")
        await asyncio.sleep(0.2)


@dataclass(frozen=True)
class AclReport:
    """What `acl apply` found and did."""

    plan: frozenset[Binding]
    diff: AclDiff
    created: tuple[Binding, ...]
    deleted: tuple[Binding, ...]

    @property
    def changed(self) -> bool:
        return bool(self.created or self.deleted)


async def apply_acls(
    settings: BusSettings, catalog: Catalog, *, dry_run: bool = False, prune: bool = False
) -> AclReport:
    """Make the broker's ACLs for the catalog's principals match the plan; idempotent.

    Missing bindings are created. Bindings of catalog principals under our prefix that the plan
    does not contain are reported, and deleted only with `prune` (someone may have added them
    on purpose; removing access is the one change that should be asked for).
    """
    plan = acl_plan(catalog, settings.topic_prefix)
    async with admin_client(settings) as client:
        found = diff(plan, await describe_bindings(client), catalog, settings.topic_prefix)
        if dry_run:
            return AclReport(plan, found, (), ())
        doomed = found.extra if prune else ()
        await create_bindings(client, found.missing)
        await delete_bindings(client, doomed)
        if found.missing or doomed:
            await _settle(client, set(found.missing), set(doomed))
    return AclReport(plan, found, found.missing, doomed)


async def list_bindings(settings: BusSettings) -> list[Binding]:
    async with admin_client(settings) as client:
        return await describe_bindings(client)


# ---- users -----------------------------------------------------------------------------------


async def users_with_credential(client: AIOKafkaAdminClient, names: Sequence[str]) -> set[str]:
    """Which of the named users have a credential for the bus's SCRAM mechanism."""
    response = await _send(client, DescribeUserScramCredentials(list(names)))
    _raise_for(response["error_code"], response["error_message"], "describe SCRAM users")
    found: set[str] = set()
    for result in response["results"]:
        if result["error_code"] == RESOURCE_NOT_FOUND:
            continue
        _raise_for(result["error_code"], result["error_message"], f"describe SCRAM user {result['user']}")
        if any(info["mechanism"] == MECHANISM_CODES[MECHANISM] for info in result["credential_infos"]):
            found.add(result["user"])
    return found


async def upsert_users(client: AIOKafkaAdminClient, passwords: Sequence[Password]) -> None:
    """Create or replace the SCRAM credentials, salted here with a fresh random salt each."""
    upsertions = []
    for password in passwords:
        credential = scram_credential(password.value.get_secret_value())
        upsertions.append(
            (
                password.principal,
                credential.mechanism_code,
                credential.iterations,
                credential.salt,
                credential.salted_password,
            )
        )
    response = await _send(client, AlterUserScramCredentials(upsertions))
    for result in response["results"]:
        _raise_for(result["error_code"], result["error_message"], f"set SCRAM credential of {result['user']}")


def as_principal(settings: BusSettings, principal: str, password: SecretStr) -> BusSettings:
    """The same connection settings (TLS included), logged in as `principal` with SCRAM-SHA-512.

    A copy skips the settings' validation, so the production refusal of development passwords
    is applied here again: DevelopmentSecretError.
    """
    mine = settings.model_copy(
        update={
            "security_protocol": sasl_protocol(settings),
            "sasl_mechanism": MECHANISM,
            "sasl_username": principal,
            "sasl_password": password,
            "client_id": f"incidentbus-{principal}",
        }
    )
    mine.refuse_development_passwords()
    return mine


async def can_login(settings: BusSettings, principal: str, password: SecretStr) -> bool:
    """Whether the broker accepts this principal's password: one SASL handshake, nothing else."""
    accepted, problems = await try_login(settings, principal, password, MECHANISM)
    if accepted is None:
        raise BrokerError(f"cannot reach Kafka to check {principal}'s login: {'; '.join(problems)}")
    return accepted


async def _wait_logins(settings: BusSettings, passwords: Sequence[Password]) -> None:
    """Credentials reach the broker's cache shortly after the controller commits them."""
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    pending = list(passwords)
    while pending:
        results = await asyncio.gather(*(can_login(settings, p.principal, p.value) for p in pending))
        pending = [p for p, ok in zip(pending, results, strict=True) if not ok]
        if pending and asyncio.get_running_loop().time() > deadline:
            names = ", ".join(p.principal for p in pending)
            raise BrokerError(f"the broker did not accept the new credentials of {names}")
        if pending:
            await asyncio.sleep(0.2)


async def plan_users(
    settings: BusSettings, client: AIOKafkaAdminClient, passwords: dict[str, Password]
) -> list[UserChange]:
    """For each principal: create (no credential), update (wrong password) or keep."""
    names = sorted(passwords)
    existing = await users_with_credential(client, names)
    known = [n for n in names if n in existing]
    checks = await asyncio.gather(*(can_login(settings, n, passwords[n].value) for n in known))
    works = dict(zip(known, checks, strict=True))
    return [user_change(n, has_credential=n in existing, password_works=works.get(n)) for n in names]


async def apply_users(
    settings: BusSettings, passwords: dict[str, Password], *, dry_run: bool = False
) -> list[UserChange]:
    """Give every principal a SCRAM-SHA-512 credential for its configured password; idempotent.

    A principal whose credential already accepts the password is left alone (its salt is not
    churned); a new or changed password is written, then waited for until the broker accepts it.
    """
    async with admin_client(settings) as client:
        changes = await plan_users(settings, client, passwords)
        todo = [passwords[c.principal] for c in changes if c.action != "keep"]
        if todo and not dry_run:
            await upsert_users(client, todo)
    if todo and not dry_run:
        await _wait_logins(settings, todo)
    return changes
