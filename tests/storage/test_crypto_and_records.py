"""TokenCipher (encryption, rotation, wrong keys) and the records' own rules."""

from __future__ import annotations

import datetime as dt

import pytest

from qbo_sync.errors import ConfigurationError, EncryptionKeyError
from qbo_sync.storage import (
    ENCRYPTION_KEY_ENV,
    Connection,
    EntityLink,
    OAuthState,
    RunRecord,
    TokenCipher,
    TokenSet,
)

OLD = "mJ0uYj3Ck3Q2m2cJxQ3Q9n9mP5v7o4m0b2x6yX1J3hM="
NEW = "0Yl2r9a5cFh2S6qk1VY1b4U3yQ6r2Jp5x9d8Zk7m2tE="
UTC = dt.timezone.utc


def test_cipher_round_trip_and_ciphertext_hides_plaintext() -> None:
    """Encrypting then decrypting gives the text back; the ciphertext does not contain it."""
    cipher = TokenCipher([NEW])
    sealed = cipher.encrypt("AB11570127472xyzRefresh")
    assert "AB11570127472" not in sealed
    assert cipher.decrypt(sealed) == "AB11570127472xyzRefresh"


def test_rotation_old_key_decrypts_new_key_encrypts() -> None:
    """With [new, old], old ciphertext still decrypts and fresh ciphertext needs the new key."""
    old_text = TokenCipher([OLD]).encrypt("tok")
    rotating = TokenCipher([NEW, OLD])
    assert rotating.decrypt(old_text) == "tok"
    fresh = rotating.encrypt("tok")
    assert TokenCipher([NEW]).decrypt(fresh) == "tok"
    with pytest.raises(EncryptionKeyError):
        TokenCipher([OLD]).decrypt(fresh)
    assert TokenCipher([NEW]).decrypt(rotating.rotate(old_text)) == "tok"


def test_wrong_key_is_a_clear_error_without_secrets() -> None:
    """Decrypting with the wrong key raises EncryptionKeyError naming the env var, not a key."""
    sealed = TokenCipher([OLD]).encrypt("tok")
    with pytest.raises(EncryptionKeyError) as info:
        TokenCipher([NEW]).decrypt(sealed)
    assert ENCRYPTION_KEY_ENV in str(info.value)
    assert NEW not in str(info.value)
    assert OLD not in str(info.value)


def test_malformed_key_is_a_configuration_error_without_the_key() -> None:
    """A key that is not a Fernet key gives ConfigurationError naming its position only."""
    with pytest.raises(ConfigurationError) as info:
        TokenCipher([NEW, "not-a-key-but-secret"])
    assert "#2" in str(info.value)
    assert "not-a-key-but-secret" not in str(info.value)
    with pytest.raises(ConfigurationError):
        TokenCipher([])


def test_from_env_reads_comma_separated_keys_newest_first() -> None:
    """The env var holds keys newest first; unset or blank means no encryption."""
    assert TokenCipher.from_env({}) is None
    assert TokenCipher.from_env({ENCRYPTION_KEY_ENV: "  "}) is None
    cipher = TokenCipher.from_env({ENCRYPTION_KEY_ENV: f"{NEW}, {OLD}"})
    assert cipher is not None
    assert cipher.key_count == 2
    assert TokenCipher([NEW]).decrypt(cipher.encrypt("x")) == "x"
    assert repr(cipher) == "TokenCipher(keys=2)"


def test_generated_keys_work() -> None:
    """generate_key() gives a usable, fresh key each time."""
    first, second = TokenCipher.generate_key(), TokenCipher.generate_key()
    assert first != second
    assert TokenCipher([first]).decrypt(TokenCipher([first]).encrypt("x")) == "x"


def test_naive_datetimes_are_rejected_by_name() -> None:
    """A naive time raises ValueError naming the record and the field."""
    naive = dt.datetime(2026, 1, 1)
    with pytest.raises(ValueError, match=r"TokenSet\.access_expires_at must be timezone-aware"):
        TokenSet(
            access_token="a",
            refresh_token="r",
            access_expires_at=naive,
            refresh_expires_at=naive.replace(tzinfo=UTC),
        )
    with pytest.raises(ValueError, match=r"RunRecord\.started_at"):
        RunRecord(run_id="r", realm_id="1", kind="full", direction="push", started_at=naive)


def test_keys_must_be_non_empty_and_enums_checked() -> None:
    """Empty keys and unknown enum values are refused at construction."""
    with pytest.raises(ValueError, match=r"EntityLink\.local_id"):
        EntityLink(realm_id="1", entity_type="Invoice", local_id="")
    with pytest.raises(ValueError, match="sandbox"):
        Connection(realm_id="1", environment="staging")
    with pytest.raises(ValueError):
        EntityLink(realm_id="1", entity_type="Invoice", local_id="a", status="lost")


def test_secret_fields_stay_out_of_reprs() -> None:
    """TokenSet and OAuthState reprs show neither tokens, the state nor the PKCE verifier."""
    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    tokens = TokenSet(
        access_token="eyJsecretAccess",
        refresh_token="AB11secretRefresh",
        access_expires_at=now,
        refresh_expires_at=now,
    )
    state = OAuthState(state="st4te-secret", expires_at=now, code_verifier="verifier-secret")
    text = repr(tokens) + repr(state) + str(tokens) + str(state)
    for secret in ("eyJsecretAccess", "AB11secretRefresh", "st4te-secret", "verifier-secret"):
        assert secret not in text
    assert "access_expires_at" in repr(tokens)


def test_lock_wait_times_out_on_virtual_sleep() -> None:
    """An injected sleep that returns at once still reaches the timeout, without spinning."""
    from qbo_sync.errors import LockTimeoutError
    from qbo_sync.storage._codec import wait_for_lock

    slept: list[float] = []
    attempts = 0

    def never() -> bool:
        nonlocal attempts
        attempts += 1
        return False

    with pytest.raises(LockTimeoutError, match="refresh lock"):
        wait_for_lock(never, what="refresh lock", timeout=2.0, sleep=slept.append)
    assert sum(slept) == pytest.approx(2.0)
    assert attempts == len(slept) + 1
    assert attempts < 40  # backs off to 0.1 s steps: ~25 tries, not a busy loop
