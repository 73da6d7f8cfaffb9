"""What the backends share beyond pure codecs: the logic above their I/O.

:class:`StoreBase` gives every backend the link lookups and listings over
one primitive each (arguments normalised once); :class:`SQLStoreBase` holds
what the two SQL backends do alike (chunked link reads, key rotation, OAuth
states), so each of them only implements the statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Literal

from qbo_sync.errors import ConflictError, EncryptionKeyError
from qbo_sync.storage import _rows as rows
from qbo_sync.storage._codec import Clock, chunked
from qbo_sync.storage._crypto import TokenCipher
from qbo_sync.storage._records import EntityLink, LinkStatus, OAuthState, RunRecord

__all__ = ["LinkKey", "SQLStoreBase", "StoreBase", "resolve_cipher"]

#: The column a link lookup goes by.
LinkKey = Literal["local_id", "qbo_id"]


def resolve_cipher(encryption: TokenCipher | Literal["env"] | None) -> TokenCipher | None:
    """The cipher a backend's ``encryption=`` argument stands for."""
    return TokenCipher.from_env() if encryption == "env" else encryption


class StoreBase:
    """Link lookups and the two listings, each over one backend primitive."""

    def _links_where(
        self, realm_id: str, entity_type: str, column: LinkKey, keys: Iterable[str]
    ) -> dict[str, EntityLink]:
        raise NotImplementedError

    def get_links(
        self, realm_id: str, entity_type: str, local_ids: Iterable[str]
    ) -> dict[str, EntityLink]:
        """See :meth:`LinkStore.get_links`."""
        return self._links_where(realm_id, entity_type, "local_id", local_ids)

    def get_links_by_qbo_ids(
        self, realm_id: str, entity_type: str, qbo_ids: Iterable[str]
    ) -> dict[str, EntityLink]:
        """See :meth:`LinkStore.get_links_by_qbo_ids`."""
        return self._links_where(realm_id, entity_type, "qbo_id", qbo_ids)

    def _query_links(
        self, realm_id: str, entity_type: str | None, status: LinkStatus | None, limit: int | None
    ) -> list[EntityLink]:
        raise NotImplementedError

    def list_links(
        self,
        realm_id: str,
        *,
        entity_type: str | None = None,
        status: LinkStatus | None = None,
        limit: int | None = None,
    ) -> list[EntityLink]:
        """See :meth:`LinkStore.list_links`."""
        return self._query_links(
            realm_id,
            entity_type,
            None if status is None else LinkStatus(status),
            None if limit is None else max(limit, 0),
        )

    def _query_runs(
        self, realm_id: str | None, since: dt.datetime | None, limit: int, include_failures: bool
    ) -> list[RunRecord]:
        raise NotImplementedError

    def list_runs(
        self,
        *,
        realm_id: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 50,
        include_failures: bool = True,
    ) -> list[RunRecord]:
        """See :meth:`RunStore.list_runs`."""
        return self._query_runs(realm_id, since, max(limit, 0), include_failures)


class SQLStoreBase(StoreBase):
    """The logic :class:`SQLiteStore` and :class:`SQLAlchemyStore` share.

    A subclass sets ``_cipher``, ``_clock`` and ``_time`` (how it stores a
    datetime) and implements the ``_select_links``, ``_rewrite_token_rows``,
    ``_insert_state``, ``_take_state`` and ``_delete_states_until`` statements.
    """

    #: Keys per ``IN (...)`` list (the driver's parameter limit).
    _chunk: ClassVar[int] = 500
    _time: ClassVar[rows.TimeCodec]
    _cipher: TokenCipher | None
    _clock: Clock

    # links -------------------------------------------------------------------

    def _select_links(
        self, realm_id: str, entity_type: str, column: LinkKey, keys: list[str]
    ) -> list[rows.Row]:
        raise NotImplementedError

    def _links_where(
        self, realm_id: str, entity_type: str, column: LinkKey, keys: Iterable[str]
    ) -> dict[str, EntityLink]:
        found: dict[str, EntityLink] = {}
        index = rows.LINK_COLUMNS.index(column)
        for part in chunked(dict.fromkeys(keys), self._chunk):
            for r in self._select_links(realm_id, entity_type, column, part):
                found[r[index]] = rows.link_from_row(r, self._time)
        return found

    # tokens ------------------------------------------------------------------

    @property
    def encrypts_tokens(self) -> bool:
        """Whether tokens are written encrypted (a key is configured)."""
        return self._cipher is not None

    def _rewrite_token_rows(self, rewrite: Callable[[rows.Row], tuple[Any, ...]]) -> int:
        raise NotImplementedError

    def reencrypt_tokens(self) -> int:
        """Rewrite every stored token set under the newest key (after a key rotation).

        Plaintext rows are encrypted too. Versions do not change. All rows
        are rewritten in one transaction.

        Returns:
            How many token sets were rewritten.

        Raises:
            EncryptionKeyError: No key is configured, or a row cannot be
                decrypted with the configured keys (nothing is rewritten).
        """
        cipher = self._cipher
        if cipher is None:
            raise EncryptionKeyError("reencrypt_tokens() needs an encryption key")
        return self._rewrite_token_rows(lambda r: rows.reseal_tokens_row(r, cipher, self._time))

    # oauth states ------------------------------------------------------------

    def _insert_state(self, key: str, expires_at: Any, data: str) -> None:
        raise NotImplementedError

    def _take_state(self, key: str) -> tuple[Any, str] | None:
        raise NotImplementedError

    def _delete_states_until(self, when: Any) -> int:
        raise NotImplementedError

    def save_oauth_state(self, state: OAuthState) -> None:
        """See :meth:`OAuthStateStore.save_oauth_state`."""
        try:
            self._insert_state(
                rows.state_key(state.state),
                self._time.encode(state.expires_at),
                rows.seal(rows.state_to_json(state), self._cipher),
            )
        except ConflictError:
            raise ConflictError("this OAuth state value is already stored") from None

    def consume_oauth_state(
        self, state: str, *, now: dt.datetime | None = None
    ) -> OAuthState | None:
        """See :meth:`OAuthStateStore.consume_oauth_state`."""
        when = now if now is not None else self._clock()
        # Taken (deleted) even when expired: a state is good for one callback.
        found = self._take_state(rows.state_key(state))
        if found is None:
            return None
        expires_at = self._time.decode(found[0])
        if expires_at is None or expires_at <= when:
            return None
        return rows.state_from_json(rows.unseal(found[1], self._cipher))

    def purge_oauth_states(self, *, now: dt.datetime | None = None) -> int:
        """See :meth:`OAuthStateStore.purge_oauth_states`."""
        return self._delete_states_until(
            self._time.encode(now if now is not None else self._clock())
        )
