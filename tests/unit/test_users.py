"""Principals' passwords (where they come from) and the SCRAM credential math."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from incidentbus.security.users import (
    DEV_PASSWORD_PREFIX,
    PasswordError,
    PasswordSources,
    dev_password,
    password_env_var,
    read_secrets_file,
    resolve_passwords,
    scram_credential,
    user_change,
)

PRINCIPALS = ["police-service", "operator"]


def test_each_principal_has_its_own_variable() -> None:
    assert password_env_var("police-service") == "INCIDENTBUS_PASSWORD_POLICE_SERVICE"
    assert password_env_var("correlator") == "INCIDENTBUS_PASSWORD_CORRELATOR"


def test_environment_wins_over_the_secrets_file_which_wins_over_dev(tmp_path: Path) -> None:
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('[passwords]\npolice-service = "from-file"\noperator = "op-file"\n')
    sources = PasswordSources.from_env(
        {
            "INCIDENTBUS_PASSWORD_POLICE_SERVICE": "from-env",
            "INCIDENTBUS_SECRETS_FILE": str(secrets_file),
        },
        dev=True,
    )
    found = resolve_passwords([*PRINCIPALS, "auditor"], sources, production=False)
    assert found["police-service"].value.get_secret_value() == "from-env"
    assert found["police-service"].source == "INCIDENTBUS_PASSWORD_POLICE_SERVICE"
    assert (found["operator"].value.get_secret_value(), found["operator"].origin) == ("op-file", "file")
    assert found["auditor"].origin == "dev"
    assert "from-env" not in repr(found["police-service"])  # never printed by accident


def test_a_missing_password_names_the_variable_to_set() -> None:
    with pytest.raises(PasswordError, match="INCIDENTBUS_PASSWORD_OPERATOR") as caught:
        resolve_passwords(
            PRINCIPALS,
            PasswordSources.from_env({"INCIDENTBUS_PASSWORD_POLICE_SERVICE": "x"}),
            production=False,
        )
    assert "POLICE_SERVICE" not in str(caught.value)


def test_dev_passwords_are_opt_in_public_and_refused_in_production() -> None:
    assert PasswordSources.from_env({"INCIDENTBUS_DEV_PASSWORDS": "1"}).dev
    assert not PasswordSources.from_env({}).dev
    assert dev_password("operator") == dev_password("operator") != dev_password("auditor")
    assert dev_password("operator").startswith(DEV_PASSWORD_PREFIX)
    with pytest.raises(PasswordError, match="production"):
        resolve_passwords(PRINCIPALS, PasswordSources(dev=True), production=True)


def test_an_unreadable_secrets_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[passwords]\noperator = 3\n")
    with pytest.raises(PasswordError, match="must map"):
        read_secrets_file(bad)
    with pytest.raises(PasswordError, match="cannot read"):
        read_secrets_file(tmp_path / "absent.toml")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_salted_password_matches_rfc_7677() -> None:
    """RFC 7677's SCRAM-SHA-256 exchange: our SaltedPassword yields its client proof and server
    signature, so the broker's stored keys (derived the same way) will verify our users' logins."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    credential = scram_credential("pencil", mechanism="SCRAM-SHA-256", iterations=4096, salt=salt)
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth = f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r={nonce}"
    client_key = hmac.new(credential.salted_password, b"Client Key", hashlib.sha256).digest()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth.encode(), hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    server_key = hmac.new(credential.salted_password, b"Server Key", hashlib.sha256).digest()
    assert _b64(proof) == "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    assert _b64(hmac.new(server_key, auth.encode(), hashlib.sha256).digest()) == (
        "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    )


def test_credentials_are_salted_freshly_for_sha_512() -> None:
    one, two = scram_credential("secret"), scram_credential("secret")
    assert (one.mechanism, one.mechanism_code, one.iterations) == ("SCRAM-SHA-512", 2, 8192)
    assert len(one.salted_password) == 64
    assert one.salt != two.salt
    assert one.salted_password != two.salted_password


def test_user_decisions() -> None:
    assert user_change("a", has_credential=False, password_works=None).action == "create"
    assert user_change("a", has_credential=True, password_works=True).action == "keep"
    assert user_change("a", has_credential=True, password_works=False).action == "update"
