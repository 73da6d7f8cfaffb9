"""OAuthConfig: from the constructor or QUICKBOOKS_* variables, one error for all problems."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from qbo_sync import Environment
from qbo_sync.auth import OAuthConfig
from qbo_sync.errors import ConfigurationError

KEY = Fernet.generate_key().decode()
SECRET = "s3cr3t-client-secret-value"
VERIFIER = "verifier-token-value-123"


def _env(**overrides: str) -> dict[str, str]:
    env = {
        "QUICKBOOKS_CLIENT_ID": "ABclientid123",
        "QUICKBOOKS_CLIENT_SECRET": SECRET,
        "QUICKBOOKS_REDIRECT_URI": "https://app.example.com/qbo/callback",
        "QUICKBOOKS_ENVIRONMENT": "sandbox",
        "QUICKBOOKS_TOKEN_ENCRYPTION_KEY": KEY,
        "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": VERIFIER,
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v != "<unset>"}


def test_from_env_reads_every_variable() -> None:
    """Every QUICKBOOKS_* variable lands in its field, environment parsed to the enum."""
    config = OAuthConfig.from_env(_env(QUICKBOOKS_ENVIRONMENT="Production"))
    assert config.client_id == "ABclientid123"
    assert config.client_secret == SECRET
    assert config.redirect_uri == "https://app.example.com/qbo/callback"
    assert config.environment is Environment.PRODUCTION
    assert config.token_encryption_key == KEY
    assert config.webhook_verifier_token == VERIFIER
    assert config.discovery_url is None


def test_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no mapping given, os.environ is read."""
    for name, value in _env().items():
        monkeypatch.setenv(name, value)
    assert OAuthConfig.from_env().client_id == "ABclientid123"


def test_verifier_token_is_optional() -> None:
    """The webhook verifier token may be absent."""
    config = OAuthConfig.from_env(_env(QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN="<unset>"))
    assert config.webhook_verifier_token is None


def test_every_problem_is_listed_in_one_error() -> None:
    """Missing and malformed variables are all reported together, by variable name."""
    env = _env(
        QUICKBOOKS_CLIENT_ID="<unset>",
        QUICKBOOKS_CLIENT_SECRET="   ",
        QUICKBOOKS_REDIRECT_URI="http://app.example.com/cb",
        QUICKBOOKS_ENVIRONMENT="staging",
        QUICKBOOKS_TOKEN_ENCRYPTION_KEY="not-a-key",
    )
    with pytest.raises(ConfigurationError) as info:
        OAuthConfig.from_env(env)
    problems = info.value.problems
    assert len(problems) == 5
    joined = "\n".join(problems)
    assert "QUICKBOOKS_CLIENT_ID is not set" in joined
    assert "QUICKBOOKS_CLIENT_SECRET is not set" in joined
    assert "QUICKBOOKS_REDIRECT_URI" in joined
    assert "https" in joined
    assert "QUICKBOOKS_ENVIRONMENT: 'staging'" in joined
    assert "QUICKBOOKS_TOKEN_ENCRYPTION_KEY" in joined
    assert "Fernet" in joined
    assert isinstance(info.value, ValueError)


def test_encryption_key_can_be_optional() -> None:
    """require_encryption_key=False accepts a store without encryption at rest."""
    env = _env(QUICKBOOKS_TOKEN_ENCRYPTION_KEY="<unset>")
    with pytest.raises(ConfigurationError, match="QUICKBOOKS_TOKEN_ENCRYPTION_KEY is not set"):
        OAuthConfig.from_env(env)
    assert OAuthConfig.from_env(env, require_encryption_key=False).token_encryption_key is None


def test_key_rotation_lists_are_checked_key_by_key() -> None:
    """Comma-separated keys (newest first) are each validated; the bad one is named."""
    good = OAuthConfig.from_env(_env(QUICKBOOKS_TOKEN_ENCRYPTION_KEY=f"{KEY}, {KEY}"))
    assert good.encryption_keys() == (KEY, KEY)
    with pytest.raises(ConfigurationError) as info:
        OAuthConfig.from_env(_env(QUICKBOOKS_TOKEN_ENCRYPTION_KEY=f"{KEY},c2hvcnQ="))
    assert info.value.problems == (
        "QUICKBOOKS_TOKEN_ENCRYPTION_KEY: key 2 decodes to 5 bytes, expected 32 (a Fernet key; "
        "make one with cryptography.fernet.Fernet.generate_key())",
    )


def test_constructor_collects_problems_by_field_name() -> None:
    """The constructor validates too and names fields, not variables."""
    with pytest.raises(ConfigurationError) as info:
        OAuthConfig(
            client_id="has space",
            client_secret="",
            redirect_uri="/relative",
            environment="prod",
        )
    assert [p.split(":")[0] for p in info.value.problems] == [
        "client_id",
        "client_secret",
        "redirect_uri",
        "environment",
    ]


def test_loopback_http_redirect_is_allowed() -> None:
    """http is accepted only for localhost redirect URIs (Intuit's development rule)."""
    config = OAuthConfig(
        client_id="cid",
        client_secret=SECRET,
        redirect_uri="http://localhost:8000/callback",
        environment=Environment.SANDBOX,
    )
    assert config.redirect_uri.startswith("http://localhost")


def test_secrets_never_in_repr_or_errors() -> None:
    """repr hides the secret, key and verifier; error text never echoes them."""
    config = OAuthConfig.from_env(_env())
    text = repr(config)
    assert SECRET not in text
    assert KEY not in text
    assert VERIFIER not in text
    assert "ABclientid123" in text
    with pytest.raises(ConfigurationError) as info:
        OAuthConfig.from_env(_env(QUICKBOOKS_CLIENT_SECRET="bad secret value",
                                  QUICKBOOKS_TOKEN_ENCRYPTION_KEY="bad key value"))
    rendered = f"{info.value} {info.value!r} {info.value.problems}"
    assert "bad secret value" not in rendered
    assert "bad key value" not in rendered
