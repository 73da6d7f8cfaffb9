"""``qbo-sync connect``: the browser sign-in, with a loopback server catching the callback.

The flow, as a desktop app does it (RFC 8252):

1. Read the app's keys from ``QUICKBOOKS_*`` and build the authorization URL
   (``OAuthManager.authorization_url``; its ``state`` is stored).
2. Listen on the redirect URI's host, port and path when it is an
   ``http://localhost`` (or ``127.0.0.1``, ``[::1]``) URL. The socket is
   bound *before* the browser is opened, so the callback cannot be missed.
3. Open the browser (``webbrowser.open``, in a thread: some browsers block)
   unless ``--no-browser``, and print the URL either way.
4. Wait, up to ``--timeout`` seconds, for the request carrying our
   ``state``; other requests (a favicon, a stale tab) get a 404 or 400 and
   the wait goes on. The callback is handed to ``handle_callback``, which
   exchanges the code and stores the tokens (encrypted); the browser is
   shown the outcome.

When the redirect URI is not a loopback ``http`` URL (an ``https`` URL of the
product), nothing can listen on it: the command asks for the address the
browser was sent to, pasted on standard input.
"""

from __future__ import annotations

import argparse
import html
import http.server
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from qbo_sync.auth import ConnectFailed, ConnectFailure, ConnectResult, OAuthManager
from qbo_sync.cli._company import library_errors, oauth_manager, open_store
from qbo_sync.cli._errors import EXIT_FAILED, EXIT_USAGE, CLIError, explain
from qbo_sync.errors import QBOError

__all__ = ["CallbackServer", "run_connect"]

_LOOPBACK = {"localhost": "127.0.0.1", "127.0.0.1": "127.0.0.1", "::1": "::1"}

_HINTS = {
    ConnectFailure.ACCESS_DENIED: "run qbo-sync connect again and choose Connect on Intuit's page",
    ConnectFailure.REALM_CHANGE_REFUSED: (
        "to replace the connected company (it is disconnected; its links and history stay), "
        "run qbo-sync connect --allow-realm-change; to keep both, use --tenant NAME"),
    ConnectFailure.REALM_IN_USE: (
        "the company belongs to another tenant in this database: pass its --tenant"),
}


def _page(title: str, text: str) -> bytes:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>qbo-sync</title></head>"
        "<body style='font-family:sans-serif;margin:3em'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    ).encode()


class CallbackServer:
    """A one-shot HTTP server on the redirect URI, in the calling thread.

    Args:
        redirect_uri: ``http://localhost:PORT/path`` (or ``127.0.0.1``, ``[::1]``).
        state: The ``state`` of the authorization request being waited for.
        on_callback: Called with the callback's query string; returns the
            status and the page for the browser.

    Raises:
        CLIError: The port cannot be listened on (exit 2).
    """

    def __init__(self, redirect_uri: str, *, state: str,
                 on_callback: Callable[[str], tuple[int, bytes]]) -> None:
        parts = urlsplit(redirect_uri)
        host = (parts.hostname or "").lower()
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self._state = state
        self._on_callback = on_callback
        self.done = False
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = owner._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                # The request line carries the code and the state: never logged.
                return

        class Server(http.server.HTTPServer):
            address_family = socket.AF_INET6 if host == "::1" else socket.AF_INET
            allow_reuse_address = True

        try:
            self._server = Server((_LOOPBACK[host], self.port), Handler)
        except OSError as exc:
            raise CLIError(
                f"cannot listen on {host}:{self.port} for the sign-in callback "
                f"({exc.strerror or exc})", exit_code=EXIT_USAGE,
                hint="stop what uses the port, or register another http://localhost:PORT "
                "redirect URI for the app and set QUICKBOOKS_REDIRECT_URI to it",
            ) from None

    def _answer(self, target: str) -> tuple[int, bytes]:
        parts = urlsplit(target)
        if parts.path != self.path or self.done:
            return 404, _page("Not found", "This is qbo-sync's sign-in callback.")
        if parse_qs(parts.query).get("state") != [self._state]:
            return 400, _page("Not this sign-in",
                              "This is not the sign-in qbo-sync is waiting for; use the "
                              "address the terminal printed.")
        self.done = True
        status, body = self._on_callback(parts.query)
        return int(status), body

    def wait(self, timeout: float) -> None:
        """Serve requests until the callback arrived.

        Raises:
            CLIError: Nothing arrived within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while not self.done:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CLIError(
                    f"no sign-in callback within {timeout:g} s", exit_code=EXIT_FAILED,
                    hint="run qbo-sync connect again and finish on Intuit's page in time "
                    "(--timeout SECONDS); with --no-browser, open the printed address yourself",
                )
            self._server.timeout = min(left, 0.5)
            self._server.handle_request()

    def close(self) -> None:
        """Stop listening."""
        self._server.server_close()


def _loopback(redirect_uri: str) -> bool:
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and (parts.hostname or "").lower() in _LOOPBACK


def _open_browser(url: str, err: TextIO) -> None:
    def run() -> None:
        try:
            if not webbrowser.open(url):
                err.write("qbo-sync: no browser could be opened; open the address yourself\n")
        except Exception:
            err.write("qbo-sync: no browser could be opened; open the address yourself\n")

    threading.Thread(target=run, name="qbo-sync-browser", daemon=True).start()


def _finish(result: ConnectResult, oauth: OAuthManager, out: TextIO) -> int:
    if isinstance(result, ConnectFailed):
        raise CLIError(f"connect failed ({result.reason.value}): {result.message}",
                       exit_code=EXIT_FAILED,
                       hint=_HINTS.get(result.reason, "run qbo-sync connect again"))
    info = oauth.connection_info(result.realm_id)
    what = "reconnected" if result.reconnected else "connected"
    name = result.company_name or "(name not read yet: qbo-sync test-connection)"
    out.write(f"{what}: {name}, realm {result.realm_id}, {result.environment.value}\n")
    if info.refresh_expires_at is not None:
        out.write(f"tokens stored encrypted; the connection lasts while it is used at least "
                  f"every 100 days (refresh token valid until "
                  f"{info.refresh_expires_at:%Y-%m-%d})\n")
    if result.previous_realm_id:
        out.write(f"the previous company {result.previous_realm_id} was disconnected\n")
    out.write("next: qbo-sync test-connection, qbo-sync map-accounts, qbo-sync sync\n")
    out.flush()
    return 0


def run_connect(args: argparse.Namespace, *, out: TextIO, err: TextIO,
                stdin: TextIO | None = None) -> int:
    """Connect a company: browser sign-in, callback, tokens stored.

    Returns:
        0 when connected (failures raise :class:`CLIError`).
    """
    store = open_store(args, create=True)
    try:
        with library_errors():
            oauth = oauth_manager(store, args)
        try:
            return _connect(args, oauth, out=out, err=err, stdin=stdin or sys.stdin)
        finally:
            oauth.close()
    finally:
        store.close()


def _connect(args: argparse.Namespace, oauth: OAuthManager, *, out: TextIO, err: TextIO,
             stdin: TextIO) -> int:
    tenant = args.tenant
    if tenant is None and args.realm is not None:
        # Reconnecting a known company: under the tenant it was connected for.
        tenant = oauth.connection_info(args.realm).tenant_id
    redirect_uri = oauth.config.redirect_uri
    with library_errors():
        request = oauth.authorization_url(tenant_id=tenant,
                                          allow_realm_change=args.allow_realm_change)
    outcome: dict[str, ConnectResult | BaseException] = {}

    def on_callback(query: str) -> tuple[int, bytes]:
        try:
            result = oauth.handle_callback(query, tenant_id=tenant)
        except QBOError as exc:
            outcome["error"] = exc
            return 500, _page("Not connected", "qbo-sync could not finish; see the terminal.")
        outcome["result"] = result
        if isinstance(result, ConnectFailed):
            return 400, _page("Not connected", result.message)
        name = result.company_name or result.realm_id
        return 200, _page(f"Connected to {name}",
                          "You can close this tab and return to the terminal.")

    if not _loopback(redirect_uri):
        return _connect_by_paste(args, oauth, request.url, tenant, out=out, err=err,
                                 stdin=stdin)
    server = CallbackServer(redirect_uri, state=request.state, on_callback=on_callback)
    try:
        err.write("Sign in to QuickBooks and choose the company to connect:\n")
        err.write(f"  {request.url}\n")
        if args.no_browser:
            err.write("Open that address in a browser on this machine.\n")
        else:
            _open_browser(request.url, err)
            err.write("(a browser window was opened; if not, open the address yourself)\n")
        err.write(f"Waiting for the callback on {redirect_uri} (up to {args.timeout:g} s; "
                  "Ctrl-C to stop) ...\n")
        err.flush()
        server.wait(args.timeout)
    finally:
        server.close()
    failure = outcome.get("error")
    if isinstance(failure, QBOError):
        raise explain(failure)
    result = outcome["result"]
    assert not isinstance(result, BaseException)
    return _finish(result, oauth, out)


def _connect_by_paste(args: argparse.Namespace, oauth: OAuthManager, url: str,
                      tenant: str | None, *, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    err.write("Sign in to QuickBooks and choose the company to connect:\n")
    err.write(f"  {url}\n")
    if not args.no_browser:
        _open_browser(url, err)
    err.write(f"The redirect URI {oauth.config.redirect_uri} is not on this machine, so "
              "nothing can listen for it.\nAfter connecting, paste the full address the "
              "browser was sent to, then press Enter:\n")
    err.flush()
    line = stdin.readline().strip()
    if not line:
        raise CLIError("no callback address was pasted", exit_code=EXIT_FAILED,
                       hint="run qbo-sync connect again and paste the address your browser "
                       "shows after connecting")
    with library_errors():
        result = oauth.handle_callback(line, tenant_id=tenant)
    return _finish(result, oauth, out)
