"""Kafka requests aiokafka 0.14's admin client does not offer, in aiokafka's own protocol types.

aiokafka ships CreateAcls/DescribeAcls/DeleteAcls structs only up to the pre-flexible versions
(v1; Kafka 4 drops some of those) and one ACL per request, and nothing for SCRAM users. These
are the flexible versions, as declared in Kafka's `clients/src/main/resources/common/message/*.json`:
CreateAcls/DeleteAcls/DescribeAcls v2-v3 (v3 only adds the USER resource type) and
Describe/AlterUserScramCredentials v0. aiokafka negotiates the highest version both sides know,
so these work on Kafka 2.8 through 4.x. Sent with `AIOKafkaAdminClient._send_request`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

STRING = CompactString("utf-8")
NO_TAGS: dict[int, bytes] = {}

# One ACL as CreateAcls sends it and DeleteAcls/DescribeAcls filter it (names, then tags).
_ACL_FIELDS = (
    ("resource_type", Int8),
    ("resource_name", STRING),
    ("pattern_type", Int8),
    ("principal", STRING),
    ("host", STRING),
    ("operation", Int8),
    ("permission_type", Int8),
)
_ERROR = (("error_code", Int16), ("error_message", STRING))

# A row of CreateAcls creations or DeleteAcls filters: the seven fields of _ACL_FIELDS.
AclRow = tuple[int, str | None, int, str | None, str | None, int, int]


def _struct(name: str, base: type[Any], attributes: dict[str, Any]) -> type[Any]:
    cls: type[Any] = type(name, (base,), attributes)
    return cls


def flexible_versions(
    name: str, api_key: int, versions: tuple[int, ...], request: Schema, response: Schema
) -> tuple[type[Any], ...]:
    """Request structs (each with its response) of one API at versions whose layout is the same."""
    structs = []
    for v in versions:
        answer = _struct(
            f"{name}Response_v{v}", Response, {"API_KEY": api_key, "API_VERSION": v, "SCHEMA": response}
        )
        structs.append(
            _struct(
                f"{name}Request_v{v}",
                RequestStruct,
                {
                    "FLEXIBLE_VERSION": True,
                    "API_KEY": api_key,
                    "API_VERSION": v,
                    "RESPONSE_TYPE": answer,
                    "SCHEMA": request,
                },
            )
        )
    return tuple(structs)


class FlexibleRequest(Request[Any]):  # type: ignore[misc]
    """A request sent at flexible versions only; subclasses give their schemas and how to fill them."""

    API_KEY = -1
    NAME: ClassVar[str]
    VERSIONS: ClassVar[tuple[int, ...]]
    REQUEST: ClassVar[Schema]
    RESPONSE: ClassVar[Schema]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls._CLASSES = flexible_versions(cls.NAME, cls.API_KEY, cls.VERSIONS, cls.REQUEST, cls.RESPONSE)

    def __init__(self, *fields: Any) -> None:
        self._fields = fields

    def build(self, request_struct_class: type[Any]) -> Any:
        return request_struct_class(*self._fields, NO_TAGS)


def _tagged(rows: list[Any] | None) -> list[tuple[Any, ...]]:
    return [(*(row if isinstance(row, tuple) else (row,)), NO_TAGS) for row in rows or []]


def _rows(*fields: Any) -> CompactArray:
    return CompactArray(*fields, ("tags", TaggedFields))


def _schema(*fields: Any) -> Schema:
    return Schema(*fields, ("tags", TaggedFields))


class CreateAcls(FlexibleRequest):
    """Create many ACLs in one request; the response has one result per creation, in order."""

    API_KEY, NAME, VERSIONS = 30, "CreateAcls", (2, 3)
    REQUEST = _schema(("creations", _rows(*_ACL_FIELDS)))
    RESPONSE = _schema(("throttle_time_ms", Int32), ("results", _rows(*_ERROR)))

    def __init__(self, creations: list[AclRow]) -> None:
        super().__init__(_tagged(creations))


class DescribeAcls(FlexibleRequest):
    """Every ACL matching one filter (None = any name/principal/host)."""

    API_KEY, NAME, VERSIONS = 29, "DescribeAcls", (2, 3)
    REQUEST = _schema(*_ACL_FIELDS)
    RESPONSE = _schema(
        ("throttle_time_ms", Int32),
        *_ERROR,
        (
            "resources",
            _rows(
                *_ACL_FIELDS[:3],
                ("acls", _rows(*_ACL_FIELDS[3:])),
            ),
        ),
    )

    def __init__(self, acl_filter: AclRow) -> None:
        super().__init__(*acl_filter)


class DeleteAcls(FlexibleRequest):
    """Delete every ACL matching any of the filters (exact filters delete exactly one ACL each)."""

    API_KEY, NAME, VERSIONS = 31, "DeleteAcls", (2, 3)
    REQUEST = _schema(("filters", _rows(*_ACL_FIELDS)))
    RESPONSE = _schema(
        ("throttle_time_ms", Int32),
        ("filter_results", _rows(*_ERROR, ("matching_acls", _rows(*_ERROR, *_ACL_FIELDS)))),
    )

    def __init__(self, filters: list[AclRow]) -> None:
        super().__init__(_tagged(filters))


class DescribeUserScramCredentials(FlexibleRequest):
    """The SCRAM mechanisms and iteration counts of the named users (never the secrets)."""

    API_KEY, NAME, VERSIONS = 50, "DescribeUserScramCredentials", (0,)
    REQUEST = _schema(("users", _rows(("name", STRING))))
    RESPONSE = _schema(
        ("throttle_time_ms", Int32),
        *_ERROR,
        (
            "results",
            _rows(
                ("user", STRING),
                *_ERROR,
                ("credential_infos", _rows(("mechanism", Int8), ("iterations", Int32))),
            ),
        ),
    )

    def __init__(self, users: list[str]) -> None:
        super().__init__(_tagged(users))


# name, mechanism code, iterations, salt, salted password
Upsertion = tuple[str, int, int, bytes, bytes]


class AlterUserScramCredentials(FlexibleRequest):
    """Create or replace SCRAM credentials (salted on the client: the broker never sees passwords)."""

    API_KEY, NAME, VERSIONS = 51, "AlterUserScramCredentials", (0,)
    REQUEST = _schema(
        ("deletions", _rows(("name", STRING), ("mechanism", Int8))),
        (
            "upsertions",
            _rows(
                ("name", STRING),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
            ),
        ),
    )
    RESPONSE = _schema(("throttle_time_ms", Int32), ("results", _rows(("user", STRING), *_ERROR)))

    def __init__(self, upsertions: list[Upsertion], deletions: list[tuple[str, int]] | None = None) -> None:
        super().__init__(_tagged(deletions), _tagged(upsertions))
