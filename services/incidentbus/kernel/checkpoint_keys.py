"""Which Ed25519 key signs the correlator's checkpoints, and the public keys an auditor keeps
(kernel/checkpoints.py says what is signed).

Keys come from `INCIDENTBUS_CHECKPOINT_KEYS` ("kid:<base64 seed>,..."), like the field keys: the
active id (`INCIDENTBUS_CHECKPOINT_KEY_ID`, else the first) signs, older ids stay listed while
their checkpoints are audited. Outside production, without keys, the public development key
`dev` signs; production refuses to start without keys or with the development key.

The public key file an auditor is given holds one `kid:<base64 of the 32-byte raw public key>`
per line (`#` starts a comment): `incidentbus checkpoints public-key` writes it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from incidentbus.kernel.checkpoints import signing_keys
from incidentbus.kernel.settings import DEV_CHECKPOINT_KEY, DEV_CHECKPOINT_KEY_ID, BusSettings


class CheckpointKeyError(Exception):
    """The checkpoint keys cannot be used as configured; the message says why (never a seed)."""


@dataclass(frozen=True)
class Signer:
    """The active key: its id goes into every checkpoint it signs."""

    key_id: str
    key: Ed25519PrivateKey
    development: bool = False


def configured_keys(settings: BusSettings) -> tuple[dict[str, Ed25519PrivateKey], str, bool]:
    """(keys by id, the active id, whether they are the development key). CheckpointKeyError in
    production without keys, with the development key, or for a malformed entry or unknown id."""
    text = settings.checkpoint_keys.get_secret_value().strip() if settings.checkpoint_keys else ""
    production = settings.environment == "production"
    development = not text
    if development:
        if production:
            raise CheckpointKeyError(
                "INCIDENTBUS_CHECKPOINT_KEYS is not set: production does not sign checkpoints with "
                "the public development key"
            )
        text = f"{DEV_CHECKPOINT_KEY_ID}:{DEV_CHECKPOINT_KEY}"
    try:
        keys = signing_keys(text)
    except ValueError as exc:
        raise CheckpointKeyError(f"INCIDENTBUS_CHECKPOINT_KEYS: {exc}") from exc
    dev_public = raw_public(
        signing_keys(f"{DEV_CHECKPOINT_KEY_ID}:{DEV_CHECKPOINT_KEY}")[DEV_CHECKPOINT_KEY_ID]
    )
    if production and any(raw_public(k) == dev_public for k in keys.values()):
        raise CheckpointKeyError("the public development checkpoint key cannot sign production checkpoints")
    active = (settings.checkpoint_key_id if not development else None) or next(iter(keys))
    if active not in keys:
        raise CheckpointKeyError(
            f"INCIDENTBUS_CHECKPOINT_KEY_ID {active!r} is not in INCIDENTBUS_CHECKPOINT_KEYS"
        )
    return keys, active, development


def checkpoint_signer(settings: BusSettings) -> Signer:
    """The key the correlator signs with (see `configured_keys` for the refusals)."""
    keys, active, development = configured_keys(settings)
    return Signer(active, keys[active], development)


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_keys_text(settings: BusSettings) -> str:
    """The public key file of every configured key (the active one first)."""
    keys, active, _ = configured_keys(settings)
    ordered = [active, *(k for k in keys if k != active)]
    lines = ["# incidentbus checkpoint public keys: kid:base64(raw Ed25519 public key)"]
    lines += [f"{kid}:{base64.b64encode(raw_public(keys[kid])).decode()}" for kid in ordered]
    return "\n".join(lines) + "\n"


def read_public_keys(text: str) -> dict[str, Ed25519PublicKey]:
    """A public key file -> keys by id. ValueError naming the line for anything else."""
    keys: dict[str, Ed25519PublicKey] = {}
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.split("#", 1)[0].strip()
        if not line:
            continue
        kid, _, encoded = line.partition(":")
        try:
            raw = base64.b64decode(encoded, validate=True)
            keys[kid.strip()] = Ed25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"line {number}: expected kid:base64 of a 32-byte Ed25519 public key") from exc
    if not keys:
        raise ValueError("no public key in the file")
    return keys
