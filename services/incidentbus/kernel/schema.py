"""What the generated protobuf code holds, found by reflection rather than hand-kept lists.

Every bus message has an `Envelope envelope = 1`; messages that carry several event types do so
in a `oneof body`. The event type of a message is the full name of its body (or of the message
itself when it has no body).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias

from google.protobuf import symbol_database
from google.protobuf.message import Message

from incidentbus.v1 import (
    agency_events_pb2,
    bus_pb2,
    case_events_pb2,
    common_pb2,
    options_pb2,
)

BusMessage: TypeAlias = Message
# The C (upb) and pure-Python descriptor classes share no base in the stubs; both behave alike.
Descriptor: TypeAlias = Any
Field: TypeAlias = Any
PACKAGE = "incidentbus.v1"
SCHEMA_VERSION = 1

# The messages that travel as Kafka values. Adding one here is all the codec needs.
WIRE_TYPES: tuple[type[Message], ...] = (
    agency_events_pb2.AgencyEvent,
    case_events_pb2.CaseEvent,
    case_events_pb2.CaseSnapshot,
    case_events_pb2.CaseCheckpoint,
    bus_pb2.TaskCommand,
    bus_pb2.AlertRaised,
    bus_pb2.DeadLetter,
)
_ = common_pb2  # imported so its descriptors are registered before lookups


def message_class(full_name: str) -> type[Message]:
    """The generated class for a fully qualified name; KeyError when the schema has none."""
    cls: type[Message] = symbol_database.Default().GetSymbol(full_name)
    return cls


def wire_type(full_name: str) -> type[Message]:
    """A class allowed as a Kafka value; ValueError for anything else."""
    for cls in WIRE_TYPES:
        if cls.DESCRIPTOR.full_name == full_name:
            return cls
    raise ValueError(f"{full_name} is not a bus message type")


def body_field(message: Message) -> Field | None:
    """The set field of the `body` oneof, if the message has one."""
    if "body" not in message.DESCRIPTOR.oneofs_by_name:
        return None
    name = message.WhichOneof("body")
    return message.DESCRIPTOR.fields_by_name[name] if name else None


def has_body(descriptor: Descriptor) -> bool:
    return "body" in descriptor.oneofs_by_name


def event_type_of(message: Message) -> str:
    """Full name of the body's type, or of the message when it carries no body oneof."""
    if not has_body(message.DESCRIPTOR):
        return str(message.DESCRIPTOR.full_name)
    field = body_field(message)
    if field is None:
        return ""
    return str(field.message_type.full_name)


def body_types(wrapper: type[Message]) -> list[str]:
    """Every event type a wrapper can carry, in field-number order."""
    descriptor: Descriptor = wrapper.DESCRIPTOR
    if not has_body(descriptor):
        return [str(descriptor.full_name)]
    fields: list[Field] = sorted(descriptor.oneofs_by_name["body"].fields, key=lambda f: f.number)
    return [str(f.message_type.full_name) for f in fields]


def all_event_types() -> dict[str, type[Message]]:
    """Event type -> wire wrapper that carries it, for every type on the bus."""
    return {t: wrapper for wrapper in WIRE_TYPES for t in body_types(wrapper)}


def is_sensitive(field: Field) -> bool:
    """True when the schema marks the field `(incidentbus.v1.sensitive) = true`."""
    return bool(field.GetOptions().Extensions[options_pb2.sensitive])


def _is_own_message(field: Field) -> bool:
    """A message-typed field of our package (well-known types hold no personal data)."""
    message_type = field.message_type
    return message_type is not None and str(message_type.full_name).startswith(PACKAGE)


def sensitive_paths(descriptor: Descriptor, prefix: str = "") -> Iterator[str]:
    """Dotted paths of every sensitive field reachable from a message type."""
    for field in descriptor.fields:
        path = f"{prefix}{field.name}"
        if is_sensitive(field):
            yield path
        elif _is_own_message(field) and field.message_type not in (None, descriptor):
            yield from sensitive_paths(field.message_type, f"{path}.")
