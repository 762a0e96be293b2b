"""Principals' passwords (where they come from) and the SCRAM credential math."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from incidentbus.cli.main import main
from incidentbus.kernel.settings import (
    DEV_ADMIN_PASSWORD,
    DEV_PASSWORD_PREFIX,
    BusSettings,
    DevelopmentSecretError,
    is_development_password,
)
from incidentbus.security.broker import as_principal
from incidentbus.security.users import (
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


# ---- production refuses public development passwords, for every principal -------------------


@pytest.mark.parametrize(
    "public",
    [dev_password("operator"), DEV_ADMIN_PASSWORD, "my-own-not-a-secret-password", DEV_PASSWORD_PREFIX + "x"],
)
def test_production_refuses_development_passwords_from_any_source(public: str, tmp_path: Path) -> None:
    env = {"INCIDENTBUS_PASSWORD_POLICE_SERVICE": public, "INCIDENTBUS_PASSWORD_OPERATOR": "a-real-secret"}
    with pytest.raises(PasswordError, match="INCIDENTBUS_PASSWORD_POLICE_SERVICE") as caught:
        resolve_passwords(PRINCIPALS, PasswordSources.from_env(env), production=True)
    message = str(caught.value)
    assert "'police-service'" in message
    assert "production" in message
    assert "operator" not in message  # only the principal at fault is named
    assert public not in message  # the value is never echoed
    # The same file entry names the file.
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(f'[passwords]\noperator = "{public}"\npolice-service = "fine-secret"\n')
    from_file = PasswordSources.from_env({"INCIDENTBUS_SECRETS_FILE": str(secrets_file)})
    with pytest.raises(PasswordError, match=f"{secrets_file}: the password of 'operator'"):
        resolve_passwords(PRINCIPALS, from_file, production=True)
    # Outside production the same values are fine: they are what a local broker runs on.
    assert resolve_passwords(PRINCIPALS, PasswordSources.from_env(env), production=False)


def test_production_accepts_real_passwords() -> None:
    env = {"INCIDENTBUS_PASSWORD_POLICE_SERVICE": "s3cret-one", "INCIDENTBUS_PASSWORD_OPERATOR": "s3cret-two"}
    found = resolve_passwords(PRINCIPALS, PasswordSources.from_env(env), production=True)
    assert sorted(found) == sorted(PRINCIPALS)


def test_known_development_passwords() -> None:
    assert is_development_password(dev_password("police-service"))
    assert is_development_password(DEV_ADMIN_PASSWORD)
    assert is_development_password("incidentbus-dev-admin-not-a-secret")  # any case
    assert not is_development_password("Tr0ub4dor&3")


def _settings(**values: object) -> BusSettings:
    return BusSettings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("user", ["admin", "police-service", "operator"])
def test_production_settings_refuse_a_development_sasl_password_for_every_user(user: str) -> None:
    public = DEV_ADMIN_PASSWORD if user == "admin" else dev_password(user)
    with pytest.raises(
        ValidationError, match=f"INCIDENTBUS_SASL_PASSWORD: the password of '{user}'"
    ) as caught:
        _settings(environment="production", sasl_username=user, sasl_password=public)
    assert "admin included" in str(caught.value)
    assert public not in str(caught.value)
    assert _settings(environment="development", sasl_username=user, sasl_password=public)
    assert _settings(environment="production", sasl_username=user, sasl_password="a-real-secret")


def test_production_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENTBUS_ENVIRONMENT", "production")
    monkeypatch.setenv("INCIDENTBUS_SASL_USERNAME", "admin")
    monkeypatch.setenv("INCIDENTBUS_SASL_PASSWORD", DEV_ADMIN_PASSWORD)
    with pytest.raises(ValidationError, match="'admin'"):
        BusSettings()


def test_switching_principal_in_production_is_checked_too() -> None:
    """as_principal copies settings (no validation): it applies the refusal itself."""
    admin = _settings(environment="production", sasl_username="admin", sasl_password="a-real-secret")
    with pytest.raises(DevelopmentSecretError, match="'auditor'"):
        as_principal(admin, "auditor", SecretStr(dev_password("auditor")))
    assert as_principal(admin, "auditor", SecretStr("another-real-one")).sasl_username == "auditor"


def test_the_command_line_refuses_production_settings_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INCIDENTBUS_ENVIRONMENT", "production")
    monkeypatch.setenv("INCIDENTBUS_SASL_USERNAME", "admin")
    monkeypatch.setenv("INCIDENTBUS_SASL_PASSWORD", DEV_ADMIN_PASSWORD)
    monkeypatch.setattr("sys.argv", ["incidentbus", "topics", "list"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "INCIDENTBUS_SASL_PASSWORD: the password of 'admin' is a public development password" in err
    assert "Traceback" not in err
    assert DEV_ADMIN_PASSWORD not in err


SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "kafka-secure"


@pytest.mark.parametrize("admin_password", [None, DEV_ADMIN_PASSWORD, dev_password("admin")])
def test_the_secured_node_refuses_a_development_admin_password_in_production(
    admin_password: str | None, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTBUS_")}
    env |= {"INCIDENTBUS_ENVIRONMENT": "production", "INCIDENTBUS_KAFKA_SECURE_HOME": str(tmp_path)}
    if admin_password is not None:
        env["INCIDENTBUS_KAFKA_ADMIN_PASSWORD"] = admin_password
    for action in ("start", "env"):
        done = subprocess.run(
            ["bash", str(SCRIPT), action], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode != 0
        assert "INCIDENTBUS_KAFKA_ADMIN_PASSWORD: the password of 'admin'" in done.stderr
        assert "admin included" in done.stderr
        assert done.stdout == ""  # `env` prints nothing to eval
    assert not (tmp_path / "data").exists()  # refused before formatting anything
    env["INCIDENTBUS_KAFKA_ADMIN_PASSWORD"] = "a-real-admin-secret"
    lines = subprocess.run(["bash", str(SCRIPT), "env"], env=env, capture_output=True, text=True, check=True)
    assert "export INCIDENTBUS_SECURITY_PROTOCOL=SASL_SSL" in lines.stdout
    assert f"export INCIDENTBUS_SSL_CAFILE={tmp_path}/tls/ca.crt" in lines.stdout
