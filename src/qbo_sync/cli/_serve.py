"""``qbo-sync fake-server``: delegates to ``python -m qbo_sync.testing serve``."""

from __future__ import annotations

from collections.abc import Sequence

from qbo_sync.cli._errors import CLIError

__all__ = ["serve"]


def serve(
    *,
    host: str,
    port: int,
    company_name: str,
    limits: bool,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uris: Sequence[str] = (),
) -> int:
    """Serve a fake QBO over HTTP until interrupted.

    Args:
        host: The interface to listen on.
        port: The port (0 picks a free one, but the printed URL then says 0).
        company_name: The first company's name.
        limits: Whether QBO's per-realm limits apply.
        client_id: Register an OAuth app with this id (for ``qbo-sync connect``).
        client_secret: Its client secret.
        redirect_uris: Its redirect URIs.

    Returns:
        The exit status of the server.

    Raises:
        CLIError: When uvicorn (the ``[server]`` extra) is not installed.
    """
    try:
        import uvicorn  # noqa: F401, PLC0415 - optional [server] extra, checked before starting
    except ImportError:
        raise CLIError(
            "fake-server needs uvicorn: pip install 'qbo-sync[server]'", exit_code=2
        ) from None
    from qbo_sync.testing.__main__ import main as testing_main  # noqa: PLC0415 - lazy

    argv = ["serve", "--host", host, "--port", str(port), "--company-name", company_name]
    if not limits:
        argv.append("--no-limits")
    if client_id:
        argv += ["--client-id", client_id, "--client-secret", client_secret or ""]
        for uri in redirect_uris:
            argv += ["--redirect-uri", uri]
    return testing_main(argv)
