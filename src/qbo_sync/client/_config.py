"""Validation of ``QBOClient``'s constructor arguments (every problem at once)."""

from __future__ import annotations

import re

import httpx

from qbo_sync._environment import Environment
from qbo_sync.client._batch import BATCH_MAX
from qbo_sync.errors import ConfigurationError

__all__ = ["check_config"]

_REALM = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_config(
    *,
    realm_id: object,
    environment: object,
    base_url: object,
    token_provider: object,
    access_token: object,
    transport: object,
    minor_version: object,
    timeout: object,
    page_size: object,
    batch_size: object,
    transport_type: type[object] = httpx.BaseTransport,
    who: str = "QBOClient",
) -> tuple[str, Environment | None]:
    """Validate the constructor's arguments, collecting every problem.

    ``transport_type`` is ``httpx.AsyncBaseTransport`` for the async client,
    and ``who`` names the client in the error.
    """
    problems: list[str] = []
    if not isinstance(realm_id, str) or not _REALM.fullmatch(realm_id):
        problems.append(f"realm_id: {realm_id!r} is not a QBO company id")
    env: Environment | None = None
    if environment is not None:
        try:
            env = Environment.parse(environment)  # type: ignore[arg-type]
        except ConfigurationError as exc:
            problems.extend(exc.problems or [str(exc)])
    url: str | None = None
    if base_url is not None:
        if not isinstance(base_url, str) or not re.match(r"https?://[^/\s]+", base_url):
            problems.append(f"base_url: {base_url!r} is not an http(s) URL")
        else:
            url = base_url.rstrip("/")
    elif env is not None:
        url = env.api_base_url
    elif environment is None:
        problems.append(
            "environment: give environment='sandbox' or 'production' (or base_url); "
            "qbo_sync never defaults to production"
        )
    if token_provider is not None and access_token is not None:
        problems.append("token_provider / access_token: give one, not both")
    elif token_provider is None and access_token is None:
        problems.append("token_provider / access_token: one is required")
    elif access_token is not None and (
        not isinstance(access_token, str) or not access_token.strip()
    ):
        problems.append("access_token: empty")
    if isinstance(minor_version, bool) or not isinstance(minor_version, int) or minor_version < 1:
        problems.append(f"minor_version: {minor_version!r} is not a positive integer")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        problems.append(f"timeout: {timeout!r} must be a positive number of seconds")
    if not isinstance(page_size, int) or not 1 <= page_size <= 1000:
        problems.append(f"page_size: {page_size!r} must be 1..1000 (QBO's maximum)")
    if not isinstance(batch_size, int) or not 1 <= batch_size <= BATCH_MAX:
        problems.append(f"batch_size: {batch_size!r} must be 1..{BATCH_MAX}")
    if transport is not None and not isinstance(transport, transport_type):
        problems.append(
            f"transport: {type(transport).__name__} is not an httpx.{transport_type.__name__}"
        )
    if problems or url is None:
        raise ConfigurationError(f"{who}: " + "; ".join(problems), problems=problems)
    return url, env
