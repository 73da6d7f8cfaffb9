"""Serve an ASGI app on a loopback port in a background thread (for tests and the demo).

The socket is bound first, so ``base_url`` is known before the app is built:
the OAuth redirect URI and the webhook URL both need it. The same pattern as
:class:`qbo_sync.testing.FakeQBOServer`.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

__all__ = ["LoopbackServer"]

_STARTUP_TIMEOUT = 10.0


class LoopbackServer:
    """A uvicorn server on ``127.0.0.1`` in a daemon thread.

    Example::

        server = LoopbackServer()                 # port bound now
        app = create_app(... redirect_uri=f"{server.base_url}/qbo/callback" ...)
        with server.serve(app):
            httpx.get(server.base_url + "/api/integration")

    Args:
        host: Interface to bind.
        port: Port to bind; 0 picks a free one.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit it: without it, uvicorn's separate writes of the
        # headers and the body meet delayed ACKs and every request costs ~40 ms.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.port = int(self._socket.getsockname()[1])
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    def serve(self, app: Any) -> LoopbackServer:
        """Start serving ``app`` and wait until it accepts requests."""
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True,
            name=f"LoopbackServer:{self.port}",
        )
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the app did not start on {self.base_url}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving (runs the app's shutdown) and close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_STARTUP_TIMEOUT)
        self._socket.close()
        self._server = None
        self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
