"""OAuth configuration: credentials, redirect URI, environment, keys."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

from qbo_sync._environment import Environment
from qbo_sync.errors import ConfigurationError
from qbo_sync.storage._crypto import ENCRYPTION_KEY_ENV

__all__ = ["OAuthConfig"]

_ENV_CLIENT_ID = "QUICKBOOKS_CLIENT_ID"
_ENV_CLIENT_SECRET = "QUICKBOOKS_CLIENT_SECRET"  # noqa: S105 - a variable name
_ENV_REDIRECT_URI = "QUICKBOOKS_REDIRECT_URI"
_ENV_ENVIRONMENT = "QUICKBOOKS_ENVIRONMENT"
_ENV_ENCRYPTION_KEY = ENCRYPTION_KEY_ENV
_ENV_VERIFIER = "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN"
_ENV_DISCOVERY_URL = "QUICKBOOKS_DISCOVERY_URL"

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _secret_repr(value: object) -> str:
    return "'***'" if value else repr(value)


_FIELDS = (
    "client_id",
    "client_secret",
    "redirect_uri",
    "environment",
    "token_encryption_key",
    "webhook_verifier_token",
    "discovery_url",
)
_ENV_NAMES = {
    "client_id": _ENV_CLIENT_ID,
    "client_secret": _ENV_CLIENT_SECRET,
    "redirect_uri": _ENV_REDIRECT_URI,
    "environment": _ENV_ENVIRONMENT,
    "token_encryption_key": _ENV_ENCRYPTION_KEY,
    "webhook_verifier_token": _ENV_VERIFIER,
    "discovery_url": _ENV_DISCOVERY_URL,
}
_REQUIRED = ("client_id", "client_secret", "redirect_uri", "environment")


@attrs.frozen(kw_only=True, init=False)
class OAuthConfig:
    """Everything the OAuth manager needs to talk to Intuit for one app.

    The constructor checks every field and raises ONE
    :class:`~qbo_sync.errors.ConfigurationError` listing all problems.
    Secrets (client secret, encryption key, webhook verifier token) are kept
    out of ``repr`` and out of error messages.

    Attributes:
        client_id: The app's OAuth client id (Intuit developer portal, "Keys").
        client_secret: The app's client secret.
        redirect_uri: The callback URL registered for the app; must match exactly.
        environment: Sandbox or production; never guessed.
        token_encryption_key: Key the storage uses to encrypt tokens at rest
            (a Fernet key: 32 bytes, url-safe base64). Several keys may be
            given, separated by commas, newest first, to rotate keys.
        webhook_verifier_token: The app's webhook verifier token, if webhooks
            are used.
        discovery_url: Intuit's OpenID discovery document for this
            environment; ``None`` picks the default (see ``docs/oauth.md``).
    """

    client_id: str
    client_secret: str = attrs.field(repr=_secret_repr)
    redirect_uri: str
    environment: Environment
    token_encryption_key: str | None = attrs.field(default=None, repr=_secret_repr)
    webhook_verifier_token: str | None = attrs.field(default=None, repr=_secret_repr)
    discovery_url: str | None = None

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        environment: Environment | str,
        token_encryption_key: str | None = None,
        webhook_verifier_token: str | None = None,
        discovery_url: str | None = None,
    ) -> None:
        values: dict[str, object] = {
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "environment": environment,
            "token_encryption_key": token_encryption_key,
            "webhook_verifier_token": webhook_verifier_token,
            "discovery_url": discovery_url,
        }
        problems = _collect(values, labels={f: f for f in _FIELDS})
        if problems:
            raise _config_error(problems)
        self.__attrs_init__(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            environment=Environment.parse(environment),
            token_encryption_key=token_encryption_key,
            webhook_verifier_token=webhook_verifier_token,
            discovery_url=discovery_url,
        )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, require_encryption_key: bool = True
    ) -> OAuthConfig:
        """Read the configuration from ``QUICKBOOKS_*`` environment variables.

        Reads ``QUICKBOOKS_CLIENT_ID``, ``QUICKBOOKS_CLIENT_SECRET``,
        ``QUICKBOOKS_REDIRECT_URI``, ``QUICKBOOKS_ENVIRONMENT``,
        ``QUICKBOOKS_TOKEN_ENCRYPTION_KEY`` and, optionally,
        ``QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN`` and ``QUICKBOOKS_DISCOVERY_URL``.
        Blank values count as unset.

        Args:
            environ: The mapping to read; ``os.environ`` when ``None``.
            require_encryption_key: Whether a missing
                ``QUICKBOOKS_TOKEN_ENCRYPTION_KEY`` is a problem (it is by
                default: tokens should never sit in storage in clear text).

        Returns:
            A validated configuration.

        Raises:
            ConfigurationError: Listing every missing or malformed variable
                in ``.problems`` (never their secret values).
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field_name in _FIELDS:
            raw = env.get(_ENV_NAMES[field_name])
            values[field_name] = (raw.strip() or None) if raw is not None else None
        required = _REQUIRED + (("token_encryption_key",) if require_encryption_key else ())
        problems = _collect(values, labels=_ENV_NAMES, required=required)
        if problems:
            raise _config_error(problems)
        return cls(**values)  # type: ignore[arg-type]

    def encryption_keys(self) -> tuple[str, ...]:
        """The configured token encryption keys, newest first (may be empty)."""
        if not self.token_encryption_key:
            return ()
        return tuple(k.strip() for k in self.token_encryption_key.split(",") if k.strip())


def _collect(
    values: Mapping[str, object],
    *,
    labels: Mapping[str, str],
    required: tuple[str, ...] = _REQUIRED,
) -> list[str]:
    problems: list[str] = []
    for name in _FIELDS:
        value = values.get(name)
        label = labels[name]
        if value is None:
            if name in required:
                problems.append(f"{label} is not set")
            continue
        if name == "environment":
            try:
                Environment.parse(value)  # type: ignore[arg-type]
            except ConfigurationError:
                problems.append(f"{label}: {value!r} is not 'sandbox' or 'production'")
            continue
        if not isinstance(value, str):
            problems.append(f"{label}: expected a string, got {type(value).__name__}")
            continue
        problems.extend(f"{label}: {p}" for p in _check_field(name, value))
    return problems


def _config_error(problems: list[str]) -> ConfigurationError:
    count = len(problems)
    summary = "; ".join(problems)
    return ConfigurationError(
        f"OAuth configuration has {count} problem{'s' if count != 1 else ''}: {summary}",
        problems=problems,
    )


def _check_field(name: str, value: str) -> list[str]:
    """Problems with one field's value; messages never echo secret values."""
    if name in ("client_id", "client_secret", "webhook_verifier_token"):
        if not value.strip():
            return ["is empty"]
        if any(c.isspace() for c in value):
            return ["contains whitespace"]
        return []
    if name == "redirect_uri":
        return _check_url(value, name="redirect URI")
    if name == "discovery_url":
        return _check_url(value, name="discovery URL")
    if name == "token_encryption_key":
        return _check_keys(value)
    return []


def _check_url(value: str, *, name: str) -> list[str]:
    # http is allowed for loopback hosts only (Intuit's development rule).
    try:
        parts = urlsplit(value)
    except ValueError:
        return [f"{value!r} is not a valid URL"]
    if not parts.scheme or not parts.netloc:
        return [f"{value!r} is not an absolute URL"]
    if parts.fragment:
        return [f"{value!r}: a {name} may not contain a fragment"]
    host = (parts.hostname or "").lower()
    if parts.scheme == "https":
        return []
    if parts.scheme == "http" and host in _LOOPBACK_HOSTS:
        return []
    return [f"{value!r}: a {name} must use https (http only for localhost)"]


def _check_keys(value: str) -> list[str]:
    keys = [k.strip() for k in value.split(",")]
    problems: list[str] = []
    for index, key in enumerate(keys, start=1):
        where = f"key {index}" if len(keys) > 1 else "the key"
        if not key:
            problems.append(f"{where} is empty")
            continue
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            problems.append(f"{where} is not url-safe base64 (expected a Fernet key)")
            continue
        if len(raw) != 32:
            problems.append(
                f"{where} decodes to {len(raw)} bytes, expected 32 (a Fernet key; make one "
                "with cryptography.fernet.Fernet.generate_key())"
            )
    return problems
