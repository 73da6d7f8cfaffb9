"""Serving ASGI apps on real loopback HTTP ports, in background threads.

:class:`LoopbackServer` serves any ASGI app (the product's own FastAPI app in
its tests, say); :class:`FakeQBOServer` is one serving a :class:`FakeQBO`.
Both need uvicorn (the ``[server]`` extra). The socket is bound when the
object is made, on port 0 unless told otherwise, so parallel tests never
collide and ``base_url`` is known before the app is built (an OAuth redirect
URI or a webhook URL often needs it).
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

from qbo_sync.errors import ConfigurationError
from qbo_sync.testing._fake._app import FakeQBO

__all__ = ["FakeQBOServer", "LoopbackServer"]

_STARTUP_TIMEOUT = 10.0


class LoopbackServer:
    """An ASGI app served by uvicorn on loopback, in a daemon thread.

    Example::

        server = LoopbackServer()                  # the port is bound now
        app = create_app(redirect_uri=f"{server.base_url}/qbo/callback")
        with server.serve(app):
            httpx.get(server.base_url + "/api/integration")

    Args:
        host: Interface to bind (loopback by default).
        port: Port to bind; 0 picks a free one.
        log_level: uvicorn's log level.

    Raises:
        ConfigurationError: If uvicorn is not installed.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning") -> None:
        try:
            import uvicorn  # noqa: F401, PLC0415 - optional [server] extra
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigurationError(
                "serving over HTTP needs uvicorn: pip install 'qbo-sync[server]'"
            ) from exc
        self.host = host
        self._log_level = log_level
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit it: without it uvicorn's separate writes of
        # headers and body meet delayed ACKs and every request costs ~40 ms.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.port = int(self._socket.getsockname()[1])
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = self.base_url if self._thread is not None else "not serving"
        return f"{type(self).__name__}({state})"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    @property
    def serving(self) -> bool:
        """Whether an app is being served."""
        return self._thread is not None

    def serve(self, app: Any) -> LoopbackServer:
        """Start serving ``app`` and wait until it accepts requests.

        Raises:
            ConfigurationError: The app did not start (or something is already served).
        """
        import uvicorn  # noqa: PLC0415 - optional [server] extra

        if self._thread is not None:
            raise ConfigurationError(f"{self!r} already serves an app")
        config = uvicorn.Config(app, log_level=self._log_level, lifespan="auto",
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True,
            name=f"{type(self).__name__}:{self.port}",
        )
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(f"the app did not start on {self.base_url}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving (the app's shutdown runs) and close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_STARTUP_TIMEOUT)
        self._socket.close()
        self._thread = None
        self._server = None

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class FakeQBOServer(LoopbackServer):
    """Serve a FakeQBO over HTTP on loopback; use as a context manager.

    Example: ``with FakeQBOServer() as server: httpx.get(server.base_url + ...)``.

    Args:
        fake: The fake to serve (default: a new ``FakeQBO()``).
        host: Interface to bind (loopback by default).
        port: Port to bind; 0 picks a free one.
        log_level: uvicorn's log level.
    """

    def __init__(
        self,
        fake: FakeQBO | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        super().__init__(host=host, port=port, log_level=log_level)
        self.fake = fake if fake is not None else FakeQBO()

    def start(self) -> FakeQBOServer:
        """Start serving the fake (once) and wait until it accepts requests.

        Raises:
            ConfigurationError: If the server does not start.
        """
        if not self.serving:
            self.serve(self.fake.asgi_app)
        return self

    def __enter__(self) -> FakeQBOServer:
        return self.start()
