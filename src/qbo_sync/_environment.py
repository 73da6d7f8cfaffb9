"""Sandbox or production, chosen explicitly."""

from __future__ import annotations

import enum

from qbo_sync.errors import ConfigurationError

__all__ = ["Environment"]


class Environment(enum.Enum):
    """The QuickBooks Online environment a realm lives in.

    A sandbox company only answers on the sandbox host (the production host
    says fault 3100), so the environment is always stated, never guessed:
    nothing in qbo_sync falls back to production.
    """

    SANDBOX = "sandbox"
    PRODUCTION = "production"

    @property
    def api_base_url(self) -> str:
        """The Accounting API host for this environment."""
        if self is Environment.SANDBOX:
            return "https://sandbox-quickbooks.api.intuit.com"
        return "https://quickbooks.api.intuit.com"

    @classmethod
    def parse(cls, value: Environment | str) -> Environment:
        """Turn ``"sandbox"`` / ``"production"`` (any case) into an Environment.

        Raises:
            ConfigurationError: For anything else, naming the value and the
                accepted ones.
        """
        if isinstance(value, Environment):
            return value
        if isinstance(value, str):
            key = value.strip().lower()
            for member in cls:
                if member.value == key:
                    return member
        raise ConfigurationError(
            f"environment must be 'sandbox' or 'production', got {value!r}",
            problems=[f"environment: {value!r} is not 'sandbox' or 'production'"],
        )
