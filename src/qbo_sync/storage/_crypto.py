"""Token encryption at rest: Fernet keys, with rotation through MultiFernet."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from qbo_sync.errors import ConfigurationError, EncryptionKeyError

__all__ = ["ENCRYPTION_KEY_ENV", "TokenCipher"]

#: The environment variable holding the key(s), comma-separated, newest first.
ENCRYPTION_KEY_ENV = "QUICKBOOKS_TOKEN_ENCRYPTION_KEY"


def _fernet(key: str | bytes, position: int) -> Fernet:
    try:
        return Fernet(key.strip())
    except (ValueError, TypeError):
        raise ConfigurationError(
            f"encryption key #{position} is not a valid Fernet key "
            "(32 bytes, URL-safe base64; see TokenCipher.generate_key())",
            problems=[f"keys[{position - 1}]: not a Fernet key"],
        ) from None


class TokenCipher:
    """Encrypts tokens with the first key, decrypts with any of the keys.

    Keys are Fernet keys (32 random bytes, URL-safe base64; make one with
    :meth:`generate_key`). To rotate, put the new key first and keep the old
    ones after it until every stored token was rewritten (a store's
    ``reencrypt_tokens()`` does that, or simply the next token refresh).

    The ``repr`` shows only how many keys there are; keys never appear in
    any message.

    Args:
        keys: One or more keys, newest first (``str`` or ``bytes``).

    Raises:
        ConfigurationError: No key was given, or a key is not a valid Fernet
            key (the message gives its position, never the key).
    """

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if isinstance(keys, str | bytes):
            keys = [keys]
        if not keys:
            raise ConfigurationError(
                "TokenCipher needs at least one key",
                problems=["keys: empty"],
            )
        fernets = [_fernet(key, position) for position, key in enumerate(keys, start=1)]
        self._count = len(fernets)
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, variable: str = ENCRYPTION_KEY_ENV
    ) -> TokenCipher | None:
        """Build a cipher from ``QUICKBOOKS_TOKEN_ENCRYPTION_KEY``.

        Args:
            environ: Where to look (default: ``os.environ``).
            variable: The variable name.

        Returns:
            The cipher, or ``None`` when the variable is unset or blank
            (tokens are then stored as plaintext).

        Raises:
            ConfigurationError: A key in the variable is malformed.
        """
        source = os.environ if environ is None else environ
        raw = source.get(variable, "")
        keys = [part.strip() for part in raw.split(",") if part.strip()]
        if not keys:
            return None
        return cls(keys)

    @staticmethod
    def generate_key() -> str:
        """A new random Fernet key, as text."""
        return Fernet.generate_key().decode("ascii")

    @property
    def key_count(self) -> int:
        """How many keys decrypt (the first one also encrypts)."""
        return self._count

    def encrypt(self, plaintext: str) -> str:
        """Encrypt with the newest key; returns Fernet token text."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt with whichever key fits.

        Raises:
            EncryptionKeyError: No configured key decrypts it (wrong key,
                or the text was tampered with).
        """
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise EncryptionKeyError(
                f"stored tokens cannot be decrypted with the {self._count} configured "
                f"key(s); is {ENCRYPTION_KEY_ENV} missing the key they were written with?"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt text written with any configured key under the newest key.

        Raises:
            EncryptionKeyError: No configured key decrypts it.
        """
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise EncryptionKeyError(
                f"stored tokens cannot be decrypted with the {self._count} configured key(s)"
            ) from None

    def __repr__(self) -> str:
        return f"TokenCipher(keys={self._count})"
