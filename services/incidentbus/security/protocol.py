"""Kafka requests aiokafka 0.14's admin client does not offer, in aiokafka's own protocol types.

aiokafka ships CreateAcls/DescribeAcls/DeleteAcls structs only up to the pre-flexible versions
(v1; Kafka 4 drops some of those) and one ACL per request, and nothing for SCRAM users. These
are the flexible versions, as declared in Kafka's `clients/src/main/resources/common/message/*.json`:
CreateAcls/DeleteAcls/DescribeAcls v2-v3 (v3 only adds the USER resource type) and
Describe/AlterUserScramCredentials v0. aiokafka negotiates the highest version both sides know,
so these work on Kafka 2.8 through 4.x. Sent with `AIOKafkaAdminClient._send_request`.
"""

from __future__ import annotations

from typing import Any

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


# ---- CreateAcls (API 30) ---------------------------------------------------------------------


class CreateAclsResponse_v2(Response):  # type: ignore[misc]  # noqa: N801 (Kafka's naming)
    API_KEY = 30
    API_VERSION = 2
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("results", CompactArray(*_ERROR, ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class CreateAclsResponse_v3(Response):  # type: ignore[misc]  # noqa: N801
    API_KEY = 30
    API_VERSION = 3
    SCHEMA = CreateAclsResponse_v2.SCHEMA


class CreateAclsRequest_v2(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 30
    API_VERSION = 2
    RESPONSE_TYPE = CreateAclsResponse_v2
    SCHEMA = Schema(("creations", CompactArray(*_ACL_FIELDS, ("tags", TaggedFields))), ("tags", TaggedFields))


class CreateAclsRequest_v3(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 30
    API_VERSION = 3
    RESPONSE_TYPE = CreateAclsResponse_v3
    SCHEMA = CreateAclsRequest_v2.SCHEMA


class CreateAcls(Request[CreateAclsRequest_v2 | CreateAclsRequest_v3]):  # type: ignore[misc]
    """Create many ACLs in one request; the response has one result per creation, in order."""

    API_KEY = 30

    def __init__(self, creations: list[AclRow]) -> None:
        self._rows = [(*row, NO_TAGS) for row in creations]

    def build(self, request_struct_class: type[Any]) -> Any:
        return request_struct_class(self._rows, NO_TAGS)


# ---- DescribeAcls (API 29) -------------------------------------------------------------------


class DescribeAclsResponse_v2(Response):  # type: ignore[misc]  # noqa: N801
    API_KEY = 29
    API_VERSION = 2
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        *_ERROR,
        (
            "resources",
            CompactArray(
                ("resource_type", Int8),
                ("resource_name", STRING),
                ("pattern_type", Int8),
                (
                    "acls",
                    CompactArray(
                        ("principal", STRING),
                        ("host", STRING),
                        ("operation", Int8),
                        ("permission_type", Int8),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeAclsResponse_v3(Response):  # type: ignore[misc]  # noqa: N801
    API_KEY = 29
    API_VERSION = 3
    SCHEMA = DescribeAclsResponse_v2.SCHEMA


class DescribeAclsRequest_v2(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 29
    API_VERSION = 2
    RESPONSE_TYPE = DescribeAclsResponse_v2
    SCHEMA = Schema(*_ACL_FIELDS, ("tags", TaggedFields))


class DescribeAclsRequest_v3(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 29
    API_VERSION = 3
    RESPONSE_TYPE = DescribeAclsResponse_v3
    SCHEMA = DescribeAclsRequest_v2.SCHEMA


class DescribeAcls(Request[DescribeAclsRequest_v2 | DescribeAclsRequest_v3]):  # type: ignore[misc]
    """Every ACL matching one filter (None = any name/principal/host)."""

    API_KEY = 29

    def __init__(self, acl_filter: AclRow) -> None:
        self._filter = acl_filter

    def build(self, request_struct_class: type[Any]) -> Any:
        return request_struct_class(*self._filter, NO_TAGS)


# ---- DeleteAcls (API 31) ---------------------------------------------------------------------


class DeleteAclsResponse_v2(Response):  # type: ignore[misc]  # noqa: N801
    API_KEY = 31
    API_VERSION = 2
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "filter_results",
            CompactArray(
                *_ERROR,
                ("matching_acls", CompactArray(*_ERROR, *_ACL_FIELDS, ("tags", TaggedFields))),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DeleteAclsResponse_v3(Response):  # type: ignore[misc]  # noqa: N801
    API_KEY = 31
    API_VERSION = 3
    SCHEMA = DeleteAclsResponse_v2.SCHEMA


class DeleteAclsRequest_v2(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 31
    API_VERSION = 2
    RESPONSE_TYPE = DeleteAclsResponse_v2
    SCHEMA = Schema(("filters", CompactArray(*_ACL_FIELDS, ("tags", TaggedFields))), ("tags", TaggedFields))


class DeleteAclsRequest_v3(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 31
    API_VERSION = 3
    RESPONSE_TYPE = DeleteAclsResponse_v3
    SCHEMA = DeleteAclsRequest_v2.SCHEMA


class DeleteAcls(Request[DeleteAclsRequest_v2 | DeleteAclsRequest_v3]):  # type: ignore[misc]
    """Delete every ACL matching any of the filters (exact filters delete exactly one ACL each)."""

    API_KEY = 31

    def __init__(self, filters: list[AclRow]) -> None:
        self._rows = [(*row, NO_TAGS) for row in filters]

    def build(self, request_struct_class: type[Any]) -> Any:
        return request_struct_class(self._rows, NO_TAGS)


# ---- DescribeUserScramCredentials (API 50) ---------------------------------------------------


class DescribeUserScramCredentialsResponse_v0(Response):  # type: ignore[misc]  # noqa: N801
    API_KEY = 50
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        *_ERROR,
        (
            "results",
            CompactArray(
                ("user", STRING),
                *_ERROR,
                (
                    "credential_infos",
                    CompactArray(("mechanism", Int8), ("iterations", Int32), ("tags", TaggedFields)),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeUserScramCredentialsRequest_v0(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 50
    API_VERSION = 0
    RESPONSE_TYPE = DescribeUserScramCredentialsResponse_v0
    SCHEMA = Schema(("users", CompactArray(("name", STRING), ("tags", TaggedFields))), ("tags", TaggedFields))


class DescribeUserScramCredentials(Request[DescribeUserScramCredentialsRequest_v0]):  # type: ignore[misc]
    """The SCRAM mechanisms and iteration counts of the named users (never the secrets)."""

    API_KEY = 50

    def __init__(self, users: list[str]) -> None:
        self._users = [(name, NO_TAGS) for name in users]

    def build(self, request_struct_class: type[Any]) -> Any:
        return request_struct_class(self._users, NO_TAGS)


# ---- AlterUserScramCredentials (API 51) ------------------------------------------------------


class AlterUserScramCredentialsResponse_v0(Response):  # type: ignore[misc]  # noqa: N801
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("results", CompactArray(("user", STRING), *_ERROR, ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentialsRequest_v0(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        ("deletions", CompactArray(("name", STRING), ("mechanism", Int8), ("tags", TaggedFields))),
        (
            "upsertions",
            CompactArray(
                ("name", STRING),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


# name, mechanism code, iterations, salt, salted password
Upsertion = tuple[str, int, int, bytes, bytes]


class AlterUserScramCredentials(Request[AlterUserScramCredentialsRequest_v0]):  # type: ignore[misc]
    """Create or replace SCRAM credentials (salted on the client: the broker never sees passwords)."""

    API_KEY = 51

    def __init__(self, upsertions: list[Upsertion], deletions: list[tuple[str, int]] | None = None) -> None:
        self._upsertions = [(*u, NO_TAGS) for u in upsertions]
        self._deletions = [(*d, NO_TAGS) for d in deletions or []]

    def build(self, request_struct_class: type[Any]) -> Any:
        return request_struct_class(self._deletions, self._upsertions, NO_TAGS)
