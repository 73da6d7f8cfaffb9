"""FakeQBOServer: a FakeQBO on a real loopback HTTP port, in a background thread.

Needs uvicorn (the ``[server]`` extra). The socket is bound before the
thread starts, on port 0 unless told otherwise, so parallel tests never
collide and ``base_url`` is known at once.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

from qbo_sync.errors import ConfigurationError
from qbo_sync.testing._fake._app import FakeQBO

__all__ = ["FakeQBOServer"]

_STARTUP_TIMEOUT = 10.0


class FakeQBOServer:
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
        self.fake = fake if fake is not None else FakeQBO()
        self.host = host
        self._port = port
        self._log_level = log_level
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._bound_port: int | None = None

    def __repr__(self) -> str:
        state = self.base_url if self._thread is not None else "stopped"
        return f"FakeQBOServer({state})"

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._bound_port is None:
            raise ConfigurationError("FakeQBOServer is not started")
        return self._bound_port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: use as the client's ``base_url`` / OAuth host."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeQBOServer:
        """Bind, start serving in a daemon thread, and wait until it accepts requests.

        Raises:
            ConfigurationError: If uvicorn is not installed or the server does not start.
        """
        try:
            import uvicorn  # noqa: PLC0415 - optional [server] extra
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigurationError(
                "FakeQBOServer needs uvicorn: pip install 'qbo-sync[server]'"
            ) from exc
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._socket = sock
        self._bound_port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.fake.asgi_app, log_level=self._log_level, lifespan="on", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="FakeQBOServer"
        )
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError("FakeQBOServer did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_STARTUP_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._thread = None
        self._server = None

    def __enter__(self) -> FakeQBOServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
