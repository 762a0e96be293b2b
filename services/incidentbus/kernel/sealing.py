"""Personal fields sealed field by field, so they leave the agency that took them only encrypted.

The schema marks personal fields `(incidentbus.v1.sensitive) = true`; `seal_message` finds them
by reflection (`schema.sensitive_paths`) and replaces each non-empty value, in the same string
field, by `enc:v1:<kid>:<base64url(nonce | ciphertext | tag)>` (AES-256-GCM). No schema change,
the correlator and every shared topic carry the sealed text, and only a holder of the key opens it.

- **Rotation.** The sealed text names its key id. A keyring holds several keys and seals with the
  active one, so old events still open with their old key while new ones use the new key.
- **Binding.** The associated data is (key id, event id, field path): a sealed value copied to
  another event or another field, or relabelled with another key id, fails to open.
- **Deterministic nonce (SIV-like).** The nonce is HMAC-SHA256(nonce key, key id | event id |
  path | plaintext), truncated to 96 bits. The agency service seals at intake, and an inbox
  record delivered twice must reproduce the canonical event byte for byte: the event id does not
  depend on the field values, but the correlator's idempotency (a repeat is recognised, or its
  outputs are byte-identical) and readers collapsing repeats rely on identical bytes. A random
  nonce would make every redelivery a different record. Deriving the nonce from the plaintext
  keeps GCM safe: a nonce repeats only when key, event, path and plaintext all repeat, and then the
  ciphertext is the same one. What it reveals is only that two sealings of one field of one event
  held the same value, which is no secret. Encryption and nonce keys are derived separately from
  the configured key (HMAC with distinct labels), so one key never serves two purposes.

Pure: no I/O. Keys come from `BusSettings` (`field_keyring`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import Message

from incidentbus.kernel.schema import Descriptor, sensitive_paths
from incidentbus.kernel.settings import DEV_FIELD_KEY, DEV_FIELD_KEY_ID, BusSettings

SCHEME = "enc:v1:"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
TAG_BYTES = 16
_KID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# 28 bytes (nonce + tag) at least: 38 unpadded base64url characters.
_SEALED = re.compile(r"enc:v1:([A-Za-z0-9_.-]{1,64}):([A-Za-z0-9_-]{38,})")
_AD_LABEL = b"incidentbus.field.v1"


class KeyringError(ValueError):
    """The configured keys cannot be used (format, length, active id, production without keys).
    Never quotes key material."""


class SealingError(Exception):
    """A value that cannot be sealed or opened; names the key id and field so an auditor knows
    which key is missing or which value was altered."""

    def __init__(self, message: str, *, kid: str = "", path: str = "") -> None:
        super().__init__(message)
        self.kid, self.path = kid, path


@dataclass(frozen=True, eq=False)
class Keyring:
    """Key id -> 32-byte key, and the id new values are sealed with."""

    keys: Mapping[str, bytes] = field(repr=False)
    active: str

    def __post_init__(self) -> None:
        for kid, key in self.keys.items():
            if not _KID.fullmatch(kid):
                raise KeyringError(f"key id {kid!r}: use 1-64 of A-Z a-z 0-9 _ . -")
            if len(key) != KEY_BYTES:
                raise KeyringError(f"key {kid!r}: {len(key)} bytes, need {KEY_BYTES} (AES-256)")
        if self.active not in self.keys:
            raise KeyringError(f"active key id {self.active!r} is not in the keyring ({self._ids()})")

    def _ids(self) -> str:
        return ", ".join(sorted(self.keys)) or "no keys"

    def key(self, kid: str, path: str = "") -> bytes:
        """The key for an id; SealingError naming the id when the keyring does not hold it."""
        try:
            return self.keys[kid]
        except KeyError:
            raise SealingError(
                f"{path or 'value'}: sealed with key {kid!r}, which this keyring does not hold "
                f"(it holds: {self._ids()})",
                kid=kid,
                path=path,
            ) from None

    @property
    def is_development(self) -> bool:
        """Whether new values are sealed with the public development key."""
        return self.keys[self.active] == _decode_key(DEV_FIELD_KEY_ID, DEV_FIELD_KEY)


# -- keys from configuration ----------------------------------------------------------------------


def _decode_key(kid: str, text: str) -> bytes:
    """Standard or URL-safe base64, padded or not."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"key {kid!r} is not base64") from None


def _entries(text: str) -> list[tuple[str, str]]:
    """(kid, base64) pairs from JSON `{"kid": "b64"}` or `kid:b64,kid2:b64`."""
    if text.lstrip().startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KeyringError(f"field keys: invalid JSON at column {exc.colno}") from None
        if not all(isinstance(v, str) for v in loaded.values()):
            raise KeyringError('field keys: JSON must map key ids to base64 strings {"kid": "..."}')
        return [(str(k), v) for k, v in loaded.items()]
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        kid, sep, key = item.partition(":")
        if not sep:
            raise KeyringError(f"field keys: {kid[:8]!r}… is not kid:base64")
        pairs.append((kid.strip(), key))
    return pairs


def parse_keyring(text: str, active: str | None, *, opening_only: bool = False) -> Keyring:
    """A keyring from the configured text; `active` may be omitted when there is one key, or
    when the keyring only opens (each sealed value names its key)."""
    keys: dict[str, bytes] = {}
    for kid, encoded in _entries(text):
        if kid in keys:
            raise KeyringError(f"key id {kid!r} appears twice")
        keys[kid] = _decode_key(kid, encoded)
    if not keys:
        raise KeyringError("field keys: no keys given")
    if active is None:
        if len(keys) > 1 and not opening_only:
            raise KeyringError(f"several keys ({', '.join(sorted(keys))}): set INCIDENTBUS_FIELD_KEY_ID")
        active = sorted(keys)[0]
    return Keyring(MappingProxyType(keys), active)


@lru_cache(maxsize=8)
def _cached_keyring(text: str, active: str | None, opening_only: bool) -> Keyring:
    return parse_keyring(text, active, opening_only=opening_only)


def field_keyring(settings: BusSettings, *, opening_only: bool = False) -> Keyring:
    """The keyring of this deployment. With no keys configured, production refuses (personal data
    must never be sealed with a public key) and other environments use the development key
    `dev` from settings, which is fixed and public so tests and demos can open what they seal."""
    text = settings.field_keys.get_secret_value().strip() if settings.field_keys else ""
    production = settings.environment == "production"
    if not text:
        if production:
            raise KeyringError("INCIDENTBUS_FIELD_KEYS is not set: production does not run without keys")
        text = f"{DEV_FIELD_KEY_ID}:{DEV_FIELD_KEY}"
    active = settings.field_key_id if settings.field_keys else None
    keyring = _cached_keyring(text, active, opening_only)
    if production and keyring.is_development:
        raise KeyringError("the public development key cannot seal production data")
    return keyring


# -- one value ------------------------------------------------------------------------------------


def _frame(*parts: str) -> bytes:
    """Length-prefixed parts, so ("ab", "c") and ("a", "bc") never frame alike."""
    encoded = [p.encode("utf-8") for p in parts]
    return b"".join(len(b).to_bytes(4, "big") + b for b in encoded)


@lru_cache(maxsize=32)
def _derived(key: bytes) -> tuple[AESGCM, bytes]:
    """The encryption key and the nonce key, each an HMAC of the configured key under its label."""
    enc = hmac.new(key, b"incidentbus.field.v1.encrypt", hashlib.sha256).digest()
    nonce = hmac.new(key, b"incidentbus.field.v1.nonce", hashlib.sha256).digest()
    return AESGCM(enc), nonce


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_sealed(value: str) -> bool:
    """Whether a value has the sealed form `enc:v1:<kid>:<base64url>` (not whether it opens)."""
    return _SEALED.fullmatch(value) is not None


def sealed_key_id(value: str) -> str:
    """The key id a sealed value names; empty for a value that is not sealed."""
    match = _SEALED.fullmatch(value)
    return match.group(1) if match else ""


def seal_value(plaintext: str, keyring: Keyring, event_id: str, path: str) -> str:
    """Seal one value with the active key, bound to its event and field."""
    kid = keyring.active
    aead, nonce_key = _derived(keyring.key(kid, path))
    context = _frame(kid, event_id, path)
    nonce = hmac.new(nonce_key, context + _frame(plaintext), hashlib.sha256).digest()[:NONCE_BYTES]
    sealed = aead.encrypt(nonce, plaintext.encode("utf-8"), _AD_LABEL + context)
    return f"{SCHEME}{kid}:{_b64(nonce + sealed)}"


def open_value(value: str, keyring: Keyring, event_id: str, path: str) -> str:
    """The plaintext of a sealed value; SealingError naming the key id when the key is missing,
    the value was altered, or it was sealed for another event or field."""
    match = _SEALED.fullmatch(value)
    if match is None:
        raise SealingError(f"{path}: not a sealed value", path=path)
    kid, body = match.groups()
    try:
        raw = _unb64(body)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise SealingError(
            f"{path}: sealed value with key {kid!r} is truncated or malformed", kid=kid, path=path
        )
    aead, _ = _derived(keyring.key(kid, path))
    try:
        plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _AD_LABEL + _frame(kid, event_id, path))
    except InvalidTag:
        raise SealingError(
            f"{path}: sealed with key {kid!r} but does not verify "
            "(wrong key material, altered value, or moved from another event or field)",
            kid=kid,
            path=path,
        ) from None
    return plain.decode("utf-8")


def seal_bytes(plaintext: bytes, keyring: Keyring, event_id: str, path: str) -> tuple[str, bytes]:
    """Seal bytes with the active key, bound to an event and a path like a field: (key id, nonce |
    ciphertext | tag). Deterministic, as `seal_value` is."""
    kid = keyring.active
    aead, nonce_key = _derived(keyring.key(kid, path))
    context = _frame(kid, event_id, path)
    nonce = hmac.new(nonce_key, context + plaintext, hashlib.sha256).digest()[:NONCE_BYTES]
    return kid, nonce + aead.encrypt(nonce, plaintext, _AD_LABEL + context)


def open_bytes(kid: str, sealed: bytes, keyring: Keyring, event_id: str, path: str) -> bytes:
    """The plaintext of `seal_bytes`; SealingError naming the key id when the key is not held,
    the bytes were altered, or they were sealed for another event or path."""
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise SealingError(f"{path}: sealed bytes with key {kid!r} are truncated", kid=kid, path=path)
    aead, _ = _derived(keyring.key(kid, path))
    try:
        return aead.decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _AD_LABEL + _frame(kid, event_id, path)
        )
    except InvalidTag:
        raise SealingError(
            f"{path}: sealed with key {kid!r} but does not verify (wrong key material, altered, or "
            "moved from another record)",
            kid=kid,
            path=path,
        ) from None


def _opens(value: str, keyring: Keyring, event_id: str, path: str) -> bool:
    try:
        open_value(value, keyring, event_id, path)
    except SealingError:
        return False
    return True


# -- whole messages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One sensitive string in a message: the message holding it, the field, the index in a
    repeated field, and its concrete path (`a.b[2].c`), which is what a sealed value is bound to."""

    holder: Message
    name: str
    index: int | None
    path: str

    def get(self) -> str:
        value = getattr(self.holder, self.name)
        return str(value if self.index is None else value[self.index])

    def set(self, value: str) -> None:
        if self.index is None:
            setattr(self.holder, self.name, value)
        else:
            getattr(self.holder, self.name)[self.index] = value


@lru_cache(maxsize=64)
def _paths(descriptor: Descriptor) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p.split(".")) for p in sensitive_paths(descriptor))


def _slots(message: Message, parts: tuple[str, ...], prefix: str) -> Iterator[Slot]:
    """Walk one schema path through the fields that are set; never creates a submessage."""
    name, rest = parts[0], parts[1:]
    fd = message.DESCRIPTOR.fields_by_name[name]
    path = f"{prefix}{name}"
    if not rest:
        if fd.type != fd.TYPE_STRING:
            raise TypeError(f"{path}: only string fields can be marked sensitive and sealed")
        count = len(getattr(message, name)) if fd.is_repeated else None
        indexes: list[int | None] = list(range(count)) if count is not None else [None]
        for i in indexes:
            yield Slot(message, name, i, path if i is None else f"{path}[{i}]")
    elif fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        raise TypeError(f"{path}: sensitive fields inside map values are not supported")
    elif fd.is_repeated:
        for i, child in enumerate(getattr(message, name)):
            yield from _slots(child, rest, f"{path}[{i}].")
    elif message.HasField(name):
        yield from _slots(getattr(message, name), rest, f"{path}.")


def sensitive_slots(message: Message) -> Iterator[Slot]:
    """Every sensitive string field present in a message, in schema order."""
    for parts in _paths(message.DESCRIPTOR):
        yield from _slots(message, parts, "")


def seal_message(message: Message, keyring: Keyring, event_id: str) -> int:
    """Seal every non-empty sensitive string in place; the number sealed.

    Idempotent: a value that already opens under this keyring, event and field is left alone.
    A value that merely looks sealed (a reporter could type one) is sealed like any other, so
    the form alone never lets plaintext through."""
    sealed = 0
    for slot in sensitive_slots(message):
        value = slot.get()
        if value and not (is_sealed(value) and _opens(value, keyring, event_id, slot.path)):
            slot.set(seal_value(value, keyring, event_id, slot.path))
            sealed += 1
    return sealed


def open_message(message: Message, keyring: Keyring, event_id: str) -> int:
    """Open every sealed sensitive string in place; the number opened. SealingError (naming the
    key id and field) on the first that cannot be opened; values never sealed are left as they are."""
    opened = 0
    for slot in sensitive_slots(message):
        value = slot.get()
        if is_sealed(value):
            slot.set(open_value(value, keyring, event_id, slot.path))
            opened += 1
    return opened
